"""The CA itself: creation, encryption at rest, import, revocation and CRL, status, export."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.pki.ca import CertificateAuthority, master_ca, master_ca_dir, read_ca_certificate
from saltext_sipxha.core.pki.keys import load_key
from saltext_sipxha.core.pki.servercert import build_csr
from saltext_sipxha.core.plan.settings import PkiSettings

from .support import PASSPHRASE, allowed, new_ca, openssl, pem


def issue(ca, minion="sipxpbx2"):
    key = ec.generate_private_key(ec.SECP256R1())
    return ca.sign(build_csr(key, f"{minion}.example.com", allowed(minion)), minion, allowed(minion), "x", 30)


def test_create_encrypts_the_key_and_locks_down_modes(tmp_path):
    ca = new_ca(tmp_path)
    assert stat.S_IMODE(ca.dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in ca.key_path.read_bytes()
    with pytest.raises(PkiError, match="CA key: Password was not given"):
        load_key(ca.key_path.read_bytes(), None, "CA key")
    key = load_key(ca.key_path.read_bytes(), PASSPHRASE)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048  # the default (issue 12.3)
    assert ca.certificate.signature_hash_algorithm.name == "sha256"
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is True
    assert ca.certificate.subject.rfc4514_string() == "CN=ca.example.com"


def test_create_ec_ca(tmp_path):
    ca = new_ca(tmp_path, key_type="ec", curve="secp384r1")
    assert isinstance(ca.certificate.public_key(), ec.EllipticCurvePublicKey)
    assert ca.certificate.signature_hash_algorithm.name == "sha384"


@pytest.mark.parametrize(
    ("ca_key", "server_key"),
    [("ec", rsa.generate_private_key(65537, 2048)), ("rsa", ec.generate_private_key(ec.SECP256R1()))],
    ids=["ec-ca-signs-rsa", "rsa-ca-signs-ec"],
)
def test_a_ca_of_either_type_signs_keys_of_either_type(tmp_path, ca_key, server_key):
    """An EC CA made before RSA became the default keeps signing, and openssl verifies what it signs."""
    ca = new_ca(tmp_path, key_type=ca_key)
    names = allowed("sipxpbx2")
    cert = ca.sign(build_csr(server_key, "h", names), "sipxpbx2", names, "sipxpbx2.example.com", 30)
    (tmp_path / "ca.pem").write_bytes(pem(ca.certificate))
    (tmp_path / "cert.pem").write_bytes(pem(cert))
    check = openssl("verify", "-CAfile", str(tmp_path / "ca.pem"), "-purpose", "sslserver", str(tmp_path / "cert.pem"))
    assert check.returncode == 0, check.stderr


def test_create_refuses_to_replace(tmp_path):
    new_ca(tmp_path)
    with pytest.raises(PkiError, match="already exists"):
        new_ca(tmp_path)


def test_wrong_passphrase_cannot_sign(tmp_path):
    new_ca(tmp_path)
    wrong = CertificateAuthority(tmp_path / "ca", b"not it")
    with pytest.raises(PkiError, match="wrong passphrase"):
        issue(wrong)


def test_import_gen_ssl_keys_pair(tmp_path):
    """A CA made by openssl req -x509 like sipX's gen-ssl-keys.sh --new-ca: plain PEM key, re-encrypted."""
    made = openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-keyout", str(tmp_path / "ca.key"),
        "-out", str(tmp_path / "ca.crt"), "-subj", "/C=US/O=Example/OU=VoIP Services/CN=ca.example.com",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ca = CertificateAuthority(tmp_path / "adopted", PASSPHRASE)
    ca.adopt((tmp_path / "ca.crt").read_bytes(), (tmp_path / "ca.key").read_bytes())
    assert b"ENCRYPTED PRIVATE KEY" in ca.key_path.read_bytes()
    cert = issue(ca)
    (tmp_path / "leaf.pem").write_bytes(pem(cert))
    verify = openssl("verify", "-CAfile", str(tmp_path / "ca.crt"), str(tmp_path / "leaf.pem"))
    assert verify.returncode == 0, verify.stderr


