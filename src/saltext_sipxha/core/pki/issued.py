"""The CA's index of issued certificates (``index.json``), read and written under a lock."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.files.atomic import atomic_write
from saltext_sipxha.core.pki.names import names_of

INDEX_VERSION = 1


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

    @classmethod
    def of(cls, cert: x509.Certificate, minion: str) -> IssuedCert:
        return cls(
            serial=f"{cert.serial_number:x}",
            minion=minion,
            names=tuple(sorted(names_of(cert))),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        )

    def expired(self, now: datetime.datetime) -> bool:
        return datetime.datetime.fromisoformat(self.not_after) <= now

    def revoked(self, when: datetime.datetime) -> IssuedCert:
        return self if self.revoked_at else replace(self, revoked_at=when.isoformat())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"names": list(self.names)}


class IssuedIndex:
    """``index.json`` in the CA directory; use :meth:`locked` around read-modify-write."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "index.json"
        self.lock_path = directory / ".lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise writers (two minions asking at once are signed one after the other)."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def load(self) -> list[IssuedCert]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            raise PkiError(f"{self.path}: unreadable CA index ({err})") from err
        if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
            raise PkiError(f"{self.path}: not a version {INDEX_VERSION} sipxha CA index")
        try:
            return [IssuedCert(**(entry | {"names": tuple(entry["names"])})) for entry in data["certificates"]]
        except (KeyError, TypeError) as err:
            raise PkiError(f"{self.path}: malformed entry ({err})") from err

    def save(self, entries: list[IssuedCert]) -> None:
        data = {"version": INDEX_VERSION, "certificates": [entry.to_dict() for entry in entries]}
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode() + b"\n", mode=0o600)

    def serials(self) -> set[str]:
        return {entry.serial for entry in self.load()}
