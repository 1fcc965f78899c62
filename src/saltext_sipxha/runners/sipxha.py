"""Runner ``sipxha``: the fleet's HA verification table, and the rolling restart of the fleet.

``verify``: each server runs ``sipxha.verify`` (its files, certificate, DHCP, and DNS and SIP failover as
seen from there); this runner gathers the reports and renders them with
:mod:`saltext_sipxha.core.verify.fleet_table`.

``rollout``: the servers whose restart marker is set (read from the minions, never from an event) are
restarted one at a time, drained from DNS around it (:mod:`saltext_sipxha.core.rollout.rolling`).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import salt.client
import salt.utils.event
import salt.utils.minions

from saltext_sipxha.core.dns import rfc2136
from saltext_sipxha.core.errors import RolloutError, SipxhaError
from saltext_sipxha.core.plan.fleet import Fleet, Server
from saltext_sipxha.core.rollout.drained import read_drained, set_drained, state_path
from saltext_sipxha.core.rollout.lock import rollout_lock
from saltext_sipxha.core.rollout.rolling import Check, DnsResult, Effects, Outcome, plan_steps, roll, rollout_order
from saltext_sipxha.core.verify.fleet_table import fleet_ok, fleet_table
from saltext_sipxha.core.verify.sipprobe import probe
from saltext_sipxha.saltbridge import fleet_of_minion, translate

__virtualname__ = "sipxha"
log = logging.getLogger(__name__)


def __virtual__():
    return __virtualname__


def verify(  # noqa: PLR0917 (Salt passes CLI keyword arguments positionally-capable)
    tgt: str = "sipxha:domain:*",
    tgt_type: str = "pillar",
    dns_server: str | None = None,
    port: int | None = None,
    probe_timeout: float = 1,
    timeout: int = 120,
    table: bool = True,
) -> Any:
    """
    Run ``sipxha.verify`` on every server of the fleet and return one readable table (or the raw reports).

    tgt, tgt_type
        Which minions to ask (default: every minion with a ``sipxha:domain`` pillar).

    dns_server, port
        The nameserver every server checks DNS and SRV order against (default: from the pillar).

    probe_timeout
        Seconds each SIP OPTIONS probe waits.

    table
        ``False`` returns ``{"ok": ..., "servers": {minion: report}}`` instead of the table.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha.verify
        salt-run sipxha.verify dns_server=192.0.2.53 port=53
        salt-run sipxha.verify table=False --out=json
    """
    kwarg: dict[str, Any] = {"probe_timeout": probe_timeout}
    kwarg |= {key: value for key, value in (("dns_server", dns_server), ("port", port)) if value is not None}
    with salt.client.get_local_client(__opts__["conf_file"]) as client:
        results = client.cmd(tgt, "sipxha.verify", kwarg=kwarg, tgt_type=tgt_type, timeout=timeout)
    if table:
        return fleet_table(results)
    return {"ok": fleet_ok(results), "servers": results}


NEEDED_EVENT = "sipxha/restart/needed"
FAILED_EVENT = "sipxha/rollout/failed"
DONE_EVENT = "sipxha/rollout/done"


def rollout(test: bool = False, minion: str | None = None, timeout: int = 120) -> dict[str, Any]:
    """
    Restart every server that needs it (``service:restart: rolling``) one at a time, without downtime.

    Servers needing a restart are those whose restart marker is set, read from the minions themselves
    (a forged ``sipxha/restart/needed`` event can at most start a rollout that finds nothing to do).
    In a stable order (distributed servers by index, the master last), each server is drained (left out
    of every SRV RRset; not when none of its peers answers), kept serving for ``rollout:drain_wait``
    seconds, restarted (``service:restart_command`` or the service module), probed with SIP OPTIONS on
    its proxy, registrar and auth-proxy ports (TCP, and UDP where DNS offers UDP) until it answers, at
    most ``rollout:health_timeout`` seconds, undrained, and its marker cleared. One line per step is
    printed as it happens.

    A server that does not come back healthy stops the rollout: it stays drained, the servers after it
    are not touched, the return and the event ``sipxha/rollout/failed`` name it and the failed check.
    Run ``salt-run sipxha.rollout`` again once it is fixed: it starts with that server.

    One rollout at a time, fleet-wide: a second one started while one runs is refused (the running one
    asks the minions again before it ends when a ``sipxha/restart/needed`` event arrived meanwhile, so a
    server marked meanwhile is still restarted).

    The drained server is recorded in the master's cache before its drain and until its undrain; the
    ``sipxha_rollout`` ext_pillar gives it to every minion as ``sipxha:rollout:drained``, so a DNS state
    run meanwhile keeps it out of DNS (without that ext_pillar the first line printed is a warning).

    test
        Print the plan (order, steps, the DNS changes of each drain) and change nothing.

    minion
        A server whose pillar gives the plan (default: the first minion with a ``sipxha:domain`` pillar).

    timeout
        Seconds to wait for each minion call (a restart included).

    CLI Example:

    .. code-block:: bash

        salt-run sipxha.rollout test=True
        salt-run sipxha.rollout
    """
    # not decorated: Salt injects __jid_event__ into the globals of the function it finds, i.e. this module's
    try:
        return _rollout(bool(test), minion, int(timeout), _progress_to(__jid_event__))
    except SipxhaError as err:
        raise translate(err) from err


def _rollout(test: bool, minion: str | None, timeout: int, progress: Callable[[str], None]) -> dict[str, Any]:
    # the runner owns the drained state: the copy the sipxha_rollout ext_pillar put in the pillar is not a plan input
    fleet = fleet_of_minion(__opts__, minion or _any_fleet_minion()).with_drained(())
    state = state_path(__opts__["cachedir"])
    _warn_without_ext_pillar(progress)
    with salt.client.get_local_client(__opts__["conf_file"]) as client, _MarkEvents(__opts__) as bus:
        calls = _Calls(client, fleet, timeout, bus)
        if test:
            return _plan(fleet, calls, read_drained(state), progress)
        owner = {"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with rollout_lock(state.with_name("rollout.lock"), owner):
            outcome = roll(fleet, calls.pending, calls.effects(state, progress), first=read_drained(state))
    return _finish(outcome, progress)


def _warn_without_ext_pillar(progress: Callable[[str], None]) -> None:
    """Without the ``sipxha_rollout`` ext_pillar a DNS state run during the rollout would undrain its server."""
    entries = __opts__.get("ext_pillar") or []
    if not any(isinstance(entry, dict) and "sipxha_rollout" in entry for entry in entries):
        progress(
            "WARNING: ext_pillar sipxha_rollout is not configured on this master: a sipxha.dns or highstate "
            "run during the rollout would put the drained server back into DNS (docs/guide/live-fleet.md)"
        )


def _any_fleet_minion() -> str:
    found = salt.utils.minions.CkMinions(__opts__).check_minions("sipxha:domain:*", "pillar")
    minions = sorted(found.get("minions", []))
    if not minions:
        raise RolloutError("no minion with a sipxha:domain pillar is known to the master; pass minion=<id>")
    return minions[0]


def _progress_to(jid_event: Any) -> Callable[[str], None]:
    """One printed line per step (Salt's runner progress event), also in the master's log.

    ``jid_event`` is this run's ``__jid_event__``, taken at the start: the reactor runs runners in one
    process, and each run re-binds the module's global to its own (a weak proxy that dies with it).
    """

    def progress(line: str) -> None:
        log.info("sipxha.rollout: %s", line)
        with contextlib.suppress(ReferenceError):
            jid_event.fire_event({"message": line}, "progress")

    return progress


def _plan(fleet: Fleet, calls: _Calls, left: str | None, progress: Callable[[str], None]) -> dict[str, Any]:
    servers = list(rollout_order(fleet, calls.pending()))
    servers.sort(key=lambda s: s.minion_id != left)
    plan = plan_steps(fleet, servers)
    for item in plan:
        progress(f"would restart {item['server']} ({item['role']}): " + "; ".join(item["steps"]))
    if not plan:
        progress("no server needs a restart: nothing to do")
    note = {"left_drained": left} if left else {}
    return {"test": True, "order": [s.minion_id for s in servers], "plan": plan, **note}


def _finish(outcome: Outcome, progress: Callable[[str], None]) -> dict[str, Any]:
    summary = outcome.to_dict()
    event = salt.utils.event.get_master_event(__opts__, __opts__["sock_dir"], listen=False)
    event.fire_event(summary, FAILED_EVENT if outcome.failed else DONE_EVENT)
    if outcome.failed:
        __context__["retcode"] = 1
    elif not outcome.done:
        progress("no server needs a restart: nothing to do")
    return summary


class _MarkEvents:
    """The master's event bus, watched for ``sipxha/restart/needed`` from the moment the rollout begins."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.event = salt.utils.event.get_master_event(opts, opts["sock_dir"], listen=True)

    def __enter__(self) -> _MarkEvents:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.event.destroy()

    def marked(self) -> bool:
        """True when a server said it needs a restart since the last call (drains what arrived, bounded)."""
        seen = False
        for _ in range(10_000):
            if self.event.get_event(tag=NEEDED_EVENT, match_type="startswith", no_block=True) is None:
                break
            seen = True
        return seen


class _Calls:
    """The rollout's side effects through Salt: minion calls, SIP probes from the master, the clock."""

    def __init__(self, client: Any, fleet: Fleet, timeout: int, bus: _MarkEvents) -> None:
        self.client, self.fleet, self.timeout, self.bus = client, fleet, timeout, bus
        self.marked: list[str] | None = None  #: the minions' last answer to sipxha_restart.pending
        self.ids = [server.minion_id for server in fleet.servers]
        self.nsupdate_here = True  #: the master sends the RFC 2136 updates itself until that fails once

    def call(self, minion_id: str, fun: str, **kwarg: Any) -> Any:
        """One minion's answer; :class:`RolloutError` when it does not answer or the function failed."""
        ret = self.client.cmd(minion_id, fun, kwarg=kwarg, timeout=self.timeout, full_return=True)
        answer = ret.get(minion_id)
        if not isinstance(answer, dict) or "ret" not in answer:
            raise RolloutError(f"{minion_id} did not answer {fun} within {self.timeout} s")
        if answer.get("retcode", 0) != 0:
            raise RolloutError(f"{fun} on {minion_id} failed: {answer['ret']}")
        return answer["ret"]

    def pending(self) -> list[str]:
        """The servers whose restart marker is set, as the minions themselves say.

        Asked again only when a ``sipxha/restart/needed`` event reached the master since the last answer
        (an event, forged or not, only makes the runner ask the minions again).
        """
        if self.marked is None or self.bus.marked():
            ret = self.client.cmd(self.ids, "sipxha_restart.pending", tgt_type="list", timeout=self.timeout)
            self.marked = [minion_id for minion_id, marker in ret.items() if isinstance(marker, dict)]
        return self.marked

    def effects(self, state: Path, progress: Callable[[str], None]) -> Effects:
        def drain(server: Server, ids: frozenset[str]) -> DnsResult:
            # recorded before DNS changes, so a DNS state run meanwhile (the sipxha_rollout ext_pillar) renders
            # what the rollout is about to send; put back when that fails (a failed drain leaves the server in
            # service, a failed undrain leaves it drained, as the rollout's failure line says)
            now, before = datetime.datetime.now(datetime.timezone.utc), read_drained(state)
            set_drained(state, server.minion_id if ids else None, now)
            try:
                return self._dns(server, sorted(ids), progress)
            except SipxhaError:
                set_drained(state, before, now)
                raise

        def restart(server: Server) -> str:
            return str(self.call(server.minion_id, "sipxha_restart.restart"))

        def check(server: Server, item: Check, seconds: float) -> str | None:
            result = probe(server.fqdn, item.port, item.transport, seconds, address=server.address)
            return None if result.reachable else result.reason

        def remark(server: Server, reason: str) -> None:
            self.call(server.minion_id, "sipxha_restart.mark", reasons=[reason], fire=False)

        return Effects(
            drain=drain, restart=restart, probe=check, remark=remark,
            sleep=time.sleep, clock=time.monotonic, progress=progress,
        )  # fmt: skip

    def _dns(self, server: Server, ids: list[str], progress: Callable[[str], None]) -> DnsResult:
        """The fleet's DNS with ``ids`` drained: the RFC 2136 update from the master itself (else from the
        server's minion), the zone file on the ``dns:zonefile:minion``."""
        dns, done = self.fleet.dns, []
        minions = [dns.zonefile.minion] if dns.zonefile is not None else []
        via_minion = False
        if dns.nsupdate is not None:
            sent = self._nsupdate(ids, progress)
            via_minion = sent is None
            if sent is not None:
                done.append(sent)
            elif server.minion_id not in minions:
                minions.append(server.minion_id)
        for minion_id in minions:
            report = self.call(minion_id, "sipxha_restart.drain_dns", drained=ids, nsupdate=via_minion)
            done.append(_drain_result(minion_id, report))
        summary = "; ".join(d.summary for d in done) or "no DNS managed by sipxha"
        return DnsResult(summary, any(d.changed for d in done))

    def _nsupdate(self, ids: list[str], progress: Callable[[str], None]) -> DnsResult | None:
        """Send the update from the master (no minion round trip); None once that failed: minions send it."""
        if not self.nsupdate_here:
            return None
        fleet = self.fleet.with_drained(ids)
        try:
            plan, _sent = rfc2136.converge(fleet, rfc2136.client_for(fleet))
        except SipxhaError as err:
            self.nsupdate_here = False
            progress(f"the master cannot send the DNS update itself ({err}): the servers' minions send it instead")
            return None
        return DnsResult(f"nsupdate from the master: {len(plan.changes)} RRset(s) changed", bool(plan.changes))


def _drain_result(minion_id: str, report: dict[str, Any]) -> DnsResult:
    parts, changed = [], False
    if "nsupdate" in report:
        changes = report["nsupdate"]["changes"]
        parts.append(f"nsupdate from {minion_id}: {len(changes)} RRset(s) changed")
        changed = bool(changes)
    if "zonefile" in report:
        zone = report["zonefile"]
        parts.append(f"zone file: serial {zone['serial']}" if zone["changed"] else "zone file: unchanged")
        changed = changed or bool(zone["changed"])
    return DnsResult(", ".join(parts) or f"no DNS changed from {minion_id}", changed)
