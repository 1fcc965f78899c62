"""Where managed files may lie: each path key's expected trees, checked once the plan is built.

A path the pillar gives is absolute and normalised (:meth:`.reader.Node.abspath`). On top of that, a path
inside a system folder (:data:`SYSTEM_TREES`: ``/etc``, ``/usr``, ``/var``, ...) must lie in the trees its
key expects, so that a slip or a hostile value (``dhcp: {config: /etc/passwd}``, ``paths: {etc: /etc}``)
never makes sipxha rewrite, back up and later "restore" a system file:

- ``paths:etc`` / ``paths:ssl`` (and a server's own ``paths``): a folder named ``sipx...`` on the way
  (``/etc/sipxpbx``, ``/usr/local/sipx/etc/sipxpbx``);
- ``dhcp:config``: :data:`DHCP_TREES` (``/etc/kea``, ``/etc/dhcp``, ...);
- ``dns:zonefile:path`` / ``include`` / ``including``: :data:`ZONE_TREES` (``/etc/bind``, ``/var/lib/bind``,
  ``/var/cache/bind``, RHEL's ``/var/named``, ...).

Paths outside the system folders (a test sandbox under ``/tmp``, a site's ``/srv/...``) are the
administrator's choice and accepted. ``sipxha:paths:allow_outside`` lists more folders (absolute) where
any managed path may lie, for a layout these rules do not know.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from saltext_sipxha.core.errors import PillarError

if TYPE_CHECKING:  # fleet.build_plan calls check_trees
    from saltext_sipxha.core.plan.fleet import Fleet

SYSTEM_TREES = (
    "/etc", "/usr", "/var", "/opt", "/boot", "/root", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/sys", "/dev", "/run",
)  # fmt: skip
DHCP_TREES = ("/etc/kea", "/etc/dhcp", "/usr/local/etc/kea", "/usr/local/etc/dhcp")
ZONE_TREES = (
    "/etc/bind", "/var/lib/bind", "/var/cache/bind", "/etc/named", "/var/named", "/var/lib/named",
    "/usr/local/etc/namedb",
)  # fmt: skip
_WHAT = {"sipx": "a sipX folder (a 'sipx...' folder on its way, e.g. /etc/sipxpbx)", "dhcp": ", ".join(DHCP_TREES)}
_WHAT["zone"] = ", ".join(ZONE_TREES)
_ROOT = PurePosixPath("/")


def check_trees(fleet: Fleet, paths: Mapping[str, str], allow_outside: Sequence[str] = ()) -> None:
    """:class:`PillarError` naming the key of the first managed path outside its expected trees; ``paths`` is
    the fleet-wide ``sipxha:paths`` (a server's own ``paths`` that differ are named as that server's)."""
    for key, path, kind in _managed(fleet, paths):
        if not _allowed(path, kind, allow_outside):
            raise PillarError(
                key,
                f"{path} lies in a system folder outside {_WHAT[kind]}: refused (list its folder in "
                "sipxha:paths:allow_outside if this layout is really wanted)",
            )


def _managed(fleet: Fleet, paths: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """``(key, path, kind)`` of every path the pillar gives."""
    for server in fleet.servers:
        for name, path in server.paths.items():
            own = paths.get(name) != path
            yield (f"sipxha:servers:{server.minion_id}:paths:{name}" if own else f"sipxha:paths:{name}"), path, "sipx"
    yield "sipxha:dhcp:config", fleet.dhcp.config, "dhcp"
    zonefile = fleet.dns.zonefile
    for name in ("path", "include", "including") if zonefile is not None else ():
        value = getattr(zonefile, name)
        if value is not None:
            yield f"sipxha:dns:zonefile:{name}", value, "zone"


def _allowed(path: str, kind: str, allow_outside: Sequence[str]) -> bool:
    target = PurePosixPath(path)
    if target == _ROOT:
        return False
    if any(target.is_relative_to(folder) for folder in allow_outside):
        return True
    if not any(target == PurePosixPath(tree) or _under(target, tree) for tree in SYSTEM_TREES):
        return True  # not a system folder: the administrator's choice
    if kind == "sipx":
        return any(part.startswith("sipx") for part in target.parts[2:])
    return any(_under(target, tree) for tree in (DHCP_TREES if kind == "dhcp" else ZONE_TREES))


def _under(target: PurePosixPath, folder: str) -> bool:
    """True when ``target`` lies strictly inside ``folder``."""
    return target != PurePosixPath(folder) and target.is_relative_to(folder)
