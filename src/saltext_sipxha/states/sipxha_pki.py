"""
State module ``sipxha_pki``: this sipX server holds a current certificate from the fleet's CA.

.. code-block:: yaml

    sipxha-certificate:
      sipxha_pki.certificate
"""

from __future__ import annotations

import datetime
from typing import Any

from saltext_sipxha.core.pki import renewal
from saltext_sipxha.saltbridge import fleet_from, run_state

__virtualname__ = "sipxha_pki"


def __virtual__():
    return __virtualname__


def _signer(csr: str) -> tuple[str, str]:
    signed = __salt__["sipxha_pki.sign"](csr)
    return signed["certificate"], signed["ca"]


def certificate(name: str) -> dict[str, Any]:
    """
    Ensure ``<ssl>/ssl.key``, ``ssl.crt`` and ``authorities/<ca_name>.crt`` (with its hash link) are current.

    A new certificate is requested only when none exists, it expires within ``pki:renew_days``,
    its names no longer match the pillar, the CA changed, or the key changed; ``test=True`` names
    which of these it would act on. The key is made on this server and never sent anywhere.

    name
        An arbitrary state id.

    Example (what the ``sipxha.pki`` SLS does; restart sipX when the certificate changed):

    .. code-block:: yaml

        sipxha-pki-certificate:
          sipxha_pki.certificate: []

        sipxpbx:
          service.running:
            - watch:
              - sipxha_pki: sipxha-pki-certificate
    """

    def body(ret: dict[str, Any]) -> None:
        fleet, ca_pem = fleet_from(__pillar__, __context__), __salt__["sipxha_pki.ca_cert"]()
        found = renewal.assess(fleet, __opts__["id"], ca_pem, datetime.datetime.now(datetime.timezone.utc))
        if found.up_to_date:
            ret["comment"] = f"Certificate {found.layout.cert} is current"
            return
        action = "renew" if found.reasons else "install the CA for"
        reasons = "; ".join(found.summary())
        if __opts__["test"]:
            ret.update(result=None, comment=f"Would {action} {found.layout.cert}: {reasons}")
            ret["changes"] = {"reasons": found.summary()}
            return
        ret["changes"] = renewal.apply(found, fleet, ca_pem, _signer)
        ret["comment"] = f"Did {action} {found.layout.cert}: {reasons}"

    return run_state(name, body)  # Salt errors from sipxha_pki.* (master unreachable, CA refused) fail it too
