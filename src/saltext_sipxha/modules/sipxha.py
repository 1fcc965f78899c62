"""Execution module ``sipxha``: the sipX HA plan, its DNS records and its verification.

Reads the ``sipxha`` pillar (see ``pillar.example``); all logic lives in
:mod:`saltext_sipxha.core`, this module only shapes results for Salt.
"""

from __future__ import annotations

import datetime
from typing import Any

from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_sipxha.core.dns import records, zonefile, zonetext
from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.sipx.dhcp import DHCP_SERVICES, is_dhcp_server, plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role
from saltext_sipxha.core.verify import failover_check, live_dns, registrar_sync
from saltext_sipxha.saltbridge import fleet_from, salt_errors, translate

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
    fleet = fleet_from(__pillar__, __context__)
    if own:
        server = __opts__["id"]
    if server is None:
        return fleet.to_dict()
    return fleet.find_server(server).to_dict()


def sls_context() -> dict[str, Any]:
    """
    Return every value the ``sipxha`` SLS files render for this minion, taken from the validated plan.

    The SLS files read nothing else (never the raw pillar, never their own defaults). On a bad pillar the
    answer is ``{"error": "Invalid sipxha pillar: <key>: ..."}`` and the SLS renders only the
    ``sipxha.plan_valid`` state, which fails naming the key, so nothing is written anywhere.

    ``server``: this minion is a sipX server of the fleet; ``service``: the sipX service's ``name``,
    ``manage``, ``restart`` (mode) and ``restart_command`` (whether one is set); ``dhcp``: ``here`` (this
    minion runs DHCP), the DHCP ``service`` and the ``others`` (Kea's, ISC's) that every other sipX server
    stops too; ``dns``: the ``zonefile`` path when this minion writes
    the zone file, the ``nsupdate`` zone when that mode is set.

    CLI Example:

    .. code-block:: bash

        salt-call sipxha.sls_context
    """
    minion_id = __opts__["id"]
    try:
        fleet = fleet_from(__pillar__, __context__)
    except SipxhaError as err:
        return {"error": str(translate(err)), "minion_id": minion_id}
    zonefile, nsupdate = fleet.dns.zonefile, fleet.dns.nsupdate
    return {
        "error": None,
        "minion_id": minion_id,
        "server": fleet.get_server(minion_id) is not None,
        "service": {
            "name": fleet.service.name,
            "manage": fleet.service.manage,
            "restart": fleet.service.restart,
            "restart_command": fleet.service.restart_command is not None,  # whether one is set, never its text
        },
        "dhcp": {
            "here": is_dhcp_server(fleet, minion_id),
            "service": fleet.dhcp.service,
            "others": [name for name in DHCP_SERVICES if name != fleet.dhcp.service],  # stopped on other servers
        },
        "dns": {
            "zonefile": zonefile.path if zonefile is not None and zonefile.minion == minion_id else None,
            "nsupdate": nsupdate.zone if nsupdate is not None else None,
        },
    }


@salt_errors
def srv_records() -> list[dict[str, Any]]:
    """
    Return the planned SRV (and, with ``srv:naptr``, NAPTR) records of the fleet, in zone order.

    Each record is ``{"name": <absolute owner>, "type": "SRV", "ttl": ..., "rdata": "1 50 5060 host."}``.

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha.srv_records
    """
    return [record.to_dict() for record in records.planned_records(fleet_from(__pillar__, __context__))]


@salt_errors
def zone(serial: int | None = None) -> str:
    """
    Return the BIND master file of the SIP domain (``$ORIGIN <domain>.``): SOA, NS, the servers' addresses
    and the planned SRV/NAPTR records, in a deterministic order: what ``sipxha_dns.zonefile`` writes in zone-file
    mode (the same rendering; the include file's SHA-256 read on this minion, ``missing`` where it is not).

    serial
        SOA serial to print (default: today's ``YYYYMMDD00``).

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha.zone
        salt ns1 sipxha.zone serial=2024051701
    """
    fleet = fleet_from(__pillar__, __context__)
    if serial is None:
        serial = zonetext.next_serial(None, datetime.date.today())
    return zonefile.wanted_zone(fleet, fleet.dns.zonefile).text(int(serial))


