"""Execution module ``sipxha_dns``: put the fleet's SRV records into DNS, by zone file or by RFC 2136 update.

The actions of the ``sipxha_dns`` states, which only shape their answers. ``sipxha.zone`` and
``sipxha.srv_records`` show the same records without changing anything; the core is
:mod:`saltext_sipxha.core.dns`.
"""

from __future__ import annotations

import datetime
from typing import Any

from salt.exceptions import SaltInvocationError

from saltext_sipxha.core.dns import fragment, rfc2136
from saltext_sipxha.core.dns import withdraw as withdraw_zone
from saltext_sipxha.core.dns import zonefile as zone_file
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import ZoneFileDns
from saltext_sipxha.saltbridge import fleet_from, salt_errors

__virtualname__ = "sipxha_dns"


def __virtual__():
    return __virtualname__


@salt_errors
def zonefile(path: str | None = None, reload: bool = True, drained: Any = None, test: bool = False) -> dict[str, Any]:
    """
    Write the fleet's zone (or, with ``dns:zonefile:fragment``, its zone fragment) to ``path`` once
    ``named-checkzone`` accepted it, and run ``dns:zonefile:reload`` after a change (or when an earlier
    reload failed). The SOA serial moves only when the records (or the include file) change.

    Returns ``{"path", "fragment", "changed", "diff", "old_serial", "new_serial", "reload", "retry_reload",
    "test"}``: ``reload`` is the command run (or that would be), ``retry_reload`` says the file was up to date
    but never loaded. The ``sipxha_dns.zonefile`` state calls it.

    path
        The zone file (default: ``sipxha:dns:zonefile:path``).

    reload
        Run the reload command after a change (default True).

    drained
        Minion ids a rollout has drained (list or comma-separated), instead of ``sipxha:rollout:drained``.

    test
        Only validate the candidate and report; writes and runs nothing.

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha_dns.zonefile test=True
        salt ns1 sipxha_dns.zonefile
    """
    fleet = _fleet(drained)
    settings = fleet.dns.zonefile
    path = path or (settings.path if settings is not None else None)
    if not path:
        raise SaltInvocationError("no zone file: pass path= or set sipxha:dns:zonefile:path")
    change, check = fragment.plan_zone(fleet, path, datetime.date.today())  # a fragment, or the whole zone
    command = settings.reload if settings is not None and reload else None
    retry = not change.changed and bool(command) and zone_file.reload_pending(path)
    report = {
        "path": path,
        "fragment": change.new_serial is None,
        "changed": change.changed,
        "diff": change.diff(),
        "old_serial": change.old_serial,
        "new_serial": change.new_serial,
        "reload": command if change.changed or retry else None,
        "retry_reload": retry,
        "test": bool(test),
    }
    if test:
        if change.changed:
            zone_file.validate(change, check)
    elif change.changed or retry:
        zone_file.apply_zonefile(change, check, zone_file.command_reloader(command) if command else None)
    return report


@salt_errors
def withdraw(path: str | None = None, test: bool = False) -> dict[str, Any]:
    """
    Put the zone file back without the sipX HA records (``sipxha.uninstall`` on the ``dns:zonefile:minion``):
    the original from before sipxha (its SOA serial moved past the live one), or where sipxha created the file,
    the zone without the HA records; validated like the zone file, reloaded, then the backup dropped.
    Refuses, changing nothing, an original whose SOA serial cannot be moved past the live one (the error
    names its ``.bak`` and the serial to set there): secondaries would not transfer it.

    Returns ``{"path", "managed", "pending", "changed", "diff", "old_serial", "new_serial", "reload", "test"}``:
    ``managed`` says ``path`` is ``sipxha:dns:zonefile:path``, ``pending`` that sipxha left something there
    (unchanged with ``pending``: only an earlier reload is still to run). The
    ``sipxha_dns.zonefile_uninstalled`` state calls it.

    path
        The zone file (default: ``sipxha:dns:zonefile:path``).

    test
        Only validate the candidate and report; writes and runs nothing.

    CLI Example:

    .. code-block:: bash

        salt ns1 sipxha_dns.withdraw test=True
    """
    fleet = fleet_from(__pillar__, __context__)
    settings = fleet.dns.zonefile
    path = path or (settings.path if settings is not None else None)
    report: dict[str, Any] = {"path": path, "managed": False, "pending": False, "changed": False, "test": bool(test)}
    if settings is None or settings.path != path:
        return report
    change = withdraw_zone.plan_withdraw(fleet, settings, datetime.date.today())
    report["managed"] = True
    if change is None:
        return report
    report |= {"pending": True, "changed": change.changed, "diff": change.diff(), "reload": settings.reload}
    report |= {"old_serial": change.old_serial, "new_serial": change.new_serial}
    check = _checker(settings)
    if test:
        zone_file.validate(change, check)
        return report
    zone_file.apply_zonefile(change, check, zone_file.command_reloader(settings.reload) if settings.reload else None)
    withdraw_zone.forget(settings)
    return report


def _fleet(drained: Any) -> Fleet:
    """The plan; with ``drained`` (a rollout's current set: ids, a list or comma-separated) instead of the pillar's."""
    fleet = fleet_from(__pillar__, __context__)
    if drained is None:
        return fleet
    ids = drained.split(",") if isinstance(drained, str) else list(drained)
    return fleet.with_drained(str(item).strip() for item in ids if str(item).strip())


def _checker(settings: ZoneFileDns | None) -> zone_file.Checker:
    """The validation of a candidate: the zone itself, or for a fragment the site's zone including it."""
    if settings is not None and settings.fragment:
        return fragment.including_checker(settings, zone_file.named_checkzone)
    return zone_file.named_checkzone


@salt_errors
def nsupdate(without: str | None = None, drained: Any = None, test: bool = False) -> dict[str, Any]:
    """
    Make the live SRV/NAPTR RRsets of ``dns:nsupdate:zone`` equal the plan by one atomic RFC 2136 update
    (TCP, TSIG; several when too large for one message), changing only the RRsets this extension owns.

    Returns ``{"zone", "server", "without", "in_sync", "changes": {rrset: {"old", "new"}}, "sent", "test"}``.
    The ``sipxha_dns.nsupdate`` and ``sipxha_dns.server_absent`` states call it.

    without
        A minion id to leave out of every record (``sipxha.uninstall`` of that server).

    drained
        Minion ids a rollout has drained (list or comma-separated), instead of ``sipxha:rollout:drained``.

    test
        Only read the zone and report the changes; sends nothing.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx1 sipxha_dns.nsupdate test=True
        salt sipxpbx2 sipxha_dns.nsupdate without=sipxpbx2
    """
    fleet = _fleet(drained)
    client = rfc2136.client_for(fleet)
    if test:
        plan, sent = rfc2136.plan_update(fleet, client, without=without), 0
    else:
        plan, sent = rfc2136.converge(fleet, client, without=without)
    return {
        "zone": str(rfc2136.absolute(client.settings.zone)),
        "server": client.where,
        "without": without,
        "in_sync": plan.in_sync,
        "changes": plan.to_dict(),
        "sent": sent,
        "test": bool(test),
    }
