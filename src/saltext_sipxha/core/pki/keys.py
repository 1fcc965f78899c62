"""Private keys: generation from the pillar's key spec, strength policy, PEM (de)serialisation."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.plan.settings import PkiSettings

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
}
MIN_RSA_BITS = 2048
REDACTED = "<private key: not shown>"
#: a PEM private key block (PKCS#8, encrypted or not, RSA/EC/DSA/OpenSSH), complete or cut off
_PRIVATE_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.DOTALL)


def redact_keys(text: str) -> str:
    """``text`` with every PEM private key block replaced by :data:`REDACTED` (for diffs, comments, logs)."""
    return _PRIVATE_PEM.sub(REDACTED, text)


def holds_private_key(data: bytes | str | None) -> bool:
    """True when ``data`` contains a PEM private key block (its text must never be shown)."""
    if data is None:
        return False
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    return _PRIVATE_PEM.search(text) is not None


def generate_key(pki: PkiSettings) -> PrivateKey:
    """A new private key of the pillar's type (EC curve or RSA size)."""
    if pki.key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=pki.bits)
    return ec.generate_private_key(CURVES[pki.curve]())


def weakness(public_key: object) -> str | None:
    """Why ``public_key`` is not acceptable (RSA < 2048 bits, other curves, other types), or None."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            return f"RSA key of {public_key.key_size} bits (at least {MIN_RSA_BITS} required)"
        return None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name not in CURVES:
            return f"EC curve {public_key.curve.name} (allowed: {', '.join(CURVES)})"
        return None
    return f"unsupported key type {type(public_key).__name__}"


def matches_spec(key: PrivateKey, pki: PkiSettings) -> bool:
    """True when ``key`` is of the type the pillar asks for (curve, or RSA size).

    Without an explicit ``sipxha:pki:key`` any acceptable key matches: a server keeps the EC key it got
    before RSA 2048 became the default rather than being re-keyed (and restarted) by an upgrade.
    """
    if not pki.key_set:
        return weakness(key.public_key()) is None
    if pki.key_type == "rsa":
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == pki.bits
    return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == pki.curve


def key_to_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the best available scheme when ``passphrase`` is given."""
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_key(pem: bytes, passphrase: bytes | None = None, what: str = "private key") -> PrivateKey:
    """Load a PEM private key (RSA or EC); :class:`PkiError` names ``what`` on failure."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as err:  # encrypted without passphrase, or passphrase for a plain key
        raise PkiError(f"{what}: {err}") from err
    except ValueError as err:
        raise PkiError(f"{what}: cannot be read (wrong passphrase or not a PEM key)") from err
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise PkiError(f"{what}: unsupported key type {type(key).__name__}")
    return key


def public_der(key: PrivateKey | CertificatePublicKeyTypes) -> bytes:
    """The DER SubjectPublicKeyInfo of a key (compare keys with this)."""
    public = key.public_key() if isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)) else key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
