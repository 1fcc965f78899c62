"""Certificate names: the planned subjectAltNames, and OpenSSL's two subject hashes (checked against openssl)."""

from __future__ import annotations

import pytest
from cryptography import x509

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.pki.names import planned_names, san_extension, subject_hash, subject_hashes

from .support import openssl

SUBJECTS = {
    "gen-ssl-keys": "/C=US/ST=Massachusetts/L=  Some   Town /O=Pingtel Corp./OU=VoIP Services"
    "/CN=CA.Example.COM/emailAddress=Root@Example.org",
    "cn-only": "/CN=ca.example.com",
    "utf8": "/O=Société Générale/CN=ça.example.com",
    "multi-valued-rdn": "/O=Example+OU=Voice/CN=ca.example.com",
}


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_subject_hashes_are_the_ones_openssl_prints(tmp_path, subject):
    made = openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-utf8", "-keyout", str(tmp_path / "k"),
        "-out", str(tmp_path / "c"), "-subj", subject, "-multivalue-rdn",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    printed = openssl("x509", "-noout", "-hash", "-subject_hash_old", "-in", str(tmp_path / "c"))
    new, old = printed.stdout.decode().split()
    cert = x509.load_pem_x509_certificate((tmp_path / "c").read_bytes())
    assert subject_hashes(cert) == (new, old)
    assert subject_hash(cert) == new


def test_planned_names_are_the_domain_and_the_host_once():
    assert planned_names("example.com", "sipxpbx1.example.com") == (
        "URI:sip:example.com",
        "DNS:example.com",
        "DNS:sipxpbx1.example.com",
    )
    assert planned_names("example.com", "example.com") == ("URI:sip:example.com", "DNS:example.com")


def test_san_extension_refuses_other_name_types():
    with pytest.raises(PkiError, match=r"unsupported subjectAltName 'IP:192\.0\.2\.1'"):
        san_extension(("IP:192.0.2.1",))
