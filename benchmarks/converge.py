"""Convergence on a real master and minions: converged re-run, first convergence, beacon-to-renewal.

Each figure is a ratio against a baseline measured in the same run, rounds interleaved:

- converged re-run: ``salt-call state.apply sipxha`` on a converged minion against ``salt-call state.apply
  sipxha_bench`` (the same files with plain ``file.managed``, see :mod:`benchmarks.baseline`); wall time
  of the ``salt-call`` process and the sum of the states' own ``duration`` fields;
- first convergence: ``salt 'sipxpbx*' state.apply sipxha`` on fresh sipX trees (1 MS + 2 DS, every
  certificate signed by the master's CA) against ``state.apply sipxha_bench`` on fresh trees;
- re-certification: from the ``sipxha/cert/expiring`` beacon event on the master's bus to the renewed
  certificate on disk (its mtime), against a direct ``salt sipxpbx2 state.apply sipxha`` with the same
  certificate due.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import salt.utils.event

from benchmarks.baseline import NAME as BASELINE
from benchmarks.baseline import install_baseline
from benchmarks.sandbox import bench_pillar, wait_for
from benchmarks.stats import interleaved, ratio, summary
from saltext_sipxha.core.pki.servercert import read_cert
from tests.support.fleet import SipxFleet

RERUN_MINIONS = ("sipxpbx1", "sipxpbx2")
RENEW_MINION = "sipxpbx2"
EVENT_TAG = "sipxha/cert/expiring"
SHORT = {"days": 10, "renew_days": 1}  # a 10-day certificate, not due
DUE = {"days": 30, "renew_days": 15}  # the same certificate, now due
BEACONS = {"beacons": {"sipxha_cert": [{"interval": 1}]}}


def _states(data: Any, what: str) -> dict[str, dict]:
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        raise RuntimeError(f"{what}: no state return: {data!r}")
    failed = [v.get("comment") for v in data.values() if v.get("result") is not True]
    if failed:
        raise RuntimeError(f"{what}: states failed: {failed}")
    return data


def _duration_s(states: dict[str, dict]) -> float:
    return sum(float(state.get("duration") or 0) for state in states.values()) / 1000


def converge_all(sipx: SipxFleet, sls: str) -> dict[str, dict]:
    """``salt 'sipxpbx*' state.apply <sls>``; every minion's checked state return."""
    ret = sipx.salt("sipxpbx*", "state.apply", sls)
    if not isinstance(ret.data, dict) or set(ret.data) != set(sipx.minions):
        raise RuntimeError(f"state.apply {sls}: not every minion answered: {ret}")
    return {minion: _states(data, f"{minion} state.apply {sls}") for minion, data in ret.data.items()}


def fresh_trees(sipx: SipxFleet, pillar: dict[str, Any]) -> None:
    """Fresh sipX installs (no HA edits, no certificates), the DHCP configuration gone."""
    sipx.reset_trees()
    Path(pillar["dhcp"]["config"]).parent.mkdir(parents=True, exist_ok=True)


def prepare(sipx: SipxFleet) -> tuple[dict[str, Any], dict[str, Any]]:
    """Converge the fleet once and install the baseline SLS; returns the sipxha pillar and the baseline's."""
    pillar = bench_pillar(sipx)
    sipx.set_pillar(pillar)
    converge_all(sipx, "sipxha")
    extra = install_baseline(sipx.state_root, pillar, sipx.minions)
    sipx.set_pillar(pillar, extra=extra)
    converge_all(sipx, BASELINE)
    return pillar, extra


def converged_rerun(sipx: SipxFleet, rounds: int) -> dict[str, Any]:
    """``salt-call state.apply`` of sipxha vs the baseline on converged minions (no changes allowed)."""
    results = {}
    for minion in RERUN_MINIONS:
        durations: dict[str, list[float]] = {"sipxha": [], BASELINE: []}
        by_state: dict[str, list[float]] = {}

        def apply(sls: str, minion: str = minion, durations: dict = durations, by_state: dict = by_state) -> None:
            states = _states(sipx.salt_call(minion, "state.apply", sls).data, f"{minion} {sls}")
            if any(state["changes"] for state in states.values()):
                raise RuntimeError(f"{minion} state.apply {sls} changed something on a converged minion")
            durations[sls].append(_duration_s(states))
            for state in states.values() if sls == "sipxha" else ():
                by_state.setdefault(state["__id__"], []).append(float(state["duration"]) / 1000)

        wall = interleaved({sls: lambda sls=sls: apply(sls) for sls in durations}, rounds)
        results[minion] = {
            "states": {sls: len(sipx.salt_call(minion, "state.show_sls", sls).data or {}) for sls in durations},
            "wall_s": {sls: summary(samples) for sls, samples in wall.items()},
            "states_duration_s": {sls: summary(samples) for sls, samples in durations.items()},
            "sipxha_state_duration_s": {state_id: summary(samples) for state_id, samples in by_state.items()},
            "ratio_wall": ratio(wall["sipxha"], wall[BASELINE]),
            "ratio_states_duration": ratio(durations["sipxha"], durations[BASELINE]),
        }
    return results


