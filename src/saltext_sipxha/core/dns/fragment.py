"""Zone-fragment mode (``dns:zonefile:fragment``): only the HA records, in a file the site's zone ``$INCLUDE``s.

The fragment holds the planned NAPTR and SRV records and the A/AAAA records of the servers whose fqdn lies
in the SIP domain, every owner name absolute and every record with its own TTL (no ``$ORIGIN``/``$TTL``, so
the including zone's directives mean what they meant before). Validation runs ``named-checkzone`` on the
site's own zone (``dns:zonefile:including``) with its ``$INCLUDE`` of the fragment pointed at the new text,
in a private copy, before the live fragment is replaced; relative ``$INCLUDE`` paths of that zone are taken
relative to its folder. Writing, the ``.bak`` original, the reload and its retry marker are zone-file mode's
(:func:`.zonefile.apply_zonefile`).

The SOA serial lives in the site's file and stays the site's business: ``rndc reload`` makes a primary
``named`` load the changed fragment (it watches the modification time of included files too), but
secondaries only transfer a zone whose serial grew, so a site with secondaries bumps its serial (or
uses ``rndc reload`` plus ``notify``/a serial bump in its own tooling) after a change.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from saltext_sipxha.core.dns.records import address_records, planned_records, require_in_zone
from saltext_sipxha.core.dns.zonefile import Checker, ZoneChange, named_checkzone, plan_zonefile, read_text, zone_change
from saltext_sipxha.core.dns.zonetext import zone_origin
from saltext_sipxha.core.errors import DnsError, UnsafeFileError
from saltext_sipxha.core.files.atomic import atomic_write
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import ZoneFileDns

HEADER = (
    "; sipX High Availability records of {origin}, managed by Salt (saltext-sipxha): $INCLUDEd by the zone.\n"
    "; Do not edit: the next state run replaces this file.\n"
)
_INCLUDE = re.compile(r"^(\$INCLUDE[ \t]+)(\S+)(.*)$", re.MULTILINE | re.IGNORECASE)


def render_fragment(fleet: Fleet, drained: Iterable[str] = ()) -> str:
    """The fragment text: NAPTR, SRV (seed order), then the in-zone servers' addresses; names absolute."""
    origin = zone_origin(fleet)
    planned = planned_records(fleet, drained)
    require_in_zone(fleet, planned, origin, "sipxha:domain")
    records = (*planned, *address_records(fleet, origin))
    width = max(len(record.name.to_text()) for record in records)
    lines = [HEADER.format(origin=origin.to_text())]
    lines += [
        f"{record.name.to_text():<{width}} {record.ttl} IN {record.rdtype:<5} {record.rdata_text()}\n"
        for record in records
    ]
    return "".join(lines)


def plan_fragment(fleet: Fleet, path: str, drained: Iterable[str] = ()) -> ZoneChange:
    """The live fragment and the wanted one (no serial of its own: both serials are None)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise UnsafeFileError(path, "its folder does not exist")
    return zone_change(
        path, zone_origin(fleet).to_text(), read_text(target), render_fragment(fleet, drained), None, None
    )


def plan_zone(
    fleet: Fleet, path: str, today: datetime.date, check: Checker = named_checkzone
) -> tuple[ZoneChange, Checker]:
    """The change of the zone file ``path`` in the pillar's mode, and the checker that validates it: a
    fragment checked inside the including zone (``dns:zonefile:fragment``), else a whole zone."""
    settings = fleet.dns.zonefile
    if settings is not None and settings.fragment:
        return plan_fragment(fleet, path), including_checker(settings, check)
    return plan_zonefile(fleet, path, settings, today), check


def including_checker(settings: ZoneFileDns, check: Checker) -> Checker:
    """A :data:`.zonefile.Checker` for a candidate fragment: ``check`` runs on a private copy of the including
    zone whose ``$INCLUDE`` of ``settings.path`` names the candidate instead."""
    if settings.including is None:
        raise DnsError("zone-fragment mode needs sipxha:dns:zonefile:including")
    including = settings.including

    def checker(origin: str, candidate: str) -> None:
        text = read_text(Path(including))
        if text is None:
            raise UnsafeFileError(including, "does not exist: the zone that $INCLUDEs the fragment must exist first")
        rewritten, found = _point_include(text, settings.path, candidate, os.path.dirname(including))
        if not found:
            raise DnsError(f"{including} does not $INCLUDE {settings.path}: add '$INCLUDE {settings.path}' to it")
        with tempfile.TemporaryDirectory(prefix="sipxha-including-") as folder:
            zone = os.path.join(folder, "zone")
            atomic_write(zone, rewritten.encode("utf-8"), mode=0o600)
            check(origin, zone)

    return checker


def _point_include(text: str, fragment: str, candidate: str, base: str) -> tuple[str, bool]:
    """``text`` with its ``$INCLUDE`` of ``fragment`` naming ``candidate`` and relative includes made absolute."""
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        named = match.group(2).strip('"')
        resolved = named if os.path.isabs(named) else os.path.normpath(os.path.join(base, named))
        if resolved == os.path.normpath(fragment):
            found = True
            resolved = candidate
        return f"{match.group(1)}{resolved}{match.group(3)}"

    return _INCLUDE.sub(replace, text), found
