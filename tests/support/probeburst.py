"""Bursts of TCP OPTIONS probes that give up around the time a real ``sipp`` answers, and the resets they cause.

Debian's sipp 3.6 TCP responder exits when a peer resets a connection before it saw the peer's FIN, and a
client that closes a socket holding an unread answer (one that arrived just as it gave up) sends exactly that.
:func:`burst` sends such probes; :func:`tcp_resets` counts the resets this network namespace sent (both ends of
loopback are in it). Run as a script (inside a private network namespace, see
:func:`tests.support.kamailio.run_isolated`) it prints one JSON line::

    python -m tests.support.probeburst SECONDS THREADS
"""

from __future__ import annotations

import collections
import json
import random
import sys
import threading
import time
from pathlib import Path

from saltext_sipxha.core.verify.sipprobe import probe
from saltext_sipxha.core.verify.tcpclose import CLOSER, LINGER
from tests.support.named import free_port
from tests.support.sipp import sip_responder

TIMEOUTS = (0.0002, 0.004)  #: seconds a burst's probe waits: about as long as sipp takes to answer on loopback


def burst(address: str, port: int, seconds: float, threads: int) -> collections.Counter[str]:
    """Probe ``address:port`` over TCP from ``threads`` threads for ``seconds`` s; outcomes counted by reason
    (``answered``, ``given up`` for no answer in time, else the error)."""
    counts: collections.Counter[str] = collections.Counter()
    lock, stop = threading.Lock(), time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < stop:
            result = probe(address, port, "tcp", timeout=random.uniform(*TIMEOUTS))
            reason = "answered" if result.reachable else "given up" if "no answer" in result.reason else result.reason
            with lock:
                counts[reason] += 1

    running = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(seconds + 10)
    return counts


def tcp_resets() -> int:
    """TCP resets sent in this network namespace so far (``OutRsts`` of ``/proc/self/net/snmp``)."""
    rows = [line.split() for line in Path("/proc/self/net/snmp").read_text(encoding="ascii").splitlines()]
    names, values = (row for row in rows if row[0] == "Tcp:")
    return int(values[names.index("OutRsts")])


def main(argv: list[str]) -> int:
    seconds, threads = float(argv[0]), int(argv[1])
    port = free_port()
    with sip_responder("127.0.0.1", port, "tcp") as sipp:
        CLOSER.wait(LINGER + 1)  # the start-up probes' connections
        before = tcp_resets()
        counts = burst("127.0.0.1", port, seconds, threads)
        closed = CLOSER.wait(LINGER + 1)
        resets = tcp_resets() - before
        alive = sipp.poll() is None
        answers = probe("127.0.0.1", port, "tcp", timeout=2).reachable
    print(json.dumps({"counts": counts, "resets": resets, "closed": closed, "alive": alive, "answers": answers}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
