"""Zone-file mode: compare the live zone file with the plan, validate, replace atomically, reload.

Side effects are explicit: :func:`plan_zonefile` only reads, :func:`apply_zonefile` writes through
:mod:`.files.change` after the injected ``check`` accepted the new text (default :func:`named_checkzone`), and
runs the injected ``reload`` only when the file changed. A text that fails validation never replaces the
live file. The SOA serial changes only when the records (or the include file) change.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.dns.zonetext import ZoneText, next_serial, soa_serial, zone_origin, zone_text
from saltext_sipxha.core.errors import DnsError, UnsafeFileError
from saltext_sipxha.core.files.atomic import atomic_write, remove
from saltext_sipxha.core.files.change import FileChange, apply_changes, read_file
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import ZoneFileDns

Checker = Callable[[str, str], None]  #: (zone origin, path of a candidate file) -> raises DnsError
COMMAND_TIMEOUT = 60
RELOAD_SUFFIX = ".sipxha-reload"  #: marker of a written zone whose reload has not succeeded yet


@dataclass(frozen=True)
class ZoneChange:
    """What zone-file mode would do to ``path``: the planned write of the file, and its serials."""

    file: FileChange  #: the one planned-write type (the changed-on-disk guard applies to it)
    origin: str
    old_serial: int | None
    new_serial: int | None  #: None for a zone fragment (:mod:`.fragment`): the SOA is in the site's file

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def old(self) -> str | None:
        """The live text (None: no file yet)."""
        return None if self.file.old is None else self.file.old.decode("utf-8")

    @property
    def new(self) -> str:
        """The wanted text (equal to ``old`` when nothing changes)."""
        return (self.file.new or b"").decode("utf-8")

    @property
    def changed(self) -> bool:
        return self.file.changed

    def diff(self) -> str:
        return self.file.diff()


def zone_change(path: str, origin: str, old: str | None, new: str, *serials: int | None) -> ZoneChange:
    """The :class:`ZoneChange` of ``path`` from the live text ``old`` (None: absent) to ``new``, with
    ``(old_serial, new_serial)``."""
    encoded = None if old is None else old.encode("utf-8")
    old_serial, serial = serials
    return ZoneChange(FileChange(path, encoded, new.encode("utf-8")), origin, old_serial, serial)


def plan_zonefile(
    fleet: Fleet, path: str, settings: ZoneFileDns | None, today: datetime.date, drained: Iterable[str] = ()
) -> ZoneChange:
    """Read the live file and work out the new text; the serial moves only when the content does.

    ``drained`` servers (a rollout's) are left out of the SRV RRsets, as servers in maintenance are.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise UnsafeFileError(path, "its folder does not exist")
    old = read_text(target)
    zone, origin = wanted_zone(fleet, settings, drained), zone_origin(fleet)  # rendered once
    live_serial = soa_serial(old, origin) if old is not None else None
    if live_serial is not None and zone.text(live_serial) == old:
        return zone_change(path, origin.to_text(), old, old, live_serial, live_serial)
    serial = next_serial(live_serial, today)
    return zone_change(path, origin.to_text(), old, zone.text(serial), live_serial, serial)


def wanted_zone(fleet: Fleet, settings: ZoneFileDns | None, drained: Iterable[str] = ()) -> ZoneText:
    """The zone zone-file mode writes, rendered once for any serial (the include file's SHA-256 read here)."""
    digest = file_digest(settings.include) if settings is not None and settings.include else None
    return zone_text(fleet, settings, digest, drained)


def validate(change: ZoneChange, check: Checker) -> None:
    """Run ``check`` on the new text in a private temporary file (the live file is not touched)."""
    with tempfile.TemporaryDirectory(prefix="sipxha-zone-") as folder:
        candidate = os.path.join(folder, "zone")
        atomic_write(candidate, change.new.encode("utf-8"), mode=0o600)
        check(change.origin, candidate)


def reload_marker(path: str | os.PathLike[str]) -> Path:
    """The marker saying that the zone file at ``path`` was written but the DNS server has not loaded it yet."""
    path = Path(path)
    return path.with_name(path.name + RELOAD_SUFFIX)


def reload_pending(path: str | os.PathLike[str]) -> bool:
    """True when an earlier run wrote the zone file and its reload failed (or never ran)."""
    return reload_marker(path).exists()


def apply_zonefile(change: ZoneChange, check: Checker, reload: Callable[[], None] | None) -> bool:
    """Validate, back up the original once, replace atomically and reload; False when nothing was done.

    With a ``reload``, a marker (:func:`reload_marker`) is left from before the write until the reload
    succeeds, so that a failed (or interrupted) reload is run again by the next call even though the
    file itself is then already up to date.
    """
    marker = reload_marker(change.path)
    if change.changed:
        validate(change, check)
        if reload is not None:
            atomic_write(marker, b"", mode=0o600)
        apply_changes([change.file])
    elif reload is None or not marker.exists():
        return False
    if reload is not None:
        reload()
        remove(marker)
    return True


def named_checkzone(origin: str, path: str, binary: str = "named-checkzone") -> None:
    """``named-checkzone -k fail -S fail``: integrity, name and SRV-target checks all fatal."""
    argv = [binary, "-q", "-k", "fail", "-n", "fail", "-S", "fail", "-M", "fail", origin, path]
    result = _run(argv)
    if result.returncode != 0:
        verbose = _run([a for a in argv if a != "-q"])
        raise DnsError(f"named-checkzone rejected the zone {origin}: {_tail(verbose)}")


def command_reloader(command: str) -> Callable[[], None]:
    """A reload callable running ``command`` (e.g. ``rndc reload example.com``) without a shell."""

    def reload() -> None:
        result = _run(shlex.split(command))
        if result.returncode != 0:
            raise DnsError(f"reload command {command!r} failed ({result.returncode}): {_tail(result)}")

    return reload


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    except FileNotFoundError as err:
        raise DnsError(f"{argv[0]}: command not found") from err
    except subprocess.TimeoutExpired as err:
        raise DnsError(f"{argv[0]} did not finish within {COMMAND_TIMEOUT}s") from err


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stdout + result.stderr).strip().splitlines()
    return " | ".join(text[-6:]) or "(no output)"


def read_text(path: Path) -> str | None:
    data = read_file(path)
    try:
        return None if data is None else data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnsafeFileError(str(path), f"is not a text zone file: {err}") from err


def file_digest(path: str) -> str | None:
    """SHA-256 of the file at ``path`` (the include's, part of the zone text), None when it does not exist."""
    data = read_file(path)
    return None if data is None else hashlib.sha256(data).hexdigest()
