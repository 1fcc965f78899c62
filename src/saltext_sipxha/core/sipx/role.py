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
values (the ``.bak`` taken before sipxha's first edit) when the server becomes a master again; a
service address that points at another server of the fleet even there (a fleet trimmed by hand
before sipxha) gets sipX's stock value, and every process WatchDog.xml lists is enabled.

Values are compared the way sipX reads them (:mod:`.expand`): ``rr.${MY_FULL_HOSTNAME}`` where
``rr.<fqdn>`` is planned is converged and left as written. The master's effective
``SIPXCHANGE_REALM`` (digest credentials include it) changes only with ``allow_realm_change``. The
auth proxy keeps record-routing with the server's own address (SyncDesign 5.11), not the SRV name
the stock ``authproxy-config.in`` would give it through ``${AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.errors import PillarError, UnsafeFileError
from saltext_sipxha.core.files import keyvalue, shell
from saltext_sipxha.core.files.change import FileChange, read_backup, read_file
from saltext_sipxha.core.plan.fleet import MASTER_SERVICE_KEYS, Fleet, Server
from saltext_sipxha.core.sipx import expand, forwarding, processdefs, topology, watchdog

#: (file name, what a stock config.defs has for it): restored on a master when no original is saved.
STOCK_SERVICE_VALUES = {key: "${MY_IP_ADDR}" for key in MASTER_SERVICE_KEYS} | {
    "VOICEMAIL_SERVER_HOSTNAME": "${MY_FULL_HOSTNAME}"
}
DEFAULT_HTTPS_PORT = "8091"
#: started by sipX's init script where ProcessDefinitions.xml has control="false" for it (the interop server)
INIT_STARTED = ("ConfigServer",)
ROUTE_KEY = "SIP_AUTHPROXY_ROUTE_NAME"
#: what the interop server's authproxy-config.in record-routes with: the server's own address
TEMPLATE_ROUTE = keyvalue.Raw("${MY_IP_ADDR}:${AUTH_PROXY_SERVER_SIP_PORT}")

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
    for name, editor in _editors(fleet, server).items():
        path = str(etc / name)
        current = read_file(path)
        if current is None:
            _missing(path, name, notes)
            continue
        changes.append(FileChange(path, current, editor(current, read_backup(path), path)))
    return RolePlan(server.minion_id, server.role, tuple(changes), tuple(notes))


def role_files(fleet: Fleet, server: Server) -> tuple[str, ...]:
    """Every file :func:`plan_role` may edit, relative to ``paths:etc`` (what ``sipxha.uninstall`` puts back):
    the keys of the editor table, the one list of them."""
    return tuple(_editors(fleet, server))


_REQUIRED = ("WatchDog.xml", "config.defs")
_OPTIONAL = ("ProcessDefinitions.xml", "topology.xml", "topology.xml.in", "authproxy-config", "authproxy-config.in")


def _missing(path: str, name: str, notes: list[str]) -> None:
    if name in _REQUIRED:
        raise UnsafeFileError(path, "is missing: is sipX 3.x installed here (sipxha:paths:etc)?")
    if name.endswith(".in") or name in _OPTIONAL:
        return
    if Path(path + ".in").exists():
        notes.append(f"{path} does not exist yet: sipX writes it from {name}.in at its next start")
        return
    raise UnsafeFileError(path, f"is missing, and so is {name}.in: is sipX 3.x installed here (sipxha:paths:etc)?")


def _editors(fleet: Fleet, server: Server) -> dict[str, Editor]:
    keep = server.processes
    colon = keyvalue.COLON
    seen: dict[str, expand.Env] = {}  #: the config.defs values sipX will expand the templates with

    def config_defs(data: bytes, orig: bytes | None, path: str) -> bytes:
        def edit(text: str) -> str:
            new = _edit_config_defs(fleet, server, text, orig, path)
            seen["env"] = expand.environment(new, server.fqdn)
            return new

        return _text(data, edit)

    editors: dict[str, Editor] = {
        "WatchDog.xml": lambda data, orig, path: watchdog.set_enabled(data, path, keep),
        "ProcessDefinitions.xml": lambda data, orig, path: processdefs.set_start_controls(
            data, path, keep, _original_controls(server, Path(path).parent, data, orig, path)
        ),
        "config.defs": config_defs,
        "forwardingrules.xml": lambda data, orig, path: forwarding.set_registrar(data, path, server.registrar_name),
        "forwardingrules.xml.in": lambda data, orig, path: forwarding.set_registrar(
            data, path, forwarding.TEMPLATE_HOST
        ),
    }

    def template_same(key: str, current: str, wanted: str) -> bool:
        return expand.heredoc(current, seen.get("env", {}), server.fqdn) == wanted

    for name, values in (("registrar-config", server.registrar_config), ("proxy-config", server.proxy_config)):
        editors[name] = _keyvalue_editor(values, colon)
        editors[name + ".in"] = _keyvalue_editor(values, colon, template_same)
    editors["authproxy-config"] = _route_editor(server, fleet, None)
    editors["authproxy-config.in"] = _route_editor(server, fleet, seen)
    members = [topology.Member(s.fqdn, s.index, s.is_master) for s in fleet.servers] if server.is_master else []
    editors["topology.xml"] = lambda data, orig, path: topology.set_locations(
        data, path, members, _https_port(seen.get("env", {})), (server.fqdn,)
    )
    editors["topology.xml.in"] = lambda data, orig, path: topology.set_locations(
        data, path, members, topology.TEMPLATE_PORT, (topology.TEMPLATE_HOST,)
    )
    return editors


def _original_controls(server: Server, etc: Path, data: bytes, orig: bytes | None, path: str) -> dict[str, str]:
    """The ``<start control>`` values to go back to: the original file's; on a master, a process that the
    original WatchDog.xml had commented out (a server trimmed by hand) starts again."""
    controls = processdefs.start_controls(orig, path + ".bak") if orig else processdefs.start_controls(data, path)
    if server.is_master:
        watchdog_path = str(etc / "WatchDog.xml")
        listed = read_backup(watchdog_path) or read_file(watchdog_path)
        for name in watchdog.commented_out(listed, watchdog_path) if listed else ():
            if controls.get(name) == "false" and name not in INIT_STARTED:
                controls[name] = "true"
    return controls


def _keyvalue_editor(values: Mapping[str, str], fmt: keyvalue.Format, same: keyvalue.Same | None = None) -> Editor:
    return lambda data, orig, path: _text(
        data,
        lambda text: keyvalue.set_values(text, values, fmt, path=path, same=same, template=same is not None),
    )


def _route_editor(server: Server, fleet: Fleet, seen: dict[str, expand.Env] | None) -> Editor:
    """authproxy-config(.in): a Record-Route on the auth proxy's SRV name goes back to the server's own address."""

    def edit(text: str, path: str) -> str:
        current = keyvalue.get(text, ROUTE_KEY, keyvalue.COLON)
        if current is None:
            return text
        if seen is None:
            wrong, wanted = server.authproxy_name in current, f"{server.address}:{fleet.ports.authproxy}"
        else:
            value = expand.heredoc(current, seen.get("env", {}), server.fqdn)
            wrong = "AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT" in current or server.authproxy_name in (value or "")
            wanted = TEMPLATE_ROUTE
        if not wrong:
            return text
        return keyvalue.set_values(text, {ROUTE_KEY: wanted}, keyvalue.COLON, path=path, template=seen is not None)

    return lambda data, orig, path: _text(data, lambda text: edit(text, path))


def _text(data: bytes, edit: Callable[[str], str]) -> bytes:
    """Apply a text edit to bytes, keeping them as they are when nothing changes."""
    text = data.decode("utf-8", "surrogateescape")
    new = edit(text)
    return data if new == text else new.encode("utf-8", "surrogateescape")


def _edit_config_defs(fleet: Fleet, server: Server, text: str, original: bytes | None, path: str) -> str:
    """config.defs with the plan's values, compared as sipX expands them; the master's realm guarded."""
    fqdn, fmt = server.fqdn, keyvalue.SHELL
    try:
        env = expand.environment(text, fqdn)
    except shell.ShellSyntaxError as err:
        raise UnsafeFileError(path, f"is not shell the editor can read safely: it {err}") from None
    values = _config_defs(fleet, server, text, original)

    def same(key: str, current: str, wanted: str) -> bool:
        if isinstance(wanted, keyvalue.Raw):
            value = expand.word_value(current, env, fqdn)
            return current == wanted or (value is not None and value == expand.word_value(wanted, env, fqdn))
        return expand.same(current, wanted, env, fqdn)

    new = keyvalue.set_values(text, values, fmt, path=path, same=same)
    after = expand.environment(new, fqdn)
    stale = {k: v for k, v in values.items() if not isinstance(v, keyvalue.Raw) and after.get(k) != v}
    if stale:  # an equal-looking reference whose referent changed: write the literal value
        new = keyvalue.set_values(new, stale, fmt, path=path, same=lambda k, cur, want: False)
        after = expand.environment(new, fqdn)
    if server.is_master and not fleet.allow_realm_change and "SIPXCHANGE_REALM" in env:
        before, planned = env["SIPXCHANGE_REALM"], after.get("SIPXCHANGE_REALM")
        if before != planned:
            current = before if before is not None else keyvalue.raw(text, "SIPXCHANGE_REALM", path)
            raise PillarError(
                "sipxha:realm",
                f"the master's current realm is {current!r} ({path}), the plan gives {planned!r}: every user's "
                "credentials include the realm; set sipxha:realm to the current value, or "
                "sipxha:allow_realm_change: true to change it",
            )
    return new


def _config_defs(fleet: Fleet, server: Server, current: str, original: bytes | None) -> dict[str, str]:
    """config.defs values: the plan's; on a master the service addresses as they originally were.

    An original address that points at another server of the fleet (trimmed by hand before sipxha)
    and a current one that does with no original saved get sipX's stock value.
    """
    values = dict(server.config_defs)
    if not server.is_master:
        return values
    others = {name for s in fleet.servers if s is not server for name in (s.fqdn, s.address)}
    now = expand.environment(current, server.fqdn)
    text = original.decode("utf-8", "surrogateescape") if original is not None else None
    then = expand.environment(text, server.fqdn) if text is not None else {}
    for key in MASTER_SERVICE_KEYS:
        if keyvalue.raw(current, key, "config.defs") is None:
            continue
        stock = keyvalue.raw(text, key) if text is not None else None
        if stock is None or then.get(key) in others:
            if text is None and now.get(key) not in others:
                continue
            stock = STOCK_SERVICE_VALUES[key]
        values[key] = keyvalue.Raw(stock)
    return values


def _https_port(env: expand.Env) -> str:
    """CONFIG_SERVER_HTTPS_PORT as config.defs sets it (from the text :func:`plan_role` already read, not a
    second read of the file; digits only), else sipX's 8091."""
    value = env.get("CONFIG_SERVER_HTTPS_PORT")
    return value if value and value.isdigit() else DEFAULT_HTTPS_PORT
