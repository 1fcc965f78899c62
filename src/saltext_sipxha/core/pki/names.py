"""Certificate names: the subjectAltNames a sipX server may hold, and OpenSSL's subject hash.

Names are handled as OpenSSL-style strings (``URI:sip:example.com``, ``DNS:sipxpbx1.example.com``)
so a policy decision, a log line and ``openssl x509 -text`` all read alike.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography import x509
from OpenSSL import crypto

from saltext_sipxha.core.errors import PkiError


def planned_names(domain: str, fqdn: str) -> tuple[str, ...]:
    """The exact subjectAltNames of a server (RFC 5922: the SIP domain and the host)."""
    names = [f"URI:sip:{domain}", f"DNS:{domain}", f"DNS:{fqdn}"]
    return tuple(dict.fromkeys(names))  # a server whose fqdn is the domain gets it once


def san_extension(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    """The subjectAltName extension holding ``names`` (``URI:`` and ``DNS:`` only)."""
    general: list[x509.GeneralName] = []
    for name in names:
        kind, _, value = name.partition(":")
        if kind == "URI":
            general.append(x509.UniformResourceIdentifier(value))
        elif kind == "DNS":
            general.append(x509.DNSName(value))
        else:
            raise PkiError(f"unsupported subjectAltName {name!r}")
    return x509.SubjectAlternativeName(general)


def names_of(obj: x509.Certificate | x509.CertificateSigningRequest) -> frozenset[str]:
    """The subjectAltNames of a certificate or CSR as strings; non URI/DNS names as ``<type>:...``."""
    try:
        san = obj.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    result = set()
    for general in san:
        if isinstance(general, x509.UniformResourceIdentifier):
            result.add(f"URI:{general.value}")
        elif isinstance(general, x509.DNSName):
            result.add(f"DNS:{general.value.lower()}")
        else:
            result.add(f"{type(general).__name__}:{general.value}")
    return frozenset(result)


def subject_hashes(cert: x509.Certificate) -> tuple[str, str]:
    """The OpenSSL hashes of ``cert``'s subject that ``c_rehash``/``ca_rehash`` name links by: ``(new, old)``.

    ``new`` is ``openssl x509 -hash`` (OpenSSL >= 1.0), computed by OpenSSL itself through pyOpenSSL;
    ``old`` is ``-subject_hash_old`` (OpenSSL 0.9.x): MD5 of the subject's DER, first 4 bytes little-endian.
    """
    new = crypto.X509.from_cryptography(cert).subject_name_hash()
    (old,) = struct.unpack("<I", hashlib.md5(cert.subject.public_bytes(), usedforsecurity=False).digest()[:4])
    return f"{new:08x}", f"{old:08x}"


def subject_hash(cert: x509.Certificate) -> str:
    """``openssl x509 -hash`` of ``cert`` (the OpenSSL >= 1.0 link name, without the ``.N``)."""
    return subject_hashes(cert)[0]
