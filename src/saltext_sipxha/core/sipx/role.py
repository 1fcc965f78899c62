"""The sipX files of one server and what its role (from the :class:`Fleet`) wants them to be.

:func:`plan_role` reads every file first and works out every new text; nothing is written until
:func:`~.filechange.apply_changes` runs, so a malformed or hostile file anywhere stops the run with
all files untouched. Paths come from the server's ``paths:etc``.

sipX 3.x expands the ``.in`` templates (``forwardingrules.xml.in``, ``registrar-config.in``,
``proxy-config.in``, ``topology.xml.in``) into the effective files at every service start, so both
are edited: a missing template is skipped quietly; a missing effective file next to its template is
reported in the notes (sipX writes it at its next start); when both are missing the install is not a
sipX 3.x one and that is an error. ``WatchDog.xml`` and ``config.defs`` must exist;
``ProcessDefinitions.xml`` is edited where it exists.

Values that only a distributed server changes (its WatchDog processes, the ``<start control>``
values, the config.defs service addresses pointing at the master) go back to the original file's
values (the ``.bak`` taken before sipxha's first edit) when the server becomes a master again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files import keyvalue
from saltext_sipxha.core.files.change import FileChange, read_backup, read_file
from saltext_sipxha.core.plan.fleet import MASTER_SERVICE_KEYS, Fleet, Server
from saltext_sipxha.core.sipx import forwarding, processdefs, topology, watchdog

#: (file name, what a stock config.defs has for it): restored on a master when no original is saved.
STOCK_SERVICE_VALUES = {key: "${MY_IP_ADDR}" for key in MASTER_SERVICE_KEYS} | {
    "VOICEMAIL_SERVER_HOSTNAME": "${MY_FULL_HOSTNAME}"
}
DEFAULT_HTTPS_PORT = "8091"

#: editor(current bytes, original bytes or None, path) -> new bytes
Editor = Callable[[bytes, "bytes | None", str], bytes]


@dataclass(frozen=True)
class RolePlan:
    """Every role file of one server: its planned change, plus notes for the admin."""

    minion_id: str
    role: str
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[FileChange, ...]:
        return tuple(change for change in self.changes if change.changed)


def plan_role(fleet: Fleet, minion_id: str) -> RolePlan:
    """Read this server's sipX files and compute what its role wants; writes nothing."""
    server = fleet.find_server(minion_id)
    etc = Path(server.paths["etc"])
    changes: list[FileChange] = []
    notes: list[str] = []
    for name, editor in _editors(fleet, server, etc).items():
        path = str(etc / name)
        current = read_file(path)
        if current is None:
            _missing(path, name, notes)
            continue
        changes.append(FileChange(path, current, editor(current, read_backup(path), path)))
    return RolePlan(server.minion_id, server.role, tuple(changes), tuple(notes))


#: Every file :func:`plan_role` may edit, relative to ``paths:etc`` (what ``sipxha.uninstall`` puts back).
ROLE_FILES = (
    "WatchDog.xml",
    "ProcessDefinitions.xml",
    "config.defs",
    "forwardingrules.xml",
    "forwardingrules.xml.in",
    "registrar-config",
    "registrar-config.in",
    "proxy-config",
    "proxy-config.in",
    "topology.xml",
    "topology.xml.in",
)
_REQUIRED = ("WatchDog.xml", "config.defs")
_OPTIONAL = ("ProcessDefinitions.xml", "topology.xml", "topology.xml.in")


def _missing(path: str, name: str, notes: list[str]) -> None:
    if name in _REQUIRED:
        raise UnsafeFileError(path, "is missing: is sipX 3.x installed here (sipxha:paths:etc)?")
    if name.endswith(".in") or name in _OPTIONAL:
        return
    if Path(path + ".in").exists():
        notes.append(f"{path} does not exist yet: sipX writes it from {name}.in at its next start")
        return
    raise UnsafeFileError(path, f"is missing, and so is {name}.in: is sipX 3.x installed here (sipxha:paths:etc)?")


def _editors(fleet: Fleet, server: Server, etc: Path) -> dict[str, Editor]:
    keep = server.processes
    shell, colon = keyvalue.SHELL, keyvalue.COLON
    editors: dict[str, Editor] = {
        "WatchDog.xml": lambda data, orig, path: watchdog.set_enabled(data, path, keep),
        "ProcessDefinitions.xml": lambda data, orig, path: processdefs.set_start_controls(
            data, path, keep, processdefs.start_controls(orig, path + ".bak") if orig else None
        ),
        "config.defs": lambda data, orig, path: _text(
            data, lambda text: keyvalue.set_values(text, _config_defs(server, text, orig), shell)
        ),
        "forwardingrules.xml": lambda data, orig, path: forwarding.set_registrar(data, path, server.registrar_name),
        "forwardingrules.xml.in": lambda data, orig, path: forwarding.set_registrar(
            data, path, forwarding.TEMPLATE_HOST
        ),
    }
    for name, values in (("registrar-config", server.registrar_config), ("proxy-config", server.proxy_config)):
        for suffix in ("", ".in"):
            editors[name + suffix] = _keyvalue_editor(values, colon)
    members = [topology.Member(s.fqdn, s.index, s.is_master) for s in fleet.servers] if server.is_master else []
    port = _https_port(etc)
    editors["topology.xml"] = lambda data, orig, path: topology.set_locations(data, path, members, port, (server.fqdn,))
    editors["topology.xml.in"] = lambda data, orig, path: topology.set_locations(
        data, path, members, topology.TEMPLATE_PORT, (topology.TEMPLATE_HOST,)
    )
    return editors


def _keyvalue_editor(values: Mapping[str, str], fmt: keyvalue.Format) -> Editor:
    return lambda data, orig, path: _text(data, lambda text: keyvalue.set_values(text, values, fmt))


def _text(data: bytes, edit: Callable[[str], str]) -> bytes:
    """Apply a text edit to bytes, keeping them as they are when nothing changes."""
    text = data.decode("utf-8", "surrogateescape")
    new = edit(text)
    return data if new == text else new.encode("utf-8", "surrogateescape")


def _config_defs(server: Server, current: str, original: bytes | None) -> dict[str, str]:
    """config.defs values: the plan's, and on a master the service addresses as they originally were."""
    values = dict(server.config_defs)
    if server.is_master and original is not None:
        text = original.decode("utf-8", "surrogateescape")
        for key in MASTER_SERVICE_KEYS:
            if keyvalue.get(current, key, keyvalue.SHELL) is None:
                continue
            stock = keyvalue.get(text, key, keyvalue.SHELL)
            values[key] = stock if stock is not None else STOCK_SERVICE_VALUES[key]
    return values


def _https_port(etc: Path) -> str:
    """CONFIG_SERVER_HTTPS_PORT of this server's config.defs (literal digits only), else sipX's 8091."""
    data = read_file(etc / "config.defs") or b""
    value = keyvalue.get(data.decode("utf-8", "surrogateescape"), "CONFIG_SERVER_HTTPS_PORT", keyvalue.SHELL)
    return value if value and value.isdigit() else DEFAULT_HTTPS_PORT
