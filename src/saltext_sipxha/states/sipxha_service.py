"""
State module ``sipxha_service``: restart sipX when its files or certificate changed, as ``service:restart`` says.

.. code-block:: yaml

    sipxha-restart:
      sipxha_service.restart:
        - watch:
          - sipxha: sipxha-role
          - sipxha_pki: sipxha-pki-certificate

On its own the state changes nothing (it reports a restart still pending). When a watched state changed:

- ``rolling`` (default): mark this server as needing a restart (a marker in the minion's cache that
  survives a minion restart) and fire ``sipxha/restart/needed``; the master's reactor starts
  ``salt-run sipxha.rollout``, which restarts the fleet one server at a time, drained from DNS.
  Masterless (``salt-call --local``, no master to orchestrate): acts as ``immediate``, and says so.
- ``immediate``: restart sipX now (``service:restart_command``, else the service module).
- ``never``: only mark it (no event): ``salt-run sipxha.rollout`` or the administrator restarts it.

With ``direct: True`` (``sipxha.uninstall``) sipX restarts now in ``rolling`` and ``immediate`` mode alike,
and not at all in ``never`` mode; a pending marker is cleared either way. The server is leaving HA: its
SRV records were removed just before (nsupdate mode), and a rollout would drain and undrain it by the
plan that still lists it, putting those records back.
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.saltbridge import fleet_from, run_state

__virtualname__ = "sipxha_service"
REASON = "sipX files or certificate changed"
UNINSTALL_REASON = "sipxha.uninstall put sipX's files back; the server leaves HA, so no rollout"


def __virtual__():
    return __virtualname__


def restart(name: str, direct: bool = False) -> dict[str, Any]:
    """
    Report whether a restart of sipX is pending here; the restart itself happens through ``watch``.

    .. code-block:: yaml

        sipxha-restart:
          sipxha_service.restart:
            - name: sipx
            - watch:
              - sipxha: sipxha-role

    name
        Any name (the state id).

    direct
        On a watched change restart now, never through a rollout (``never``: not at all); for
        ``sipxha.uninstall`` (see the module docstring).
    """

    def body(ret: dict[str, Any]) -> None:
        pending = __salt__["sipxha_restart.pending"]()
        ret["comment"] = (
            f"sipX restart pending since {pending.get('since')} ({', '.join(pending.get('reasons', []))}): "
            "salt-run sipxha.rollout restarts it"
            if pending
            else "sipX needs no restart"
        )

    return run_state(name, body)


def _masterless() -> bool:
    return __opts__.get("file_client") == "local" or __opts__.get("master_type") == "disable"


def mod_watch(name: str, direct: bool = False, **kwargs: Any) -> dict[str, Any]:
    """A watched state changed: mark, fire or restart, as ``sipxha:service:restart`` says (Salt's ``watch`` hook)."""

    def body(ret: dict[str, Any]) -> None:
        mode = fleet_from(__pillar__).service.restart
        if direct:
            _leave_ha(ret, mode)
            return
        note = ""
        if mode == "rolling" and _masterless():
            mode, note = "immediate", " (masterless: no master to orchestrate a rolling restart, so restarted now)"
        if mode == "immediate":
            _restart_now(ret, note)
            return
        fire = mode == "rolling"
        ret["changes"] = {"restart": {"old": None, "new": "needed"}}
        then = "the master's rollout restarts it" if fire else "service:restart is never: restart it yourself"
        if __opts__["test"]:
            ret.update(result=None, comment=f"Would mark sipX as needing a restart ({REASON}); {then}")
            return
        __salt__["sipxha_restart.mark"]([REASON], fire=fire)
        fired = ", fired sipxha/restart/needed" if fire else ""
        ret["comment"] = f"Marked sipX as needing a restart ({REASON}){fired}; {then}"

    return run_state(name, body)


def _leave_ha(ret: dict[str, Any], mode: str) -> None:
    """``direct``: restart now (``never``: leave it to the administrator); no marker left for a rollout."""
    if mode != "never":
        _restart_now(ret, "", UNINSTALL_REASON)
        return
    ret["comment"] = f"sipX needs a restart ({UNINSTALL_REASON}); service:restart is never: restart it yourself"
    if __opts__["test"]:
        return
    if __salt__["sipxha_restart.clear"]():
        ret["comment"] += " (its pending restart marker is cleared)"


def _restart_now(ret: dict[str, Any], note: str, reason: str = REASON) -> None:
    ret["changes"] = {"restart": {"old": None, "new": "restarted"}}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would restart sipX ({reason}){note}")
        return
    how = __salt__["sipxha_restart.restart"]()  # takes a pending restart marker too
    ret["comment"] = f"Restarted sipX by {how} ({reason}){note}"
