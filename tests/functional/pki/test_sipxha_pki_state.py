"""``sipxha_pki.certificate`` and the ``sipxha_pki`` module through Salt's loaders, signing with a real CA."""

from __future__ import annotations

import os
import stat

from cryptography import x509

from saltext_sipxha.core.pki.names import names_of, subject_hashes
from saltext_sipxha.core.pki.servercert import read_cert
from tests.unit.pki.support import openssl


def test_issues_then_is_idempotent(loaders, pki_pillar, ssl_dir, ca):
    pki_pillar()
    first = loaders.states.sipxha_pki.certificate(name="cert")
    assert first.result is True, first.comment
    assert "no certificate installed" in first.comment
    assert first.changes["new"]["names"] == ["DNS:example.com", "DNS:sipxpbx1.example.com", "URI:sip:example.com"]
    assert stat.S_IMODE((ssl_dir / "ssl.key").stat().st_mode) == 0o600
    for value in subject_hashes(ca.certificate):  # OpenSSL >= 1.0 and 0.9.x hash links
        assert os.readlink(ssl_dir / "authorities" / f"{value}.0") == "ca.example.com.crt"
    verify = openssl("verify", "-CApath", str(ssl_dir / "authorities"), str(ssl_dir / "ssl.crt"))
    assert verify.returncode == 0, verify.stderr
    second = loaders.states.sipxha_pki.certificate(name="cert")
    assert second.result is True and second.changes == {}
    assert "is current" in second.comment
    # sipX's ca_rehash at every start deletes and recreates the links: still converged, nothing changes
    assert openssl("rehash", "-compat", str(ssl_dir / "authorities")).returncode == 0
    third = loaders.states.sipxha_pki.certificate(name="cert")
    assert third.result is True and third.changes == {}, third.changes


def test_test_mode_names_the_reason_and_changes_nothing(loaders, pki_pillar, ssl_dir):
    pki_pillar()
    ret = loaders.states.sipxha_pki.certificate(name="cert", test=True)
    assert ret.result is None
    assert ret.changes == {"reasons": ["no certificate installed", "CA certificate ca.example.com.crt not installed"]}
    assert not ssl_dir.exists()
    pki_pillar(days=40, renew_days=10)
    assert loaders.states.sipxha_pki.certificate(name="cert").result is True
    serial = read_cert(ssl_dir / "ssl.crt").serial_number
    pki_pillar(days=50, renew_days=45)
    ret = loaders.states.sipxha_pki.certificate(name="cert", test=True)
    assert ret.result is None and "expires within 45 days" in ret.comment
    assert read_cert(ssl_dir / "ssl.crt").serial_number == serial


def test_renews_when_names_change_and_keeps_the_key(loaders, pki_pillar, ssl_dir):
    pki_pillar()
    assert loaders.states.sipxha_pki.certificate(name="cert").result is True
    key_before = (ssl_dir / "ssl.key").read_bytes()
    pki_pillar(fqdn="pbx-a.example.com")
    ret = loaders.states.sipxha_pki.certificate(name="cert")
    assert ret.result is True, ret.comment
    assert "names no longer match the pillar (+DNS:pbx-a.example.com, -DNS:sipxpbx1.example.com)" in ret.comment
    assert "DNS:pbx-a.example.com" in names_of(read_cert(ssl_dir / "ssl.crt"))
    assert (ssl_dir / "ssl.key").read_bytes() == key_before


def test_replaces_a_weak_sipx_key(loaders, pki_pillar, ssl_dir):
    pki_pillar()
    ssl_dir.mkdir()
    made = openssl("genrsa", "-out", str(ssl_dir / "ssl.key"), "1024")
    assert made.returncode == 0
    original = (ssl_dir / "ssl.key").read_bytes()
    ret = loaders.states.sipxha_pki.certificate(name="cert")
    assert ret.result is True, ret.comment
    assert (ssl_dir / "ssl.key.bak").read_bytes() == original
    cert = x509.load_pem_x509_certificate((ssl_dir / "ssl.crt").read_bytes())
    assert cert.public_key().key_size == 2048  # RSA 2048, the default


def test_module_status_and_forced_renew(loaders, pki_pillar, ssl_dir):
    pki_pillar()
    status = loaders.modules.sipxha_pki.status()
    assert status["up_to_date"] is False and status["reasons"][0] == "no certificate installed"
    first = loaders.modules.sipxha_pki.renew()
    again = loaders.modules.sipxha_pki.renew()
    assert again == {}
    forced = loaders.modules.sipxha_pki.renew(force=True)
    assert forced["reasons"] == ["renewal forced"]
    assert forced["new"]["serial"] != first["new"]["serial"]
    assert loaders.modules.sipxha_pki.status()["up_to_date"] is True


def test_first_issuance_reads_issued_and_the_local_ca_is_named(loaders, pki_pillar, ssl_dir):
    """The state calls ``sipxha_pki.renew`` (its execution twin): "Issued" the first time, "Renewed" later."""
    pki_pillar()
    planned = loaders.modules.sipxha_pki.renew(test=True)
    assert planned["action"] == "issue" and planned["reasons"][0] == "no certificate installed"
    assert not ssl_dir.exists()
    first = loaders.states.sipxha_pki.certificate(name="cert")
    assert first.comment.startswith(f"Issued {ssl_dir / 'ssl.crt'}: no certificate installed"), first.comment
    assert "action" not in first.changes and first.changes["new"]["serial"]
    pki_pillar(fqdn="pbx-b.example.com")
    assert loaders.states.sipxha_pki.certificate(name="cert").comment.startswith("Renewed ")
    assert loaders.modules.sipxha_pki.status()["ca"] == "local"
