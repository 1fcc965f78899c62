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
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.saltbridge import fleet_from, run_state

__virtualname__ = "sipxha_service"
REASON = "sipX files or certificate changed"


def __virtual__():
    return __virtualname__


def restart(name: str) -> dict[str, Any]:
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


def mod_watch(name: str, **kwargs: Any) -> dict[str, Any]:
    """A watched state changed: mark, fire or restart, as ``sipxha:service:restart`` says (Salt's ``watch`` hook)."""

    def body(ret: dict[str, Any]) -> None:
        mode = fleet_from(__pillar__).service.restart
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


def _restart_now(ret: dict[str, Any], note: str) -> None:
    ret["changes"] = {"restart": {"old": None, "new": "restarted"}}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would restart sipX ({REASON}){note}")
        return
    how = __salt__["sipxha_restart.restart"]()
    __salt__["sipxha_restart.clear"]()
    ret["comment"] = f"Restarted sipX by {how} ({REASON}){note}"
