"""Execution module ``sipxha_role``: this sipX server's role files (WatchDog.xml, config.defs, ...) and DHCP.

Reads the ``sipxha`` pillar; the editors live in :mod:`saltext_sipxha.core` (:mod:`.core.role`,
:mod:`.core.dhcp`). The ``sipxha.role`` and ``sipxha.dhcp`` states are the usual way to apply them.
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.core.files.change import FileChange, apply_changes
from saltext_sipxha.core.sipx.dhcp import plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role
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
def apply(test: bool = False) -> dict[str, Any]:
    """
    Edit this server's sipX files to its role (original kept once as ``<file>.bak``, atomic writes).

    test
        Only report what would change (same as ``plan_changes``).

    CLI Example:

    .. code-block:: bash

        salt sipxpbx2 sipxha_role.apply
        salt sipxpbx2 sipxha_role.apply test=True
    """
    plan = plan_role(fleet_from(__pillar__, __context__), __opts__["id"])
    written = list(plan.changed) if test else apply_changes(plan.changes)
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
