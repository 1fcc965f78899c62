"""Failover verification: which server would a SIP client reach now, for every planned SRV name?

For each SRV owner name the live records (from a :data:`~.dnsverify.Lookup`) are taken in RFC 2782
order, every target is probed with SIP OPTIONS (:mod:`.sipprobe`) over the name's transport, and the
report says which targets answer and where clients go: the reachable targets of the best priority
group that has any (RFC 2782: a client moves to the next priority only when the whole group failed).
Each endpoint is probed once, however many names point at it. A ``_sips._tcp`` name (``srv:tls``) is probed
with a TLS handshake (:mod:`.tlsprobe`) that verifies the certificate against the fleet CA and the SIP domain
(RFC 5922), so "reaches" there means "reaches and trusts".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dns.name

from saltext_sipxha.core.dns.records import absolute, group, planned_records
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.verify.live_dns import Lookup, processing_order
from saltext_sipxha.core.verify.sipprobe import ProbeResult, probe
from saltext_sipxha.core.verify.tlsprobe import TlsIdentity, TlsResult, handshake

Prober = Callable[[str, int, str, str], ProbeResult | TlsResult]  #: (host, port, transport, address) -> result


def verify_failover(
    fleet: Fleet, lookup: Lookup, prober: Prober | None = None, timeout: float = 1.0, tls: TlsIdentity | None = None
) -> dict[str, Any]:
    """Probe every SRV target of the plan as DNS serves it; a JSON-friendly report with ``ok``.

    ``tls`` is the fleet CA (this server's ``authorities/<ca_name>.crt``) that ``_sips`` targets must verify against.
    """
    prober = prober or default_prober(fleet.domain, timeout, tls)
    planned_addresses = {absolute(s.fqdn): s.address for s in fleet.servers}
    endpoints: dict[tuple[str, int, str], dict[str, Any]] = {}
    names: dict[str, Any] = {}
    for name, rdtype in group(planned_records(fleet)):
        if rdtype != "SRV":
            continue
        transport = "tls" if name.labels[0] == b"_sips" else name.labels[1].decode().lstrip("_")
        order = processing_order(lookup(name, "SRV"))
        for priority_group in order:
            for target in priority_group["targets"]:
                key = (target["target"], target["port"], transport)
                if key not in endpoints:
                    address = _address(dns.name.from_text(target["target"]), lookup, planned_addresses)
                    endpoints[key] = _probe(prober, key, address)
                target.update(endpoints[key])
        names[name.to_text()] = {"transport": transport, "order": order, "reaches": _reaches(order)}
    return {
        "ok": bool(names) and all(entry["reaches"] for entry in names.values()),
        "names": names,
        "unreachable": sorted(
            f"{host}:{port}/{transport}" for (host, port, transport), e in endpoints.items() if not e["reachable"]
        ),
    }


def default_prober(domain: str, timeout: float, tls: TlsIdentity | None) -> Prober:
    """SIP OPTIONS over UDP/TCP; for ``tls`` a handshake verified against ``tls`` and ``domain``."""

    def prober(host: str, port: int, transport: str, address: str) -> ProbeResult | TlsResult:
        if transport != "tls":
            return probe(host, port, transport, timeout, address)
        if tls is None:
            return TlsResult(host, address, port, False, "no fleet CA certificate here to verify TLS against")
        return handshake(address, port, domain, tls, check="sip_domain", timeout=timeout)

    return prober


def _address(target: dns.name.Name, lookup: Lookup, planned: dict[dns.name.Name, str]) -> str | None:
    """The target's address as DNS serves it, else the plan's address for that server."""
    for rdtype in ("A", "AAAA"):
        records = lookup(target, rdtype)
        if records:
            return str(records[0].rdata.address)
    return planned.get(target)


def _probe(prober: Prober, key: tuple[str, int, str], address: str | None) -> dict[str, Any]:
    host, port, transport = key
    if address is None:
        return {"reachable": False, "status": None, "reason": "target has no address", "address": None}
    result = prober(host.rstrip("."), port, transport, address)
    return {"reachable": result.reachable, "status": result.status, "reason": result.reason, "address": address}


def _reaches(order: list[dict[str, Any]]) -> list[str]:
    """The targets clients use now: the reachable ones of the first priority group that has any."""
    for priority_group in order:
        alive = [f"{t['target']}:{t['port']}" for t in priority_group["targets"] if t["reachable"]]
        if alive:
            return alive
    return []
