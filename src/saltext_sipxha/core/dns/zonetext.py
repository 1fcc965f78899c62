"""A BIND master file for the SIP domain: SOA, NS, the planned SRV/NAPTR records and the servers' addresses.

Zone-file mode writes a **whole zone** (not a fragment): the SOA serial must change whenever the records do,
and only a file that holds the SOA can bump it. The administrator's other records of the domain (MX, web,
...) go in their own file, named by ``dns:zonefile:include``; the zone ``$INCLUDE``s it at the end, and its
SHA-256 is part of the zone text, so editing it bumps the serial on the next run too. ``named-checkzone``
always validates the effective zone (include and all) before the live file is replaced.

The zone holds A/AAAA records for every server whose fqdn lies in the zone (SRV targets must resolve;
the HA Setup guide's listing leaves them implicit) and for in-zone name servers with an address in
``dns:zonefile:nameservers``
(default: the ``dns:zonefile:minion``, as ``<minion>.<domain>`` unless it is a sipX server of the fleet;
without ``dns:zonefile``, the master).
Do not repeat those address records in the include. Order is deterministic: SOA, NS, addresses, NAPTR,
SRV in the HA Setup guide's order.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdatatype
import dns.zone
from dns.rdtypes.ANY.NS import NS
from dns.rdtypes.ANY.SOA import SOA

from saltext_sipxha.core.dns.records import (
    IN,
    Record,
    absolute,
    address_record,
    address_records,
    planned_records,
    require_in_zone,
)
from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import ZoneFileDns

REFRESH, RETRY, EXPIRE, MINIMUM = 3600, 900, 1209600, 300  #: SOA timers (RFC 1912 section 2.2)
MAX_SERIAL = 2**32 - 1
HEADER = (
    "; Zone {origin} -- sipX High Availability DNS records, managed by Salt (saltext-sipxha).\n"
    "; Do not edit: the next state run replaces this file. Put other records in dns:zonefile:include.\n"
)
WITHDRAWN_HEADER = (
    "; Zone {origin} -- left by sipxha.uninstall without the sipX High Availability records.\n"
    "; No longer managed by Salt: edit it, or remove it from named.conf.\n"
)
_TTL = re.compile(r"[0-9]+|(?:[0-9]+[wdhms])+", re.IGNORECASE)  #: a BIND TTL, in seconds or with units
_CLASS = re.compile(r"IN|CH|CHAOS|HS|HESIOD|CLASS[0-9]+", re.IGNORECASE)
_SERIAL = re.compile(r"[0-9]+")
_INCLUDE = re.compile(r"^\$INCLUDE\b.*$", re.MULTILINE | re.IGNORECASE)  #: not followed when reading the serial


def zone_origin(fleet: Fleet) -> dns.name.Name:
    return absolute(fleet.domain)


def nameservers(fleet: Fleet, settings: ZoneFileDns | None) -> tuple[tuple[str, str | None], ...]:
    """The zone's NS names and addresses: from the pillar, else the zone-file minion (else the master)."""
    if settings is not None and settings.nameservers:
        return settings.nameservers
    minion = settings.minion if settings is not None else fleet.master.minion_id
    server = fleet.get_server(minion)
    if server is not None:
        return ((server.fqdn, server.address),)
    return ((minion if "." in minion else f"{minion}.{fleet.domain}", None),)


