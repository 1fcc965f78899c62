"""The CA's index of issued certificates: one record per serial, the rate limit, migration from index.json."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from saltext_sipxha.core.errors import PkiError, SigningRefused
from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.pki.issued import IssuedCert
from saltext_sipxha.core.pki.servercert import build_csr

from .support import PASSPHRASE, allowed, new_ca

NAMES = allowed("sipxpbx2")


def csr(key=None, names=NAMES):
    return build_csr(key or ec.generate_private_key(ec.SECP256R1()), "sipxpbx2.example.com", names)


def sign(ca, request, names=NAMES, *, renew_days=5):
    return ca.sign(request, "sipxpbx2", names, "sipxpbx2.example.com", 30, renew_days=renew_days)


def files(ca):
    """Every file of the CA folder but the lock: relative path -> mtime_ns."""
    return {
        str(path.relative_to(ca.dir)): path.stat().st_mtime_ns
        for path in ca.dir.rglob("*")
        if path.is_file() and path.name != ".lock"
    }


def test_records_are_one_file_per_serial_private_and_in_signing_order(tmp_path):
    ca = new_ca(tmp_path)
    certs = [sign(ca, csr()) for _ in range(3)]
    serials = [f"{cert.serial_number:x}" for cert in certs]
    assert sorted(path.stem for path in (ca.dir / "issued").iterdir()) == sorted(serials)
    assert (ca.dir / "minions" / "sipxpbx2.log").read_text().split() == serials
    for folder in ("issued", "minions"):
        assert stat.S_IMODE((ca.dir / folder).stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in (ca.dir / "issued").iterdir()} == {0o600}
    assert [entry["serial"] for entry in ca.status()["issued"]] == serials
    with pytest.raises(PkiError, match="already issued"):
        ca.index.add(IssuedCert.of(certs[0], "sipxpbx2"))


def test_a_signature_writes_the_same_two_files_whatever_the_index_holds(tmp_path):
    """Issue 13.14: the cost per signature is constant (no whole-index rewrite)."""
    ca = new_ca(tmp_path)
    for _ in range(150):
        ca.sign(csr(names=allowed("sipxpbx1")), "sipxpbx1", allowed("sipxpbx1"), "sipxpbx1.example.com", 30)
    before = files(ca)
    cert = sign(ca, csr())
    after = files(ca)
    changed = sorted(path for path in after if before.get(path) != after[path])
    assert changed == [f"issued/{cert.serial_number:x}.json", "minions/sipxpbx2.log"]


def test_rate_limit_refuses_a_second_certificate_for_the_same_key(tmp_path):
    ca, key = new_ca(tmp_path), ec.generate_private_key(ec.SECP256R1())
    first = sign(ca, csr(key))
    for _ in range(3):
        with pytest.raises(
            SigningRefused, match=f"rate limit: minion sipxpbx2 already holds certificate {first.serial_number:x}"
        ):
            sign(ca, csr(key))
    assert len(ca.status()["issued"]) == 1
    assert sign(ca, csr()) is not None  # a new key: served
    assert ca.sign(csr(key), "sipxpbx2", NAMES, "h", 30) is not None  # no renew_days: no limit (admin tools)


def test_rate_limit_lets_through_what_is_due_revoked_renamed_or_allowed(tmp_path):
    ca, key = new_ca(tmp_path), ec.generate_private_key(ec.SECP256R1())
    sign(ca, csr(key))
    assert sign(ca, csr(key), renew_days=30) is not None  # due: 30-day certificates, renewed 30 days ahead
    ca.revoke(minion="sipxpbx2")
    assert sign(ca, csr(key)) is not None  # the current one was revoked
    renamed = (*NAMES[:2], "DNS:sipxpbx9.example.com")
    assert sign(ca, csr(key, renamed), names=renamed) is not None  # the pillar changed its names
    with pytest.raises(SigningRefused):
        sign(ca, csr(key, renamed), names=renamed)
    ca.allow("sipxpbx2")
    assert sign(ca, csr(key, renamed), names=renamed) is not None  # the admin's one-time permission
    with pytest.raises(SigningRefused):
        sign(ca, csr(key, renamed), names=renamed)
    states = [entry["state"] for entry in ca.status()["issued"]]
    assert states == ["revoked", "revoked", "valid", "valid", "valid"]
    assert len(ca.revoke(minion="sipxpbx2")) == 3  # every issued serial stays revocable


def test_concurrent_signers_all_get_distinct_serials_and_the_index_is_consistent(tmp_path):
    ca = new_ca(tmp_path)
    requests = [csr() for _ in range(24)]

    def one(request):  # a separate CertificateAuthority per worker, like separate runner processes
        return sign(CertificateAuthority(ca.dir, PASSPHRASE), request)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        certs = list(pool.map(one, requests))
    serials = {f"{cert.serial_number:x}" for cert in certs}
    assert len(serials) == 24
    assert {entry["serial"] for entry in ca.status()["issued"]} == serials
    assert sorted((ca.dir / "minions" / "sipxpbx2.log").read_text().split()) == sorted(serials)


def test_a_version_1_index_json_is_migrated_and_stays_revocable(tmp_path):
    ca = new_ca(tmp_path)
    old = sign(ca, csr())
    entry = IssuedCert.of(old, "sipxpbx2").to_dict()
    for field in ("key", "issued_at"):  # version 1 records had neither
        entry.pop(field)
    for path in (ca.dir / "issued").iterdir():
        path.unlink()
    (ca.dir / "minions" / "sipxpbx2.log").unlink()
    (ca.dir / "index.json").write_text(json.dumps({"version": 1, "certificates": [entry]}))
    assert [e["serial"] for e in ca.status()["issued"]] == [f"{old.serial_number:x}"]  # read before migration
    sign(ca, csr())  # migrates under the lock
    assert not (ca.dir / "index.json").exists() and (ca.dir / "index.json.migrated").exists()
    assert len(ca.status()["issued"]) == 2
    assert [e.serial for e in ca.revoke(serial=f"{old.serial_number:x}")] == [f"{old.serial_number:x}"]


def test_a_replaced_ca_starts_a_new_index_and_keeps_the_old_one(tmp_path):
    ca = new_ca(tmp_path)
    sign(ca, csr())
    other = new_ca(tmp_path / "other")
    key_pem = other.key_path.read_bytes()
    ca.adopt(other.cert_path.read_bytes(), key_pem, PASSPHRASE, force=True)
    assert ca.status()["issued"] == []
    kept = [path.name for path in ca.dir.iterdir() if ".replaced-" in path.name]
    assert any(name.startswith("issued.replaced-") for name in kept), kept
    assert sign(ca, csr()) is not None


def test_a_corrupt_record_is_named(tmp_path):
    ca = new_ca(tmp_path)
    cert = sign(ca, csr())
    (ca.dir / "issued" / f"{cert.serial_number:x}.json").write_text("{not json")
    with pytest.raises(PkiError, match=f"issued/{cert.serial_number:x}.json: malformed CA index record"):
        ca.status()
    with pytest.raises(PkiError, match="not a serial number"):
        ca.revoke(serial="../../etc")


def test_due_and_expired():
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    entry = IssuedCert("a", "m", (), "2025-01-01T00:00:00+00:00", "2026-01-10T00:00:00+00:00", "f")
    assert not entry.expired(now) and entry.due(now, 9) and not entry.due(now, 8)
    assert entry.expired(now + datetime.timedelta(days=9))
