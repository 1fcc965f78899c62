"""The ``sipxha_ca`` runner's read-only and archival functions through ``salt-run`` on the real master."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificate

pytestmark = pytest.mark.integration


def test_status_lists_every_issued_certificate(fleet, apply_pki):
    apply_pki()
    status = fleet.salt_run("sipxha_ca.status")
    assert status.returncode == 0, status
    assert status.data["ca"]["name"] == "CN=ca.example.com"
    issued = {entry["minion"]: entry for entry in status.data["issued"] if entry["state"] == "valid"}
    assert set(fleet.minions) <= set(issued)
    assert "DNS:sipxpbx2.example.com" in issued["sipxpbx2"]["names"]


def test_export_is_an_encrypted_archive_that_reveals_nothing(fleet, tmp_path):
    archive = tmp_path / "sipxha-ca.p12"
    ret = fleet.salt_run("sipxha_ca.export", str(archive), "passphrase=offline secret")
    assert ret.returncode == 0, ret
    assert "PRIVATE KEY" not in ret.stdout and "offline secret" not in ret.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    key, cert, _ = pkcs12.load_key_and_certificates(archive.read_bytes(), b"offline secret")
    ca_pem = fleet.salt_run("sipxha_ca.ca_cert").stdout  # a string: salt-run prints it as it is
    assert cert == load_pem_x509_certificate(ca_pem.encode())
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, public) == cert.public_key().public_bytes(
        serialization.Encoding.DER, public
    )
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(archive.read_bytes(), b"wrong")
