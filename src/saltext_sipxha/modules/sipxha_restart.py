"""Execution module ``sipxha_restart``: this server's side of a rolling restart (``salt-run sipxha.rollout``).

The restart marker (:mod:`saltext_sipxha.core.rollout.marker`, in the minion's cache folder), restarting
sipX (``service:restart_command`` or the service module) and the fleet's DNS with some servers drained
(nsupdate: one atomic update; zone file: written and reloaded on the ``dns:zonefile:minion``).
"""

from __future__ import annotations

import datetime
from typing import Any

from salt.exceptions import CommandExecutionError

from saltext_sipxha.core.rollout import marker
from saltext_sipxha.saltbridge import fleet_from, salt_errors

__virtualname__ = "sipxha_restart"
EVENT = "sipxha/restart/needed"


def __virtual__():
    return __virtualname__


def _path():
    return marker.marker_path(__opts__["cachedir"])


@salt_errors
def pending() -> dict[str, Any] | None:
    """
    Return this server's restart marker (``{"since": ..., "reasons": [...]}``), None when no restart is needed.

    CLI Example:

    .. code-block:: bash

        salt '*' sipxha_restart.pending
    """
    return marker.read_marker(_path())


@salt_errors
def mark(reasons: Any = None, fire: bool = True) -> dict[str, Any]:
    """
    Record that sipX here needs a restart (the marker survives a minion restart) and fire
    ``sipxha/restart/needed`` to the master, whose reactor starts ``sipxha.rollout``.

    reasons
        What changed (list or comma-separated).

    fire
        Fire the event (default True).

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_restart.mark reasons='sipX files'
    """
    reasons = reasons.split(",") if isinstance(reasons, str) else list(reasons or ["requested"])
    now = datetime.datetime.now(datetime.timezone.utc)
    record = marker.mark(_path(), reasons, now)
    if fire:
        __salt__["event.send"](EVENT, {"reasons": record["reasons"]})
    return record


@salt_errors
def clear() -> bool:
    """
    Remove this server's restart marker; True when there was one.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_restart.clear
    """
    return marker.clear(_path())


@salt_errors
def restart() -> str:
    """
    Restart sipX here now: ``sipxha:service:restart_command`` through ``cmd.run``, else the service module.
    The restart marker is taken as the restart begins (a change written from then on marks the server
    again) and put back when the restart fails: the command exits non-zero or the service does not restart.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_restart.restart
    """
    service = fleet_from(__pillar__).service
    if not service.manage:
        raise CommandExecutionError("sipxha:service:manage is false: sipX is never restarted by sipxha")
    taken = marker.read_marker(_path())
    if taken is not None:
        marker.clear(_path())
    try:
        return _restart(service.restart_command, service.name)
    except Exception:
        if taken is not None:
            marker.put_back(_path(), taken)
        raise


def _restart(command: str | None, name: str) -> str:
    if command:
        result = __salt__["cmd.run_all"](command, python_shell=True, timeout=600)
        if result["retcode"] != 0:
            tail = (result.get("stderr") or result.get("stdout") or "").strip().splitlines()[-3:]
            shown = " | ".join(tail) or "(no output)"
            raise CommandExecutionError(f"restart_command exited {result['retcode']}: {shown}")
        return "restart_command"
    if not __salt__["service.restart"](name):
        raise CommandExecutionError(f"service {name} did not restart")
    return f"service.restart {name}"


@salt_errors
def drain_dns(drained: Any = None, nsupdate: bool = True, test: bool = False) -> dict[str, Any]:
    """
    Make the fleet's SRV records the plan with the ``drained`` servers (and those in maintenance) left out:
    in nsupdate mode by one atomic update, in zone-file mode (on the ``dns:zonefile:minion`` only) by
    writing and reloading the zone. ``test=True`` reports the changes and sends and writes nothing.

    drained
        Minion ids to leave out (list or comma-separated; empty: undrain every server not in maintenance),
        instead of this minion's ``sipxha:rollout:drained`` (the rollout passes its own, current set).

    nsupdate
        ``False``: only the zone file (the rollout sent the RFC 2136 update from the master itself).

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_restart.drain_dns drained=sipxpbx2
        salt sipxpbx2 sipxha_restart.drain_dns
    """
    fleet = fleet_from(__pillar__, __context__)  # which DNS modes; the records come from sipxha_dns
    drained = [] if drained is None else drained  # the rollout's own set, not this minion's pillar copy of it
    report: dict[str, Any] = {}
    if nsupdate and fleet.dns.nsupdate is not None:
        update = __salt__["sipxha_dns.nsupdate"](drained=drained, test=test)
        report["nsupdate"] = {"changes": update["changes"], "sent": update["sent"]}
    settings = fleet.dns.zonefile
    if settings is not None and settings.minion == __opts__["id"]:
        zone = __salt__["sipxha_dns.zonefile"](drained=drained, test=test)
        report["zonefile"] = {"changed": zone["changed"], "serial": zone["new_serial"], "path": zone["path"]}
    return report
