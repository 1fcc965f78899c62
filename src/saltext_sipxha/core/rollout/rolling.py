"""The rolling restart: one server at a time, drained before and undrained after its restart.

Pure orchestration: every side effect (DNS, restart, SIP probe, marker, clock, progress lines) is passed in
as :class:`Effects`, so the order of steps and every failure path are unit-tested without a fleet.

For each server that needs a restart, in :func:`rollout_order` (distributed servers by index, the master
last): drain (DNS without it, unless no peer answers: then it is not drained, and the line says so), wait
``rollout:drain_wait`` (then drain again: a DNS state run whose pillar predates the drain may have put the
server back; if it had, wait again), restart, wait until every :func:`health_checks` answers SIP OPTIONS within
``rollout:health_timeout``, undrain. The restart takes the server's restart marker (a change written during
it marks the server again); a server that does not come back gets its marker back and stops the rollout:
it stays drained, the servers after it are not touched. The next rollout starts with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from saltext_sipxha.core.dns.records import Record, drained_set, group, planned_records
from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.plan.fleet import Fleet, Server

PROBE_TIMEOUT = 1.0  #: seconds one OPTIONS probe waits (a health round is bounded by health_timeout)
PROBE_PAUSE = 0.2  #: seconds between two rounds of health probes
REDRAINS = 3  #: times a drain that DNS state runs put back is redone (and waited for again) before the rollout stops


@dataclass(frozen=True)
class DnsResult:
    """What one drain or undrain did to DNS."""

    summary: str  #: for the step's line
    changed: bool  #: some record changed (for a repeated drain: the server had been put back)

    def __str__(self) -> str:
        return self.summary


@dataclass(frozen=True)
class Check:
    """One health check of a restarted server: SIP OPTIONS to one of its ports over one transport."""

    role: str  #: proxy | registrar | authproxy
    port: int
    transport: str  #: tcp | udp

    def __str__(self) -> str:
        return f"{self.role} {self.port}/{self.transport}"


@dataclass(frozen=True)
class Effects:
    """What a rollout does to the world; the runner passes Salt-backed ones, the tests fakes."""

    drain: Callable[[Server, frozenset[str]], DnsResult]  #: DNS as planned without these ids (for a server)
    restart: Callable[[Server], str]  #: restart sipX on the server (raise SipxhaError on failure); how
    probe: Callable[[Server, Check, float], str | None]  #: None when it answers, else the reason
    remark: Callable[[Server, str], None]  #: set the server's restart marker again, for this reason
    sleep: Callable[[float], None]
    clock: Callable[[], float]  #: monotonic seconds
    progress: Callable[[str], None] = lambda line: None  #: one line per step, as it happens


@dataclass
class Outcome:
    """What the rollout did: per server, and where it stopped."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, Any] | None = None  #: {"server", "step", "check", "reason"} of the server that stopped it
    lines: list[str] = field(default_factory=list)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "restarted": self.done, "failed": self.failed, "steps": self.lines,
                "timings": self.timings}  # fmt: skip


def rollout_order(fleet: Fleet, pending: Iterable[str]) -> tuple[Server, ...]:
    """The servers of ``pending`` in a stable order: distributed servers by index, then the master."""
    wanted = set(pending)
    servers = [server for server in fleet.servers if server.minion_id in wanted]
    return tuple(sorted(servers, key=lambda s: (s.is_master, s.index)))


def health_checks(fleet: Fleet, server: Server) -> tuple[Check, ...]:
    """OPTIONS on the proxy, registrar and auth-proxy ports over TCP, and over UDP where DNS offers UDP."""
    ports = fleet.ports
    return (
        Check("proxy", ports.proxy, "tcp"),
        Check("proxy", ports.proxy, "udp"),  # _sip._udp.<domain>
        Check("registrar", ports.registrar, "tcp"),  # registrar names are TCP only
        Check("authproxy", ports.authproxy, "tcp"),
        Check("authproxy", ports.authproxy, "udp"),  # _sip._udp.<authproxy name>
    )


def drain_changes(fleet: Fleet, minion_id: str) -> dict[str, list[str]]:
    """The SRV records draining ``minion_id`` takes out of DNS, per RRset (what ``test=True`` shows)."""
    before, after = group(planned_records(fleet)), group(planned_records(fleet, {minion_id}))
    gone: dict[str, list[str]] = {}
    for key, rrset in before.items():
        removed = [r for r in rrset if r not in after.get(key, ())]
        if removed:
            gone[f"{key[0].to_text()} {key[1]}"] = [_short(r) for r in removed]
    return gone


