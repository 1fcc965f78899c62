"""TLS handshakes against a real ``openssl s_server`` with certificates from the product's CA."""

from __future__ import annotations

import shutil

import pytest

from saltext_sipxha.core.verify.tlsprobe import TlsIdentity, handshake
from tests.support.named import HOST, free_port
from tests.support.tls import issue, s_server
from tests.unit.pki.support import new_ca

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tls")
    ca, other_ca = new_ca(root / "fleet"), new_ca(root / "other")
    return {
        "pbx1": issue(ca, root / "pbx1", "example.com", "sipxpbx1.example.com", "sipxpbx1"),
        "pbx2": issue(ca, root / "pbx2", "example.com", "sipxpbx2.example.com", "sipxpbx2"),
        "stranger": issue(other_ca, root / "stranger", "example.com", "sipxpbx2.example.com", "sipxpbx2"),
    }


def serve(certs, who, **options):
    _, cert, key = certs[who]
    port = free_port()
    return port, s_server(HOST, port, cert, key, **options)


def test_sip_domain_verified_by_the_uri_san(certs):
    port, server = serve(certs, "pbx1")
    with server:
        result = handshake(HOST, port, "example.com", TlsIdentity(str(certs["pbx2"][0])), check="sip_domain")
        wrong = handshake(HOST, port, "example.net", TlsIdentity(str(certs["pbx2"][0])), check="sip_domain")
    assert result.reachable, result
    assert "URI:sip:example.com" in result.names and result.transport == "tls"
    assert not wrong.reachable and "no URI:sip:example.net" in wrong.reason


def test_hostname_check_and_a_certificate_from_another_ca(certs):
    port, server = serve(certs, "stranger")
    with server:
        untrusted = handshake(HOST, port, "sipxpbx2.example.com", TlsIdentity(str(certs["pbx1"][0])), check="hostname")
    assert not untrusted.reachable and "not trusted" in untrusted.reason
    port, server = serve(certs, "pbx2")
    with server:
        ok = handshake(HOST, port, "sipxpbx2.example.com", TlsIdentity(str(certs["pbx1"][0])), check="hostname")
        other = handshake(HOST, port, "sipxpbx1.example.com", TlsIdentity(str(certs["pbx1"][0])), check="hostname")
    assert ok.reachable, ok
    assert not other.reachable and "not DNS:sipxpbx1.example.com" in other.reason


def test_mutual_tls_presents_our_certificate_and_sees_a_refusal(certs):
    ca_file, cert, key = certs["pbx1"]
    port, server = serve(certs, "pbx2", ca_file=ca_file, require_client_cert=True)
    ours = TlsIdentity(str(ca_file), str(cert), str(key))
    strangers = TlsIdentity(str(ca_file), str(certs["stranger"][1]), str(certs["stranger"][2]))
    with server:
        accepted = handshake(HOST, port, "sipxpbx2.example.com", ours, check="hostname")
        refused = handshake(HOST, port, "sipxpbx2.example.com", strangers, check="hostname")
    assert accepted.reachable, accepted
    assert not refused.reachable, refused
    assert "the peer refused our certificate" in refused.reason, refused


def test_nothing_listening_and_unreadable_local_files(certs, tmp_path):
    closed = handshake(HOST, free_port(), "example.com", TlsIdentity(str(certs["pbx1"][0])), timeout=1)
    assert not closed.reachable and closed.reason
    missing = handshake(HOST, free_port(), "example.com", TlsIdentity(str(tmp_path / "nope.crt")))
    assert not missing.reachable and "cannot load the local TLS files" in missing.reason
    with pytest.raises(ValueError, match="check must be"):
        handshake(HOST, 1, "example.com", TlsIdentity("x"), check="cn")
