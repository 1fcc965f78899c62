"""nsupdate mode: make the live SRV/NAPTR RRsets equal the plan with one RFC 2136 update over TCP with TSIG.

What we own: the RRsets :func:`.srv.is_owned` recognises (``_sip._tcp``/``_sip._udp`` at the domain and under
``sipxregistrar<i>``, ``sipxauthproxy<i>``, ``rr.*``, ``ap.*``; NAPTR at the domain). The live zone is read by
AXFR with the same key (the server needs ``allow-transfer { key <name>; };`` next to ``allow-update``), so the
records of servers that left the pillar are found and deleted; nothing else of the zone is ever touched.

Each changed RRset gets a prerequisite (RFC 2136 section 2.4): "exists with exactly these records" or "does not
exist". The server applies the whole update or nothing, and refuses it when the zone moved since we read it.
When live DNS already matches the plan, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataset
import dns.tsig
import dns.update
import dns.xfr
import dns.zone

from .errors import DnsError, PillarError
from .plan import Fleet
from .settings import NsupdateDns
from .srv import Record, absolute, group, is_owned, planned_records, require_in_zone

RRsetKey = tuple[dns.name.Name, str]
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
        with _errors(f"zone transfer of {zone} from {self.where}", self.settings):
            dns.query.inbound_xfr(
                self.settings.server, live, query, port=self.settings.port, timeout=self.settings.timeout,
                lifetime=self.settings.timeout,
            )  # fmt: skip
        return [Record(name, rdataset.ttl, rdata) for name, rdataset in live.iterate_rdatasets() for rdata in rdataset]

    def send(self, update: dns.update.UpdateMessage) -> None:
        """Send ``update``; :class:`DnsError` unless the server answers NOERROR."""
        update.use_tsig(self.key)
        with _errors(f"update of {update.zone[0].name} at {self.where}", self.settings):
            response = dns.query.tcp(
                update, self.settings.server, port=self.settings.port, timeout=self.settings.timeout
            )
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == "NOERROR":
            return
        if rcode in _PREREQ_FAILED:
            raise DnsError(f"{self.where}: the zone changed while we planned ({rcode}); nothing applied, run again")
        if rcode == "REFUSED":
            raise DnsError(f"{self.where} REFUSED the update: allow-update for key {self.settings.tsig.name}?")
        raise DnsError(f"{self.where} rejected the update with {rcode}; nothing applied")


def owned_live(records: Iterable[Record], domain: dns.name.Name) -> dict[RRsetKey, tuple[Record, ...]]:
    """The live RRsets this extension owns."""
    return {key: rrset for key, rrset in group(records).items() if is_owned(key[0], key[1], domain)}


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


def build_update(zone: dns.name.Name, changes: Iterable[RRsetChange]) -> dns.update.UpdateMessage:
    """One UPDATE: a prerequisite and a replace/delete for every changed RRset."""
    update = dns.update.UpdateMessage(zone)
    for change in changes:
        if change.old:
            update.present(change.name, _rdataset(change.old, ttl=0))  # RFC 2136 2.4.2: TTL zero
        else:
            update.absent(change.name, change.rdtype)
        if change.new:
            update.replace(change.name, _rdataset(change.new))
        else:
            update.delete(change.name, change.rdtype)
    return update


def plan_update(fleet: Fleet, client: DnsClient) -> UpdatePlan:
    """Read the live zone and diff its owned RRsets against the plan."""
    zone = absolute(client.settings.zone)
    planned = planned_records(fleet)
    require_in_zone(planned, zone, "sipxha:dns:nsupdate:zone")
    live = owned_live(client.transfer(zone), absolute(fleet.domain))
    return UpdatePlan(zone, diff_rrsets(live, group(planned)))


def apply_update(plan: UpdatePlan, client: DnsClient) -> bool:
    """Send the one atomic update; False (and nothing sent) when already in sync."""
    if plan.in_sync:
        return False
    client.send(build_update(plan.zone, plan.changes))
    return True


def client_for(fleet: Fleet) -> DnsClient:
    if fleet.dns.nsupdate is None:
        raise PillarError("sipxha:dns:nsupdate", "is not configured")
    return DnsClient(fleet.dns.nsupdate)


def _signature(records: Iterable[Record]) -> tuple[frozenset, frozenset]:
    records = tuple(records)
    return frozenset(r.rdata for r in records), frozenset(r.ttl for r in records)


def _rdataset(records: tuple[Record, ...], ttl: int | None = None) -> dns.rdataset.Rdataset:
    return dns.rdataset.from_rdata_list(records[0].ttl if ttl is None else ttl, [record.rdata for record in records])


def _texts(records: Iterable[Record]) -> list[str]:
    return [f"{record.ttl} {record.rdtype} {record.rdata_text()}" for record in records]


class _errors:
    """Turn dnspython and socket failures of ``action`` into one clear :class:`DnsError`."""

    def __init__(self, action: str, settings: NsupdateDns) -> None:
        self.action, self.settings = action, settings

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: Any, _tb: Any) -> bool:
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
        if isinstance(err, dns.exception.Timeout):
            return f"timed out after {self.settings.timeout}s"
        if isinstance(err, dns.xfr.TransferError):
            return f"{err} (the server must allow-transfer to key {key})"
        if isinstance(err, OSError):
            return f"cannot reach the server: {err.strerror or err}"
        return str(err) or type(err).__name__
