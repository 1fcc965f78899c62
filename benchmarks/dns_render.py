"""Benchmark: zone rendering throughput (records/s) for N servers, next to dnspython's own serialisation.

For N = 2, 10, 50, 200 servers (2N + 3N^2 SRV records plus SOA, NS and addresses) it times, in the same run:

- ``sipxha``: :func:`saltext_sipxha.core.zone.render_zone`, the whole path from the plan: building every
  record (dnspython rdata objects) and writing the master file text;
- ``dnspython``: only putting the same, prebuilt records in a ``dns.zone.Zone`` and ``Zone.to_text()``
  (record construction is not timed for it, so the comparison favours dnspython).

Prints a table and writes JSON (default ``benchmarks/dns_render.json``). Not a test: numbers vary by machine;
what matters is that records/s stays flat as N grows (rendering is linear in the number of records).

    python benchmarks/dns_render.py [--repeat 3] [--json PATH] [--sizes 2,10,50,200]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import dns.rdataset
import dns.version
import dns.zone

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from saltext_sipxha.core.plan import build_plan  # noqa: E402
from saltext_sipxha.core.srv import group  # noqa: E402
from saltext_sipxha.core.zone import render_zone, soa_record, zone_origin, zone_records  # noqa: E402
from tests.support.pillars import fleet as fleet_pillar  # noqa: E402

SERIAL = 2024051700


def ours(fleet) -> int:
    return len(render_zone(fleet, SERIAL))


def prebuilt(fleet):
    return fleet, group((soa_record(fleet, None, SERIAL), *zone_records(fleet)))


def dnspython(built) -> int:
    fleet, rrsets = built
    zone = dns.zone.Zone(zone_origin(fleet), relativize=False)
    for (name, _), rrset in rrsets.items():
        rdataset = dns.rdataset.from_rdata_list(rrset[0].ttl, [record.rdata for record in rrset])
        zone.find_node(name, create=True).replace_rdataset(rdataset)
    return len(zone.to_text(relativize=True))


def best_of(func, data, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(data)
        times.append(time.perf_counter() - start)
    return min(times)


def run(sizes: list[int], repeat: int) -> list[dict]:
    rows = []
    for count in sizes:
        fleet = build_plan(fleet_pillar(count))
        records = 1 + len(zone_records(fleet))
        row = {"servers": count, "records": records}
        for label, func, data in (("sipxha", ours, fleet), ("dnspython", dnspython, prebuilt(fleet))):
            seconds = best_of(func, data, repeat)
            row[f"{label}_seconds"] = round(seconds, 6)
            row[f"{label}_records_per_s"] = round(records / seconds)
        row["ratio"] = round(row["sipxha_records_per_s"] / row["dnspython_records_per_s"], 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,10,50,200")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "dns_render.json"))
    args = parser.parse_args()
    rows = run([int(size) for size in args.sizes.split(",")], max(1, args.repeat))
    print(f"{'servers':>8} {'records':>8} {'sipxha rec/s':>14} {'dnspython rec/s':>16} {'ratio':>6}")
    for row in rows:
        print(
            f"{row['servers']:>8} {row['records']:>8} {row['sipxha_records_per_s']:>14,} "
            f"{row['dnspython_records_per_s']:>16,} {row['ratio']:>6}"
        )
    meta = {"python": platform.python_version(), "dnspython": dns.version.version, "repeat": args.repeat}
    Path(args.json).write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