def plan_steps(fleet: Fleet, servers: Iterable[Server]) -> list[dict[str, Any]]:
    """What a rollout would do, server by server (``salt-run sipxha.rollout test=True``)."""
    wait, timeout = fleet.rollout.drain_wait, fleet.rollout.health_timeout
    how = "service:restart_command" if fleet.service.restart_command else f"service.restart {fleet.service.name}"
    plan = []
    for server in servers:
        changes = drain_changes(fleet, server.minion_id)
        checks = ", ".join(str(check) for check in health_checks(fleet, server))
        drain = f"drain: leave {len(changes)} SRV RRset(s)" if changes else "drain: nothing to change"
        if server.maintenance:
            drain = "drain: already out of DNS (maintenance)"
        steps = [drain, f"wait {wait} s (drain_wait), drain again if a DNS run put it back",
                 f"restart sipX ({how}; takes its restart marker)",
                 f"wait until {server.address} answers OPTIONS on {checks} (at most {timeout} s)",
                 "undrain" if not server.maintenance else "stay out of DNS (maintenance)"]  # fmt: skip
        plan.append({"server": server.minion_id, "role": server.role, "steps": steps, "dns_changes": changes})
    return plan


def roll(fleet: Fleet, pending: Callable[[], Iterable[str]], effects: Effects, first: str | None = None) -> Outcome:
    """Restart the servers ``pending()`` names one after another (see the module docstring).

    ``first`` (the server a failed rollout left drained) goes first, or, when it needs no restart any
    more, is undrained once it answers every health check. Stops at the first failure; when the
    list is done, ``pending()`` is asked again, so a server marked meanwhile is restarted too (each server
    at most once per rollout).
    """
    outcome = Outcome()
    left = fleet.get_server(first) if first else None
    if left is not None and left.minion_id not in set(pending()) and not _undrain_left(fleet, left, effects, outcome):
        return outcome
    for _ in range(len(fleet.servers) + 1):
        todo = [s for s in rollout_order(fleet, pending()) if s.minion_id not in outcome.done]
        todo.sort(key=lambda s: s.minion_id != first)
        if not todo:
            break
        for server in todo:
            if not _roll_one(fleet, server, effects, outcome):
                return outcome
    return outcome


def _undrain_left(fleet: Fleet, server: Server, effects: Effects, outcome: Outcome) -> bool:
    """An earlier rollout left ``server`` drained and it needs no restart: undrain it once it is healthy."""
    turn = _Turn(fleet, server, effects, outcome, drained=True)
    turn.say("an earlier rollout left it drained and it needs no restart: undrained once it is healthy")
    try:
        turn.healthy()
        turn.undrain()
    except _Stop as stop:
        return _fail(effects, outcome, server, stop.failure)
    return True


def _say(effects: Effects, outcome: Outcome, server: Server, text: str) -> None:
    line = f"{server.minion_id}: {text}"
    outcome.lines.append(line)
    effects.progress(line)


def _roll_one(fleet: Fleet, server: Server, effects: Effects, outcome: Outcome) -> bool:
    """One server's turn: its steps in order; False (and the failure recorded) when one of them fails."""
    turn = _Turn(fleet, server, effects, outcome)
    try:
        for step in (turn.drain, turn.wait, turn.restart, turn.health, turn.undrain):
            step()
    except _Stop as stop:
        if stop.failure["step"] in {"restart", "health"}:
            _remark(effects, server, stop.failure)
        return _fail(effects, outcome, server, stop.failure)
    turn.finish()
    return True


def _remark(effects: Effects, server: Server, failure: dict[str, Any]) -> None:
    """Give a server that did not come back its restart marker again (the restart took it): a rerun restarts it."""
    try:
        effects.remark(server, f"rollout: {failure['step']} failed")
    except SipxhaError as err:
        failure["reason"] += f" (its restart marker could not be set again: {err})"


class _Stop(Exception):
    """A step of a server's turn failed: the rollout stops there (``failure`` says how)."""

    def __init__(self, failure: dict[str, Any]) -> None:
        super().__init__(failure["reason"])
        self.failure = failure


