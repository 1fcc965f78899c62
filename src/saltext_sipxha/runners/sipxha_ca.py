"""
Runner ``sipxha_ca``: the fleet's certificate authority on the Salt master.

Master configuration (see ``docs/pki.md``):

.. code-block:: yaml

    sipxha_ca:
      dir: /etc/salt/pki/master/sipxha_ca        # default: <pki_dir>/sipxha_ca
      passphrase_file: /etc/salt/sipxha_ca.pass   # or passphrase: ...
    peer_run:
      '.*':
        - sipxha_ca.sign
        - sipxha_ca.ca_cert

``sign`` trusts only Salt's authenticated caller id and the ``sipxha`` pillar as the master compiles
it for that id without the minion's reported grains; it never returns or
logs a private key. Refusals are generic for the caller and precise in the master log.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.errors import PillarError, PkiError, SipxhaError
from saltext_sipxha.core.pki.ca import CA_DAYS, CertificateAuthority, master_ca
from saltext_sipxha.core.pki.policy import plan_for
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.reader import Node
from saltext_sipxha.core.plan.settings import PkiSettings, read_pki
from saltext_sipxha.saltbridge import fleet_of_minion, salt_errors

log = logging.getLogger(__name__)

__virtualname__ = "sipxha_ca"
__func_alias__ = {"import_": "import"}
REFUSED = "the CA refused this certificate request; the reason is in the Salt master's log"


def __virtual__():
    return __virtualname__


def _ca() -> CertificateAuthority:
    return master_ca(__opts__)


def _fleet_of(minion_id: str) -> Fleet:
    """The plan the CA authorises ``minion_id`` against (:func:`saltbridge.fleet_of_minion`: compiled here on
    the master from master-side data only, never with the grains the minion reported)."""
    return fleet_of_minion(__opts__, minion_id)


@salt_errors
def init(ca_name: str | None = None, key_type: str | None = None, bits: int | None = None, curve: str | None = None,
         days: int = CA_DAYS) -> dict[str, Any]:  # fmt: skip
    """
    Create the CA once (idempotent: an existing CA is reported, never replaced).

    Name and key type come from the master's ``sipxha:pki`` pillar unless given here
    (RSA 2048 with SHA-256 by default; ``key_type=ec curve=secp256r1`` for EC).

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.init
        salt-run sipxha_ca.init ca_name=ca.example.com key_type=ec curve=secp384r1
    """
    ca = _ca()
    if ca.exists():
        return {"created": False, "comment": "the CA already exists", **ca.status()["ca"]}
    pki = _pki_settings(ca_name, key_type, bits, curve)
    ca.create(pki.ca_name, pki, days)
    log.info("sipxha_ca: created CA %s in %s", pki.ca_name, ca.dir)
    return {"created": True, **ca.status()["ca"]}


def _pki_settings(ca_name, key_type, bits, curve) -> PkiSettings:
    try:
        pki = _fleet_of(__opts__["id"]).pki
    except PillarError:
        if not ca_name:
            raise
        pki = PkiSettings(ca_name=ca_name)
    overrides = {"ca_name": ca_name, "key_type": key_type, "bits": bits, "curve": curve}
    overrides = {key: value for key, value in overrides.items() if value}
    # validated by the pillar reader: same rules and messages as sipxha:pki
    spec = {"ca_name": overrides.get("ca_name", pki.ca_name), "key": {"type": overrides.get("key_type", pki.key_type)}}
    if spec["key"]["type"] == "rsa":
        spec["key"]["bits"] = overrides.get("bits", pki.bits)
    else:
        spec["key"]["curve"] = overrides.get("curve", pki.curve)
    return read_pki(Node(spec, "sipxha:pki"), pki.ca_name)


@salt_errors
def import_(cert: str, key: str, key_passphrase: str | None = None, force: bool = False) -> dict[str, Any]:
    """
    Adopt an existing CA pair (PEM files on the master), e.g. one made by sipX's ``gen-ssl-keys.sh --new-ca``.

    The key is re-encrypted with the configured CA passphrase. Refuses to replace an existing CA
    unless ``force=True``.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.import cert=/root/sslkeys/ca.example.com.crt key=/root/sslkeys/ca.example.com.key
    """
    try:
        cert_pem, key_pem = Path(cert).read_bytes(), Path(key).read_bytes()
    except OSError as err:
        raise PkiError(f"cannot read {err.filename}: {err.strerror}") from err
    ca = _ca()
    ca.adopt(cert_pem, key_pem, key_passphrase.encode() if key_passphrase else None, force=force)
    log.info("sipxha_ca: imported CA %s into %s", ca.certificate.subject.rfc4514_string(), ca.dir)
    return {"imported": True, **ca.status()["ca"]}


def sign(csr: str) -> dict[str, Any]:
    """
    Sign the calling minion's CSR if it asks for exactly the names its own pillar entry allows.

    Rate limit: a minion whose current certificate is valid, not within ``pki:renew_days`` of expiry, and
    for the same key and names gets no new one (``sipxha_ca.allow`` lets one through; so does a revocation).

    Reached by minions through ``publish.runner`` (allowed by ``peer_run``); the caller is Salt's
    authenticated minion id. Returns ``{"data": {"certificate", "ca", "serial"}, "errors": []}``.

    CLI Example:

    .. code-block:: bash

        salt-call publish.runner sipxha_ca.sign arg="['<PEM CSR>']"
    """
    caller = __opts__["id"]
    try:
        ca, fleet = _ca(), _fleet_of(caller)
        names, fqdn, days = plan_for(fleet, caller)
        cert = ca.sign(csr, caller, names, fqdn, days, renew_days=fleet.pki.renew_days)
    except SipxhaError as err:
        log.warning("sipxha_ca.sign refused for minion %s: %s", caller, err)
        return {"data": None, "errors": [REFUSED]}
    except Exception:  # pylint: disable=broad-except
        log.exception("sipxha_ca.sign failed for minion %s", caller)
        return {"data": None, "errors": [REFUSED]}
    serial = f"{cert.serial_number:x}"
    log.info("sipxha_ca: signed serial %s for minion %s (%s)", serial, caller, ", ".join(names))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return {"data": {"certificate": pem, "ca": ca.certificate_pem(), "serial": serial}, "errors": []}


@salt_errors
def ca_cert() -> str:
    """
    Return the CA certificate (PEM, public): minions compare it with what they have installed.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.ca_cert
    """
    return _ca().certificate_pem()


@salt_errors
def revoke(minion: str | None = None, serial: str | None = None) -> dict[str, Any]:
    """
    Revoke one certificate (``serial``, hex) or every unexpired certificate of ``minion``; rewrites the CRL.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.revoke minion=sipxpbx2
        salt-run sipxha_ca.revoke serial=4f1c...
    """
    ca = _ca()
    revoked = ca.revoke(minion=minion, serial=str(serial) if serial is not None else None)
    log.info("sipxha_ca: revoked %s", ", ".join(entry.serial for entry in revoked) or "nothing")
    return {"revoked": [entry.to_dict() for entry in revoked], "crl": str(ca.crl_path)}


@salt_errors
def allow(minion: str) -> dict[str, Any]:
    """
    Let ``minion`` get one new certificate although its current one is valid and not due (the rate limit).

    The permission is used up by the next certificate signed for that minion. The old certificate stays
    valid and revocable (``sipxha_ca.revoke serial=...``).

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.allow minion=sipxpbx2
    """
    _ca().allow(str(minion))
    log.info("sipxha_ca: one certificate allowed for minion %s despite the rate limit", minion)
    return {"allowed": str(minion)}


@salt_errors
def status() -> dict[str, Any]:
    """
    Report the CA and every certificate it issued (minion, names, expiry, valid/expired/revoked).

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.status
    """
    return _ca().status()


@salt_errors
def export(path: str, passphrase: str | None = None) -> dict[str, Any]:
    """
    Write an encrypted PKCS#12 archive of the CA key and certificate to ``path`` (0600) for safe keeping.

    Encrypted with ``passphrase``, or with the CA passphrase when none is given. Nothing secret is returned.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha_ca.export /root/sipxha-ca.p12 passphrase='offline secret'
    """
    ca = _ca()
    return ca.export(path, passphrase.encode() if passphrase else ca.passphrase)
