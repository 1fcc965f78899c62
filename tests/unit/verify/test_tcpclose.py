"""Gentle TCP closes against a real peer on loopback: FIN at once, no reset, closed once the peer closes."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

from saltext_sipxha.core.verify.tcpclose import Closer


@contextlib.contextmanager
def connected_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, the server's end) of a TCP connection on 127.0.0.1; both closed when the block ends."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=2)
        peer, _ = server.accept()
        peer.settimeout(2)
        with client, peer:
            yield client, peer


def test_the_peer_sees_our_fin_at_once_and_what_it_sends_after_meets_no_reset():
    closer = Closer(linger=5)
    with connected_pair() as (client, peer):
        client.sendall(b"request")
        closer.close(client)
        assert peer.recv(100) == b"request"
        assert peer.recv(100) == b""  # our FIN, before the peer answered
        for _ in range(5):  # a closed socket would answer the first with a reset, failing a later send
            peer.sendall(b"a late answer" * 1000)
            time.sleep(0.05)
        assert closer.pending() == 1
        peer.shutdown(socket.SHUT_WR)  # the peer closes its side: the closer closes ours
        assert closer.wait(2), "the closer kept a connection its peer had closed"
        peer.settimeout(2)
        assert peer.recv(100) == b""  # a reset would raise ConnectionResetError here


def test_a_peer_that_never_closes_is_closed_after_the_linger():
    closer = Closer(linger=0.3)
    with connected_pair() as (client, peer):
        closer.close(client)
        started = time.monotonic()
        assert closer.wait(3)
        assert 0.25 < time.monotonic() - started < 2.5
        assert client.fileno() == -1
        assert peer.recv(100) == b""


def test_a_socket_that_never_connected_is_closed_at_once():
    closer = Closer()
    sock = socket.socket()
    closer.close(sock)
    assert sock.fileno() == -1
    assert closer.pending() == 0 and closer.wait(0)
