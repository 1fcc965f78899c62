"""A fleet-wide change under client load: ``service:restart: rolling`` against ``immediate`` (today's behaviour).

The fleet is :class:`tests.support.rollout.RolloutEnv` (the rollout integration tests' set-up): a real master
and three minions, BIND in nsupdate mode (SRV TTL 1 s), sipp responders per server on 127.0.0.11-13 standing
in for sipX's proxy, registrar and auth proxy, and a ``restart_command`` that stops a server's responders,
waits :data:`DOWN` seconds and starts them again (logging begin and end). The change is ``ports:registrar_xmlrpc``
(``SIP_REGISTRAR_XMLRPC_PORT`` in every server's config.defs), toggled each round, then ``salt 'sipxpbx*'
state.apply sipxha``: with ``immediate`` every server restarts in its own state run; with ``rolling`` every
run marks its server and fires ``sipxha/restart/needed``, and the shipped reactor's ``salt-run
sipxha.rollout`` restarts them one at a time, drained. During the whole change an RFC 3263 client
(:mod:`benchmarks.sipload`) sends OPTIONS to every SRV name of the fleet at a steady rate.

Figures per variant and SRV name: failed/total requests, the longest gap without an answer. For rolling,
the rollout's time (the runner job's ``new`` to ``ret`` event on the master's bus) against
N x (drain_wait + restart + time to healthy), where restart is the restart_command's own time (its log)
and time to healthy the runner's own ``timings``: the difference per server is what the orchestration adds.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import salt.client
import salt.utils.event

from benchmarks.converge import converge_all
from benchmarks.sipload import RATE, TIMEOUT, SrvClient, any_name_gap, per_name, steady_load
from benchmarks.stats import summary
from saltext_sipxha.core.dns.records import planned_records
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support.fleet import standalone_fleet
from tests.support.named import HOST, free_port, running_named
from tests.support.rollout import RolloutEnv, wait_for

VARIANTS = ("rolling", "immediate")
RUNNER = "runner.sipxha.rollout"
LEAD, TAIL = 1.0, 1.5  #: seconds of load before the change (at least) and after it is done
CALLS = 3  #: minion round trips timed under load just before each change (the orchestration's unit of cost)
DONE_TIMEOUT = 120
DOWN = 3.0  #: seconds a restart keeps a server down (a real sipX takes far longer; long enough to overlap)


@dataclass
class RunnerJobs:
    """``salt-run sipxha.rollout`` jobs seen on the master's event bus: jid -> new/ret times, return, progress."""

    opts: dict[str, Any]
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)

    def _listen(self) -> None:
        with salt.utils.event.get_master_event(self.opts, self.opts["sock_dir"], listen=True) as bus:
            self._ready.set()
            while not self._stop.is_set():
                event = bus.get_event(wait=0.2, full=True)
                if event:
                    self._record(time.time(), event["tag"], event["data"])

    def _record(self, now: float, tag: str, data: dict[str, Any]) -> None:
        parts = tag.split("/")
        if len(parts) != 4 or parts[:2] != ["salt", "run"]:
            return
        jid, kind = parts[2], parts[3]
        if kind == "new" and data.get("fun") == RUNNER:
            self.jobs[jid] = {"new": now, "ret": None, "return": None, "progress": []}
        elif jid in self.jobs and kind == "ret":
            self.jobs[jid] |= {"ret": now, "return": data.get("return")}
        elif jid in self.jobs and kind == "progress":
            self.jobs[jid]["progress"].append((now, str(data.get("message", ""))))

    @contextlib.contextmanager
    def listening(self) -> Iterator[RunnerJobs]:
        thread = threading.Thread(target=self._listen, name="bench-events", daemon=True)
        thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("could not listen on the master's event bus")
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(10)

    def restarted(self) -> list[dict[str, Any]]:
        """The finished jobs that restarted something."""
        return [j for j in self.jobs.values() if isinstance(j["return"], dict) and j["return"].get("restarted")]

    def settled(self) -> bool:
        """Every job seen has returned."""
        return all(job["ret"] is not None for job in self.jobs.values())


def minion_round_trips(opts: dict[str, Any], minion_id: str, count: int) -> list[float]:
    """Seconds of ``count`` ``test.ping`` calls to one minion through a LocalClient on the master's side, as
    the runner makes its calls (publish, the minion's job, its return)."""
    samples = []
    with salt.client.get_local_client(opts["conf_file"]) as client:
        for _ in range(count):
            started = time.perf_counter()
            ret = client.cmd(minion_id, "test.ping", timeout=60)
            if ret.get(minion_id) is not True:
                raise RuntimeError(f"{minion_id} did not answer test.ping: {ret!r}")
            samples.append(time.perf_counter() - started)
    return samples


