"""The certificate authority of the fleet, kept in one directory on the Salt master.

Layout (directory 0700): ``ca.key`` (PKCS#8, encrypted with the CA passphrase, 0600), ``ca.crt``,
``issued/`` + ``minions/`` (the index of issued certificates, :mod:`.issued`), ``crl.pem``. The key is
decrypted in memory only to sign.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from saltext_sipxha.core.errors import PkiError, SigningRefused
from saltext_sipxha.core.files.atomic import atomic_write, make_folder, remove
from saltext_sipxha.core.pki.issued import IssuedCert, IssuedIndex, key_id
from saltext_sipxha.core.pki.keys import PrivateKey, generate_key, key_to_pem, load_key, public_der, weakness
from saltext_sipxha.core.pki.names import san_extension
from saltext_sipxha.core.pki.policy import check_request
from saltext_sipxha.core.plan.settings import PkiSettings

Clock = Callable[[], datetime.datetime]
CA_CERT_FILE = "ca.crt"
CA_DAYS = 3650
CRL_DAYS = 30
BACKDATE = datetime.timedelta(minutes=5)  #: tolerate clocks slightly behind the master's


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def signature_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    """SHA-2 matched to the key's strength (P-384 -> SHA-384, P-521 -> SHA-512, else SHA-256)."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA512() if key.curve.key_size > 384 else hashes.SHA384()
    return hashes.SHA256()


