"""Uninstall in zone-file mode: the zone (or fragment) without the sipX HA records, and the DNS server reloaded.

sipxha's first write of ``dns:zonefile:path`` kept the original (``<path>.bak``) or a marker that there was
none (``<path>.sipxha-new``), as for every file it writes (:func:`.files.atomic.backup_once`). Uninstall:

- **an original was kept**: it is restored byte for byte with its mode, except, in a whole zone, its SOA
  serial, which is moved past the live one when it is not already ahead (secondaries transfer only a zone
  whose serial grew; a primary would serve it anyway). Only the serial token changes, in any BIND form of
  the SOA (TTL with a unit, class before or after it, owner omitted, over several lines in parentheses with
  comments: :func:`.zonetext.with_serial`). When that cannot be done (its SOA is not in the file itself,
  e.g. in an ``$INCLUDE``, or in generic ``TYPE6 \\# ...`` form), uninstall refuses before any change,
  naming the backup and the serial it needs: restoring it as it is would leave the secondaries serving the
  HA records;
- **sipxha created the file** (``named.conf`` still names it, so removing it would make the zone fail to
  load): a whole zone is rewritten without the HA records (SOA with the next serial, NS, the name servers'
  addresses, the ``dns:zonefile:include``), a fragment becomes a file of comments only (the site's zone still
  ``$INCLUDE``s it); the file is the administrator's from then on.

The result is validated as zone-file mode validates (``named-checkzone``, for a fragment on the including
zone) before it replaces the live file, the backup or marker is dropped and the reload runs, with zone-file
mode's retry marker (:func:`.zonefile.apply_zonefile`): a second uninstall changes nothing, or only retries a
failed reload.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import NoReturn

from saltext_sipxha.core.dns.zonefile import ZoneChange, file_digest, read_text, reload_pending, zone_change
from saltext_sipxha.core.dns.zonetext import next_serial, render_zone, soa_serial, with_serial, zone_origin
from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import backup_mode, backup_path, discard_backup, has_backup, has_marker
from saltext_sipxha.core.files.change import FileChange, read_backup
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import ZoneFileDns

WITHDRAWN_FRAGMENT = (
    "; sipX High Availability records of {origin}: none any more (sipxha.uninstall).\n"
    "; No longer managed by Salt: remove its $INCLUDE from the zone, then this file.\n"
)


def plan_withdraw(fleet: Fleet, settings: ZoneFileDns, today: datetime.date) -> ZoneChange | None:
    """What uninstall writes to ``settings.path``: unchanged when only an earlier reload is still to run;
    None when sipxha left nothing there (no backup, marker or pending reload)."""
    path = Path(settings.path)
    live, name = read_text(path), zone_origin(fleet)
    origin = name.to_text()
    if has_backup(path):
        new, mode = _original(path), backup_mode(path)
    elif has_marker(path):
        new, mode = _without_ha(fleet, settings, today), None
    elif live is not None and settings.reload and reload_pending(path):
        serial = None if settings.fragment else soa_serial(live, name)
        return zone_change(str(path), origin, live, live, serial, serial)
    else:
        return None
    old_serial = None if settings.fragment or live is None else soa_serial(live, name)
    new_serial = None if settings.fragment else soa_serial(new, name)
    if old_serial is not None and (new_serial is None or new_serial <= old_serial):
        bumped = next_serial(old_serial, today)
        new = with_serial(new, bumped, name) or _no_newer_serial(path, old_serial, new_serial, bumped)
        new_serial = bumped
    old = None if live is None else live.encode("utf-8")
    file = FileChange(str(path), old, new.encode("utf-8"), mode, backup=False)
    return ZoneChange(file, origin, old_serial, new_serial)


def _original(path: Path) -> str:
    try:
        return (read_backup(path) or b"").decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnsafeFileError(str(backup_path(path)), f"is not a text zone file: {err}") from None


def _no_newer_serial(path: Path, live: int, original: int | None, needed: int) -> NoReturn:
    """Refuse to restore an original whose SOA serial cannot be moved past the live one (nothing changed)."""
    if original is None:
        why = "has no SOA record sipxha can read (none in the file itself, e.g. it is $INCLUDEd)"
    else:
        why = (
            f"has the SOA serial {original}, not past the live {live}, in a form sipxha does not rewrite (e.g."
            " generic 'TYPE6 \\# ...' RDATA)"
        )
    raise UnsafeFileError(
        str(backup_path(path)),
        f"the original of {path} {why}: restored as it is, secondaries would not transfer it and would keep"
        f" serving the sipX HA records. Nothing was changed. Set the SOA serial in this file to {needed} or more"
        f" (or put the zone back by hand with a serial above {live}, remove this file and reload the DNS server),"
        " then run sipxha.uninstall again",
    )


def _without_ha(fleet: Fleet, settings: ZoneFileDns, today: datetime.date) -> str:
    origin = zone_origin(fleet).to_text()
    if settings.fragment:
        return WITHDRAWN_FRAGMENT.format(origin=origin)
    digest = file_digest(settings.include) if settings.include else None
    return render_zone(fleet, next_serial(None, today), settings, digest, ha=False)


def forget(settings: ZoneFileDns) -> None:
    """Drop the zone file's backup or marker once the restored text is in place (the file is not sipxha's now)."""
    discard_backup(settings.path)
