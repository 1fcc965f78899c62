"""The CA's signing policy: what a certificate request must be for the CA to sign it.

Every refusal raises :class:`SigningRefused` with the precise reason; the runner logs it and
tells the requester only that the request was refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509

from saltext_sipxha.core.errors import SigningRefused
from saltext_sipxha.core.pki.keys import weakness
from saltext_sipxha.core.pki.names import names_of, planned_names
from saltext_sipxha.core.plan.fleet import Fleet


def load_csr(csr_pem: str | bytes) -> x509.CertificateSigningRequest:
    """Parse a PEM CSR and check its self-signature (proof that the requester holds the key)."""
    data = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
    if not isinstance(data, bytes) or len(data) > 64 * 1024:
        raise SigningRefused("the request is not a PEM CSR of reasonable size")
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError as err:
        raise SigningRefused(f"the request is not a readable PEM CSR ({err})") from err
    try:
        valid = csr.is_signature_valid
        csr.public_key()
    except ValueError as err:
        raise SigningRefused(f"the CSR's public key cannot be read ({err})") from err
    if not valid:
        raise SigningRefused("the CSR's signature does not verify (tampered, or not signed by its key)")
    return csr


def check_request(csr_pem: str | bytes, allowed: Iterable[str]) -> x509.CertificateSigningRequest:
    """The verified CSR when it asks for exactly the ``allowed`` names with an acceptable key.

    The CSR's subject and any extensions other than subjectAltName are ignored: the CA sets them.
    """
    csr = load_csr(csr_pem)
    problem = weakness(csr.public_key())
    if problem:
        raise SigningRefused(f"weak or unsupported key: {problem}")
    wanted, allowed = names_of(csr), frozenset(allowed)
    if wanted != allowed:
        extra, missing = sorted(wanted - allowed), sorted(allowed - wanted)
        parts = [f"not allowed: {', '.join(extra)}"] if extra else []
        parts += [f"missing: {', '.join(missing)}"] if missing else []
        detail = "; ".join(parts)
        raise SigningRefused(f"requested names differ from the planned ones ({detail})")
    return csr


def plan_for(fleet: Fleet, minion_id: str) -> tuple[tuple[str, ...], str, int]:
    """The names, subject fqdn and lifetime the CA grants ``minion_id``, from that minion's own plan."""
    server = fleet.get_server(minion_id)
    if server is None:
        raise SigningRefused(f"minion {minion_id!r} is not listed under sipxha:servers of its pillar")
    return planned_names(fleet.domain, server.fqdn), server.fqdn, fleet.pki.days