def zone_records(
    fleet: Fleet, settings: ZoneFileDns | None = None, drained: Iterable[str] = (), *, ha: bool = True
) -> tuple[Record, ...]:
    """Every record of the zone except the SOA, in file order (``drained`` servers left out of SRV RRsets);
    without ``ha`` only the NS records and the name servers' addresses (the zone uninstall leaves)."""
    origin, ttl = zone_origin(fleet), fleet.srv.ttl
    servers = nameservers(fleet, settings)
    records = [Record(origin, ttl, NS(IN, dns.rdatatype.NS, absolute(name))) for name, _ in servers]
    addresses = list(address_records(fleet, origin)) if ha else []
    known = {record.name for record in addresses}
    for name, address in servers:
        host = absolute(name)
        if host.is_subdomain(origin) and host not in known:
            if address is None and (settings is None or settings.include is None):
                key = "sipxha:dns:zonefile:nameservers"
                raise PillarError(key, f"{name} lies in the zone {origin} and needs an address")
            if address is not None:
                addresses.append(address_record(host, ttl, address))
    if not ha:
        return tuple(records + addresses)
    planned = planned_records(fleet, drained)
    require_in_zone(fleet, planned, origin, "sipxha:domain")
    return tuple(records + addresses) + planned


def soa_record(fleet: Fleet, settings: ZoneFileDns | None, serial: int) -> Record:
    origin = zone_origin(fleet)
    mname = absolute(nameservers(fleet, settings)[0][0])
    rname = dns.name.from_text("hostmaster", origin=origin)
    soa = SOA(IN, dns.rdatatype.SOA, mname, rname, serial, REFRESH, RETRY, EXPIRE, MINIMUM)
    return Record(origin, fleet.srv.ttl, soa)


@dataclass(frozen=True)
class ZoneText:
    """A zone's master file rendered once, its SOA serial left open: :meth:`text` fills it in."""

    head: str  #: the header comment, ``$ORIGIN`` and ``$TTL``
    soa: Record  #: the SOA record (its serial is replaced by :meth:`text`'s)
    width: int  #: the owner column's width
    tail: str  #: every line after the SOA's (the other records and the ``$INCLUDE``)

    def text(self, serial: int) -> str:
        """The master file text with SOA serial ``serial``."""
        if not 0 <= serial <= MAX_SERIAL:
            raise ValueError(f"SOA serial {serial} out of range")
        soa = Record(self.soa.name, self.soa.ttl, self.soa.rdata.replace(serial=serial))
        return self.head + _line("@", soa, self.width) + self.tail


def zone_text(
    fleet: Fleet,
    settings: ZoneFileDns | None = None,
    include_digest: str | None = None,
    drained: Iterable[str] = (),
    *,
    ha: bool = True,
) -> ZoneText:
    """The zone rendered once for any serial; ``include_digest`` is the SHA-256 of the include file (when there
    is one); ``drained`` servers are left out of the SRV RRsets (see :func:`.records.planned_records`); without
    ``ha``, the zone without the HA records that uninstall leaves (:func:`zone_records`)."""
    origin = zone_origin(fleet)
    records = zone_records(fleet, settings, drained, ha=ha)
    owners = [record.name.relativize(origin).to_text() for record in records]
    width = max(len(owner) for owner in ["@", *owners])
    head = (HEADER if ha else WITHDRAWN_HEADER).format(
        origin=origin.to_text()
    ) + f"$ORIGIN {origin.to_text()}\n$TTL {fleet.srv.ttl}\n"
    lines = [_line(owner, record, width) for owner, record in zip(owners, records, strict=True)]
    if settings is not None and settings.include is not None:
        lines.append(f"\n; {settings.include} sha256 {include_digest or 'missing'}\n")
        lines.append(f"$INCLUDE {settings.include}\n")
    return ZoneText(head, soa_record(fleet, settings, 0), width, "".join(lines))


def _line(owner: str, record: Record, width: int) -> str:
    return f"{owner:<{width}} {record.ttl} IN {record.rdtype:<5} {record.rdata_text()}\n"


def render_zone(
    fleet: Fleet,
    serial: int,
    settings: ZoneFileDns | None = None,
    include_digest: str | None = None,
    drained: Iterable[str] = (),
    *,
    ha: bool = True,
) -> str:
    """The master file text with SOA serial ``serial`` (:func:`zone_text` for the arguments)."""
    return zone_text(fleet, settings, include_digest, drained, ha=ha).text(serial)


