"""The planned DNS records of a fleet: SRV (and optional NAPTR) records as immutable values.

The layout is that of sipX's HA Setup guide ("Configuring DNS"), generalised to N servers:

- the SIP domain: ``_sip._tcp`` SRV priority 1 and ``_sip._udp`` SRV priority 101, every server, proxy port;
- per server, its registrar name (``sipxregistrar<i>`` or ``rr.<fqdn>``): ``_sip._tcp`` only, own server at
  priority 1 then its fallbacks at priority 2, registrar port;
- per server, its auth-proxy name (``sipxauthproxy<i>`` or ``ap.<fqdn>``): ``_sip._tcp`` 1/2 and
  ``_sip._udp`` 101/102, auth-proxy port;
- ``srv.naptr`` (default): RFC 3263 NAPTR records at the domain, TCP (order 90) before UDP (order 100);
- ``srv.tls``: ``_sips._tcp`` SRV at the domain (every server, ``ports.proxy_secure``), and with NAPTR a
  ``SIPS+D2T`` (order 80) first. Only the domain: RFC 5922 clients match the certificate against the
  domain they resolved, and the certificates name the SIP domain and each fqdn, never ``sipxauthproxy<i>``
  or ``ap.<fqdn>``, so a TLS SRV under the per-server names could never verify.

Every peer shares the second priority with the same weight, so a failed server's load spreads evenly.
A drained server (``servers:<id>:maintenance``, or one a rollout is restarting: ``rollout:drained``) is
left out of every SRV RRset, so its own numbered names point at its peers; an RRset whose targets are all
drained keeps them (an SRV name never loses its last target).
Names derive from each server's own stable index or fqdn, so adding or removing a server never renames
another server's records. Rdata is built by dnspython's rdata classes, never by pasting strings.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA
from dns.rdtypes.IN.NAPTR import NAPTR
from dns.rdtypes.IN.SRV import SRV

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import Fleet, Server

IN = dns.rdataclass.IN
TCP_PRIORITY, UDP_PRIORITY = 1, 101  #: first priority of TCP / UDP records; fallbacks are one higher
NAPTR_ORDER = (("SIP+D2T", "_sip._tcp", 90), ("SIP+D2U", "_sip._udp", 100))  #: RFC 3263 section 4.1 example
SIPS_NAPTR = ("SIPS+D2T", "_sips._tcp", 80)  #: with ``srv.tls``: TLS before TCP and UDP
NAPTR_PREFERENCE = 50
#: Owner names this extension owns under a zone (everything else there belongs to the administrator).
OWNED_SRV = re.compile(r"^_sip\._(tcp|udp)(\.(sipxregistrar\d+|sipxauthproxy\d+|(rr|ap)\..+))?$")
SIPS_OWNER = "_sips._tcp"  #: owned only with ``srv.tls``: a site's own TLS SRV is left alone otherwise


@dataclass(frozen=True)
class Record:
    """One resource record: absolute owner name, TTL and dnspython rdata (class IN)."""

    name: dns.name.Name
    ttl: int
    #: a ``dns.rdata.Rdata`` subclass instance; ``Any`` because dnspython does not declare the per-type
    #: attributes (``target``, ``port``, ``address`` ...) on the base class
    rdata: Any

    def __post_init__(self) -> None:
        if not self.name.is_absolute():
            raise ValueError(f"owner name {self.name} must be absolute")
        if not 0 <= self.ttl <= 2**31 - 1:
            raise ValueError(f"TTL {self.ttl} out of range")

    @property
    def rdtype(self) -> str:
        return dns.rdatatype.to_text(self.rdata.rdtype)

    @property
    def key(self) -> tuple[dns.name.Name, str]:
        """The RRset this record belongs to."""
        return self.name, self.rdtype

    def rdata_text(self, origin: dns.name.Name | None = None) -> str:
        """Rdata in master-file form; names stay absolute (targets must not depend on ``$ORIGIN``)."""
        return str(self.rdata.to_text(origin=origin, relativize=False))

    def to_text(self, origin: dns.name.Name | None = None) -> str:
        owner = self.name.relativize(origin).to_text() if origin is not None else self.name.to_text()
        return f"{owner} {self.ttl} IN {self.rdtype} {self.rdata_text()}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name.to_text(), "type": self.rdtype, "ttl": self.ttl, "rdata": self.rdata_text()}


def absolute(name: str) -> dns.name.Name:
    """``example.com`` or ``example.com.`` as an absolute dnspython name."""
    return dns.name.from_text(name.rstrip(".") + ".")


def srv(owner: dns.name.Name, ttl: int, rdata: tuple[int, int, int, str]) -> Record:
    """An SRV record from ``(priority, weight, port, target host)``."""
    priority, weight, port, target = rdata
    return Record(owner, ttl, SRV(IN, dns.rdatatype.SRV, priority, weight, port, absolute(target)))


def planned_records(fleet: Fleet, drained: Iterable[str] = ()) -> tuple[Record, ...]:
    """Every SRV (and NAPTR) record of the fleet, in the seed's order: domain, registrars, auth proxies.

    ``drained`` (minion ids) and the servers in maintenance are left out as SRV targets; an RRset whose
    targets are all drained keeps them (see :func:`undrainable`).
    """
    records = _all_records(fleet)
    out = _drained_targets(fleet, drained)
    if not out:
        return records
    kept: list[Record] = []
    for rrset in group(records).values():
        serving = [r for r in rrset if r.rdtype != "SRV" or r.rdata.target not in out]
        kept.extend(serving or rrset)
    return tuple(kept)


def drained_set(fleet: Fleet, drained: Iterable[str] = ()) -> frozenset[str]:
    """The minion ids left out of DNS: ``drained`` and the plan's ``rollout:drained`` (a rollout's, from the
    master's ``sipxha_rollout`` ext_pillar) plus every server in maintenance."""
    wanted = frozenset(drained) | frozenset(fleet.rollout.drained)
    unknown = wanted - {server.minion_id for server in fleet.servers}
    if unknown:
        raise PillarError("sipxha:servers", f"cannot drain {', '.join(sorted(unknown))}: not in the fleet")
    return wanted | {server.minion_id for server in fleet.servers if server.maintenance}


