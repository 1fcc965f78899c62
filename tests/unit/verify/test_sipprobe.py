"""SIP OPTIONS probes against real SIP responders (sipp) on loopback."""

from __future__ import annotations

import socket
import time

import pytest

from saltext_sipxha.core.verify.sipprobe import options_request, parse_status, probe
from saltext_sipxha.core.verify.tcpclose import CLOSER
from tests.support.sipp import sip_responder


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_probe_gets_200_from_a_real_responder(transport):
    port = _free_port(socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
    with sip_responder("127.0.0.1", port, transport):
        result = probe("sipxpbx1.example.com", port, transport, timeout=2, address="127.0.0.1")
    assert result.reachable and result.status == 200, result
    assert result.rtt_ms is not None
    assert CLOSER.wait(3), "a probe's connection was still open after its peer closed"


def test_a_tcp_probe_that_gives_up_sends_fin_and_its_late_answer_meets_no_reset():
    with socket.create_server(("127.0.0.1", 0)) as server:
        started = time.monotonic()
        result = probe("127.0.0.1", server.getsockname()[1], "tcp", timeout=0.3)  # nobody accepts yet
        assert not result.reachable and "no answer" in result.reason
        assert time.monotonic() - started < 1.0
        peer, _ = server.accept()
        with peer:
            peer.settimeout(2)
            request = peer.recv(65536)
            assert request.startswith(b"OPTIONS ") and peer.recv(100) == b""  # the probe's FIN, no reset
            answer = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"
            for _ in range(4):  # a probe that closed at once would have reset the connection by the second
                peer.sendall(answer)
                time.sleep(0.05)
            peer.shutdown(socket.SHUT_WR)
            assert CLOSER.wait(3)
            assert peer.recv(100) == b""


def test_probe_of_silent_udp_port_times_out_within_bound():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        result = probe("127.0.0.1", silent.getsockname()[1], "udp", timeout=0.6)
    assert not result.reachable
    assert "no answer" in result.reason


def test_probe_of_closed_tcp_port_is_refused():
    result = probe("127.0.0.1", _free_port(socket.SOCK_STREAM), "tcp", timeout=1)
    assert not result.reachable
    assert "refused" in result.reason.lower()


def test_parse_status_ignores_other_calls_and_garbage():
    request = options_request("h", 5060, "udp", ("127.0.0.1", 5999), "abc@x")
    assert parse_status(request, "abc@x") is None
    assert parse_status(b"SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n", "abc@x") is None
    assert parse_status(b"SIP/2.0 404 Not Found\r\ni: abc@x\r\n\r\n", "abc@x") == (404, "Not Found")
    assert parse_status(b"\x00\xff garbage", "abc@x") is None


def test_unknown_transport_is_refused():
    with pytest.raises(ValueError, match="transport"):
        probe("127.0.0.1", 5060, "sctp")
