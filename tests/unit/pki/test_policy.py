"""The CA's signing policy: only the planned names, a proven and strong key; everything else refused."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from saltext_sipxha.core.errors import SigningRefused
from saltext_sipxha.core.pki.names import names_of, san_extension
from saltext_sipxha.core.pki.servercert import build_csr

from .support import allowed, new_ca, openssl, pem


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return new_ca(tmp_path_factory.mktemp("policy"))


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


def sign(ca, csr, minion="sipxpbx2"):
    return ca.sign(csr, minion, allowed(minion), f"{minion}.example.com", 365)


def test_signs_exactly_the_planned_names(ca, key, tmp_path):
    cert = sign(ca, build_csr(key, "sipxpbx2.example.com", allowed("sipxpbx2")))
    assert names_of(cert) == {"URI:sip:example.com", "DNS:example.com", "DNS:sipxpbx2.example.com"}
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "sipxpbx2.example.com"
    (tmp_path / "leaf.pem").write_bytes(pem(cert))
    verify = openssl("verify", "-CAfile", str(ca.cert_path), "-purpose", "sslserver", str(tmp_path / "leaf.pem"))
    assert verify.returncode == 0, verify.stderr
    verify = openssl("verify", "-CAfile", str(ca.cert_path), "-purpose", "sslclient", str(tmp_path / "leaf.pem"))
    assert verify.returncode == 0, verify.stderr


def test_refuses_another_servers_names(ca, key):
    csr = build_csr(key, "sipxpbx1.example.com", allowed("sipxpbx1"))
    with pytest.raises(SigningRefused, match=r"not allowed: DNS:sipxpbx1\.example\.com.*missing: DNS:sipxpbx2"):
        sign(ca, csr, "sipxpbx2")


def test_refuses_fewer_names(ca, key):
    csr = build_csr(key, "sipxpbx2.example.com", ("DNS:sipxpbx2.example.com",))
    with pytest.raises(SigningRefused, match=r"missing: DNS:example\.com, URI:sip:example\.com"):
        sign(ca, csr)


def test_refuses_a_tampered_csr(ca, key):
    csr = build_csr(key, "sipxpbx2.example.com", allowed("sipxpbx2"))
    der = bytearray(x509.load_pem_x509_csr(csr.encode()).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # flip a bit in the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(SigningRefused, match="signature does not verify"):
        sign(ca, tampered)


def test_refuses_garbage(ca):
    with pytest.raises(SigningRefused, match="not a readable PEM CSR"):
        sign(ca, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")


def test_refuses_rsa_1024(ca):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(SigningRefused, match="RSA key of 1024 bits"):
        sign(ca, build_csr(weak, "sipxpbx2.example.com", allowed("sipxpbx2")))


def test_refuses_other_curves(ca):
    odd = ec.generate_private_key(ec.SECP256K1())
    with pytest.raises(SigningRefused, match="EC curve secp256k1"):
        sign(ca, build_csr(odd, "sipxpbx2.example.com", allowed("sipxpbx2")))


def test_accepts_rsa_2048(ca):
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = sign(ca, build_csr(good, "sipxpbx2.example.com", allowed("sipxpbx2")))
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_encipherment and usage.digital_signature


def test_ignores_requested_subject_eku_and_ca_flag(ca, key):
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil.example.org")]))
        .add_extension(san_extension(allowed("sipxpbx2")), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    cert = sign(ca, csr)
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.subject.rfc4514_string() == "CN=sipxpbx2.example.com"


def test_refuses_an_unreadable_public_key(ca, key):
    lines = build_csr(key, "sipxpbx2.example.com", allowed("sipxpbx2")).splitlines()
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]  # inside the EC point
    with pytest.raises(SigningRefused, match=r"public key cannot be read|signature does not verify"):
        sign(ca, "\n".join(lines) + "\n")
