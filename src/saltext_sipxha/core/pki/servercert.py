"""The minion side: a sipX server's own key and certificate in sipX's SSL layout.

``<ssl>/ssl.key`` (0600, generated here, never sent anywhere), ``<ssl>/ssl.crt``, and
``<ssl>/authorities/<ca_name>.crt`` with its OpenSSL hash links ``<hash>.0`` for OpenSSL >= 1.0 and 0.9.x
(INSTALL.ssl, install-cert.sh, ``ca_rehash``).
Deciding (:func:`renewal_reasons`) is separate from doing (:func:`install`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from saltext_sipxha.core.errors import PkiError, UnsafeFileError
from saltext_sipxha.core.files.atomic import Owner, make_marked_folder, require_folder
from saltext_sipxha.core.files.change import FileChange, apply_changes, read_file
from saltext_sipxha.core.pki.keys import PrivateKey, key_to_pem, load_key, matches_spec, public_der, weakness
from saltext_sipxha.core.pki.names import names_of, san_extension, subject_hashes
from saltext_sipxha.core.plan.settings import PkiSettings

if TYPE_CHECKING:
    from saltext_sipxha.core.plan.fleet import Fleet, Server

MAX_HASH_SLOTS = 10


@dataclass(frozen=True)
class SslLayout:
    """Where sipX expects its SSL files."""

    ssl_dir: Path
    ca_name: str

    @classmethod
    def of(cls, fleet: Fleet, server: Server) -> SslLayout:
        """The one way to find a server's SSL files: its ``paths:ssl`` and the fleet's ``pki:ca_name``."""
        return cls(Path(server.paths["ssl"]), fleet.pki.ca_name)

    @property
    def key(self) -> Path:
        return self.ssl_dir / "ssl.key"

    @property
    def cert(self) -> Path:
        return self.ssl_dir / "ssl.crt"

    @property
    def authorities(self) -> Path:
        return self.ssl_dir / "authorities"

    @property
    def ca_file(self) -> Path:
        return self.authorities / f"{self.ca_name}.crt"


@dataclass(frozen=True)
class CaCertificate:
    """The CA's certificate: its PEM text as the CA gave it (installed and compared byte for byte) and the
    certificate parsed from it, once."""

    pem: str
    cert: x509.Certificate

    @classmethod
    def from_pem(cls, pem: str) -> CaCertificate:
        return cls(pem, x509.load_pem_x509_certificate(pem.encode()))


def read_cert(path: Path) -> x509.Certificate | None:
    """The PEM certificate at ``path``, None when absent; :class:`UnsafeFileError` when unreadable."""
    data = read_file(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as err:
        raise UnsafeFileError(str(path), f"not a PEM certificate ({err})") from err


def read_key(path: Path) -> PrivateKey | None:
    """The unencrypted PEM key at ``path`` (sipX reads it without a passphrase), None when absent."""
    data = read_file(path)
    return None if data is None else load_key(data, None, str(path))


def key_reason(key: PrivateKey | None, pki: PkiSettings) -> str | None:
    """Why this server needs a new key (none, weak, or not the pillar's type), or None to keep it."""
    if key is None:
        return "no private key"
    problem = weakness(key.public_key())
    if problem:
        return f"weak key: {problem}"
    if not matches_spec(key, pki):
        return "the key is not of the pillar's pki:key type"
    return None


def key_file_reason(path: Path, owner: Owner) -> str | None:
    """Why an existing key file must be replaced: readable by others or not the sipX account's (a key that
    was 0644 may have been read, so it is replaced rather than chmod'ed); None when it is right."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if info.st_mode & 0o077 or (info.st_uid, info.st_gid) != owner:
        return (
            f"{path.name} is {info.st_mode & 0o777:04o} {info.st_uid}:{info.st_gid}, not 0600"
            f" {owner[0]}:{owner[1]} (sipxha:service:user/group)"
        )
    return None


def renewal_reasons(
    cert: x509.Certificate | None,
    key: PrivateKey | None,
    ca_cert: x509.Certificate | None,
    *,
    names: Iterable[str],
    renew_days: int,
    now: datetime.datetime,
) -> list[str]:
    """Why this server needs a new certificate; empty when the installed one is right."""
    if cert is None:
        return ["no certificate installed"]
    reasons = []
    if key is None or public_der(cert.public_key()) != public_der(key):
        reasons.append("the certificate does not match the private key (key changed)")
    current, planned = names_of(cert), frozenset(names)
    if current != planned:
        diff = [f"+{n}" for n in sorted(planned - current)] + [f"-{n}" for n in sorted(current - planned)]
        reasons.append(f"names no longer match the pillar ({', '.join(diff)})")
    if ca_cert is not None and not issued_by(cert, ca_cert):
        reasons.append("not signed by the current CA (CA changed)")
    left = cert.not_valid_after_utc - now
    if left <= datetime.timedelta(days=renew_days):
        reasons.append(f"expires within {renew_days} days (on {cert.not_valid_after_utc.isoformat()})")
    return reasons


def issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """True when ``ca_cert`` signed ``cert``."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def build_csr(key: PrivateKey, fqdn: str, names: Iterable[str]) -> str:
    """A PEM CSR for ``names`` signed with ``key`` (the CA sets subject and usages itself)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
        .add_extension(san_extension(tuple(names)), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def describe(cert: x509.Certificate | None) -> dict[str, Any] | None:
    """What a status report shows of a certificate."""
    if cert is None:
        return None
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{cert.serial_number:x}",
        "names": sorted(names_of(cert)),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
    }


def install(
    layout: SslLayout, new_key: PrivateKey | None, cert_pem: str, ca: CaCertificate, key_owner: Owner | None = None
) -> list[str]:
    """Install a new key (if any), the certificate and the CA with its hash link; returns changed paths.

    One all-or-nothing set through :func:`~saltext_sipxha.core.files.change.apply_changes` (originals kept
    once as ``*.bak`` for ``sipxha.uninstall``). The key is 0600 and owned by ``key_owner`` from its first
    byte, and renamed into place before the certificate that matches it. A linked ``ssl`` or ``authorities``
    folder is refused.
    """
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    if new_key is not None and public_der(cert.public_key()) != public_der(new_key):
        raise PkiError("the signed certificate does not match the new key")
    for folder in (layout.ssl_dir, layout.authorities):
        require_folder(folder)
    make_marked_folder(layout.authorities)
    changes = []
    if new_key is not None:
        key = key_to_pem(new_key)
        changes.append(FileChange(str(layout.key), read_file(layout.key), key, 0o600, key_owner, secret=True))
    for path, data in ((layout.cert, cert_pem.encode()), (layout.ca_file, ca.pem.encode())):
        changes.append(FileChange(str(path), read_file(path), data))
    changes += link_changes(layout, ca.cert)
    return [change.path for change in apply_changes(changes)]


def _our_links(layout: SslLayout) -> dict[str, list[str]]:
    """The ``<hash>.N`` symlinks in ``authorities/`` that point at the CA file: hash -> link names."""
    found: dict[str, list[str]] = {}
    if not layout.authorities.is_dir():
        return found
    for entry in sorted(layout.authorities.iterdir()):
        stem, dot, slot = entry.name.partition(".")
        if dot and slot.isdigit() and entry.is_symlink() and os.readlink(entry) == layout.ca_file.name:
            found.setdefault(stem, []).append(entry.name)
    return found


def hash_link_reason(layout: SslLayout, ca_cert: x509.Certificate) -> str | None:
    """Why the CA file's hash links must change (a missing new or 0.9.x hash link, a stale one), or None.

    Only what the links point at counts, not their slot or age: sipX's ``ca_rehash`` (``openssl rehash
    -compat``) deletes and recreates them at every start, and that is converged.
    """
    wanted, links = subject_hashes(ca_cert), _our_links(layout)
    missing = [f"{value}.0" for value in dict.fromkeys(wanted) if value not in links]
    if missing:
        return f"hash link {', '.join(missing)} missing"
    stale = sorted(name for value, names in links.items() if value not in wanted for name in names)
    return f"stale hash link {', '.join(stale)}" if stale else None


def link_changes(layout: SslLayout, ca_cert: x509.Certificate) -> list[FileChange]:
    """Point ``<hash>.N`` at the CA file for both OpenSSL hashes (>= 1.0 and 0.9.x, like ``c_rehash
    -compat``) and drop its stale links: the planned link changes (applied with the rest of the set)."""
    target, wanted, links = layout.ca_file.name, subject_hashes(ca_cert), _our_links(layout)
    encoded = os.fsencode(target)
    changes = [
        FileChange(str(layout.authorities / name), encoded, None, link=True)
        for value, names in links.items()
        if value not in wanted
        for name in names
    ]
    for value in dict.fromkeys(wanted):
        if value not in links:
            changes.append(FileChange(str(_free_slot(layout.authorities, value, target)), None, encoded, link=True))
    return changes


def link_ca(layout: SslLayout, ca_cert: x509.Certificate) -> list[str]:
    """Apply :func:`link_changes` alone; returns the links created or removed."""
    return [change.path for change in apply_changes(link_changes(layout, ca_cert))]


def _free_slot(folder: Path, value: str, target: str) -> Path:
    for slot in range(MAX_HASH_SLOTS):
        link = folder / f"{value}.{slot}"
        if not link.exists() and not link.is_symlink():
            return link
    raise UnsafeFileError(str(folder), f"no free {value}.N hash slot for {target}")


def watch_reasons(layout: SslLayout, renew_days: int, now: datetime.datetime) -> dict[str, str]:
    """What the expiry beacon reports: ``{kind: reason}`` with kinds ``missing``, ``wrong_ca``, ``expiring``."""
    cert = read_cert(layout.cert)
    if cert is None:
        return {"missing": f"no certificate at {layout.cert}"}
    found = {}
    ca_cert = read_cert(layout.ca_file)
    if ca_cert is None or not issued_by(cert, ca_cert):
        found["wrong_ca"] = f"not signed by the CA in {layout.ca_file}"
    if cert.not_valid_after_utc - now <= datetime.timedelta(days=renew_days):
        found["expiring"] = f"expires within {renew_days} days (on {cert.not_valid_after_utc.isoformat()})"
    return found
