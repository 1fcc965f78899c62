"""State module ``sipxha``: a sipX server's files converge to its role in the ``sipxha`` pillar.

``sipxha.role``
    WatchDog.xml, ProcessDefinitions.xml, config.defs, forwardingrules.xml(.in),
    registrar-config(.in), proxy-config(.in) and, on the master, topology.xml(.in).
``sipxha.watchdog``
    Only WatchDog.xml and ProcessDefinitions.xml (which processes run).
``sipxha.dhcp``
    The Kea DHCP configuration on the pillar's one DHCP server (nothing elsewhere).
``sipxha.uninstalled``
    Every file sipxha edited back as it was (from the ``.bak`` originals), the files it created removed.

Every state reads and checks all its files and the pillar before writing any; ``test=True``
reports unified diffs and changes nothing; a second run reports no changes.

.. code-block:: yaml

    sipxha-role:
      sipxha.role: []
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.saltbridge import fleet_from, run_state

__virtualname__ = "sipxha"
WATCHDOG_FILES = ("WatchDog.xml", "ProcessDefinitions.xml")


def __virtual__():
    return __virtualname__


def _converge(ret: dict[str, Any], what: str, done: dict[str, Any]) -> None:
    """Shape the answer of an execution twin (``{"changes": {path: diff}, "notes": [...]}``, written or, under
    test=True, what would be): the shared body of every file state."""
    written, notes = done["changes"], done.get("notes", [])
    if not written:
        ret["comment"] = "\n".join([f"{what}: already as wanted", *notes])
        return
    ret["changes"] = {path: {"diff": diff} for path, diff in written.items()}
    paths = ", ".join(written)
    if __opts__["test"]:
        ret["result"] = None
        ret["comment"] = "\n".join([f"{what}: would update {paths}", *notes])
        return
    ret["comment"] = "\n".join([f"{what}: updated {paths} (originals kept as .bak)", *notes])


def plan_valid(name: str) -> dict[str, Any]:
    """
    Fail naming the bad key when the ``sipxha`` pillar is invalid; succeed without changes otherwise.

    The SLS files render only this state when :func:`sipxha.sls_context <..modules.sipxha.sls_context>`
    reports a bad pillar, so a bad pillar fails the run before anything is written.

    name
        Any name (the state id).

    Example (what every ``sipxha`` SLS renders instead of its states on a bad pillar):

    .. code-block:: yaml

        sipxha-plan:
          sipxha.plan_valid: []
    """

    def body(ret: dict[str, Any]) -> None:
        fleet = fleet_from(__pillar__, __context__)
        ret["comment"] = f"sipxha pillar is valid ({len(fleet.servers)} servers, master {fleet.master.minion_id})"

    return run_state(name, body)


def role(name: str, only: list[str] | None = None) -> dict[str, Any]:
    """
    Make this server's sipX files what its role (master or distributed) wants.

    name
        Any name (the state id).

    only
        Optional list of file names (e.g. ``[WatchDog.xml]``) to limit the state to.

    Example (what the ``sipxha`` SLS does; ``only`` limits it to some files):

    .. code-block:: yaml

        sipxha-role:
          sipxha.role: []

        sipxha-registrar-files:
          sipxha.role:
            - only: [registrar-config, registrar-config.in]
    """

    def body(ret: dict[str, Any]) -> None:
        done = __salt__["sipxha_role.apply"](test=__opts__["test"], only=only)
        _converge(ret, f"sipX files of {__opts__['id']} ({done['role']})", done)

    return run_state(name, body)


def watchdog(name: str) -> dict[str, Any]:
    """
    Only the processes this server runs: WatchDog.xml and ProcessDefinitions.xml.

    name
        Any name (the state id).

    Example:

    .. code-block:: yaml

        sipxha-processes:
          sipxha.watchdog: []
    """
    return role(name, only=list(WATCHDOG_FILES))


def dhcp(name: str) -> dict[str, Any]:
    """
    On the pillar's DHCP server (``sipxha:dhcp:server``), render its Kea or ISC dhcpd configuration
    (``dhcp:software``), checked by ``kea-dhcp4 -t`` / ``dhcpd -t -cf`` before it is written; elsewhere do nothing.

    name
        Any name (the state id).

    Example (what the ``sipxha.dhcp`` SLS does; the service follows the configuration):

    .. code-block:: yaml

        sipxha-dhcp:
          sipxha.dhcp: []

        kea-dhcp4-server:
          service.running:
            - enable: True
            - watch:
              - sipxha: sipxha-dhcp
    """

    def body(ret: dict[str, Any]) -> None:
        done = __salt__["sipxha_role.apply_dhcp"](test=__opts__["test"])
        if not done["here"]:
            ret["comment"] = f"not the DHCP server (sipxha:dhcp:server is {done['server']}): nothing to render"
            return
        _converge(ret, "DHCP configuration", done)

    return run_state(name, body)


def uninstalled(name: str) -> dict[str, Any]:
    """
    Undo sipxha on this server: restore every file it edited from its ``.bak`` original (byte for byte),
    remove the files it created (DHCP configuration, ...), the backups and the folders it created once empty
    (one that holds anything else stays, and the comment says why). The key and certificate from
    before sipxha are restored; where there were none, this server's own key, certificate, CA file and hash
    links stay, so that sipX still starts. Run it while the ``sipxha`` pillar is still assigned: it says where
    the files are.

    name
        Any name (the state id).

    Example (what the ``sipxha.uninstall`` SLS does):

    .. code-block:: yaml

        sipxha-uninstalled:
          sipxha.uninstalled: []
    """

    def body(ret: dict[str, Any]) -> None:
        done = __salt__["sipxha_role.uninstall"](test=__opts__["test"])
        if not done["pending"]:
            ret["comment"] = "nothing of sipxha to undo here"
            return
        ret["changes"] = done["changes"]
        if __opts__["test"]:
            ret["result"] = None
            ret["comment"] = f"would restore or remove {len(ret['changes'])} file(s)"
            return
        count = {word: sum(line.startswith(word) for line in done["done"]) for word in ("restored", "removed", "kept")}
        summary = f"sipxha undone: {count['restored']} file(s) restored from .bak, {count['removed']} removed"
        summary += f", {count['kept']} kept (see below)" if count["kept"] else ""
        ret["comment"] = "\n".join([summary, *done["done"]])

    return run_state(name, body)
