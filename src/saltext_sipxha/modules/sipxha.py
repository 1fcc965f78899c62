"""Execution module ``sipxha``: the sipX HA plan, its DNS records and its verification.

Reads the ``sipxha`` pillar (see ``pillar.example``); all logic lives in
:mod:`saltext_sipxha.core`, this module only shapes results for Salt.
"""

from __future__ import annotations

import datetime
from typing import Any

from salt.exceptions import SaltInvocationError

from saltext_sipxha.core import dnsverify, srv
from saltext_sipxha.core import zone as zonefmt
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


@salt_errors
def srv_records() -> list[dict[str, Any]]:
    """
    Return the planned SRV (and, with ``srv:naptr``, NAPTR) records of the fleet, in zone order.

    Each record is ``{"name": <absolute owner>, "type": "SRV", "ttl": ..., "rdata": "1 50 5060 host."}``.

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha.srv_records
    """
    return [record.to_dict() for record in srv.planned_records(fleet_from(__pillar__))]


@salt_errors
def zone(serial: int | None = None) -> str:
    """
    Return the BIND master file of the SIP domain (``$ORIGIN <domain>.``): SOA, NS, the servers' addresses
    and the planned SRV/NAPTR records, in a deterministic order (what ``sipxha.dns`` writes in zone-file mode).

    serial
        SOA serial to print (default: today's ``YYYYMMDD00``).

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha.zone
        salt ns1 sipxha.zone serial=2024051701
    """
    fleet = fleet_from(__pillar__)
    if serial is None:
        serial = zonefmt.next_serial(None, datetime.date.today())
    return zonefmt.render_zone(fleet, int(serial), fleet.dns.zonefile)


#: The parts :func:`verify` can check; each maps to a function ``(fleet, options) -> report``.
VERIFY_PARTS = {"dns": lambda fleet, options: _verify_dns(fleet, **options)}


@salt_errors
def verify(dns_server: str | None = None, port: int | None = None, parts: Any = ("dns",), timeout: float = 5):
    """
    Check the live system against the plan and return a report per part, with ``ok`` overall.

    The ``dns`` part resolves every planned owner name at one nameserver and reports missing, extra and
    different records, SRV targets that do not resolve, and the RFC 2782 order a client would follow.

    dns_server
        Nameserver to ask (default: ``sipxha:dns:nsupdate:server``, else the ``dns:zonefile`` minion's
        own address when it is a sipX server, else 127.0.0.1).

    port
        Its port (default: ``sipxha:dns:nsupdate:port``, else 53).

    parts
        Which checks to run (list or comma-separated; available: ``dns``).

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha.verify
        salt ns1 sipxha.verify dns_server=192.0.2.53 port=53
    """
    fleet = fleet_from(__pillar__)
    wanted = parts.split(",") if isinstance(parts, str) else list(parts)
    unknown = sorted(set(wanted) - set(VERIFY_PARTS))
    if unknown:
        raise SaltInvocationError(f"unknown verify part(s): {', '.join(unknown)} (known: {', '.join(VERIFY_PARTS)})")
    options = {"dns": {"server": dns_server, "port": port, "timeout": float(timeout)}}
    report = {part: VERIFY_PARTS[part](fleet, options.get(part, {})) for part in wanted}
    return {"ok": all(item["ok"] for item in report.values()), **report}


def _verify_dns(fleet, server: str | None, port: int | None, timeout: float) -> dict[str, Any]:
    nsupdate = fleet.dns.nsupdate
    if server is None:
        zone_server = fleet.get_server(fleet.dns.zonefile.minion) if fleet.dns.zonefile else None
        server = nsupdate.server if nsupdate else (zone_server.address if zone_server else "127.0.0.1")
    if port is None:
        port = nsupdate.port if nsupdate and server == nsupdate.server else 53
    report = dnsverify.verify_dns(fleet, dnsverify.lookup_at(server, int(port), timeout))
    return {"server": f"{server}:{port}", **report}
