"""Execution module ``sipxha``: the sipX HA plan, its DNS records and its verification.

Reads the ``sipxha`` pillar (see ``pillar.example``); all logic lives in
:mod:`saltext_sipxha.core`, this module only shapes results for Salt.
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.saltbridge import fleet_from, salt_errors

__virtualname__ = "sipxha"


def __virtual__():
    return __virtualname__


@salt_errors
def plan(server: str | None = None, own: bool = False) -> dict[str, Any]:
    """
    Return the validated HA plan of the fleet, or one server's part of it.

    Fails with the offending pillar key named (``sipxha:servers:sipxpbx2:index: ...``) when the
    ``sipxha`` pillar is malformed.

    server
        Minion id of the server whose part to return (its role, index, fqdn, SRV names,
        processes, config values and failover peers).

    own
        Return this minion's own part (same as ``server=<this minion's id>``).

    CLI Example:

    .. code-block:: bash

        salt '*' sipxha.plan
        salt sipxpbx2 sipxha.plan own=True
        salt-run salt.cmd sipxha.plan server=sipxpbx1
    """
    fleet = fleet_from(__pillar__)
    if own:
        server = __opts__["id"]
    if server is None:
        return fleet.to_dict()
    return fleet.find_server(server).to_dict()
