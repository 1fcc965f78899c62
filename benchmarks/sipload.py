"""Steady SIP OPTIONS load through SRV names, as an RFC 3263 client sends it; gaps and failures per name.

:class:`SrvClient` resolves an SRV name with dnspython (its own cache, honouring the TTL) from one
nameserver, tries the targets in ``answer.rrset.processing_order()`` order (priority, then weight),
each with one OPTIONS of at most ``timeout`` seconds through
:func:`saltext_sipxha.core.verify.sipprobe.probe` (UDP for ``_sip._udp`` names, else TCP), and fails
over to the next target; a request fails only when no target answers. Like a SIP client, it gives up
waiting, not the connection: the probe ends a TCP connection whose answer is late without a reset
(:mod:`saltext_sipxha.core.verify.tcpclose`; sipp's TCP responder exits on a peer's reset, so a client
that closed at once would take the stand-in servers down itself).

:func:`steady_load` sends ``rate`` requests per second per name, each on its own worker thread (a
slow request never delays the next), until stopped. :func:`longest_gap` is the longest stretch of
the load's window with no answer for a name.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.resolver

from saltext_sipxha.core.verify.sipprobe import probe
from saltext_sipxha.core.verify.tcpclose import CLOSER, LINGER

TIMEOUT = 0.5  #: seconds one target has to answer before the client tries the next
RATE = 20  #: requests per second per SRV name
WORKERS = 64
DNS_FAILURES = ("SRV: ", "A ")  #: reasons of a request that failed because DNS did not answer
FAILED_TIMES = 20  #: when the first failed requests of a name were sent (seconds into the load)


@dataclass(frozen=True)
class Answer:
    """One request: when it was sent and answered (epoch seconds, to line up with logs and events), by which
    target, after how many targets were tried."""

    name: str
    sent: float
    answered: float | None
    target: str | None
    tries: int
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.answered is not None


class SrvClient:
    """An RFC 3263 client's target selection and failover for SRV names, against one nameserver."""

    def __init__(self, nameserver: str, port: int, timeout: float = TIMEOUT) -> None:
        self.resolver = dns.resolver.Resolver(configure=False)
        self.resolver.nameservers, self.resolver.port = [nameserver], port
        self.resolver.timeout, self.resolver.lifetime = 0.5, 3.0  # a stub resolver retries a lost query
        self.resolver.cache = dns.resolver.Cache()
        self.timeout = timeout

    def request(self, name: str) -> Answer:
        """One OPTIONS for ``name``: the first target of the processing order that answers, else failed."""
        sent = time.time()
        try:
            return self._request(name, sent)
        except Exception as err:  # a request that broke is a failed one, never a lost one
            return Answer(name, sent, None, None, 0, f"{type(err).__name__}: {err}")

    def _request(self, name: str, sent: float) -> Answer:
        transport = "udp" if name.startswith("_sip._udp.") else "tcp"
        try:
            rrset = self.resolver.resolve(name, "SRV").rrset
        except dns.exception.DNSException as err:
            return Answer(name, sent, None, None, 0, f"SRV: {type(err).__name__}")
        tries, reason = 0, "no target"
        for rdata in rrset.processing_order() if rrset else ():
            host = rdata.target.to_text(omit_final_dot=True)
            tries += 1
            try:
                address = self.resolver.resolve(rdata.target, "A")[0].address
            except dns.exception.DNSException as err:
                reason = f"A {host}: {type(err).__name__}"
                continue
            result = probe(host, rdata.port, transport, self.timeout, address=address)
            if result.reachable:
                return Answer(name, sent, time.time(), host, tries)
            reason = f"{host}: {result.reason}"
        return Answer(name, sent, None, None, tries, reason)


@contextlib.contextmanager
def steady_load(client: SrvClient, names: Sequence[str], rate: float = RATE) -> Iterator[list[Answer]]:
    """Send ``rate`` requests per second for every name while the block runs; the list fills with answers
    (complete once the block has ended: requests still in flight are waited for)."""
    answers: list[Answer] = []
    stop = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="sipload") as pool:

        def tick() -> None:
            started, count = time.monotonic(), 0
            while not stop.is_set():
                for name in names:
                    pool.submit(client.request, name).add_done_callback(lambda f: answers.append(f.result()))
                count += 1
                stop.wait(max(0.0, started + count / rate - time.monotonic()))

        scheduler = threading.Thread(target=tick, name="sipload-tick", daemon=True)
        scheduler.start()
        try:
            yield answers
        finally:
            stop.set()
            scheduler.join(10)
    CLOSER.wait(LINGER + 1)  # the connections of requests given up on, still draining


def longest_gap(answered: Iterable[float], start: float, end: float) -> tuple[float, float]:
    """The longest stretch of ``[start, end]`` without an answer: (seconds, when it began after ``start``);
    of equally long ones the first."""
    times = [start, *sorted(t for t in answered if start <= t <= end), end]
    gap, at = max(((b - a, a) for a, b in itertools.pairwise(times)), key=lambda pair: pair[0])  # the first
    return gap, at - start


def any_name_gap(answers: Iterable[Answer], start: float, end: float) -> tuple[float, float]:
    """:func:`longest_gap` of every name's answers together: when no name got an answer either, the client or
    the machine stalled (a reference for the per-name gaps)."""
    return longest_gap((a.answered for a in answers if a.answered is not None), start, end)


def per_name(answers: Iterable[Answer], names: Sequence[str], start: float, end: float) -> dict[str, dict[str, Any]]:
    """For each name: requests, failed (of them because DNS did not answer; when the first were sent), failovers
    (answered by a later target), the longest gap and when it began, a failure's reason."""
    by_name: dict[str, list[Answer]] = {name: [] for name in names}
    for answer in answers:
        by_name[answer.name].append(answer)
    result = {}
    for name, got in by_name.items():
        failed = [a for a in got if not a.ok]
        gap, at = longest_gap((a.answered for a in got if a.answered is not None), start, end)
        result[name] = {
            "requests": len(got),
            "failed": len(failed),
            "failed_no_dns_answer": sum(1 for a in failed if a.reason.startswith(DNS_FAILURES)),
            "failed_at_s": [round(a.sent - start, 2) for a in failed[:FAILED_TIMES]],
            "failovers": sum(1 for a in got if a.ok and a.tries > 1),
            "longest_gap_s": round(gap, 3),
            "longest_gap_at_s": round(at, 3),
            "a_failure": failed[0].reason if failed else None,
        }
    return result