def srv_names(pillar: dict[str, Any]) -> list[str]:
    """Every SRV owner name the fleet's DNS plan publishes (domain, registrars, auth proxies), in plan order."""
    records = planned_records(build_plan(pillar))
    return list(dict.fromkeys(r.name.to_text() for r in records if r.rdtype == "SRV"))


def restart_intervals(events: list[tuple[float, str, str, str]]) -> dict[str, tuple[float, float]]:
    """``{minion: (begin, end)}`` from the restart script's log (each server restarted once per round)."""
    begins = {e[1]: e[0] for e in events if e[2] == "begin"}
    return {minion: (begin, next(e[0] for e in events if e[1] == minion and e[2] == "end"))
            for minion, begin in begins.items()}  # fmt: skip


def all_down_s(intervals: dict[str, tuple[float, float]]) -> float:
    """Seconds during which every server was restarting at once (0 when two restarts never overlapped all)."""
    if not intervals:
        return 0.0
    return max(0.0, min(end for _, end in intervals.values()) - max(begin for begin, _ in intervals.values()))


def overhead(rollout_s: float, drain_wait: float, restart_s: dict[str, float], health_s: dict[str, float]) -> dict:
    """The rollout's time against N x (drain_wait + restart + time to healthy), per server."""
    budget = {m: drain_wait + restart_s[m] + health_s[m] for m in restart_s}
    total = sum(budget.values())
    return {
        "servers": len(budget),
        "rollout_s": round(rollout_s, 3),
        "budget_s": round(total, 3),
        "budget_by_server_s": {m: round(v, 3) for m, v in budget.items()},
        "overhead_per_server_s": round((rollout_s - total) / len(budget), 3) if budget else None,
    }


def _round(env: RolloutEnv, base: dict[str, Any], mode: str, xmlrpc: int, names: list[str]) -> dict[str, Any]:
    pillar = base | {"ports": base["ports"] | {"registrar_xmlrpc": xmlrpc},
                     "service": {"manage": True, "restart": mode}}  # fmt: skip
    env.set_pillar(pillar)
    env.log.unlink(missing_ok=True)
    client = SrvClient(HOST, env.named.port)
    with RunnerJobs(env.fleet.master.config).listening() as jobs, steady_load(client, names) as answers:
        load_start = time.time()
        calls = minion_round_trips(env.fleet.master.config, sorted(env.addresses)[0], CALLS)
        time.sleep(max(0.0, load_start + LEAD - time.time()))
        changed = time.time()
        returns = converge_all(env.fleet, "sipxha")
        applied = time.time()
        if mode == "rolling":
            wait_for(lambda: len(env.events()) >= 2 * len(env.addresses) and not env.pending(), DONE_TIMEOUT,
                     "the rollout restarting every server", pause=0.2)  # fmt: skip
            wait_for(lambda: sum(len(j["return"]["restarted"]) for j in jobs.restarted()) >= len(env.addresses),
                     DONE_TIMEOUT, "the rollout's return on the master's bus", pause=0.2)  # fmt: skip
        done = time.time()
        time.sleep(TAIL)
        load_end = time.time()
    wait_for(jobs.settled, 60, "every rollout job the reactor started to return", pause=0.2)
    restarts = restart_intervals(env.events())
    if set(restarts) != set(env.addresses) or len(env.events()) != 2 * len(env.addresses):
        raise RuntimeError(f"{mode}: not every server restarted once: {env.events()}")
    result = {
        "mode": mode,
        "state_apply_s": round(applied - changed, 3),
        "change_to_done_s": round(done - changed, 3),
        "load_s": round(load_end - load_start, 3),
        "restart_s": {m: round(end - begin, 3) for m, (begin, end) in restarts.items()},
        "restarts_at_s": {
            m: [round(begin - changed, 3), round(end - changed, 3)] for m, (begin, end) in restarts.items()
        },
        "all_servers_down_s": round(all_down_s(restarts), 3),
        "names": per_name(answers, names, load_start, load_end),
        "any_name_longest_gap_s": round(any_name_gap(answers, load_start, load_end)[0], 3),
        "change_at_s": round(changed - load_start, 3),
        "minion_call_s": summary(calls, 3),
        "restart_comments": {m: _restart_comment(states) for m, states in returns.items()},
    }
    if mode == "rolling":
        result["rollout"] = _rollout_figures(jobs, pillar["rollout"]["drain_wait"], result["restart_s"], changed)
        runner = changed + result["rollout"]["started_after_change_s"]
        result["rollout"]["failed_before_it_started"] = sum(1 for a in answers if not a.ok and a.sent < runner)
    return result


