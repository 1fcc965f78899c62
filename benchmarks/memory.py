"""Resident memory of a minion process with and without the extension, and the masterless converged re-run.

Every sample is one ``salt-call --local`` process (:mod:`benchmarks.rss_call`) on the converged sandbox of
:mod:`benchmarks.local`; its ``VmRSS`` is read just before the process exits, after the call. Variants,
taking turns round by round:

- ``hidden``: the extension's entry point filtered out (Salt never sees nor imports it), applying the
  baseline SLS (the same files with ``file.managed``);
- ``installed``: the extension installed but not used, applying the baseline SLS;
- ``sipxha``: applying the ``sipxha`` SLS (role, DHCP and PKI states: lxml, cryptography, the core);
- ``hidden_all`` / ``installed_all``: ``sys.list_functions``, which loads every execution module Salt
  can load here, with and without the extension's.

The same ``sipxha`` and ``installed`` calls give the masterless converged re-run (wall time and the
states' own durations, no changes allowed).
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.baseline import NAME as BASELINE
from benchmarks.local import LocalMinion
from benchmarks.stats import interleaved, ratio, summary

VARIANTS = {
    "hidden": (True, ("state.apply", BASELINE)),
    "installed": (False, ("state.apply", BASELINE)),
    "sipxha": (False, ("state.apply", "sipxha")),
    "hidden_all": (True, ("sys.list_functions",)),
    "installed_all": (False, ("sys.list_functions",)),
}


def _sample(minion: LocalMinion, name: str, store: dict[str, dict[str, list[float]]]) -> None:
    hide, args = VARIANTS[name]
    out = minion.root / f"rss-{name}.json"
    data, seconds = minion.call(*args, hide_extension=hide, rss_out=out)
    rss = json.loads(out.read_text(encoding="utf-8"))
    store[name]["rss_mib"].append(rss["rss_kib"] / 1024)
    store[name]["wall_s"].append(seconds)
    store[name]["extension_modules"].append(rss["extension_modules"])
    if args[0] == "state.apply":
        if any(state["changes"] or state["result"] is not True for state in data.values()):
            raise RuntimeError(f"{name}: state.apply on the converged sandbox changed or failed something")
        store[name]["states_duration_s"].append(sum(state["duration"] for state in data.values()) / 1000)


def run(minion: LocalMinion, rounds: int) -> dict[str, Any]:
    """RSS (MiB) per variant, deltas against ``hidden``, and the masterless re-run ratio."""
    store: dict[str, dict[str, list[float]]] = {
        name: {"rss_mib": [], "wall_s": [], "states_duration_s": [], "extension_modules": []} for name in VARIANTS
    }
    interleaved({name: lambda name=name: _sample(minion, name, store) for name in VARIANTS}, rounds)
    rss = {name: summary(values["rss_mib"], digits=2) for name, values in store.items()}
    report: dict[str, Any] = {
        "rss_mib": rss,
        "extension_modules_loaded": {name: max(values["extension_modules"]) for name, values in store.items()},
        "delta_mib": {
            "installed_unused": round(rss["installed"]["median"] - rss["hidden"]["median"], 2),
            "sipxha_applied": round(rss["sipxha"]["median"] - rss["hidden"]["median"], 2),
            "all_modules_loaded": round(rss["installed_all"]["median"] - rss["hidden_all"]["median"], 2),
        },
        "ratio": {
            "sipxha_applied": ratio(store["sipxha"]["rss_mib"], store["hidden"]["rss_mib"]),
            "all_modules_loaded": ratio(store["installed_all"]["rss_mib"], store["hidden_all"]["rss_mib"]),
        },
    }
    report["masterless_rerun"] = {
        "wall_s": {name: summary(store[name]["wall_s"]) for name in ("sipxha", "installed")},
        "states_duration_s": {name: summary(store[name]["states_duration_s"]) for name in ("sipxha", "installed")},
        "ratio_wall": ratio(store["sipxha"]["wall_s"], store["installed"]["wall_s"]),
        "ratio_states_duration": ratio(store["sipxha"]["states_duration_s"], store["installed"]["states_duration_s"]),
    }
    return report
