"""SIP OPTIONS probes: is a SIP server answering on host:port over UDP or TCP (RFC 3261 section 11)?

Any final or provisional response counts as "reachable": a server that answers ``OPTIONS`` with 404 or
405 is still alive for a client that SRV sent there. Every probe is bounded by ``timeout`` seconds. A TCP
probe's connection, answered or given up on, is ended without a reset by :mod:`.tcpclose` in the background.
"""

from __future__ import annotations

import secrets
import socket
import time
from dataclasses import dataclass

from saltext_sipxha.core.verify.tcpclose import CLOSER

TRANSPORTS = ("udp", "tcp")
T1 = 0.5  #: RFC 3261 timer T1: first UDP retransmission interval


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one OPTIONS probe."""

    host: str
    address: str
    port: int
    transport: str
    status: int | None  #: SIP status code, None when nothing answered
    reason: str
    rtt_ms: float | None = None

    @property
    def reachable(self) -> bool:
        return self.status is not None


def options_request(host: str, port: int, transport: str, local: tuple[str, int], call_id: str) -> bytes:
    """An OPTIONS request to ``host:port`` from ``local`` (address, port)."""
    tag, branch = secrets.token_hex(6), "z9hG4bK" + secrets.token_hex(8)
    lines = [
        f"OPTIONS sip:{host}:{port};transport={transport} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local[0]}:{local[1]};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:sipxha-probe@{local[0]}>;tag={tag}",
        f"To: <sip:{host}:{port}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:sipxha-probe@{local[0]}:{local[1]};transport={transport}>",
        "Accept: application/sdp",
        "User-Agent: saltext-sipxha",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_status(data: bytes, call_id: str) -> tuple[int, str] | None:
    """(status, reason) of a SIP response to ``call_id``; None for anything else."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or parts[0] != "SIP/2.0" or not parts[1].isdigit():
        return None
    call_ids = [line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith(("call-id:", "i:"))]
    if call_ids != [call_id]:
        return None
    return int(parts[1]), parts[2] if len(parts) > 2 else ""


def probe(
    host: str, port: int, transport: str = "udp", timeout: float = 2.0, address: str | None = None
) -> ProbeResult:
    """Send one OPTIONS to ``address`` (default: ``host``) and wait at most ``timeout`` seconds for a response."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS}, got {transport!r}")
    address = address or host
    call_id = f"{secrets.token_hex(10)}@sipxha"
    started = time.monotonic()
    try:
        exchange = _udp_exchange if transport == "udp" else _tcp_exchange
        answer = exchange(host, address, port, call_id, timeout)
    except OSError as err:
        return ProbeResult(host, address, port, transport, None, err.strerror or str(err))
    if answer is None:
        return ProbeResult(host, address, port, transport, None, f"no answer within {timeout:g}s")
    rtt = round((time.monotonic() - started) * 1000, 1)
    return ProbeResult(host, address, port, transport, answer[0], answer[1], rtt)


def _udp_exchange(host: str, address: str, port: int, call_id: str, timeout: float) -> tuple[int, str] | None:
    deadline, interval = time.monotonic() + timeout, T1
    with socket.socket(_family(address), socket.SOCK_DGRAM) as sock:
        sock.connect((address, port))
        request = options_request(host, port, "udp", sock.getsockname()[:2], call_id)
        while (left := deadline - time.monotonic()) > 0:
            sock.send(request)
            sock.settimeout(min(interval, left))
            try:
                while True:
                    status = parse_status(sock.recv(65535), call_id)
                    if status is not None:
                        return status
            except TimeoutError:
                interval *= 2
    return None


def _tcp_exchange(host: str, address: str, port: int, call_id: str, timeout: float) -> tuple[int, str] | None:
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((address, port), timeout=timeout)
    buffer = b""
    try:
        sock.sendall(options_request(host, port, "tcp", sock.getsockname()[:2], call_id))
        while b"\r\n\r\n" not in buffer and (left := deadline - time.monotonic()) > 0 and len(buffer) < 65536:
            sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                return None
            if not chunk:
                break
            buffer += chunk
    finally:
        CLOSER.close(sock)  # FIN now, close after the peer's: a late answer never meets a reset
    return parse_status(buffer, call_id)


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET
