"""Execution module ``sipxha_role``: this sipX server's role files (WatchDog.xml, config.defs, ...) and DHCP.

Reads the ``sipxha`` pillar; the editors live in :mod:`saltext_sipxha.core.sipx.role` and
:mod:`saltext_sipxha.core.sipx.dhcp`. The ``sipxha.role`` and ``sipxha.dhcp`` states call :func:`apply` and
:func:`apply_dhcp` and shape their answers; ``sipxha.uninstalled`` calls :func:`uninstall`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saltext_sipxha.core.files.change import FileChange, apply_changes
from saltext_sipxha.core.sipx.dhcp import check_config, plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role
from saltext_sipxha.core.uninstall import apply_uninstall, plan_uninstall
from saltext_sipxha.saltbridge import fleet_from, salt_errors

__virtualname__ = "sipxha_role"


def __virtual__():
    return __virtualname__


def _report(changes: list[FileChange], notes: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return extra | {"changes": {c.path: c.diff() for c in changes if c.changed}, "notes": list(notes)}


@salt_errors
def plan_changes() -> dict[str, Any]:
    """
    Show what this server's role wants changed in its sipX files, as unified diffs; changes nothing.

    Returns ``{"role": ..., "changes": {path: diff}, "notes": [...]}``; an empty ``changes`` means
    the files already are what the role wants.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_role.plan_changes
    """
    plan = plan_role(fleet_from(__pillar__, __context__), __opts__["id"])
    return _report(list(plan.changes), plan.notes, role=plan.role)


@salt_errors
def apply(test: bool = False, only: Any = None) -> dict[str, Any]:
    """
    Edit this server's sipX files to its role (original kept once as ``<file>.bak``, atomic writes).

    Returns ``{"role": ..., "changes": {path: diff}, "notes": [...], "test": ...}``: the files written (with
    ``test=True``, those that would be). The ``sipxha.role`` state calls it.

    test
        Only report what would change (same as ``plan_changes``).

    only
        File names (list or comma-separated, e.g. ``WatchDog.xml``) to limit it to.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_role.apply
        salt sipxpbx2 sipxha_role.apply test=True
        salt sipxpbx2 sipxha_role.apply only=WatchDog.xml,ProcessDefinitions.xml
    """
    plan = plan_role(fleet_from(__pillar__, __context__), __opts__["id"])
    names = only.split(",") if isinstance(only, str) else only
    changes = [c for c in plan.changes if names is None or Path(c.path).name in names]
    written = [c for c in changes if c.changed] if test else apply_changes(changes)
    return _report(written, plan.notes, role=plan.role, test=bool(test))


@salt_errors
def dhcp_config() -> str | None:
    """
    The Kea ``kea-dhcp4`` configuration this server should have, or None when it is not the DHCP server.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx1 sipxha_role.dhcp_config
    """
    change = plan_dhcp(fleet_from(__pillar__, __context__), __opts__["id"])
    return None if change is None else change.new.decode("utf-8")


@salt_errors
def apply_dhcp(test: bool = False) -> dict[str, Any]:
    """
    On the pillar's DHCP server, write its Kea or ISC dhcpd configuration (``dhcp:software``) after the daemon's
    own ``-t`` accepted it (also with ``test=True``); elsewhere do nothing. The ``sipxha.dhcp`` state calls it.

    Returns ``{"here": ..., "server": <sipxha:dhcp:server>, "changes": {path: diff}, "test": ...}``.

    test
        Only check the configuration and report whether it would change.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx1 sipxha_role.apply_dhcp
        salt sipxpbx1 sipxha_role.apply_dhcp test=True
    """
    fleet = fleet_from(__pillar__, __context__)
    change = plan_dhcp(fleet, __opts__["id"])
    report = {"here": change is not None, "server": fleet.dhcp.server, "test": bool(test)}
    if change is None:
        return _report([], **report)
    if change.changed:  # the daemon's own -t (never starting it) before the live file is replaced
        check_config(fleet.dhcp.software, change.new)
    return _report([change] if test else apply_changes([change]), **report)


@salt_errors
def uninstall(test: bool = False) -> dict[str, Any]:
    """
    Undo sipxha on this server: restore every file it edited from its ``.bak`` original, remove the files it
    created and the backups; this server's own key and certificate stay where there were none before sipxha.
    The ``sipxha.uninstalled`` state calls it.

    Returns ``{"pending", "changes": {path: {"diff"} | {"removed"} | {"kept"}}, "done": [lines], "test"}``
    (``pending`` False: nothing of sipxha here); private keys are never shown in a diff. The folders sipxha
    created go too once empty; one that still holds something else stays (``kept``, with why).

    test
        Only report what would be restored or removed.

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_role.uninstall test=True
    """
    plan = plan_uninstall(fleet_from(__pillar__, __context__), __opts__["id"])
    changes: dict[str, Any] = {change.path: {"diff": change.diff()} for change in plan.changes}
    changes.update({link: {"removed": "link"} for link in plan.links})
    changes.update({path: {"kept": "this server's own (sipX needs it to start)"} for path in plan.kept})
    changes.update({temp: {"removed": "temporary file of a killed write"} for temp in plan.temps})
    changes.update({folder: {"removed": "folder sipxha created, empty once undone"} for folder in plan.folders})
    changes.update({folder: {"kept": f"folder sipxha created; it {why}"} for folder, why in plan.kept_folders})
    done = apply_uninstall(plan) if plan.pending and not test else []
    return {"pending": plan.pending, "changes": changes if plan.pending else {}, "done": done, "test": bool(test)}
