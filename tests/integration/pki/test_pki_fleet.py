"""The fleet CA through a real master and minions: issue, refuse, revoke, and re-certify by beacon + reactor."""

from __future__ import annotations

import base64
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from saltext_sipxha.core.pki.names import names_of
from saltext_sipxha.core.pki.servercert import read_cert, read_key
from tests.unit.pki.support import openssl

DER = serialization.Encoding.DER
REFUSED = "the CA refused this certificate request"


def planned(minion_id):
    return ("URI:sip:example.com", "DNS:example.com", f"DNS:{minion_id}.example.com")


def test_first_run_issues_every_certificate_and_keys_stay_home(fleet, apply_pki, ca_dir):
    results = apply_pki()
    assert set(results) == set(fleet.minions)
    for minion_id, ret in results.items():
        assert ret["result"] is True, ret["comment"]
        assert "no certificate installed" in ret["comment"]
        ssl = fleet.ssl(minion_id)
        verify = openssl("verify", "-CAfile", str(ca_dir / "ca.crt"), "-purpose", "sslserver", str(ssl / "ssl.crt"))
        assert verify.returncode == 0, verify.stderr
        cert = read_cert(ssl / "ssl.crt")
        assert names_of(cert) == set(planned(minion_id))
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
        assert (ssl / "ssl.key").stat().st_mode & 0o777 == 0o600
        assert_key_not_on_master(fleet, read_key(ssl / "ssl.key"))
    again = apply_pki()
    assert all(ret["result"] is True and not ret["changes"] for ret in again.values()), again


def assert_key_not_on_master(fleet, key):
    """Neither the PEM body nor the raw private value of a minion's key is anywhere under the master's dirs."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    numbers = key.private_numbers()  # RSA (the default): a prime; EC: the private value
    secret = numbers.p.to_bytes(128, "big") if hasattr(numbers, "p") else numbers.private_value.to_bytes(32, "big")
    needles = [der, base64.b64encode(der)[20:80], secret]
    for root in (fleet.master.config["root_dir"], fleet.root / "ca", fleet.master.config["cachedir"]):
        for path in _files(root):
            data = path.read_bytes()
            assert not any(needle in data for needle in needles), f"minion key material found in {path}"


def _files(root):
    from pathlib import Path  # pylint: disable=import-outside-toplevel

    return [p for p in Path(root).rglob("*") if p.is_file() and not p.is_symlink()]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other-names", "requested names differ from the planned ones (not allowed: DNS:sipxpbx1.example.com"),
        ("weak-key", "weak or unsupported key: RSA key of 1024 bits"),
        ("tampered", "the CSR's signature does not verify"),
    ],
)
def test_refusals_are_generic_for_the_minion_and_precise_in_the_master_log(fleet, csr_for, master_log, case, reason):
    if case == "other-names":
        csr = csr_for(planned("sipxpbx1"))
    elif case == "weak-key":
        csr = csr_for(planned("sipxpbx2"), rsa.generate_private_key(public_exponent=65537, key_size=1024))
    else:
        der = bytearray(x509.load_pem_x509_csr(csr_for(planned("sipxpbx2")).encode()).public_bytes(DER))
        der[-5] ^= 0x01  # a bit of the signature
        csr = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
    ret = fleet.salt_call("sipxpbx2", "sipxha_pki.sign", f"csr={csr}")
    assert ret.returncode != 0
    assert REFUSED in str(ret.stdout) + str(ret.stderr)
    assert reason not in str(ret.stdout) + str(ret.stderr)
    wait_for(lambda: f"sipxha_ca.sign refused for minion sipxpbx2: {reason}" in master_log(), "the master log line")


def test_unlisted_minion_is_refused(fleet, csr_for, master_log):
    pillar = fleet.default_pillar()
    del pillar["servers"]["sipxpbx3"]
    fleet.set_pillar(pillar)
    ret = fleet.salt_call("sipxpbx3", "sipxha_pki.sign", f"csr={csr_for(planned('sipxpbx3'))}")
    assert ret.returncode != 0 and REFUSED in str(ret.stdout) + str(ret.stderr)
    wait_for(lambda: "refused for minion sipxpbx3: minion 'sipxpbx3' is not listed" in master_log(), "the log line")


def test_revoke_shows_in_the_crl(fleet, apply_pki, ca_dir):
    apply_pki("sipxpbx2")
    serial = read_cert(fleet.ssl("sipxpbx2") / "ssl.crt").serial_number
    ret = fleet.salt_run("sipxha_ca.revoke", "minion=sipxpbx2")
    assert ret.returncode == 0, ret
    assert f"{serial:x}" in [entry["serial"] for entry in ret.data["revoked"]]
    crl = openssl("crl", "-in", str(ca_dir / "crl.pem"), "-noout", "-text", "-CAfile", str(ca_dir / "ca.crt"))
    assert crl.returncode == 0, crl.stderr
    assert f"{serial:X}".rjust(2, "0") in crl.stdout.decode().replace(":", "").replace(" ", "").upper()
    status = fleet.salt_run("sipxha_ca.status")
    assert {e["serial"]: e["state"] for e in status.data["issued"]}[f"{serial:x}"] == "revoked"


def test_beacon_and_reactor_renew_a_due_certificate(fleet, apply_pki):
    short = fleet.default_pillar() | {"pki": {"days": 10, "renew_days": 1}}
    fleet.set_pillar(short)
    assert apply_pki("sipxpbx2")["sipxpbx2"]["result"] is True
    before = read_cert(fleet.ssl("sipxpbx2") / "ssl.crt").serial_number
    # Now a certificate of 10 days is due (renew_days 15): the beacon fires, the reactor runs state.apply sipxha.
    due = fleet.default_pillar() | {"pki": {"days": 30, "renew_days": 15}}
    started = time.monotonic()
    fleet.set_pillar(due, extra={"beacons": {"sipxha_cert": [{"interval": 1}]}})
    wait_for(lambda: read_cert(fleet.ssl("sipxpbx2") / "ssl.crt").serial_number != before, "a renewed certificate", 150)
    elapsed = time.monotonic() - started
    cert = read_cert(fleet.ssl("sipxpbx2") / "ssl.crt")
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 29
    print(f"pillar change -> beacon -> reactor -> renewed certificate on disk: {elapsed:.1f} s")


def wait_for(condition, what, timeout=30.0):
    """Poll ``condition`` every 0.5 s, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
