"""Verify live DNS against the plan: every planned owner name resolved at one nameserver.

The report lists ``missing`` records (planned, not served), ``extra`` ones (served at a planned name, not
planned), ``different`` ones (same target and port, other priority, weight or TTL), SRV targets that do not
resolve, and for every SRV name the RFC 2782 processing order a client would follow with the live records:
priority groups, lowest first, each target's chance of being tried first within its group (weight share).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from saltext_sipxha.core.dns.records import Record, group, planned_records
from saltext_sipxha.core.errors import DnsError
from saltext_sipxha.core.plan.fleet import Fleet

Lookup = Callable[[dns.name.Name, str], tuple[Record, ...]]


def lookup_at(server: str, port: int = 53, timeout: float = 5.0) -> Lookup:
    """A lookup function asking ``server:port`` directly (UDP, TCP when truncated), no recursion."""

    def lookup(name: dns.name.Name, rdtype: str) -> tuple[Record, ...]:
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        try:
            response, _ = dns.query.udp_with_fallback(query, server, timeout=timeout, port=port)
        except (dns.exception.DNSException, OSError) as err:
            reason = f"timed out after {timeout}s" if isinstance(err, dns.exception.Timeout) else str(err)
            raise DnsError(f"cannot query {name} {rdtype} at {server} port {port}: {reason}") from err
        rcode = dns.rcode.to_text(response.rcode())
        if rcode not in ("NOERROR", "NXDOMAIN"):
            raise DnsError(f"{server} port {port} answered {rcode} for {name} {rdtype}")
        wanted = dns.rdatatype.from_text(rdtype)
        return tuple(
            Record(rrset.name, rrset.ttl, rdata)
            for rrset in response.answer
            if rrset.name == name and rrset.rdtype == wanted
            for rdata in rrset
        )

    return lookup


def verify_dns(fleet: Fleet, lookup: Lookup) -> dict[str, Any]:
    """Compare what ``lookup`` returns for every planned RRset with the plan; a JSON-friendly report."""
    report: dict[str, Any] = {"missing": [], "extra": [], "different": [], "unresolved_targets": [], "order": {}}
    targets: dict[dns.name.Name, None] = {}
    planned = group(planned_records(fleet))
    for (name, rdtype), wanted in planned.items():
        live = lookup(name, rdtype)
        _compare(wanted, live, report)
        if rdtype == "SRV":
            report["order"][name.to_text()] = processing_order(live)
            targets.update((record.rdata.target, None) for record in live or wanted)
    for target in targets:
        if not lookup(target, "A") and not lookup(target, "AAAA"):
            report["unresolved_targets"].append(target.to_text())
    report["checked"] = len(planned)
    report["ok"] = not any(report[key] for key in ("missing", "extra", "different", "unresolved_targets"))
    return report


def processing_order(records: Iterable[Record]) -> list[dict[str, Any]]:
    """RFC 2782: priority groups in ascending order; within one, each target's share of first tries."""
    groups: dict[int, list[Record]] = {}
    for record in records:
        groups.setdefault(record.rdata.priority, []).append(record)
    order = []
    for priority in sorted(groups):
        members = sorted(groups[priority], key=lambda r: (-r.rdata.weight, r.rdata.target, r.rdata.port))
        total = sum(r.rdata.weight for r in members)
        targets = [
            {
                "target": r.rdata.target.to_text(),
                "port": r.rdata.port,
                "weight": r.rdata.weight,
                "share": round(r.rdata.weight / total if total else 1 / len(members), 4),
            }
            for r in members
        ]
        order.append({"priority": priority, "targets": targets})
    return order


def _identity(record: Record) -> Any:
    """What makes two records 'the same record, possibly with other values'."""
    rdata = record.rdata
    if record.rdtype == "SRV":
        return rdata.target, rdata.port
    if record.rdtype == "NAPTR":
        return rdata.service, rdata.replacement
    return rdata


def _compare(wanted: tuple[Record, ...], live: tuple[Record, ...], report: dict[str, Any]) -> None:
    live_by_id = {_identity(record): record for record in live}
    wanted_ids = set()
    for record in wanted:
        wanted_ids.add(_identity(record))
        current = live_by_id.get(_identity(record))
        if current is None:
            report["missing"].append(record.to_dict())
        elif current.rdata != record.rdata or current.ttl != record.ttl:
            report["different"].append({"planned": record.to_dict(), "live": current.to_dict()})
    report["extra"].extend(record.to_dict() for key, record in live_by_id.items() if key not in wanted_ids)
