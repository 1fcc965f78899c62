"""Helpers for the PKI unit tests: a CA in a temporary directory, CSRs, and the real openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.pki.names import planned_names
from saltext_sipxha.core.pki.servercert import CaCertificate
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.plan.settings import PkiSettings
from tests.support import pillars

PASSPHRASE = b"correct horse battery staple"


def fleet():
    return build_plan(pillars.seed())


def allowed(minion_id: str) -> tuple[str, ...]:
    plan = fleet()
    return planned_names(plan.domain, plan.find_server(minion_id).fqdn)


def new_ca(directory: Path, **pki) -> CertificateAuthority:
    ca = CertificateAuthority(directory / "ca", PASSPHRASE)
    ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com", **pki))
    return ca


def ca_of(ca: CertificateAuthority) -> CaCertificate:
    """The CA's certificate as a minion gets it (what :func:`.servercert.install` takes)."""
    return CaCertificate.from_pem(ca.certificate_pem())


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=30, check=False)
