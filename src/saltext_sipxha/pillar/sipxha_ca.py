"""
ext_pillar ``sipxha_ca``: the fleet CA's certificate (public) in the pillar of every listed sipX server.

Master configuration (see ``docs/pki.md``):

.. code-block:: yaml

    ext_pillar:
      - sipxha_ca: {}

A minion listed under ``sipxha:servers`` of its pillar gets ``sipxha_ca: {cert: <CA certificate PEM>}``;
other minions, and every minion while the master has no CA yet, get nothing. The CA folder is the
runner's (``sipxha_ca:dir`` of the master config, default ``<pki_dir>/sipxha_ca``); only ``ca.crt`` is
read, never the CA key. ``sipxha_pki.ca_cert`` then needs no ``publish.runner`` round trip per state run.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.pki.ca import master_ca_dir, read_ca_certificate

log = logging.getLogger(__name__)

__virtualname__ = "sipxha_ca"


def __virtual__():
    return __virtualname__


def _listed(minion_id: str, pillar: Any) -> bool:
    sipxha = pillar.get("sipxha") if isinstance(pillar, dict) else None
    servers = sipxha.get("servers") if isinstance(sipxha, dict) else None
    return isinstance(servers, dict) and minion_id in servers


def ext_pillar(minion_id: str, pillar: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """
    ``{"sipxha_ca": {"cert": PEM}}`` for a minion listed under ``sipxha:servers`` of ``pillar``, else ``{}``.

    Takes no options (``*args``/``**kwargs`` are what the master config passes: ignored). A CA folder that
    cannot be read is logged on the master and gives ``{}``: minions then ask ``sipxha_ca.ca_cert`` as before.
    """
    if args or kwargs:
        log.warning("ext_pillar sipxha_ca takes no options; ignored: %s %s", args, kwargs)
    if not _listed(minion_id, pillar):
        return {}
    try:
        cert = read_ca_certificate(master_ca_dir(__opts__))
    except PkiError as err:
        log.error("ext_pillar sipxha_ca: %s", err)
        return {}
    except OSError as err:
        log.error("ext_pillar sipxha_ca: cannot read the CA certificate: %s", err)
        return {}
    if cert is None:
        return {}
    return {"sipxha_ca": {"cert": cert.public_bytes(serialization.Encoding.PEM).decode()}}