def _restart_comment(states: dict[str, dict]) -> str:
    return next((s["comment"] for key, s in states.items() if key.startswith("sipxha_service_|-sipxha-restart")), "")


def _rollout_figures(jobs: RunnerJobs, drain_wait: float, restart_s: dict[str, float], changed: float) -> dict:
    done = jobs.restarted()
    timings = {m: t for job in done for m, t in job["return"]["timings"].items()}
    rollout_s = sum(job["ret"] - job["new"] for job in done)
    figures = overhead(rollout_s, drain_wait, restart_s, {m: t["health"] for m, t in timings.items()})
    return figures | {
        # where the overhead goes: in each server's own steps (drain and undrain updates, the restart call's
        # Salt round trip, peer probes), and once per rollout (plan, pending markers, lock, events)
        "in_server_steps_s": {m: round(t["total"] - figures["budget_by_server_s"][m], 3) for m, t in timings.items()},
        "once_per_rollout_s": round(rollout_s - sum(t["total"] for t in timings.values()), 3),
        "jobs": len(jobs.jobs),
        "jobs_restarting": len(done),
        "started_after_change_s": round(min(job["new"] for job in done) - changed, 3),
        "timings": timings,
        "restart_call_s": {m: t["restart"] for m, t in timings.items()},
        "order": [m for job in done for m in job["return"]["restarted"]],
        "progress": [(round(at - changed, 3), line) for job in done for at, line in job["progress"]],
    }


def _totals(rounds: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Per name over the rounds: failed and requests summed, the longest gap's worst and median."""
    out = {}
    for name in names:
        got = [r["names"][name] for r in rounds]
        gaps = [g["longest_gap_s"] for g in got]
        out[name] = {"requests": sum(g["requests"] for g in got), "failed": sum(g["failed"] for g in got),
                     "failed_no_dns_answer": sum(g.get("failed_no_dns_answer", 0) for g in got),
                     "failovers": sum(g["failovers"] for g in got), "longest_gap_s": max(gaps),
                     "longest_gap_median_s": round(statistics.median(gaps), 3)}  # fmt: skip
    return out


def _say(started: float, what: str) -> None:
    print(f"[bench] rollout: {what} at {time.monotonic() - started:.0f} s", flush=True)


def run(root: Path, rounds: int) -> dict[str, Any]:
    """``rounds`` of each variant, interleaved (rolling, immediate, immediate, rolling, ...)."""
    started = time.monotonic()
    with running_named(root / "named") as named, standalone_fleet(root / "fleet", log_level="error") as sipx:
        _say(started, "fleet up")
        (root / "responders").mkdir()
        env = RolloutEnv.create(sipx, named, root / "responders", down=DOWN)
        try:
            env.start_responders()
            xmlrpc = (free_port(), free_port())
            base = env.pillar(dns={"nsupdate": named.nsupdate_pillar(addresses=True)})  # SRV targets' A too
            env.apply(base | {"ports": base["ports"] | {"registrar_xmlrpc": xmlrpc[0]}, "service": {"manage": False}})
            converge_all(sipx, "sipxha")
            _say(started, "fleet converged, responders up")
            names = srv_names(base)
            results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in VARIANTS}
            for index in range(rounds):
                for number, mode in enumerate(VARIANTS if index % 2 == 0 else reversed(VARIANTS)):
                    change = xmlrpc[(2 * index + number + 1) % 2]
                    results[mode].append(_round(env, base, mode, change, names))
                    sipx.wait_idle(timeout=60, settle=1)
                    _say(started, f"round {index + 1} {mode} done")
        finally:
            env.stop_responders()
    return {
        "rounds": rounds,
        "rate_per_name": RATE,
        "failover_timeout_s": TIMEOUT,
        "srv_ttl": base["srv"]["ttl"],
        "restart_down_s": DOWN,
        "lead_s": LEAD,
        "tail_s": TAIL,
        "drain_wait_s": base["rollout"]["drain_wait"],
        "health_timeout_s": base["rollout"]["health_timeout"],
        "names": names,
        "variants": {mode: {"rounds": got, "totals": _totals(got, names)} for mode, got in results.items()},
    }
