"""nsupdate mode: make the live SRV/NAPTR RRsets equal the plan with one RFC 2136 update over TCP with TSIG.

What we own: the RRsets :func:`.records.is_owned` recognises (``_sip._tcp``/``_sip._udp`` at the domain and under
``sipxregistrar<i>``, ``sipxauthproxy<i>``, ``rr.*``, ``ap.*``; ``_sips._tcp`` at the domain with ``srv:tls``;
NAPTR at the domain; with ``dns:nsupdate:addresses`` the A/AAAA RRsets at the fleet's in-zone fqdns, so
dual-stack SRV targets resolve; a server that leaves the pillar leaves its address records behind). The live
zone is read by AXFR with the same key (the server needs ``allow-transfer { key <name>; };`` next to
``allow-update``), so the records of servers that left the pillar are found and deleted; nothing else of the
zone is ever touched.

The update's prerequisite (RFC 2136 section 2.4) is the zone's SOA exactly as the transfer read it: the server
applies the whole update or nothing, and refuses it when the zone moved since we read it. Records are added and
deleted one by one, so even a fleet-wide change (a server leaving twenty RRsets) stays one small message. Only
a change too large for one DNS message (64 KiB: e.g. a first rollout of twenty servers) is sent in batches of
whole RRsets, each RRset guarded by its own prerequisite, so no RRset is ever half-changed; such a set is
not atomic as a whole: when a later batch fails, the error lists exactly the RRsets the earlier batches
changed, and the next run sends the rest.
When live DNS already matches the plan, nothing is sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.update
import dns.xfr
import dns.zone

from saltext_sipxha.core.dns.records import (
    Record,
    absolute,
    address_records,
    belongs_to,
    group,
    is_owned,
    planned_records,
    require_in_zone,
)
from saltext_sipxha.core.errors import DnsError, PillarError, ZoneChanged
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import NsupdateDns

RRsetKey = tuple[dns.name.Name, str]
MAX_MESSAGE = 65535 - 512  #: a DNS message over TCP, less room for the TSIG record
BATCH_BUDGET = 48 * 1024  #: per batch, summing uncompressed sizes (compression only shrinks it)
_PREREQ_FAILED = ("NXRRSET", "YXRRSET", "NXDOMAIN", "YXDOMAIN")


@dataclass(frozen=True)
class RRsetChange:
    """One RRset to replace (``new``), create (no ``old``) or delete (no ``new``)."""

    name: dns.name.Name
    rdtype: str
    old: tuple[Record, ...]
    new: tuple[Record, ...]

    def to_dict(self) -> dict[str, list[str]]:
        return {"old": _texts(self.old), "new": _texts(self.new)}


@dataclass(frozen=True)
class UpdatePlan:
    """The difference between live DNS and the plan, per RRset, in plan order (deletions last)."""

    zone: dns.name.Name
    changes: tuple[RRsetChange, ...]
    soa: Record | None = None  #: the zone's SOA when it was read (the update's prerequisite)

    @property
    def in_sync(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, dict[str, list[str]]]:
        return {f"{c.name.to_text()} {c.rdtype}": c.to_dict() for c in self.changes}


class DnsClient:
    """Talks to one authoritative server with one TSIG key: AXFR and UPDATE over TCP, bounded by ``timeout``."""

    def __init__(self, settings: NsupdateDns) -> None:
        self.settings = settings
        algorithm = dns.tsig.HMAC_MD5 if settings.tsig.algorithm == "hmac-md5" else settings.tsig.algorithm
        self.key = dns.tsig.Key(settings.tsig.name, settings.tsig.secret, algorithm)
        self.where = f"{settings.server} port {settings.port}"

    def transfer(self, zone: dns.name.Name) -> list[Record]:
        """Every record of ``zone`` (AXFR)."""
        live = dns.zone.Zone(zone, relativize=False)
        query = dns.message.make_query(zone, "AXFR")
        query.use_tsig(self.key)
        with _DnsErrors(f"zone transfer of {zone} from {self.where}", self.settings):
            dns.query.inbound_xfr(
                self.settings.server, live, query, port=self.settings.port, timeout=self.settings.timeout,
                lifetime=self.settings.timeout,
            )  # fmt: skip
        return [Record(name, rdataset.ttl, rdata) for name, rdataset in live.iterate_rdatasets() for rdata in rdataset]

    def send(self, update: dns.update.UpdateMessage) -> None:
        """Send ``update``; :class:`DnsError` unless the server answers NOERROR."""
        update.use_tsig(self.key)
        with _DnsErrors(f"update of {update.zone[0].name} at {self.where}", self.settings):
            response = dns.query.tcp(
                update, self.settings.server, port=self.settings.port, timeout=self.settings.timeout
            )
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == "NOERROR":
            return
        if rcode in _PREREQ_FAILED:
            raise ZoneChanged(f"{self.where}: the zone changed while we planned ({rcode}); nothing applied, run again")
        if rcode == "REFUSED":
            raise DnsError(f"{self.where} REFUSED the update: allow-update for key {self.settings.tsig.name}?")
        raise DnsError(f"{self.where} rejected the update with {rcode}; nothing applied")


def owned_live(
    records: Iterable[Record], domain: dns.name.Name, tls: bool = False, hosts: frozenset[dns.name.Name] = frozenset()
) -> dict[RRsetKey, tuple[Record, ...]]:
    """The live RRsets this extension owns (``_sips._tcp`` too with ``tls``; A/AAAA at ``hosts``)."""
    return {
        key: rrset
        for key, rrset in group(records).items()
        if is_owned(key[0], key[1], domain, tls) or (key[1] in ("A", "AAAA") and key[0] in hosts)
    }


def diff_rrsets(
    live: Mapping[RRsetKey, tuple[Record, ...]], planned: Mapping[RRsetKey, tuple[Record, ...]]
) -> tuple[RRsetChange, ...]:
    """The RRsets whose records or TTL differ (planned order first, then RRsets to delete)."""
    changes = []
    for key, wanted in planned.items():
        current = live.get(key, ())
        if _signature(current) != _signature(wanted):
            changes.append(RRsetChange(key[0], key[1], current, wanted))
    changes.extend(RRsetChange(key[0], key[1], current, ()) for key, current in live.items() if key not in planned)
    return tuple(changes)


def build_update(
    zone: dns.name.Name, changes: Iterable[RRsetChange], soa: Record | None = None
) -> dns.update.UpdateMessage:
    """One UPDATE carrying the smallest edit per RRset, guarded by prerequisites.

    With ``soa`` (as read by the transfer) the one prerequisite is "the SOA is exactly this", i.e. the zone
    did not change since we read it; without it, every changed RRset gets its own prerequisite.
    Records are added and deleted one by one (a whole RRset is replaced only when its TTL changes), so a
    fleet-wide change such as a removed server stays a small message.
    """
    update = dns.update.UpdateMessage(zone)
    changes = tuple(changes)
    if soa is not None:
        update.present(soa.name, _rdataset((soa,), ttl=0))
    for change in changes if soa is None else ():
        if change.old:
            update.present(change.name, _rdataset(change.old, ttl=0))  # RFC 2136 2.4.2: TTL zero
        else:
            update.absent(change.name, change.rdtype)
    for change in changes:
        _edit(update, change)
    return update


def build_updates(
    zone: dns.name.Name, changes: tuple[RRsetChange, ...], soa: Record | None = None
) -> list[dns.update.UpdateMessage]:
    """One update when it fits a DNS message; else batches of whole RRsets, each RRset with its prerequisite.

    A batch is atomic and every RRset changes all at once, so clients always see a consistent RRset; only a
    very large first rollout (e.g. 20 servers from scratch) needs more than one message.
    """
    whole = build_update(zone, changes, soa)
    if _wire_size(whole) <= MAX_MESSAGE:
        return [whole]
    batches: list[list[RRsetChange]] = [[]]
    size = 0
    for change in changes:
        cost = _wire_size(build_update(zone, (change,)))
        if batches[-1] and size + cost > BATCH_BUDGET:
            batches.append([])
            size = 0
        batches[-1].append(change)
        size += cost
    return [build_update(zone, batch) for batch in batches]


def _wire_size(update: dns.update.UpdateMessage) -> int:
    try:
        return len(update.to_wire(max_size=2**20))
    except dns.exception.TooBig:
        return 2**20


def _edit(update: dns.update.UpdateMessage, change: RRsetChange) -> None:
    if not change.new:
        update.delete(change.name, change.rdtype)
        return
    ttl = change.new[0].ttl
    if change.old and {r.ttl for r in change.old} != {ttl}:
        update.replace(change.name, _rdataset(change.new))
        return
    old, new = {r.rdata for r in change.old}, [r.rdata for r in change.new]
    gone = [rdata for rdata in old if rdata not in set(new)]
    if gone:
        update.delete(change.name, *gone)
    for rdata in new:
        if rdata not in old:
            update.add(change.name, ttl, rdata)


def plan_update(fleet: Fleet, client: DnsClient, without: str | None = None, drained: Iterable[str] = ()) -> UpdatePlan:
    """Read the live zone and diff its owned RRsets against the plan.

    ``drained`` (minion ids, a rollout's) are left out of the SRV RRsets as servers in maintenance are.
    ``without`` (a minion id) instead takes that server out of what is live (its uninstall): its own SRV
    names go and no record points at it any more; nothing else changes, nothing is added.
    """
    zone = absolute(client.settings.zone)
    planned = group(planned_records(fleet, drained))
    require_in_zone(fleet, (r for rrset in planned.values() for r in rrset), zone, "sipxha:dns:nsupdate:zone")
    hosts: frozenset[dns.name.Name] = frozenset()
    if client.settings.addresses:  # the servers' A/AAAA of the zone, kept with the SRV records
        addresses = address_records(fleet, zone)
        planned |= group(addresses)
        hosts = frozenset(record.name for record in addresses)
    records = client.transfer(zone)
    soa = next((r for r in records if r.rdtype == "SOA" and r.name == zone), None)
    live = owned_live(records, absolute(fleet.domain), fleet.srv.tls, hosts)
    if without is not None:
        server = fleet.find_server(without)
        kept = {key: tuple(r for r in rrset if not belongs_to(r, server)) for key, rrset in live.items()}
        planned = {key: rrset for key, rrset in kept.items() if rrset}
    return UpdatePlan(zone, diff_rrsets(live, planned), soa)


def apply_update(plan: UpdatePlan, client: DnsClient) -> int:
    """Send the update (see :func:`build_updates`); the number of messages sent, 0 when already in sync."""
    if plan.in_sync:
        return 0
    updates = build_updates(plan.zone, plan.changes, plan.soa)
    for sent, update in enumerate(updates):
        try:
            client.send(update)
        except DnsError as err:
            if not sent:
                raise
            raise DnsError(f"{err}; {_applied(updates[:sent], len(updates))}") from err
    return len(updates)


def _applied(sent: Sequence[dns.update.UpdateMessage], total: int) -> str:
    """What a batched update left live when a later batch failed: exactly which RRsets were replaced."""
    names = sorted({f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}" for u in sent for rrset in u.update})
    return (
        f"batches 1-{len(sent)} of {total} were applied ({len(names)} RRsets: {', '.join(names)}), the rest not; "
        "every RRset is whole, and the next run sends what is missing"
    )


def converge(
    fleet: Fleet, client: DnsClient, without: str | None = None, attempts: int = 4, drained: Iterable[str] = ()
) -> tuple[UpdatePlan, int]:
    """Plan and send the update; when another writer changed the zone meanwhile, read it again and retry.

    Several servers updating one zone at once (a fleet-wide highstate or uninstall) each win in turn.
    Returns the plan that was applied and the number of messages sent; :class:`ZoneChanged` after
    ``attempts`` lost races.
    """
    for attempt in range(1, attempts):
        plan = plan_update(fleet, client, without=without, drained=drained)
        try:
            return plan, apply_update(plan, client)
        except ZoneChanged:
            time.sleep(random.uniform(0.05, 0.3) * attempt)
    plan = plan_update(fleet, client, without=without, drained=drained)
    return plan, apply_update(plan, client)  # the last attempt: a lost race goes to the caller


def client_for(fleet: Fleet) -> DnsClient:
    if fleet.dns.nsupdate is None:
        raise PillarError("sipxha:dns:nsupdate", "is not configured")
    return DnsClient(fleet.dns.nsupdate)


def _signature(records: Iterable[Record]) -> tuple[frozenset[Any], frozenset[Any]]:
    records = tuple(records)
    return frozenset(r.rdata for r in records), frozenset(r.ttl for r in records)


def _rdataset(records: tuple[Record, ...], ttl: int | None = None) -> dns.rdataset.Rdataset:
    return dns.rdataset.from_rdata_list(records[0].ttl if ttl is None else ttl, [record.rdata for record in records])


def _texts(records: Iterable[Record]) -> list[str]:
    return [f"{record.ttl} {record.rdtype} {record.rdata_text()}" for record in records]


class _DnsErrors:
    """Turn dnspython and socket failures of ``action`` into one clear :class:`DnsError`."""

    def __init__(self, action: str, settings: NsupdateDns) -> None:
        self.action, self.settings = action, settings

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: Any, _tb: Any) -> Literal[False]:
        if err is None or not isinstance(err, (dns.exception.DNSException, OSError)):
            return False
        raise DnsError(f"{self.action} failed: {self._reason(err)}") from err

    def _reason(self, err: BaseException) -> str:
        key = self.settings.tsig.name
        if isinstance(err, (dns.tsig.PeerBadSignature, dns.tsig.BadSignature)):
            return f"BADSIG: the server rejected the TSIG key {key} (wrong secret?)"
        if isinstance(err, dns.tsig.PeerBadKey):
            return f"BADKEY: the server does not know the TSIG key {key} (name or algorithm?)"
        if isinstance(err, dns.tsig.PeerError):
            return f"the server rejected the TSIG key {key}: {err}"
        if isinstance(err, dns.exception.TooBig):
            return "the update does not fit in one DNS message (64 KiB); apply the fleet change in smaller steps"
        if isinstance(err, dns.exception.Timeout):
            return f"timed out after {self.settings.timeout}s"
        if isinstance(err, dns.xfr.TransferError):
            return f"{err} (the server must allow-transfer to key {key})"
        if isinstance(err, OSError):
            return f"cannot reach the server: {err.strerror or err}"
        return str(err) or type(err).__name__