def test_import_refuses_a_mismatched_key_and_weak_keys(tmp_path):
    ca = new_ca(tmp_path)
    other = CertificateAuthority(tmp_path / "other", PASSPHRASE)
    stranger = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256").stdout
    with pytest.raises(PkiError, match="does not belong"):
        other.adopt(ca.cert_path.read_bytes(), stranger)
    assert not other.exists()
    made = openssl(
        "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", str(tmp_path / "weak.key"),
        "-out", str(tmp_path / "weak.crt"), "-subj", "/CN=weak",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with pytest.raises(PkiError, match="too weak"):
        other.adopt((tmp_path / "weak.crt").read_bytes(), (tmp_path / "weak.key").read_bytes())


def test_import_over_existing_needs_force(tmp_path):
    ca = new_ca(tmp_path)
    source = new_ca(tmp_path / "src")
    key_pem = openssl("pkey", "-in", str(source.key_path), "-passin", f"pass:{PASSPHRASE.decode()}").stdout
    with pytest.raises(PkiError, match="force=True"):
        ca.adopt(source.cert_path.read_bytes(), key_pem)
    ca.adopt(source.cert_path.read_bytes(), key_pem, force=True)
    assert ca.certificate == source.certificate


def test_revoke_lists_the_serial_in_the_crl(tmp_path):
    ca = new_ca(tmp_path)
    keep, gone = issue(ca, "sipxpbx1"), issue(ca, "sipxpbx2")
    revoked = ca.revoke(minion="sipxpbx2")
    assert [entry.serial for entry in revoked] == [f"{gone.serial_number:x}"]
    crl = openssl("crl", "-in", str(ca.crl_path), "-noout", "-text", "-CAfile", str(ca.cert_path))
    assert crl.returncode == 0, crl.stderr
    assert "verify OK" in crl.stderr.decode() + crl.stdout.decode()
    text = crl.stdout.decode().upper().replace(":", "")
    assert f"{gone.serial_number:X}" in text.replace(" ", "").replace("\n", "")
    assert f"{keep.serial_number:X}" not in text.replace(" ", "").replace("\n", "")
    states = {entry["minion"]: entry["state"] for entry in ca.status()["issued"]}
    assert states == {"sipxpbx1": "valid", "sipxpbx2": "revoked"}


def test_revoke_unknown_serial(tmp_path):
    ca = new_ca(tmp_path)
    with pytest.raises(PkiError, match="no certificate with serial abc"):
        ca.revoke(serial="0xABC")


def test_status_reports_every_issue(tmp_path):
    ca = new_ca(tmp_path)
    first, second = issue(ca), issue(ca)
    status = ca.status()
    assert status["ca"]["name"] == "CN=ca.example.com"
    assert [entry["serial"] for entry in status["issued"]] == [f"{c.serial_number:x}" for c in (first, second)]
    assert status["issued"][0]["names"] == sorted(allowed("sipxpbx2"))


def test_export_is_an_encrypted_pkcs12(tmp_path):
    ca = new_ca(tmp_path)
    result = ca.export(tmp_path / "backup.p12", b"offline secret")
    blob = (tmp_path / "backup.p12").read_bytes()
    assert stat.S_IMODE((tmp_path / "backup.p12").stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(blob, b"wrong")
    key, cert, _ = pkcs12.load_key_and_certificates(blob, b"offline secret")
    assert cert == ca.certificate and key is not None
    assert result["fingerprint"] == ca.status()["ca"]["fingerprint"]
    check = openssl("pkcs12", "-in", str(tmp_path / "backup.p12"), "-noout", "-passin", "pass:offline secret")
    assert check.returncode == 0, check.stderr


def test_export_over_an_existing_readable_file_is_0600(tmp_path):
    """Issue 13.12: an archive written over a 0644 file (or a symlink) is 0600 and replaces it."""
    ca, archive, elsewhere = new_ca(tmp_path), tmp_path / "backup.p12", tmp_path / "elsewhere"
    archive.write_bytes(b"old")
    os.chmod(archive, 0o644)
    ca.export(archive, b"offline secret")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    elsewhere.write_bytes(b"not yours")
    archive.unlink()
    archive.symlink_to(elsewhere)
    ca.export(archive, b"offline secret")
    assert not archive.is_symlink() and stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert elsewhere.read_bytes() == b"not yours"


def test_lifetime_and_settings_default(tmp_path):
    ca = new_ca(tmp_path)
    key = ec.generate_private_key(ec.SECP384R1())
    cert = ca.sign(build_csr(key, "h", allowed("sipxpbx1")), "sipxpbx1", allowed("sipxpbx1"), "h", 7)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 7 * 86400 <= lifetime.total_seconds() <= 7 * 86400 + 600
    assert PkiSettings(ca_name="x").days == 365


def test_master_config_locates_the_ca_folder_for_runner_and_ext_pillar(tmp_path):
    assert master_ca_dir({"pki_dir": "/etc/salt/pki/master"}) == tmp_path.__class__("/etc/salt/pki/master/sipxha_ca")
    assert master_ca_dir({"pki_dir": "/x", "sipxha_ca": {"dir": str(tmp_path)}}) == tmp_path
    with pytest.raises(PkiError, match="config sipxha_ca must be a mapping"):
        master_ca_dir({"pki_dir": "/x", "sipxha_ca": "/srv/ca"})
    ca = new_ca(tmp_path)
    opts = {"pki_dir": "/x", "sipxha_ca": {"dir": str(ca.dir), "passphrase": PASSPHRASE.decode()}}
    assert master_ca(opts).certificate == ca.certificate
    with pytest.raises(PkiError, match="needs passphrase or passphrase_file"):
        master_ca({"pki_dir": "/x", "sipxha_ca": {"dir": str(ca.dir)}})


def test_read_ca_certificate_needs_no_passphrase_and_never_the_key(tmp_path):
    assert read_ca_certificate(tmp_path / "none") is None
    ca = new_ca(tmp_path)
    ca.key_path.write_bytes(b"unreadable garbage")  # the key is not read
    assert read_ca_certificate(ca.dir) == ca.certificate
    ca.cert_path.write_bytes(b"junk")
    with pytest.raises(PkiError, match=r"ca\.crt: not a PEM certificate"):
        read_ca_certificate(ca.dir)
