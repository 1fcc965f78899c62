"""Runner ``sipxha``: the fleet's HA verification collected from every server into one table.

Each server runs ``sipxha.verify`` (its files, certificate, DHCP, and DNS and SIP failover as seen from
there); this runner gathers the reports and renders them with :mod:`saltext_sipxha.core.verify.fleet_table`.
"""

from __future__ import annotations

from typing import Any

import salt.client

from saltext_sipxha.core.verify.fleet_table import fleet_ok, fleet_table

__virtualname__ = "sipxha"


def __virtual__():
    return __virtualname__


def verify(  # noqa: PLR0917 (Salt passes CLI keyword arguments positionally-capable)
    tgt: str = "sipxha:domain:*",
    tgt_type: str = "pillar",
    dns_server: str | None = None,
    port: int | None = None,
    probe_timeout: float = 1,
    timeout: int = 120,
    table: bool = True,
) -> Any:
    """
    Run ``sipxha.verify`` on every server of the fleet and return one readable table (or the raw reports).

    tgt, tgt_type
        Which minions to ask (default: every minion with a ``sipxha:domain`` pillar).

    dns_server, port
        The nameserver every server checks DNS and SRV order against (default: from the pillar).

    probe_timeout
        Seconds each SIP OPTIONS probe waits.

    table
        ``False`` returns ``{"ok": ..., "servers": {minion: report}}`` instead of the table.

    CLI Example:

    .. code-block:: bash

        salt-run sipxha.verify
        salt-run sipxha.verify dns_server=192.0.2.53 port=53
        salt-run sipxha.verify table=False --out=json
    """
    kwarg: dict[str, Any] = {"probe_timeout": probe_timeout}
    kwarg |= {key: value for key, value in (("dns_server", dns_server), ("port", port)) if value is not None}
    with salt.client.get_local_client(__opts__["conf_file"]) as client:
        results = client.cmd(tgt, "sipxha.verify", kwarg=kwarg, tgt_type=tgt_type, timeout=timeout)
    if table:
        return fleet_table(results)
    return {"ok": fleet_ok(results), "servers": results}