def first_convergence(sipx: SipxFleet, pillar: dict[str, Any], rounds: int) -> dict[str, Any]:
    """``salt 'sipxpbx*' state.apply`` on fresh trees: sipxha (with certificates) vs the baseline."""
    slowest: dict[str, list[float]] = {"sipxha": [], BASELINE: []}

    def apply(sls: str) -> None:
        fresh_trees(sipx, pillar)
        returns = converge_all(sipx, sls)
        slowest[sls].append(max(_duration_s(states) for states in returns.values()))
        if sls == "sipxha" and not all(read_cert(sipx.ssl(m) / "ssl.crt") for m in sipx.minions):
            raise RuntimeError("first convergence left a minion without a certificate")

    wall = interleaved({sls: lambda sls=sls: apply(sls) for sls in slowest}, rounds)
    converge_all(sipx, "sipxha")
    return {
        "wall_s": {sls: summary(samples) for sls, samples in wall.items()},
        "slowest_minion_states_duration_s": {sls: summary(samples) for sls, samples in slowest.items()},
        "ratio_wall": ratio(wall["sipxha"], wall[BASELINE]),
    }


def _short_certificate(sipx: SipxFleet, pillar: dict[str, Any], extra: dict[str, Any]) -> int:
    """Give RENEW_MINION a 10-day certificate (not due yet); returns its serial."""
    sipx.set_pillar(pillar | {"pki": SHORT}, extra=extra)
    ret = sipx.salt(RENEW_MINION, "sipxha_pki.renew", "force=True")
    if ret.returncode != 0:
        raise RuntimeError(f"sipxha_pki.renew force=True failed: {ret}")
    return read_cert(sipx.ssl(RENEW_MINION) / "ssl.crt").serial_number


def _renewed(sipx: SipxFleet, before: int) -> bool:
    cert = read_cert(sipx.ssl(RENEW_MINION) / "ssl.crt")
    return cert is not None and cert.serial_number != before


def _event_renewal(sipx: SipxFleet, pillar: dict[str, Any], extra: dict[str, Any], bus: Any) -> float:
    """Seconds from the beacon's event on the master's bus to the renewed certificate's mtime."""
    before = _short_certificate(sipx, pillar, extra | BEACONS)
    time.sleep(2)  # the beacon (1 s interval) sees the certificate not due
    while bus.get_event(wait=0.01, no_block=True):  # drop older events
        pass
    sipx.set_pillar(pillar | {"pki": DUE}, extra=extra | BEACONS)

    def beacon_event() -> float | None:
        event = bus.get_event(wait=0.2, tag=EVENT_TAG, full=True)
        return time.time() if event and event["data"].get("id") == RENEW_MINION else None

    fired = wait_for(beacon_event, "the beacon's sipxha/cert/expiring event", 60)
    wait_for(lambda: _renewed(sipx, before), "the renewed certificate", 120)
    return (sipx.ssl(RENEW_MINION) / "ssl.crt").stat().st_mtime - fired


def _direct_renewal(sipx: SipxFleet, pillar: dict[str, Any], extra: dict[str, Any]) -> float:
    """Seconds of ``salt sipxpbx2 state.apply sipxha`` with the certificate due (no beacon configured)."""
    before = _short_certificate(sipx, pillar, extra)
    sipx.set_pillar(pillar | {"pki": DUE}, extra=extra)
    started = time.perf_counter()
    ret = sipx.salt(RENEW_MINION, "state.apply", "sipxha")
    seconds = time.perf_counter() - started
    _states(ret.data, "direct renewal")
    if not _renewed(sipx, before):
        raise RuntimeError("state.apply sipxha did not renew the due certificate")
    return seconds


def beacon_renewal(sipx: SipxFleet, pillar: dict[str, Any], extra: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Beacon event -> renewed certificate on disk, against a direct state.apply of the same renewal."""
    master = sipx.master.config
    samples: dict[str, list[float]] = {"beacon_event_to_cert": [], "direct_state_apply": []}
    with salt.utils.event.get_master_event(master, master["sock_dir"], listen=True) as bus:
        variants = {
            "beacon_event_to_cert": lambda: _event_renewal(sipx, pillar, extra, bus),
            "direct_state_apply": lambda: _direct_renewal(sipx, pillar, extra),
        }
        got = interleaved(variants, rounds, measure=lambda result, _seconds: result)
    samples.update(got)
    sipx.set_pillar(pillar, extra=extra)
    return {
        "seconds": {name: summary(values) for name, values in samples.items()},
        "ratio": ratio(samples["beacon_event_to_cert"], samples["direct_state_apply"]),
    }
