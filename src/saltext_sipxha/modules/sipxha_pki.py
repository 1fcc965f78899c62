"""
Execution module ``sipxha_pki``: this sipX server's own key and certificate.

The key is made here and never leaves the minion; the CSR goes to the master's ``sipxha_ca.sign``
runner through ``publish.runner`` (allowed by the master's ``peer_run``). The CA certificate comes from
the pillar when the master has the ``sipxha_ca`` ext_pillar, else from ``sipxha_ca.ca_cert`` the same
way. A masterless lab can set ``sipxha_pki: {local_ca: {dir: ..., passphrase_file: ...}}`` in the
minion config to sign with a CA on the same host instead (same policy).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any

from cryptography.hazmat.primitives import serialization
from salt.exceptions import CommandExecutionError

from saltext_sipxha.core.errors import PkiError, SigningRefused, SipxhaError
from saltext_sipxha.core.pki import renewal
from saltext_sipxha.core.pki.ca import ca_from_config
from saltext_sipxha.core.pki.policy import plan_for
from saltext_sipxha.core.pki.servercert import describe
from saltext_sipxha.saltbridge import fleet_from, salt_errors

log = logging.getLogger(__name__)

__virtualname__ = "sipxha_pki"
PUBLISH_TIMEOUT = 60


def __virtual__():
    return __virtualname__


def _local_ca():
    conf = (__opts__.get("sipxha_pki") or {}).get("local_ca")
    return None if conf is None else ca_from_config(conf, "", "sipxha_pki:local_ca")


def _runner(fun: str, arg: list | None = None) -> Any:
    ret = __salt__["publish.runner"](fun, arg=arg or [], timeout=PUBLISH_TIMEOUT)
    if ret in ({}, None, ""):
        raise PkiError(f"the master refused to run {fun}: allow it in the master's peer_run (see docs/pki.md)")
    return ret


def _pillar_ca() -> str | None:
    """The CA certificate the ``sipxha_ca`` ext_pillar put in this minion's pillar, if any."""
    entry = __pillar__.get("sipxha_ca")
    pem = entry.get("cert") if isinstance(entry, dict) else None
    return pem if isinstance(pem, str) and "BEGIN CERTIFICATE" in pem else None


@salt_errors
def ca_cert() -> str:
    """
    Return the current CA certificate (PEM): ``sipxha_ca:cert`` of the pillar (the master's ``sipxha_ca``
    ext_pillar), else asked from the master's ``sipxha_ca.ca_cert`` runner through ``publish.runner``.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_pki.ca_cert
    """
    local = _local_ca()
    if local is not None:
        return local.certificate_pem()
    if pem := _pillar_ca():
        return pem
    pem = _runner("sipxha_ca.ca_cert")
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        raise PkiError(f"the master did not return the CA certificate: {pem}")
    return pem


@salt_errors
def sign(csr: str) -> dict[str, str]:
    """
    Have a PEM CSR signed by the fleet's CA; returns ``{"certificate": PEM, "ca": PEM}``.

    The CA signs only the names this minion's own pillar entry allows.

    CLI Example:

    .. code-block:: bash

        salt-call sipxha_pki.sign "$(cat /tmp/sipxpbx2.csr)"
    """
    local = _local_ca()
    if local is not None:
        fleet = fleet_from(__pillar__, __context__)
        names, fqdn, days = plan_for(fleet, __opts__["id"])
        cert = local.sign(csr, __opts__["id"], names, fqdn, days, renew_days=fleet.pki.renew_days)
        return {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(), "ca": local.certificate_pem()}
    ret = _runner("sipxha_ca.sign", [csr])
    if not isinstance(ret, dict) or ret.get("errors") or not ret.get("data"):
        errors = ret.get("errors") if isinstance(ret, dict) else [str(ret)]
        raise SigningRefused(f"the CA did not sign: {'; '.join(map(str, errors or ['no answer']))}")
    return {"certificate": ret["data"]["certificate"], "ca": ret["data"]["ca"]}


def _signer(csr: str) -> tuple[str, str]:
    signed = __salt__["sipxha_pki.sign"](csr)
    return signed["certificate"], signed["ca"]


def _ca_source() -> str:
    """Where the CA certificate comes from: ``local`` (``sipxha_pki:local_ca``) or ``master``."""
    return "local" if (__opts__.get("sipxha_pki") or {}).get("local_ca") is not None else "master"


def _assess(ca_pem: str | None) -> renewal.Assessment:
    now = datetime.datetime.now(datetime.timezone.utc)
    return renewal.assess(fleet_from(__pillar__, __context__), __opts__["id"], ca_pem, now)


@salt_errors
def status() -> dict[str, Any]:
    """
    Report this server's certificate and whether (and why) it needs a new one.

    Compared with the master's CA; when the master cannot be asked, with the installed CA file
    (``ca`` says which, ``ca_error`` why).

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_pki.status
    """
    source, error = _ca_source(), None
    try:
        ca_pem = ca_cert()
    except (SipxhaError, CommandExecutionError) as err:
        source, error, ca_pem = "installed", str(err), None
    found = _assess(ca_pem)
    if ca_pem is None and found.layout.ca_file.exists():
        found = _assess(found.layout.ca_file.read_text(encoding="ascii", errors="replace"))
    elif ca_pem is None:
        source = "unknown"
    report = {
        "certificate": describe(found.cert),
        "key": str(found.layout.key) if found.key is not None else None,
        "up_to_date": found.up_to_date and error is None,
        "reasons": found.summary(),
        "ca": source,
    }
    return report | ({"ca_error": error} if error else {})


@salt_errors
def renew(force: bool = False, test: bool = False) -> dict[str, Any]:
    """
    Get a new certificate when one is needed (or always with ``force=True``, with a new key) and install it;
    returns the diff (empty when the certificate is current). The ``sipxha_pki.certificate`` state calls it.

    ``action`` says what was done: ``issue`` (there was no certificate), ``renew``, or
    ``install the CA for`` (the certificate is kept, the CA file or its hash link is put back).

    test
        Only say what would be done and why (``action``, ``reasons``, ``certificate``); changes nothing.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_pki.renew
        salt sipxpbx2 sipxha_pki.renew test=True
        salt sipxpbx2 sipxha_pki.renew force=True
    """
    ca_pem = ca_cert()
    found = _assess(ca_pem)
    if force and not found.reasons:  # with a new key: the CA signs no second certificate for a current one
        found = dataclasses.replace(found, reasons=("renewal forced",), key_reason="renewal forced")
    if found.up_to_date:
        return {}
    planned = {"action": found.action, "certificate": str(found.layout.cert)}
    if test:
        return planned | {"reasons": found.summary()}
    diff = renewal.apply(found, fleet_from(__pillar__, __context__), _signer)
    log.info("sipxha_pki: installed %s (%s)", ", ".join(diff["files"]), "; ".join(diff["reasons"]))
    return planned | diff
