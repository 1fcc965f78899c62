"""Uninstall: put every file sipxha touched back as it was, and remove the files it created.

Every write of sipxha goes through :func:`~.fileio.backup_once` first, which leaves either the original
(``<file>.bak``) or a marker that the file did not exist (``<file>.sipxha-new``). Uninstall walks the files
sipxha may have written on this server (its role files, the DHCP configuration, the SSL key, certificate
and CA) and, for each one with a backup or marker, restores the original byte for byte or removes the file;
then it drops the backup or marker and the CA's hash links. Nothing without a backup or marker is touched.

The exception keeps sipX startable (its start refuses to run without ``ssl.key`` and ``ssl.crt``): where
sipxha created the key or the certificate (sipX had no pair to go back to), this server's own key,
certificate, CA file and hash links stay in place and only their backups and markers are dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.files.atomic import atomic_write, backup_path, created_marker, fsync_dir
from saltext_sipxha.core.files.change import FileChange, read_file
from saltext_sipxha.core.pki.servercert import SslLayout
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.sipx.role import role_files


@dataclass(frozen=True)
class UninstallPlan:
    """The files of one server to restore or remove, and the CA hash links to drop."""

    minion_id: str
    changes: tuple[UndoChange, ...]  #: ``new`` is the original, or None to remove the file
    links: tuple[str, ...]
    kept: tuple[str, ...] = ()  #: files left in place (this server's own SSL set); their backup/marker goes

    @property
    def pending(self) -> bool:
        return bool(self.changes or self.links or self.kept)


def managed_paths(fleet: Fleet, minion_id: str) -> list[Path]:
    """Every file sipxha may write on this server."""
    server = fleet.find_server(minion_id)
    etc, layout = Path(server.paths["etc"]), SslLayout.of(fleet, server)
    roles = [etc / name for name in role_files(fleet, server)]
    return [*roles, Path(fleet.dhcp.config), layout.key, layout.cert, layout.ca_file]


def plan_uninstall(fleet: Fleet, minion_id: str) -> UninstallPlan:
    """Work out what uninstall would restore, remove or keep; writes nothing."""
    layout = SslLayout.of(fleet, fleet.find_server(minion_id))
    keep = _keeps_own_ssl(layout)
    # the CA file's marker goes first: once the key's and certificate's are gone the set is no longer ours
    kept = [layout.ca_file, layout.cert, layout.key] if keep else []
    changes: list[UndoChange] = []
    for path in managed_paths(fleet, minion_id):
        backup, marker = backup_path(path), created_marker(path)
        if path in kept:
            continue
        if backup.exists():
            changes.append(UndoChange(str(path), read_file(path), read_file(backup)))
        elif marker.exists():
            changes.append(UndoChange(str(path), read_file(path), None))
    held = tuple(str(path) for path in kept if backup_path(path).exists() or created_marker(path).exists())
    return UninstallPlan(minion_id, tuple(changes), () if keep else tuple(_ca_links(layout)), held)


def _keeps_own_ssl(layout: SslLayout) -> bool:
    """True when sipxha created the key or the certificate: sipX had no pair to go back to."""
    return any(created_marker(path).exists() for path in (layout.key, layout.cert))


@dataclass(frozen=True)
class UndoChange(FileChange):
    """A restore (``new`` = the original) or a removal (``new`` = None) of one file."""

    new: bytes | None  # type: ignore[assignment]

    @property
    def changed(self) -> bool:
        return True


def apply_uninstall(plan: UninstallPlan) -> list[str]:
    """Drop the CA hash links, then restore or remove each file and drop its backup or marker.

    The links go first: they are found through the CA file's marker, so a run killed after the marker's
    removal would otherwise leave them dangling for good. Returns what was done, one line each.
    """
    done = []
    for kept in plan.kept:
        backup_path(kept).unlink(missing_ok=True)
        created_marker(kept).unlink(missing_ok=True)
        fsync_dir(Path(kept).parent)
        done.append(f"kept {kept} (sipX needs this server's own key and certificate to start)")
    for link in plan.links:
        Path(link).unlink(missing_ok=True)
        done.append(f"removed {link}")
    for change in plan.changes:
        path = Path(change.path)
        if change.new is None:
            path.unlink(missing_ok=True)
            done.append(f"removed {path}")
        else:
            atomic_write(path, change.new)
            os.chmod(path, backup_path(path).stat().st_mode & 0o7777)
            done.append(f"restored {path}")
        backup_path(path).unlink(missing_ok=True)
        created_marker(path).unlink(missing_ok=True)
        fsync_dir(path.parent)
    return done


def _ca_links(layout: SslLayout) -> list[str]:
    """The ``<hash>.N`` links that point at the CA file sipxha installed."""
    if not layout.authorities.is_dir() or not created_marker(layout.ca_file).exists():
        return []
    target = layout.ca_file.name
    return sorted(
        str(entry) for entry in layout.authorities.iterdir() if entry.is_symlink() and os.readlink(entry) == target
    )
