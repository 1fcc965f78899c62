"""The CA's index of issued certificates: one record file per serial, so a signature costs the same at any size.

Layout in the CA directory (all 0700/0600):

- ``issued/<serial>.json``: one record per certificate, created with ``O_EXCL`` (a serial is never reused)
  and fsynced; a revocation rewrites only that record.
- ``minions/<quoted id>.log``: the serials issued to one minion, one per line, append-only (the rate
  limit and ``revoke minion=`` read only that minion's lines).
- ``allow/<quoted id>``: a one-time permission from the admin to sign despite the rate limit.

A version 1 ``index.json`` (one JSON document rewritten per signature) is migrated on first use and kept
as ``index.json.migrated``. Writers hold :meth:`IssuedIndex.locked`.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.files.atomic import atomic_write, fsync_dir, make_folder
from saltext_sipxha.core.pki.keys import public_der
from saltext_sipxha.core.pki.names import names_of

INDEX_VERSION = 1
LEGACY_INDEX = "index.json"


def key_id(public_key: object) -> str:
    """SHA-256 of a public key's DER SubjectPublicKeyInfo, hex: how a record names the certified key."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public_der(public_key))  # type: ignore[arg-type]
    return digest.finalize().hex()


@dataclass(frozen=True)
class IssuedCert:
    """One certificate the CA signed."""

    serial: str  #: lowercase hex, as ``openssl x509 -serial`` prints it (without leading zeros)
    minion: str
    names: tuple[str, ...]
    not_before: str  #: ISO 8601, UTC
    not_after: str
    fingerprint: str  #: SHA-256 of the DER, hex
    revoked_at: str | None = None
    key: str = ""  #: :func:`key_id` of the certified key ("" in records migrated from index.json)
    issued_at: str = ""  #: when the CA signed it (ISO 8601, microseconds): the order of ``status``

    @classmethod
    def of(cls, cert: x509.Certificate, minion: str, when: datetime.datetime | None = None) -> IssuedCert:
        return cls(
            serial=f"{cert.serial_number:x}",
            minion=minion,
            names=tuple(sorted(names_of(cert))),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
            key=key_id(cert.public_key()),
            issued_at=(when or datetime.datetime.now(datetime.timezone.utc)).isoformat(),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssuedCert:
        known = {field.name for field in fields(cls)}
        return cls(**({k: v for k, v in data.items() if k in known} | {"names": tuple(data["names"])}))

    def expired(self, now: datetime.datetime) -> bool:
        return datetime.datetime.fromisoformat(self.not_after) <= now

    def due(self, now: datetime.datetime, renew_days: int) -> bool:
        """Within ``renew_days`` of expiry (the minion may ask for its successor)."""
        return datetime.datetime.fromisoformat(self.not_after) - now <= datetime.timedelta(days=renew_days)

    def revoked(self, when: datetime.datetime) -> IssuedCert:
        return self if self.revoked_at else replace(self, revoked_at=when.isoformat())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"names": list(self.names)}


class IssuedIndex:
    """The issued certificates of the CA in ``directory``; use :meth:`locked` around every change."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.records, self.minions, self.allowed = directory / "issued", directory / "minions", directory / "allow"
        self.legacy = directory / LEGACY_INDEX
        self.lock_path = directory / ".lock"

    @property
    def parts(self) -> tuple[Path, ...]:
        """What a replaced CA moves aside (its index, in every format)."""
        return self.legacy, self.records, self.minions, self.allowed

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise writers (two minions asking at once are signed one after the other)."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._migrate()
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # --- reading ---------------------------------------------------------------------------
    def get(self, serial: str) -> IssuedCert | None:
        path = self._record(serial)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise PkiError(f"{path}: unreadable CA index record ({err.strerror})") from err
        try:
            return IssuedCert.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError) as err:
            raise PkiError(f"{path}: malformed CA index record ({err})") from err

    def of_minion(self, minion: str) -> list[IssuedCert]:
        """Every certificate issued to ``minion``, oldest first."""
        try:
            lines = self._minion_log(minion).read_text(encoding="ascii").split()
        except FileNotFoundError:
            lines = []
        found = (self.get(serial) for serial in dict.fromkeys(lines))
        return [entry for entry in found if entry is not None]

    def load(self) -> list[IssuedCert]:
        """Every issued certificate, in the order they were signed (reads every record: for reports)."""
        entries = [entry for entry in (self.get(path.stem) for path in self.records.glob("*.json")) if entry]
        if self.legacy.exists():  # not migrated yet (no writer since the upgrade)
            known = {entry.serial for entry in entries}
            entries += [entry for entry in _read_legacy(self.legacy) if entry.serial not in known]
        return sorted(entries, key=lambda entry: (entry.issued_at or entry.not_before, entry.serial))

    # --- writing (under locked()) ----------------------------------------------------------
    def add(self, entry: IssuedCert) -> None:
        """Record a new certificate: its record (refused if the serial exists), then the minion's log line."""
        self._folders()
        data = json.dumps(entry.to_dict(), sort_keys=True).encode() + b"\n"
        try:
            fd = os.open(self._record(entry.serial), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            raise PkiError(f"serial {entry.serial} was already issued by this CA") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(self.records)
        _append_line(self._minion_log(entry.minion), entry.serial)

    def update(self, entry: IssuedCert) -> None:
        """Rewrite an existing record (a revocation)."""
        atomic_write(self._record(entry.serial), json.dumps(entry.to_dict(), sort_keys=True).encode() + b"\n", 0o600)

    def allow(self, minion: str) -> None:
        """Let ``minion`` get one certificate despite the rate limit (the admin's ``sipxha_ca.allow``)."""
        self._folders()
        atomic_write(self.allowed / quote(minion, safe=""), b"", mode=0o600)

    def take_allowance(self, minion: str) -> bool:
        """Use up ``minion``'s one-time permission; False when it had none."""
        try:
            (self.allowed / quote(minion, safe="")).unlink()
        except FileNotFoundError:
            return False
        return True

    # --- internals -------------------------------------------------------------------------
    def _record(self, serial: str) -> Path:
        if not serial or any(c not in "0123456789abcdef" for c in serial):
            raise PkiError(f"not a serial number: {serial!r} (hex digits)")
        return self.records / f"{serial}.json"

    def _minion_log(self, minion: str) -> Path:
        return self.minions / f"{quote(minion, safe='')}.log"

    def _folders(self) -> None:
        for folder in (self.records, self.minions, self.allowed):
            make_folder(folder, mode=0o700)

    def _migrate(self) -> None:
        """Turn a version 1 ``index.json`` into records (once; the file is kept as ``index.json.migrated``)."""
        if not self.legacy.exists():
            return
        for entry in _read_legacy(self.legacy):
            if self.get(entry.serial) is None:
                self.add(entry)
        os.replace(self.legacy, self.legacy.with_name(LEGACY_INDEX + ".migrated"))
        fsync_dir(self.dir)


def _read_legacy(path: Path) -> list[IssuedCert]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PkiError(f"{path}: unreadable CA index ({err})") from err
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        raise PkiError(f"{path}: not a version {INDEX_VERSION} sipxha CA index")
    try:
        return [IssuedCert.from_dict(entry) for entry in data["certificates"]]
    except (KeyError, TypeError) as err:
        raise PkiError(f"{path}: malformed entry ({err})") from err


def _append_line(path: Path, line: str) -> None:
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, f"{line}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
