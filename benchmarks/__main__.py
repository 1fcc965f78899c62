"""``make bench``: measure saltext-sipxha against baselines run alongside it; write docs/benchmarks.{md,json}.

    python -m benchmarks [--quick] [--only fleet,memory,dns,ca,rollout] [--keep] [--merge]

``--merge`` re-measures only the ``--only`` parts and keeps the other parts' figures from docs/benchmarks.json.

Parts (each a ratio against a baseline measured in the same run, rounds interleaved, medians + spread):

- ``fleet``: a real salt-master and three salt-minions on 127.0.0.1 (:mod:`benchmarks.converge`);
- ``memory``: ``salt-call --local`` processes on a masterless sandbox (:mod:`benchmarks.memory`);
- ``dns``: plan + zone rendering for N servers against dnspython (:mod:`benchmarks.dns_render`);
- ``ca``: signing 500 CSRs against raw ``cryptography`` and ``openssl x509 -req``, and the index flat up to
  10,000 issued (:mod:`benchmarks.ca_sign`);
- ``rollout``: a fleet-wide change under RFC 3263 client load, ``service:restart: rolling`` against
  ``immediate`` (:mod:`benchmarks.rollout`): failed requests and gaps per SRV name, the rollout's overhead.

Everything runs under ``.tmp/bench-*`` in the repository (removed at the end unless ``--keep``);
every process started is stopped before the part ends.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from benchmarks import ca_sign, converge, dns_render, memory, report, rollout  # noqa: E402
from benchmarks.local import local_minion  # noqa: E402
from tests.support.fleet import standalone_fleet  # noqa: E402

PARTS = ("fleet", "memory", "dns", "ca", "rollout")
#: rounds per figure: (full run, --quick)
ROUNDS = {"rerun": (6, 2), "first": (3, 1), "beacon": (3, 1), "memory": (4, 2), "dns": (3, 1), "ca": (5, 2),
          "rollout": (2, 1)}  # fmt: skip


def fleet_part(root: Path, rounds: dict[str, int]) -> dict[str, Any]:
    with standalone_fleet(root, log_level="error") as sipx:
        pillar, baseline = converge.prepare(sipx)
        rerun = converge.converged_rerun(sipx, rounds["rerun"])
        renewal = converge.beacon_renewal(sipx, pillar, baseline, rounds["beacon"])
        first = converge.first_convergence(sipx, pillar, rounds["first"])
    return {"converged_rerun": rerun, "first_convergence": first, "recertification": renewal}


def run_parts(root: Path, parts: list[str], quick: bool) -> dict[str, Any]:
    rounds = {name: pair[1 if quick else 0] for name, pair in ROUNDS.items()}
    results: dict[str, Any] = {}
    for part in parts:
        started = time.monotonic()
        print(f"[bench] {part} ...", flush=True)
        if part == "fleet":
            results[part] = fleet_part(root / "fleet", rounds)
        elif part == "memory":
            results[part] = memory.run(local_minion(root / "local"), rounds["memory"])
        elif part == "dns":
            results[part] = dns_render.run(rounds["dns"])
        elif part == "ca":
            results[part] = ca_sign.run(100 if quick else 500, rounds["ca"], (100, 1000) if quick else ca_sign.SIZES)
        elif part == "rollout":
            results[part] = rollout.run(root / "rollout", rounds["rollout"])
        results[part]["elapsed_s"] = round(time.monotonic() - started, 1)
        print(f"[bench] {part} done in {results[part]['elapsed_s']} s", flush=True)
    return results


def machine() -> dict[str, Any]:
    import salt.version  # pylint: disable=import-outside-toplevel

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "salt": salt.version.__version__,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def merged(previous: Path, new: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    """``previous`` results with ``parts`` replaced by ``new``'s; when and where those were re-measured is kept
    under ``remeasured`` (the header still describes the run that measured the rest)."""
    data = json.loads(previous.read_text(encoding="utf-8"))
    if data.get("quick") != new["quick"]:
        raise SystemExit(f"--merge: {previous} has quick={data.get('quick')}, this run quick={new['quick']}")
    data |= {part: new[part] for part in parts}
    data.setdefault("remeasured", []).append({"parts": parts, "machine": new["machine"], "elapsed_s": new["elapsed_s"]})
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, not for the docs)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {PARTS}")
    parser.add_argument("--keep", action="store_true", help="keep the .tmp/bench-* folder")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where benchmarks.md/.json go")
    parser.add_argument(
        "--merge", action="store_true", help="replace only the parts measured now in the existing benchmarks.json"
    )
    args = parser.parse_args()
    parts = [part for part in args.only.split(",") if part]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    (REPO / ".tmp").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-", dir=REPO / ".tmp"))
    logging.basicConfig(filename=root / "bench.log", level=logging.WARNING, force=True)
    started = time.monotonic()
    data = {"machine": machine(), "quick": args.quick}
    try:
        data |= run_parts(root, parts, args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    data["elapsed_s"] = round(time.monotonic() - started, 1)
    if args.merge:
        data = merged(args.out / "benchmarks.json", data, parts)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (args.out / "benchmarks.md").write_text(report.render(data), encoding="utf-8")
    print(f"[bench] wrote {args.out / 'benchmarks.md'} and benchmarks.json in {data['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