@dataclass
class _Turn:
    """One server's turn in the rollout: drain, wait, restart, health, undrain, then :meth:`finish`."""

    fleet: Fleet
    server: Server
    effects: Effects
    outcome: Outcome
    drained: bool = False
    marks: dict[str, float] = field(default_factory=dict)  #: clock readings: start, restart, restarted, healthy

    def __post_init__(self) -> None:
        self.marks["start"] = self.effects.clock()

    def say(self, text: str) -> None:
        _say(self.effects, self.outcome, self.server, text)

    def stop(self, step: str, reason: str, check: Check | None = None) -> _Stop:
        shown = None if check is None else str(check)
        return _Stop({"step": step, "check": shown, "reason": reason, "drained": self.drained})

    def drain(self) -> None:
        try:
            self.drained = _drain(self.fleet, self.server, self.effects, self.outcome)
        except SipxhaError as err:
            raise self.stop("drain", str(err)) from err

    def wait(self) -> None:
        """``drain_wait``, then the drain once more; while a DNS run had put the server back, wait again."""
        wait = self.fleet.rollout.drain_wait
        if not (wait and self.drained):
            return
        for _ in range(REDRAINS + 1):
            self.effects.sleep(wait)
            self.say(f"waited {wait} s (drain_wait)")
            try:
                again = self.effects.drain(self.server, frozenset({self.server.minion_id}))
            except SipxhaError as err:
                raise self.stop("drain", str(err)) from err
            if not again.changed:
                return
            self.say(f"was put back into DNS (a DNS run with a pillar from before the drain): drained again ({again})")
        raise self.stop("drain", f"put back into DNS by DNS runs {REDRAINS + 1} times while drained: not restarted")

    def restart(self) -> None:
        self.marks["restart"] = self.effects.clock()
        try:
            how = self.effects.restart(self.server)
        except SipxhaError as err:
            raise self.stop("restart", str(err)) from err
        self.say(f"restarted ({how})")
        self.marks["restarted"] = self.effects.clock()

    def health(self) -> None:
        self.healthy()
        self.say(f"healthy after {self.marks['healthy'] - self.marks['restarted']:.1f} s")

    def healthy(self) -> None:
        """Wait until every health check answers (``rollout:health_timeout``), else stop the rollout."""
        failed = _wait_healthy(self.fleet, self.server, self.effects)
        if failed is not None:
            raise self.stop("health", f"{failed[0]}: {failed[1]}", failed[0])
        self.marks["healthy"] = self.effects.clock()

    def undrain(self) -> None:
        if not self.drained:
            return
        try:
            changed = self.effects.drain(self.server, frozenset())
        except SipxhaError as err:
            raise self.stop("undrain", str(err)) from err
        self.say(f"undrained ({changed})")

    def finish(self) -> None:
        """Record the server as done, with its timings."""
        self.outcome.done.append(self.server.minion_id)
        marks = self.marks
        self.outcome.timings[self.server.minion_id] = {
            "total": round(self.effects.clock() - marks["start"], 3),
            "restart": round(marks["restarted"] - marks["restart"], 3),
            "health": round(marks["healthy"] - marks["restarted"], 3),
        }


def _drain(fleet: Fleet, server: Server, effects: Effects, outcome: Outcome) -> bool:
    """Take ``server`` out of DNS, unless it is in maintenance (already out) or some check no peer answers."""
    if server.maintenance:
        _say(effects, outcome, server, "in maintenance: already out of DNS, not drained again")
        return False
    peers = [s for s in fleet.servers if s.minion_id != server.minion_id and s.minion_id not in drained_set(fleet)]
    unserved = _unserved_check(fleet, server, peers, effects)
    if unserved is not None:
        why = "it has no peer" if not peers else f"none of its peers answers SIP OPTIONS on {unserved}"
        _say(effects, outcome, server, f"NOT drained: {why} (draining would leave its SRV names no answering target)")
        return False
    changed = effects.drain(server, frozenset({server.minion_id}))  # an error stops the rollout (_roll_one)
    _say(effects, outcome, server, f"drained ({changed})")
    return True


def _unserved_check(fleet: Fleet, server: Server, peers: list[Server], effects: Effects) -> Check | None:
    """The first of ``server``'s :func:`health_checks` no peer answers (its SRV names would have no target), else None.

    Every check counts, not only the proxy's: draining takes the server out of the registrar's and the
    auth proxy's names too, so each of those needs a peer answering on its port and transport.
    """
    for check in health_checks(fleet, server):
        if not any(effects.probe(peer, check, PROBE_TIMEOUT) is None for peer in peers):
            return check
    return None


def _wait_healthy(fleet: Fleet, server: Server, effects: Effects) -> tuple[Check, str] | None:
    """None once every check answers; else the first check still failing when the timeout is up."""
    deadline = effects.clock() + fleet.rollout.health_timeout
    checks = list(health_checks(fleet, server))
    while True:
        failing = None
        for check in checks:
            left = deadline - effects.clock()
            reason = effects.probe(server, check, max(0.1, min(PROBE_TIMEOUT, left)))
            if reason is not None:
                failing = (check, reason)
                break
        if failing is None:
            return None
        if effects.clock() >= deadline:
            return failing[0], f"{failing[1]} (not healthy within {fleet.rollout.health_timeout} s)"
        effects.sleep(min(PROBE_PAUSE, max(0.0, deadline - effects.clock())))


def _fail(effects: Effects, outcome: Outcome, server: Server, failure: dict[str, Any]) -> bool:
    kept = "it stays drained" if failure["drained"] else "it was not drained"
    _say(effects, outcome, server, f"FAILED at {failure['step']}: {failure['reason']}; {kept}, the rollout stops here")
    outcome.failed = {"server": server.minion_id, **failure}
    return False


def _short(record: Record) -> str:
    return f"{record.rdtype} {record.rdata_text()}"
