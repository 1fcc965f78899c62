"""Minion-side renewal: assess the installed certificate against the plan, then renew or install.

The signing itself is passed in (``sign(csr_pem) -> (cert_pem, ca_pem)``): through the master's
runner in production, so this module never sees Salt.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from saltext_sipxha.core.errors import PkiError, UnsafeFileError
from saltext_sipxha.core.files.change import read_file
from saltext_sipxha.core.files.owner import resolve_owner
from saltext_sipxha.core.pki.keys import PrivateKey, generate_key
from saltext_sipxha.core.pki.names import planned_names
from saltext_sipxha.core.pki.servercert import (
    CaCertificate,
    SslLayout,
    build_csr,
    describe,
    hash_link_reason,
    install,
    key_file_reason,
    key_reason,
    read_cert,
    read_key,
    renewal_reasons,
)
from saltext_sipxha.core.plan.fleet import Fleet

Signer = Callable[[str], tuple[str, str]]


@dataclass(frozen=True)
class Assessment:
    """What is installed on this server and what would have to change."""

    layout: SslLayout
    fqdn: str
    names: tuple[str, ...]
    key: PrivateKey | None
    cert: x509.Certificate | None
    key_reason: str | None  #: why a new key is needed, or None to keep ssl.key
    reasons: tuple[str, ...]  #: why a new certificate is needed; empty = keep it
    ca_reason: str | None  #: why the CA file or its hash link must be (re)installed
    ca: CaCertificate | None  #: the CA's current certificate, parsed once (None: not known)

    @property
    def up_to_date(self) -> bool:
        return not self.reasons and not self.ca_reason

    @property
    def action(self) -> str | None:
        """What :func:`apply` does: ``issue`` (no certificate yet), ``renew``, ``install the CA for``, or None."""
        if self.reasons:
            return "issue" if self.cert is None else "renew"
        return "install the CA for" if self.ca_reason else None

    def summary(self) -> list[str]:
        return [*self.reasons, *([self.ca_reason] if self.ca_reason else [])]


def assess(fleet: Fleet, minion_id: str, ca_pem: str | None, now: datetime.datetime) -> Assessment:
    """Compare this server's SSL files with its plan and the CA's current certificate (None: not known)."""
    server = fleet.find_server(minion_id)
    layout = SslLayout.of(fleet, server)
    ca = CaCertificate.from_pem(ca_pem) if ca_pem else None
    key, cert = read_key(layout.key), read_cert(layout.cert)
    names = planned_names(fleet.domain, server.fqdn)
    new_key = key_reason(key, fleet.pki) or key_file_reason(
        layout.key, resolve_owner(fleet.service.user, fleet.service.group)
    )
    if new_key is None and cert is None:  # the CA signs no second certificate for a key it certified
        new_key = "no certificate for the existing key"
    ca_cert = ca.cert if ca is not None else None
    reasons = renewal_reasons(cert, key, ca_cert, names=names, renew_days=fleet.pki.renew_days, now=now)
    if new_key and not reasons:
        reasons = [new_key]
    ca_reason = _ca_reason(layout, ca) if ca is not None else None
    return Assessment(layout, server.fqdn, names, key, cert, new_key, tuple(reasons), ca_reason, ca)


def _ca_reason(layout: SslLayout, ca: CaCertificate) -> str | None:
    try:
        data = read_file(layout.ca_file)
    except UnsafeFileError:
        data = b""
    if data is None:
        return f"CA certificate {layout.ca_file.name} not installed"
    if data != ca.pem.encode():
        return f"CA certificate {layout.ca_file.name} differs from the CA's"
    return hash_link_reason(layout, ca.cert)


def apply(assessment: Assessment, fleet: Fleet, sign: Signer) -> dict[str, Any]:
    """Renew (new key when needed, CSR, signature, install) or just install the CA; returns a diff.

    The CA certificate is the assessment's (parsed once), or the one the signer returned when it differs.
    """
    if assessment.up_to_date:
        return {}
    ca = assessment.ca
    if ca is None:
        raise PkiError("the CA's certificate is not known: nothing can be renewed or installed")
    owner = resolve_owner(fleet.service.user, fleet.service.group)
    key, new_key = assessment.key, None
    if assessment.reasons:
        if assessment.key_reason or key is None:
            key = new_key = generate_key(fleet.pki)
        cert_pem, ca_pem = sign(build_csr(key, assessment.fqdn, assessment.names))
        ca = ca if ca_pem == ca.pem else CaCertificate.from_pem(ca_pem)
    else:
        cert_pem = (read_file(assessment.layout.cert) or b"").decode("ascii")
    files = install(assessment.layout, new_key, cert_pem, ca, owner)
    new = read_cert(assessment.layout.cert)
    return {
        "reasons": assessment.summary(),
        "old": describe(assessment.cert),
        "new": describe(new),
        "files": files,
    }