def soa_serial(text: str, origin: dns.name.Name) -> int | None:
    """The SOA serial of the master file ``text`` of the zone ``origin``, read by dnspython (``$INCLUDE`` not
    followed); None when it has no SOA or dnspython cannot read it (the administrator's file before ours).
    CRLF line ends are read as BIND reads them (dnspython before 2.9 takes the CR for a TTL unit)."""
    try:
        lines = _INCLUDE.sub("", text).replace("\r\n", "\n")
        zone = dns.zone.from_text(lines, origin=origin, relativize=False, check_origin=False)
        return int(zone.get_soa().serial)
    except dns.exception.DNSException:
        return None


def with_serial(text: str, serial: int, origin: dns.name.Name) -> str | None:
    """``text`` with its SOA serial replaced by ``serial``, every other byte kept (comments, spacing,
    parentheses); None when that cannot be done safely (no SOA in the file itself, e.g. it is ``$INCLUDE``d,
    or dnspython does not read ``serial`` from the result as the SOA serial of ``origin``)."""
    live = soa_serial(text, origin)
    for start, end in _soa_serial_spans(text):
        if int(text[start:end]) != live:
            continue
        rewritten = f"{text[:start]}{serial}{text[end:]}"
        if soa_serial(rewritten, origin) == serial:
            return rewritten
    return None


def _soa_serial_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the serial of each SOA record of the master file ``text`` is: ``[owner] [ttl] [class] SOA mname
    rname serial``, TTL and class in either order, the owner omitted on a line that starts with a blank."""
    for has_owner, tokens in _entries(text):
        if tokens[0][1].startswith("$"):
            continue
        rest = tokens[1:] if has_owner else tokens
        for _ in range(2):  # a TTL and a class
            if rest and (_TTL.fullmatch(rest[0][1]) or _CLASS.fullmatch(rest[0][1])):
                rest = rest[1:]
        if len(rest) > 3 and rest[0][1].upper() == "SOA" and _SERIAL.fullmatch(rest[3][1]):
            start, word = rest[3]
            yield start, start + len(word)


def _entries(text: str) -> Iterator[tuple[bool, list[tuple[int, str]]]]:
    """Each entry (record or ``$`` directive) of a master file, lexed as BIND does (RFC 1035 section 5.1):
    whether it starts with an owner, and its tokens (where each starts, its text). ``;`` comments, ``"``
    strings and ``\\`` escapes are skipped over, ``( )`` continue an entry over lines; stops at an unbalanced
    ``)``."""
    tokens: list[tuple[int, str]] = []
    has_owner, depth, index, size = False, 0, 0, len(text)
    line_start = True
    while index < size:
        char = text[index]
        if line_start and depth == 0:
            has_owner, line_start = char not in " \t\r\n", False
        if char == "\n":
            line_start = depth == 0
            if line_start and tokens:
                yield has_owner, tokens
                tokens = []
            index += 1
        elif char in " \t\r":
            index += 1
        elif char == ";":
            newline = text.find("\n", index)
            index = size if newline < 0 else newline
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                return
            index += 1
        else:
            start = index
            index = _token_end(text, index)
            tokens.append((start, text[start:index]))
    if tokens:
        yield has_owner, tokens


def _token_end(text: str, index: int) -> int:
    """Where the token (a word or a ``"`` string) starting at ``index`` ends."""
    quoted = text[index] == '"'
    index += quoted
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif quoted and char == '"':
            return index + 1
        elif not quoted and char in ' \t\r\n;()"':
            return index
        else:
            index += 1
    return len(text)


def next_serial(live: int | None, today: datetime.date) -> int:
    """A date serial ``YYYYMMDDnn`` when it is ahead of ``live``, else ``live + 1`` (RFC 1982 wrap)."""
    dated = int(today.strftime("%Y%m%d")) * 100
    if live is None:
        return dated
    candidate = max(dated, live + 1)
    return candidate if candidate <= MAX_SERIAL else (live + 1) % (MAX_SERIAL + 1)