@salt_errors
def verify(
    dns_server: str | None = None,
    port: int | None = None,
    parts: Any = None,
    timeout: float = 5,
    probe_timeout: float = 1,
) -> dict[str, Any]:
    """
    Check the live system against the plan and return a report per part, with ``ok`` overall.

    ``dns``: every planned owner name resolved at one nameserver: missing, extra and different records,
    SRV targets that do not resolve, and the RFC 2782 order a client would follow.
    ``sip``: a SIP OPTIONS probe (TCP and UDP as the SRV name says) of every SRV target in that order, and
    which targets clients reach now (the reachable ones of the best priority group).
    ``certs``: this server's certificate against the CA, its names (SANs) and expiry (``sipxha_pki.status``).
    ``files``: this server's sipX files against its role (what ``state.apply sipxha`` would change).
    ``dhcp``: whether this server is the one DHCP server, its rendered configuration and service.
    On a sipX server, ``maintenance`` says whether it is drained by ``servers:<id>:maintenance``.
    ``sync``: registrar replication: every peer's ``ports:registrar_xmlrpc`` answers a TLS handshake whose
    certificate verifies against the fleet CA and the peer's fqdn, with this server's own certificate presented.
    With ``srv:tls``, ``sip`` verifies each ``_sips._tcp`` target by a TLS handshake (fleet CA, SIP domain).

    dns_server
        Nameserver to ask (default: ``sipxha:dns:nsupdate:server``, else the ``dns:zonefile`` minion's
        own address when it is a sipX server, else 127.0.0.1).

    port
        Its port (default: ``sipxha:dns:nsupdate:port``, else 53).

    parts
        Which checks to run (list or comma-separated; default: all of them on a sipX server, ``dns`` and
        ``sip`` elsewhere).

    timeout
        Seconds to wait for each DNS answer.

    probe_timeout
        Seconds to wait for each SIP OPTIONS answer.

    CLI Example:

    .. code-block:: bash

        salt '*' sipxha.verify
        salt ns1 sipxha.verify parts=dns,sip dns_server=192.0.2.53 port=53
        salt-run sipxha.verify
    """
    fleet = fleet_from(__pillar__, __context__)
    is_server = fleet.get_server(__opts__["id"]) is not None
    if parts is None:
        wanted = list(VERIFY_PARTS) if is_server else ["dns", "sip"]
    else:
        wanted = parts.split(",") if isinstance(parts, str) else list(parts)
    unknown = sorted(set(wanted) - set(VERIFY_PARTS))
    if unknown:
        raise SaltInvocationError(f"unknown verify part(s): {', '.join(unknown)} (known: {', '.join(VERIFY_PARTS)})")
    options = {"server": dns_server, "port": port, "timeout": float(timeout), "probe_timeout": float(probe_timeout)}
    report = {part: _run_part(part, fleet, options) for part in wanted}
    server = fleet.get_server(__opts__["id"])
    maintenance = {"maintenance": server.maintenance} if server is not None else {}
    return {"ok": all(item["ok"] for item in report.values()), **maintenance, **report}


def _run_part(part: str, fleet, options: dict[str, Any]) -> dict[str, Any]:
    """One part's report; a part that cannot run reports its error instead of hiding the others."""
    try:
        return VERIFY_PARTS[part](fleet, options)
    except (SipxhaError, CommandExecutionError) as err:
        return {"ok": False, "error": str(err)}


def _nameserver(fleet, options: dict[str, Any]) -> tuple[str, int]:
    """The nameserver and port to ask: the option, else nsupdate's server, else the zone-file minion."""
    server, port, nsupdate = options["server"], options["port"], fleet.dns.nsupdate
    if server is None:
        zone_server = fleet.get_server(fleet.dns.zonefile.minion) if fleet.dns.zonefile else None
        server = nsupdate.server if nsupdate else (zone_server.address if zone_server else "127.0.0.1")
    if port is None:
        port = nsupdate.port if nsupdate and server == nsupdate.server else 53
    return server, int(port)


def _verify_dns(fleet, options: dict[str, Any]) -> dict[str, Any]:
    server, port = _nameserver(fleet, options)
    report = live_dns.verify_dns(fleet, live_dns.lookup_at(server, port, options["timeout"]))
    return {"server": f"{server}:{port}", **report}


def _verify_sip(fleet, options: dict[str, Any]) -> dict[str, Any]:
    server, port = _nameserver(fleet, options)
    lookup = live_dns.lookup_at(server, port, options["timeout"])
    server = fleet.get_server(__opts__["id"])
    tls = registrar_sync.own_identity(fleet, server, present=False) if server is not None else None
    return failover_check.verify_failover(fleet, lookup, timeout=options["probe_timeout"], tls=tls)


def _verify_certs(fleet, options: dict[str, Any]) -> dict[str, Any]:
    if fleet.get_server(__opts__["id"]) is None:
        return {"ok": True, "skipped": "not a sipX server of the fleet"}
    status = __salt__["sipxha_pki.status"]()
    return {"ok": bool(status["up_to_date"]), **status}


def _verify_files(fleet, options: dict[str, Any]) -> dict[str, Any]:
    plan = plan_role(fleet, __opts__["id"])
    return {"ok": not plan.changed, "role": plan.role, "differs": [change.path for change in plan.changed]}


def _verify_dhcp(fleet, options: dict[str, Any]) -> dict[str, Any]:
    planned = is_dhcp_server(fleet, __opts__["id"])
    change = plan_dhcp(fleet, __opts__["id"]) if planned else None
    report: dict[str, Any] = {"server": planned, "config": fleet.dhcp.config if planned else None}
    report["config_matches"] = None if change is None else not change.changed
    report["running"] = None
    if fleet.service.manage:  # the DHCP server: its service; elsewhere none of Kea, ISC dhcpd, the configured one
        names = (fleet.dhcp.service,) if planned else tuple(dict.fromkeys((fleet.dhcp.service, *DHCP_SERVICES)))
        report["running_services"] = [name for name in names if __salt__["service.status"](name)]
        report["running"] = bool(report["running_services"])
    report["ok"] = report["config_matches"] is not False and report["running"] in (None, planned)
    return report


def _verify_sync(fleet, options: dict[str, Any]) -> dict[str, Any]:
    if fleet.get_server(__opts__["id"]) is None:
        return {"ok": True, "skipped": "not a sipX server of the fleet"}
    return registrar_sync.verify_sync(fleet, __opts__["id"], timeout=options["probe_timeout"])


#: The parts :func:`verify` can check, each ``(fleet, options) -> report with "ok"``.
VERIFY_PARTS = {
    "dns": _verify_dns,
    "sip": _verify_sip,
    "certs": _verify_certs,
    "files": _verify_files,
    "dhcp": _verify_dhcp,
    "sync": _verify_sync,
}