class CertificateAuthority:
    """The CA in ``directory``; ``passphrase`` decrypts its key (bytes, never logged)."""

    def __init__(self, directory: str | os.PathLike[str], passphrase: bytes, clock: Clock = utcnow) -> None:
        if not passphrase:
            raise PkiError("the CA passphrase is empty: set sipxha_ca:passphrase or passphrase_file")
        self.dir = Path(directory)
        self.key_path, self.cert_path = self.dir / "ca.key", self.dir / CA_CERT_FILE
        self.crl_path = self.dir / "crl.pem"
        self.index = IssuedIndex(self.dir)
        self._passphrase = passphrase
        self._clock = clock
        self._decrypted: tuple[bytes, PrivateKey] | None = None

    @property
    def passphrase(self) -> bytes:
        """The CA passphrase (the default for :meth:`export`); never log it."""
        return self._passphrase

    def __repr__(self) -> str:
        return f"CertificateAuthority({str(self.dir)!r})"

    # --- creation --------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.key_path.exists() or self.cert_path.exists()

    def create(self, ca_name: str, pki: PkiSettings, days: int = CA_DAYS) -> x509.Certificate:
        """Create a new self-signed CA (refuses to replace an existing one)."""
        if self.exists():
            raise PkiError(f"{self.dir}: a CA already exists; import with force=True to replace it")
        key = generate_key(pki)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
        now = self._clock()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, signature_hash(key))
        )
        self._store(key, cert, replace=False)
        return cert

    def adopt(
        self, cert_pem: bytes, key_pem: bytes, key_passphrase: bytes | None = None, force: bool = False
    ) -> x509.Certificate:
        """Take over an existing CA pair (e.g. from sipX's ``gen-ssl-keys.sh --new-ca``), re-encrypted."""
        if self.exists() and not force:
            raise PkiError(f"{self.dir}: a CA already exists; pass force=True to replace it")
        try:
            cert = x509.load_pem_x509_certificate(cert_pem)
        except ValueError as err:
            raise PkiError(f"CA certificate: not a PEM certificate ({err})") from err
        key = load_key(key_pem, key_passphrase or None, "CA key")
        _check_ca_pair(cert, key)
        self._store(key, cert, replace=True)
        return cert

    def _store(self, key: PrivateKey, cert: x509.Certificate, replace: bool) -> None:
        make_folder(self.dir, mode=0o700)
        os.chmod(self.dir, 0o700)
        if replace:  # a new CA starts a new index; the old one is kept for the record
            stamp = self._clock().strftime("%Y%m%dT%H%M%S%fZ")
            for path in (*self.index.parts, self.crl_path):
                if path.exists():
                    os.replace(path, path.with_name(f"{path.name}.replaced-{stamp}"))
        write_private(self.key_path, key_to_pem(key, self._passphrase))
        atomic_write(self.cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        self.write_crl()

    # --- reading ---------------------------------------------------------------------------
    @property
    def certificate(self) -> x509.Certificate:
        cert = read_ca_certificate(self.dir)
        if cert is None:
            raise PkiError(f"{self.dir}: no CA yet (run: salt-run sipxha_ca.init)")
        return cert

    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def _key(self) -> PrivateKey:
        """The decrypted CA key, decrypted once per instance (again when ``ca.key`` was replaced)."""
        try:
            pem = self.key_path.read_bytes()
        except FileNotFoundError:
            raise PkiError(f"{self.dir}: no CA key (run: salt-run sipxha_ca.init)") from None
        if self._decrypted is None or self._decrypted[0] != pem:
            self._decrypted = (pem, load_key(pem, self._passphrase, f"{self.key_path}"))
        return self._decrypted[1]

    # --- signing ---------------------------------------------------------------------------
    def sign(
        self,
        csr_pem: str | bytes,
        minion: str,
        names: Iterable[str],
        fqdn: str,
        days: int,
        *,
        renew_days: int | None = None,
    ) -> x509.Certificate:
        """Sign a CSR for ``minion`` if it asks for exactly ``names`` (:class:`SigningRefused` if not).

        With ``renew_days`` (the fleet's ``pki:renew_days``) the rate limit applies: a minion whose current
        certificate is valid, not due and for the same key and names gets no new one, unless the admin
        allowed one (:meth:`allow`) or revoked the current one.
        """
        names = tuple(names)
        csr = check_request(csr_pem, names)
        key, ca_cert, now = self._key(), self.certificate, self._clock()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
            .issuer_name(ca_cert.subject)
            .public_key(csr.public_key())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + datetime.timedelta(days=days), ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_server_key_usage(csr.public_key()), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(san_extension(names), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        )
        with self.index.locked():
            if renew_days is not None:
                self._rate_limit(minion, key_id(csr.public_key()), names, renew_days, now)
            serial = x509.random_serial_number()
            while self.index.get(f"{serial:x}") is not None:  # 159 random bits: practically never loops
                serial = x509.random_serial_number()
            cert = builder.serial_number(serial).sign(key, signature_hash(key))
            self.index.add(IssuedCert.of(cert, minion, now))
        return cert

    def _rate_limit(
        self, minion: str, key: str, names: tuple[str, ...], renew_days: int, now: datetime.datetime
    ) -> None:
        current = [e for e in self.index.of_minion(minion) if not e.revoked_at and not e.expired(now)]
        same = [e for e in current if e.key == key and set(e.names) == set(names) and not e.due(now, renew_days)]
        if same and not self.index.take_allowance(minion):
            raise SigningRefused(
                f"rate limit: minion {minion} already holds certificate {same[-1].serial} for this key and these "
                f"names, valid until {same[-1].not_after} and not due for renewal; the admin can allow one more "
                f"(salt-run sipxha_ca.allow minion={minion}) or revoke it"
            )

    def allow(self, minion: str) -> None:
        """Let ``minion`` get one new certificate even though its current one is valid and not due."""
        with self.index.locked():
            self.index.allow(minion)

    # --- revocation ------------------------------------------------------------------------
    def revoke(self, minion: str | None = None, serial: str | None = None) -> list[IssuedCert]:
        """Revoke one certificate (``serial``, hex) or every unexpired one of ``minion``; rewrites the CRL."""
        if not minion and not serial:
            raise PkiError("revoke needs a minion id or a serial")
        serial = serial.lower().removeprefix("0x").lstrip("0") if serial else None
        now = self._clock()
        with self.index.locked():
            hits = []
            if serial:
                entry = self.index.get(serial)
                if entry is None:
                    raise PkiError(f"no certificate with serial {serial} was issued by this CA")
                hits.append(entry)
            if minion:
                hits += [e for e in self.index.of_minion(minion) if not e.expired(now) and e.serial != serial]
            revoked = [entry.revoked(now) for entry in hits if not entry.revoked_at]
            for entry in revoked:
                self.index.update(entry)
            self.write_crl()
        return revoked

    def write_crl(self, entries: list[IssuedCert] | None = None) -> bytes:
        """(Re)write ``crl.pem`` listing every revoked certificate; returns its PEM."""
        entries = self.index.load() if entries is None else entries
        key, ca_cert, now = self._key(), self.certificate, self._clock()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - BACKDATE)
            .next_update(now + datetime.timedelta(days=CRL_DAYS))
        )
        for entry in entries:
            if entry.revoked_at:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(int(entry.serial, 16))
                    .revocation_date(datetime.datetime.fromisoformat(entry.revoked_at))
                    .build()
                )
        pem = builder.sign(key, signature_hash(key)).public_bytes(serialization.Encoding.PEM)
        atomic_write(self.crl_path, pem, mode=0o644)
        return pem

    # --- reporting -------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """The CA (name, expiry, fingerprint) and every issued certificate with its state."""
        cert, now = self.certificate, self._clock()
        issued = []
        for entry in self.index.load():
            state = "revoked" if entry.revoked_at else "expired" if entry.expired(now) else "valid"
            issued.append(entry.to_dict() | {"state": state})
        return {
            "ca": {
                "name": cert.subject.rfc4514_string(),
                "not_after": cert.not_valid_after_utc.isoformat(),
                "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
                "dir": str(self.dir),
            },
            "issued": issued,
        }

    def export(self, path: str | os.PathLike[str], passphrase: bytes) -> dict[str, Any]:
        """Write a PKCS#12 archive of the CA key and certificate, encrypted with ``passphrase`` (0600)."""
        if not passphrase:
            raise PkiError("export needs a non-empty passphrase")
        cert = self.certificate
        blob = pkcs12.serialize_key_and_certificates(
            b"sipxha-ca", self._key(), cert, None, serialization.BestAvailableEncryption(passphrase)
        )
        write_private(Path(path), blob)
        return {"path": str(path), "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with a file that is 0600 and the caller's from its first byte on.

    Unlike :func:`atomic_write`'s default, an existing file's mode and owner are not kept (an archive of the
    CA key written over a 0644 file stays 0600), and a symlink at ``path`` is replaced, never followed.
    """
    if path.is_symlink():
        remove(path)
    atomic_write(path, data, mode=0o600, owner=(os.geteuid(), os.getegid()))


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _server_key_usage(public_key: object) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not isinstance(public_key, ec.EllipticCurvePublicKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _check_ca_pair(cert: x509.Certificate, key: PrivateKey) -> None:
    """An imported CA: the key belongs to the certificate, is strong enough, and the cert may sign."""
    if public_der(cert.public_key()) != public_der(key):
        raise PkiError("CA key does not belong to the CA certificate")
    problem = weakness(key.public_key())
    if problem:
        raise PkiError(f"CA key is too weak to keep signing: {problem}")
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and not constraints.ca:
        raise PkiError("the certificate is not a CA certificate (basicConstraints CA:FALSE)")
    if constraints is None and cert.issuer != cert.subject:
        raise PkiError("the certificate is neither self-signed nor marked as a CA (no basicConstraints)")


def read_ca_certificate(directory: str | os.PathLike[str]) -> x509.Certificate | None:
    """The CA certificate in the CA folder ``directory``, or None when there is none yet (never reads the key)."""
    path = Path(directory) / CA_CERT_FILE
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError as err:
        raise PkiError(f"{path}: not a PEM certificate ({err})") from err


def master_ca_dir(opts: Mapping[str, Any]) -> Path:
    """The CA folder of the master config ``opts``: ``sipxha_ca:dir``, default ``<pki_dir>/sipxha_ca``."""
    conf = opts.get("sipxha_ca") or {}
    if not isinstance(conf, dict):
        raise PkiError("config sipxha_ca must be a mapping")
    return Path(conf.get("dir") or os.path.join(opts["pki_dir"], "sipxha_ca"))


def master_ca(opts: Mapping[str, Any]) -> CertificateAuthority:
    """The CA of the master config ``opts`` (``sipxha_ca: {dir, passphrase | passphrase_file}``)."""
    return ca_from_config(opts.get("sipxha_ca"), str(master_ca_dir(opts)))


def ca_from_config(conf: object, default_dir: str, where: str = "sipxha_ca") -> CertificateAuthority:
    """The CA described by a config mapping ``{dir, passphrase | passphrase_file}`` (``where`` names it)."""
    if conf is None:
        conf = {}
    if not isinstance(conf, dict):
        raise PkiError(f"config {where} must be a mapping")
    if conf.get("passphrase"):
        passphrase = str(conf["passphrase"]).encode()
    elif conf.get("passphrase_file"):
        try:
            passphrase = Path(conf["passphrase_file"]).read_bytes().rstrip(b"\r\n")
        except OSError as err:
            raise PkiError(f"{where}:passphrase_file: cannot read {conf['passphrase_file']} ({err.strerror})") from err
    else:
        raise PkiError(f"config {where} needs passphrase or passphrase_file (the CA key is encrypted with it)")
    return CertificateAuthority(conf.get("dir") or default_dir, passphrase)
