"""Uninstall: put every file sipxha touched back as it was, and remove the files it created.

Every write of sipxha goes through :func:`~saltext_sipxha.core.files.atomic.backup_once` first, which
leaves either the original (``<file>.bak``) or a marker that the file did not exist (``<file>.sipxha-new``).
Uninstall walks the files sipxha may have written on this server (its role files, the DHCP configuration,
the SSL key, certificate and CA) and, for each one with a backup or marker, plans a
:class:`~saltext_sipxha.core.files.change.FileChange` that restores the original byte for byte (with its
mode) or removes the file; all are applied as one set, then the backups, markers and leftover temporary
files are dropped, and so are the CA's hash links. Nothing without a backup or marker is touched; a
backup that is not a regular file owned by root, or is hard-linked to another file (a planted link), is
refused, left as it is.

The exception keeps sipX startable (its start refuses to run without ``ssl.key`` and ``ssl.crt``): where
sipxha created the key or the certificate (sipX had no pair to go back to), this server's own key,
certificate, CA file and hash links stay in place and only their backups and markers are dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.files.atomic import (
    backup_mode,
    discard_backup,
    drop_stale_temps,
    has_backup,
    has_marker,
    leftover_temps,
)
from saltext_sipxha.core.files.change import FileChange, apply_changes, read_backup, read_file
from saltext_sipxha.core.pki.servercert import SslLayout
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.sipx.dhcp import is_dhcp_server
from saltext_sipxha.core.sipx.role import role_files


@dataclass(frozen=True)
class UninstallPlan:
    """The files of one server to restore, remove or keep, the CA hash links and leftover temp files to drop."""

    minion_id: str
    changes: tuple[FileChange, ...]  #: ``new`` is the original, or None to remove the file
    links: tuple[str, ...]
    kept: tuple[str, ...] = ()  #: files left in place (this server's own SSL set); their backup/marker goes
    temps: tuple[str, ...] = ()  #: ``.<name>.<random>.tmp`` files a killed write left
    paths: tuple[str, ...] = ()  #: every file sipxha may have written here

    @property
    def pending(self) -> bool:
        return bool(self.changes or self.links or self.kept or self.temps)


def managed_paths(fleet: Fleet, minion_id: str) -> list[Path]:
    """Every file sipxha may write on this minion (on a DHCP server that is no sipX server: its DHCP config)."""
    server = fleet.get_server(minion_id)
    if server is None:
        return [Path(fleet.dhcp.config)] if is_dhcp_server(fleet, minion_id) else []
    etc, layout = Path(server.paths["etc"]), SslLayout.of(fleet, server)
    roles = [etc / name for name in role_files(fleet, server)]
    return [*roles, Path(fleet.dhcp.config), layout.key, layout.cert, layout.ca_file]


def plan_uninstall(fleet: Fleet, minion_id: str) -> UninstallPlan:
    """Work out what uninstall would restore, remove or keep; writes nothing."""
    server = fleet.get_server(minion_id)
    layout = None if server is None else SslLayout.of(fleet, server)
    keep = layout is not None and _keeps_own_ssl(layout)
    # the CA file's marker goes first: once the key's and certificate's are gone the set is no longer ours
    kept = [layout.ca_file, layout.cert, layout.key] if keep and layout is not None else []
    paths = managed_paths(fleet, minion_id)
    changes = []
    for path in paths:
        if path in kept:
            continue
        secret = layout is not None and path == layout.key
        if has_backup(path):
            original = read_backup(path)
            mode = backup_mode(path)
            changes.append(FileChange(str(path), read_file(path), original, mode, backup=False, secret=secret))
        elif has_marker(path):
            changes.append(FileChange(str(path), read_file(path), None, backup=False, secret=secret))
    held = tuple(str(path) for path in kept if has_backup(path) or has_marker(path))
    temps = tuple(temp for path in paths for temp in leftover_temps(path))
    links = () if keep or layout is None else tuple(_ca_links(layout))
    return UninstallPlan(minion_id, tuple(changes), links, held, temps, tuple(map(str, paths)))


def _keeps_own_ssl(layout: SslLayout) -> bool:
    """True when sipxha created the key or the certificate: sipX had no pair to go back to."""
    return any(has_marker(path) for path in (layout.key, layout.cert))


def apply_uninstall(plan: UninstallPlan) -> list[str]:
    """Drop the kept files' backups, the CA hash links, then restore or remove every file (one set) and drop
    its backup or marker, and the temporary files a killed write left.

    The links go first: they are found through the CA file's marker, so a run killed after the marker's
    removal would otherwise leave them dangling for good. Returns what was done, one line each.
    """
    done = []
    for kept in plan.kept:
        discard_backup(kept)
        done.append(f"kept {kept} (sipX needs this server's own key and certificate to start)")
    apply_changes([FileChange(link, os.fsencode(os.readlink(link)), None, link=True) for link in plan.links])
    done += [f"removed {link}" for link in plan.links]
    apply_changes(plan.changes)
    for change in plan.changes:
        discard_backup(change.path)
        done.append(f"{'removed' if change.new is None else 'restored'} {change.path}")
    for path in plan.paths:
        drop_stale_temps(Path(path), max_age=-1)
    done += [f"removed {temp}" for temp in plan.temps]
    return done


def _ca_links(layout: SslLayout) -> list[str]:
    """The ``<hash>.N`` links that point at the CA file sipxha installed."""
    if not layout.authorities.is_dir() or not has_marker(layout.ca_file):
        return []
    target = layout.ca_file.name
    return sorted(
        str(entry) for entry in layout.authorities.iterdir() if entry.is_symlink() and os.readlink(entry) == target
    )
