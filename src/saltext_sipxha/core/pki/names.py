"""Certificate names: the subjectAltNames a sipX server may hold, and OpenSSL's subject hash.

Names are handled as OpenSSL-style strings (``URI:sip:example.com``, ``DNS:sipxpbx1.example.com``)
so a policy decision, a log line and ``openssl x509 -text`` all read alike.
"""

from __future__ import annotations

import hashlib
import re
import struct

from cryptography import x509

from saltext_sipxha.core.errors import PkiError

_WHITESPACE = re.compile(rb"[ \t\n\v\f\r]+")


def planned_names(domain: str, fqdn: str) -> tuple[str, ...]:
    """The exact subjectAltNames of a server (RFC 5922: the SIP domain and the host)."""
    names = [f"URI:sip:{domain}", f"DNS:{domain}", f"DNS:{fqdn}"]
    return tuple(dict.fromkeys(names))  # a server whose fqdn is the domain gets it once


def san_extension(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    """The subjectAltName extension holding ``names`` (``URI:`` and ``DNS:`` only)."""
    general = []
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


def subject_hash(name: x509.Name) -> str:
    """``openssl x509 -hash`` of a name: SHA-1 of its canonical DER, first 4 bytes little-endian, hex.

    OpenSSL's canonical form (``x509_name_canon``) re-encodes every string value as a UTF8String,
    trimmed, with runs of whitespace folded to one space and ASCII lowercased, and drops the outer
    SEQUENCE header. Values in certificate names are strings in practice; that is all this handles.
    """
    canon = b"".join(_der_set(_canon_rdn(rdn)) for rdn in name.rdns)
    (value,) = struct.unpack("<I", hashlib.sha1(canon).digest()[:4])
    return f"{value:08x}"


def _canon_rdn(rdn: x509.RelativeDistinguishedName) -> list[bytes]:
    entries = []
    for attribute in rdn:
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode("latin-1")
        folded = _WHITESPACE.sub(b" ", value.encode("utf-8").strip(b" \t\n\v\f\r"))
        lowered = bytes(c + 32 if 65 <= c <= 90 else c for c in folded)
        entries.append(_der(0x30, _der_oid(attribute.oid.dotted_string) + _der(0x0C, lowered)))
    return entries


def _der_set(encoded_items: list[bytes]) -> bytes:
    return _der(0x31, b"".join(sorted(encoded_items)))


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk, rest = [arc & 0x7F], arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))