def undrainable(fleet: Fleet, drained: Iterable[str] = ()) -> tuple[str, ...]:
    """The SRV owner names whose every target is drained: they keep their targets (nowhere else to go)."""
    out = _drained_targets(fleet, drained)
    return tuple(
        name.to_text()
        for (name, rdtype), rrset in group(_all_records(fleet)).items()
        if out and rdtype == "SRV" and all(r.rdata.target in out for r in rrset)
    )


def _drained_targets(fleet: Fleet, drained: Iterable[str]) -> frozenset[dns.name.Name]:
    ids = drained_set(fleet, drained)
    return frozenset(absolute(server.fqdn) for server in fleet.servers if server.minion_id in ids)


def _all_records(fleet: Fleet) -> tuple[Record, ...]:
    return tuple(_naptr(fleet)) + tuple(_domain_srv(fleet)) + tuple(_per_server_srv(fleet))


def belongs_to(record: Record, server: Server) -> bool:
    """True for a record of ``server``: at its own registrar or auth-proxy SRV names, pointing at it, or its
    own address record."""
    if at_own_names(record, server):
        return True
    if record.rdtype in ("A", "AAAA"):
        return bool(record.name == absolute(server.fqdn))
    return record.rdtype == "SRV" and record.rdata.target == absolute(server.fqdn)


def at_own_names(record: Record, server: Server) -> bool:
    """True for a record at ``server``'s own registrar or auth-proxy SRV names."""
    own = (absolute(server.registrar_name), absolute(server.authproxy_name))
    return any(record.name.is_subdomain(name) for name in own)


def address_records(fleet: Fleet, origin: dns.name.Name) -> tuple[Record, ...]:
    """A/AAAA records for the servers whose fqdn lies in the zone ``origin`` (so that SRV targets resolve):
    ``address``, and an AAAA for ``address6`` (dual stack)."""
    records = []
    for server in fleet.servers:
        name = absolute(server.fqdn)
        if name.is_subdomain(origin):
            records.append(address_record(name, fleet.srv.ttl, server.address))
            if server.address6 is not None:
                records.append(address_record(name, fleet.srv.ttl, server.address6))
    return tuple(records)


def address_record(name: dns.name.Name, ttl: int, address: str) -> Record:
    if ipaddress.ip_address(address).version == 6:
        return Record(name, ttl, AAAA(IN, dns.rdatatype.AAAA, address))
    return Record(name, ttl, A(IN, dns.rdatatype.A, address))


