"""Benchmark: plan + zone rendering throughput (records/s) for N servers, next to dnspython's own serialisation.

For each N it times, interleaved, in the same run:

- ``sipxha``: :func:`saltext_sipxha.core.plan.fleet.build_plan` from the pillar, then
  :func:`saltext_sipxha.core.dns.zonetext.render_zone`: validating the pillar, building every record (dnspython
  rdata objects) and writing the master file text;
- ``dnspython``: only putting the same, prebuilt records in a ``dns.zone.Zone`` and ``Zone.to_text()``
  (neither the plan nor record construction is timed for it, so the comparison favours dnspython).

Two series: ``full`` (the default, every peer a fallback: 3N^2 + 2N SRV records, so N = 1000,
three million records, is left out) and ``max_fallbacks: 2`` (the recommended setting for large fleets:
records linear in N, N up to 1000). Linear growth shows as a flat time per record and as a straight-line
fit of time against the record count.

    python benchmarks/dns_render.py [--repeat 3] [--json PATH] [--sizes 2,10,50,200]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import platform
import sys
from pathlib import Path
from typing import Any

import dns.rdataset
import dns.version
import dns.zone

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from benchmarks.stats import interleaved, linear_fit, summary  # noqa: E402
from saltext_sipxha.core.dns.records import group  # noqa: E402
from saltext_sipxha.core.dns.zonetext import render_zone, soa_record, zone_origin, zone_records  # noqa: E402
from saltext_sipxha.core.plan.fleet import Fleet, build_plan  # noqa: E402
from tests.support.pillars import fleet as fleet_pillar  # noqa: E402

SERIAL = 2024051700
SERIES = {"full": (None, (2, 10, 50, 200)), "max_fallbacks=2": (2, (2, 10, 50, 200, 1000))}


def ours(pillar: dict[str, Any]) -> int:
    """Plan + zone text from the pillar; returns the text's length."""
    return len(render_zone(build_plan(pillar), SERIAL))


def prebuilt(fleet: Fleet):
    return fleet, group((soa_record(fleet, None, SERIAL), *zone_records(fleet)))


def dnspython(built) -> int:
    """The same records in a ``dns.zone.Zone``, serialised by dnspython; returns the text's length."""
    fleet, rrsets = built
    zone = dns.zone.Zone(zone_origin(fleet), relativize=False)
    for (name, _), rrset in rrsets.items():
        rdataset = dns.rdataset.from_rdata_list(rrset[0].ttl, [record.rdata for record in rrset])
        zone.find_node(name, create=True).replace_rdataset(rdataset)
    return len(zone.to_text(relativize=True))


def pillar_for(count: int, max_fallbacks: int | None) -> dict[str, Any]:
    """``tests.support.pillars.fleet(count)`` with addresses from 10.0.0.0/16 (room for N > 245)."""
    pillar = fleet_pillar(count, srv={"max_fallbacks": max_fallbacks}) if max_fallbacks else fleet_pillar(count)
    for server in pillar["servers"].values():
        server["address"] = str(ipaddress.IPv4Address("10.0.0.0") + server["index"])
    return pillar


def measure(count: int, max_fallbacks: int | None, repeat: int) -> dict[str, Any]:
    """One N: median and spread of both sides over ``repeat`` interleaved rounds."""
    pillar = pillar_for(count, max_fallbacks)
    fleet = build_plan(pillar)
    records = 1 + len(zone_records(fleet))
    built = prebuilt(fleet)
    samples = interleaved({"sipxha": lambda: ours(pillar), "dnspython": lambda: dnspython(built)}, repeat)
    row: dict[str, Any] = {"servers": count, "records": records}
    for label, values in samples.items():
        row[label] = summary(values, digits=6)
        row[f"{label}_records_per_s"] = round(records / row[label]["median"])
        row[f"{label}_us_per_record"] = round(1e6 * row[label]["median"] / records, 2)
    row["ratio"] = round(row["sipxha"]["median"] / row["dnspython"]["median"], 3)
    return row


def run(repeat: int = 3, sizes: list[int] | None = None) -> dict[str, Any]:
    """Both series; each with rows per N and a linear fit of seconds against records."""
    report: dict[str, Any] = {}
    for name, (max_fallbacks, default_sizes) in SERIES.items():
        rows = [measure(count, max_fallbacks, repeat) for count in sizes or default_sizes]
        fits = {
            label: linear_fit([row["records"] for row in rows], [row[label]["median"] for row in rows])
            for label in ("sipxha", "dnspython")
        }
        report[name] = {"max_fallbacks": max_fallbacks, "rows": rows, "fit": fits}
    report["meta"] = {"python": platform.python_version(), "dnspython": dns.version.version, "repeat": repeat}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated N (default: per series)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "dns_render.json"))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else None
    report = run(max(1, args.repeat), sizes)
    for name in SERIES:
        print(f"{name}: {'servers':>8} {'records':>8} {'sipxha rec/s':>14} {'dnspython rec/s':>16} {'ratio':>6}")
        for row in report[name]["rows"]:
            print(
                f"{'':{len(name) + 1}} {row['servers']:>8} {row['records']:>8} {row['sipxha_records_per_s']:>14,} "
                f"{row['dnspython_records_per_s']:>16,} {row['ratio']:>6}"
            )
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
