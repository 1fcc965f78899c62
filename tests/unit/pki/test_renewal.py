"""Minion-side renewal: what the assessment decides, and apply() against a real CA (rate limit included)."""

from __future__ import annotations

import dataclasses
import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from saltext_sipxha.core.files.owner import resolve_owner
from saltext_sipxha.core.pki import renewal
from saltext_sipxha.core.pki.keys import public_der
from saltext_sipxha.core.pki.names import subject_hashes
from saltext_sipxha.core.pki.servercert import build_csr, install
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

from .support import ca_of, new_ca, openssl, pem

NOW = datetime.datetime.now(datetime.timezone.utc)


def setup(tmp_path):
    pillar = pillars.seed() | {"pki": {"ca_name": "ca.example.com", "days": 30, "renew_days": 5}}
    pillar["servers"]["sipxpbx2"]["paths"] = {"etc": str(tmp_path / "etc"), "ssl": str(tmp_path / "ssl")}
    fleet, ca = build_plan(pillar), new_ca(tmp_path)

    def sign(csr_pem):
        cert = ca.sign(csr_pem, "sipxpbx2", found.names, found.fqdn, fleet.pki.days, renew_days=fleet.pki.renew_days)
        return pem(cert).decode(), ca.certificate_pem()

    found = renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW)
    return fleet, ca, sign, found


def test_first_issue_then_up_to_date_with_both_hash_links(tmp_path):
    fleet, ca, sign, found = setup(tmp_path)
    assert found.reasons == ("no certificate installed",) and found.key_reason == "no private key"
    diff = renewal.apply(found, fleet, sign)
    assert diff["reasons"][0] == "no certificate installed" and diff["new"]["names"] == sorted(found.names)
    again = renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW)
    assert again.up_to_date, again.summary()
    assert {f"{value}.0" for value in subject_hashes(ca.certificate)} <= {
        p.name for p in found.layout.authorities.iterdir()
    }
    rehash = openssl("rehash", "-compat", str(found.layout.authorities))
    assert rehash.returncode == 0, rehash.stderr
    assert renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW).up_to_date  # ca_rehash: converged


def test_a_lost_certificate_gets_a_new_key_so_the_rate_limit_lets_it_through(tmp_path):
    fleet, ca, sign, found = setup(tmp_path)
    renewal.apply(found, fleet, sign)
    key_before = found.layout.key.read_bytes()
    found.layout.cert.unlink()
    lost = renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW)
    assert lost.key_reason == "no certificate for the existing key"
    renewal.apply(lost, fleet, sign)
    assert found.layout.key.read_bytes() != key_before
    assert renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW).up_to_date


def test_an_existing_acceptable_key_of_the_other_type_is_kept(tmp_path):
    """An EC key and its certificate from before RSA became the default: up to date without pki:key; with
    ``pki:key: {type: rsa}`` the key is replaced."""
    fleet, ca, _, found = setup(tmp_path)
    old = ec.generate_private_key(ec.SECP256R1())
    cert = ca.sign(build_csr(old, found.fqdn, found.names), "sipxpbx2", found.names, found.fqdn, 30)
    owner = resolve_owner(fleet.service.user, fleet.service.group)  # as renewal.apply installs it
    install(found.layout, old, pem(cert).decode(), ca_of(ca), owner)
    kept = renewal.assess(fleet, "sipxpbx2", ca.certificate_pem(), NOW)
    assert kept.up_to_date and kept.key_reason is None, kept.summary()
    rsa_fleet = dataclasses.replace(fleet, pki=dataclasses.replace(fleet.pki, key_type="rsa", key_set=True))
    replaced = renewal.assess(rsa_fleet, "sipxpbx2", ca.certificate_pem(), NOW)
    assert replaced.key_reason == "the key is not of the pillar's pki:key type"
    assert public_der(kept.key) == public_der(old)


def test_the_ca_certificate_is_parsed_once_per_renewal(tmp_path, monkeypatch):
    """Issue 10.5: assess, the CA-file check and install share one parsed CA certificate (the CA's own
    signing, on the master, is not counted)."""
    fleet, ca, sign, _ = setup(tmp_path)
    ca_pem, parsed = ca.certificate_pem(), []
    load = x509.load_pem_x509_certificate

    def counting(data, *args):
        parsed.extend([data] if data == ca_pem.encode() else [])
        return load(data, *args)

    def master_side(csr_pem):
        monkeypatch.setattr(x509, "load_pem_x509_certificate", load)
        try:
            return sign(csr_pem)
        finally:
            monkeypatch.setattr(x509, "load_pem_x509_certificate", counting)

    monkeypatch.setattr(x509, "load_pem_x509_certificate", counting)
    renewal.apply(renewal.assess(fleet, "sipxpbx2", ca_pem, NOW), fleet, master_side)
    assert len(parsed) == 1


def test_a_ca_that_changed_while_signing_is_the_one_installed(tmp_path):
    fleet, _, _, found = setup(tmp_path)
    other = new_ca(tmp_path / "other")

    def sign_elsewhere(csr_pem):
        cert = other.sign(csr_pem, "sipxpbx2", found.names, found.fqdn, fleet.pki.days)
        return pem(cert).decode(), other.certificate_pem()

    renewal.apply(found, fleet, sign_elsewhere)
    assert found.layout.ca_file.read_text() == other.certificate_pem()
    assert renewal.assess(fleet, "sipxpbx2", other.certificate_pem(), NOW).up_to_date
