"""
State module ``sipxha_pki``: this sipX server holds a current certificate from the fleet's CA.

The action is the execution module's (``sipxha_pki.renew``); the state only shapes its answer.

.. code-block:: yaml

    sipxha-certificate:
      sipxha_pki.certificate
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.core.pki.servercert import SslLayout
from saltext_sipxha.saltbridge import fleet_from, run_state

__virtualname__ = "sipxha_pki"


def __virtual__():
    return __virtualname__


#: the comment of what ``sipxha_pki.renew`` did
PAST = {"issue": "Issued", "renew": "Renewed", "install the CA for": "Installed the CA for"}


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
        done = __salt__["sipxha_pki.renew"](test=__opts__["test"])
        if not done:
            fleet = fleet_from(__pillar__, __context__)
            ret["comment"] = f"Certificate {SslLayout.of(fleet, fleet.find_server(__opts__['id'])).cert} is current"
            return
        reasons = "; ".join(done["reasons"])
        if __opts__["test"]:
            ret.update(result=None, comment=f"Would {done['action']} {done['certificate']}: {reasons}")
            ret["changes"] = {"reasons": done["reasons"]}
            return
        ret["changes"] = {key: value for key, value in done.items() if key not in ("action", "certificate")}
        ret["comment"] = f"{PAST[done['action']]} {done['certificate']}: {reasons}"

    return run_state(name, body)  # Salt errors from sipxha_pki.* (master unreachable, CA refused) fail it too
