"""Per-server SIP responders standing in for sipX (proxy, registrar, auth proxy), and a restart script.

Each server's responders are Debian's ``sipp -sn uas`` on the server's loopback address: the proxy and the
auth proxy over TCP and UDP, the registrar over TCP (what DNS offers). Their pids live in ``<state>/<id>.pids``.

Run as a script (by the venv's python) it is the ``service:restart_command`` of the rollout tests::

    python responders.py restart --state DIR --id sipxpbx2 --address 127.0.0.12 --ports 5060,5070,5080 \
        --log LOG --dns 127.0.0.1:PORT

It logs ``<epoch> <id> begin in_dns=<bool>`` (is this server a target of ``_sip._tcp.<domain>`` right now,
asked of BIND), stops the server's responders, waits ``--down`` seconds, starts them again (unless
``<state>/<id>.broken`` exists: then they stay down, as a sipX that does not come back; while
``<state>/<id>.hold`` exists, at most :data:`HOLD_TIMEOUT` seconds, it waits before starting them), and logs
``<epoch> <id> end``. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query

from saltext_sipxha.core.verify.sipprobe import probe

ROLES = (("proxy", ("tcp", "udp")), ("registrar", ("tcp",)), ("authproxy", ("tcp", "udp")))
START_TIMEOUT = 10.0
HOLD_TIMEOUT = 180.0
SIPP = "/usr/bin/sipp"


def _probe(address: str, port: int, transport: str) -> bool:
    return probe(address, port, transport, timeout=0.3).reachable


def start(state: Path, minion_id: str, address: str, ports: list[int]) -> list[int]:
    """Start the server's responders (detached), wait until each answers, record their pids."""
    pids, wanted = [], []
    for (role, transports), port in zip(ROLES, ports, strict=True):
        for transport in transports:
            cmd = [SIPP, "-sn", "uas", "-aa", "-i", address, "-p", str(port), "-nostdin",
                   "-t", "t1" if transport == "tcp" else "u1"]  # fmt: skip
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, cwd=state, start_new_session=True)  # fmt: skip
            pids.append(proc.pid)
            wanted.append((port, transport, proc, role))
    (state / f"{minion_id}.pids").write_text(" ".join(map(str, pids)), encoding="utf-8")
    deadline = time.monotonic() + START_TIMEOUT
    for port, transport, proc, role in wanted:
        while not _probe(address, port, transport):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sipp {role} did not start on {address}:{port}/{transport}")
            time.sleep(0.05)
    return pids


def stop(state: Path, minion_id: str) -> None:
    """Stop the server's responders (TERM, then KILL after a bounded wait)."""
    pidfile = state / f"{minion_id}.pids"
    if not pidfile.exists():
        return
    pids = [int(p) for p in pidfile.read_text(encoding="utf-8").split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for pid in pids:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    pidfile.unlink()


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def in_dns(nameserver: str, domain: str, fqdn: str) -> bool:
    """Is ``fqdn`` a target of ``_sip._tcp.<domain>`` at ``nameserver`` (host:port) right now?"""
    host, port = dns_split(nameserver)
    answer = dns.query.tcp(dns.message.make_query(f"_sip._tcp.{domain}", "SRV"), host, port=port, timeout=3)
    return any(rdata.target.to_text() == f"{fqdn}." for rrset in answer.answer for rdata in rrset)


def dns_split(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("restart",))
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--dns", required=True)
    parser.add_argument("--domain", default="example.com")
    parser.add_argument("--down", type=float, default=0.5)
    args = parser.parse_args(argv)
    fqdn = f"{args.id}.{args.domain}"
    with args.log.open("a", encoding="utf-8") as log:
        log.write(f"{time.time():.3f} {args.id} begin in_dns={in_dns(args.dns, args.domain, fqdn)}\n")
    stop(args.state, args.id)
    time.sleep(args.down)
    hold = args.state / f"{args.id}.hold"
    deadline = time.monotonic() + HOLD_TIMEOUT
    while hold.exists() and time.monotonic() < deadline:  # a test holds the server down while it looks
        time.sleep(0.1)
    if not (args.state / f"{args.id}.broken").exists():
        start(args.state, args.id, args.address, [int(p) for p in args.ports.split(",")])
    with args.log.open("a", encoding="utf-8") as log:
        log.write(f"{time.time():.3f} {args.id} end\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