def is_owned(record_name: dns.name.Name, rdtype: str, domain: dns.name.Name, tls: bool = False) -> bool:
    """True for an RRset this extension manages: our SRV names under the domain (``_sips._tcp`` with ``tls``),
    our NAPTR at the domain."""
    if not record_name.is_subdomain(domain):
        return False
    if rdtype == "NAPTR":
        return bool(record_name == domain)
    relative = record_name.relativize(domain).to_text()
    return rdtype == "SRV" and (bool(OWNED_SRV.match(relative)) or (tls and relative == SIPS_OWNER))


def group(records: Iterable[Record]) -> dict[tuple[dns.name.Name, str], tuple[Record, ...]]:
    """Records by RRset (owner, type), in first-seen order."""
    rrsets: dict[tuple[dns.name.Name, str], list[Record]] = {}
    for record in records:
        rrsets.setdefault(record.key, []).append(record)
    return {key: tuple(items) for key, items in rrsets.items()}


def _naptr(fleet: Fleet) -> Iterator[Record]:
    if not fleet.srv.naptr:
        return
    domain = absolute(fleet.domain)
    for service, prefix, order in ((SIPS_NAPTR,) if fleet.srv.tls else ()) + NAPTR_ORDER:
        replacement = dns.name.from_text(prefix, origin=domain)
        rdata = NAPTR(IN, dns.rdatatype.NAPTR, order, NAPTR_PREFERENCE, b"s", service.encode(), b"", replacement)
        yield Record(domain, fleet.srv.ttl, rdata)


def _domain_srv(fleet: Fleet) -> Iterator[Record]:
    domain, ttl, weight = absolute(fleet.domain), fleet.srv.ttl, fleet.srv.weight
    prefixes = [("_sip._tcp", TCP_PRIORITY, fleet.ports.proxy), ("_sip._udp", UDP_PRIORITY, fleet.ports.proxy)]
    if fleet.srv.tls:
        prefixes.append(("_sips._tcp", TCP_PRIORITY, fleet.ports.proxy_secure))
    for prefix, priority, port in prefixes:
        owner = dns.name.from_text(prefix, origin=domain)
        for server in fleet.servers:
            yield srv(owner, ttl, (priority, weight, port, server.fqdn))


def _per_server_srv(fleet: Fleet) -> Iterator[Record]:
    ports = fleet.ports
    fqdns = {server.minion_id: server.fqdn for server in fleet.servers}
    chains = {s.minion_id: (s.fqdn, *(fqdns[peer] for peer in s.fallbacks)) for s in fleet.servers}
    for server in fleet.servers:
        owner = f"_sip._tcp.{server.registrar_name}"
        yield from _failover(fleet, chains[server.minion_id], owner, TCP_PRIORITY, ports.registrar)
    for server in fleet.servers:
        for prefix, priority in (("_sip._tcp", TCP_PRIORITY), ("_sip._udp", UDP_PRIORITY)):
            owner = f"{prefix}.{server.authproxy_name}"
            yield from _failover(fleet, chains[server.minion_id], owner, priority, ports.authproxy)


def _failover(fleet: Fleet, chain: tuple[str, ...], owner: str, priority: int, port: int) -> Iterator[Record]:
    """The server itself (first of ``chain``) at ``priority``, its fallbacks at ``priority + 1``, equal weight."""
    name, ttl, weight = absolute(owner), fleet.srv.ttl, fleet.srv.weight
    for position, fqdn in enumerate(chain):
        yield srv(name, ttl, (priority + min(position, 1), weight, port, fqdn))


def require_in_zone(fleet: Fleet, records: Iterable[Record], origin: dns.name.Name, key: str) -> None:
    """:class:`PillarError` when a record's owner lies outside the zone ``origin``: it names the server's
    ``fqdn`` when a per-host SRV name (``rr.<fqdn>``/``ap.<fqdn>``) is the cause, else ``key``."""
    for record in records:
        if record.name.is_subdomain(origin):
            continue
        owner = next((server for server in fleet.servers if at_own_names(record, server)), None)
        if owner is not None and fleet.srv.names == "per-host":
            key = f"sipxha:servers:{owner.minion_id}:fqdn"
        raise PillarError(key, f"{record.name} lies outside the zone {origin}: it cannot hold that record")
