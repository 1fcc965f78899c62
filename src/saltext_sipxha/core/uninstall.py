"""Uninstall: put every file sipxha touched back as it was, and remove the files it created.

Every write of sipxha goes through :func:`~saltext_sipxha.core.files.atomic.backup_once` first, which
leaves either the original (``<file>.bak``) or a marker that the file did not exist (``<file>.sipxha-new``).
Uninstall walks the files sipxha may have written on this server (its role files, the DHCP configuration,
the SSL key, certificate and CA) and, for each one with a backup or marker, plans a
:class:`~saltext_sipxha.core.files.change.FileChange` that restores the original byte for byte (with its
mode) or removes the file; all are applied as one set, then the backups, markers and leftover temporary
files are dropped, and so are the CA's hash links. Last, the folders sipxha created (a ``<folder>.sipxha-new``
marker, :func:`~saltext_sipxha.core.files.atomic.make_marked_folder`) are removed, deepest first, when nothing but
what uninstall removes was in them; one that still holds anything else (or is now a link: never followed)
stays, and is named in what uninstall reports. Either way their markers go. Nothing without a backup or
marker is touched; a backup that is not a regular file owned by root, or is hard-linked to another file (a
planted link), is refused, left as it is.

The exception keeps sipX startable (its start refuses to run without ``ssl.key`` and ``ssl.crt``): where
sipxha created the key or the certificate (sipX had no pair to go back to), this server's own key,
certificate, CA file and hash links stay in place and only their backups and markers are dropped.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.files.atomic import (
    backup_mode,
    backup_path,
    created_marker,
    discard_backup,
    drop_stale_temps,
    has_backup,
    has_marker,
    leftover_temps,
    open_folder,
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
    folders: tuple[str, ...] = ()  #: folders sipxha created that will be empty: removed, deepest first
    kept_folders: tuple[tuple[str, str], ...] = ()  #: (folder, why) created by sipxha but staying

    @property
    def pending(self) -> bool:
        return bool(self.changes or self.links or self.kept or self.temps or self.folders or self.kept_folders)


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
    going = {change.path for change in changes if change.new is None} | set(links) | set(temps)
    going |= {str(marked(Path(p))) for p in (*(c.path for c in changes), *held) for marked in _RECORDS}
    folders, kept_folders = _plan_folders(paths, going)
    return UninstallPlan(minion_id, tuple(changes), links, held, temps, tuple(map(str, paths)), folders, kept_folders)


_RECORDS = (backup_path, created_marker)


def _created_folders(paths: list[Path]) -> list[Path]:
    """The folders sipxha created above ``paths`` (marked), deepest first."""
    found: set[Path] = set()
    for path in paths:
        folder = path.parent
        while folder not in found and folder != folder.parent and has_marker(folder):
            found.add(folder)
            folder = folder.parent
    return sorted(found, key=lambda folder: (-len(folder.parts), str(folder)))


def _plan_folders(paths: list[Path], going: set[str]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Which created folders uninstall empties (removed) and which keep something else (why); never follows
    a link: one in a created folder's place is only reported."""
    removed: list[str] = []
    kept: list[tuple[str, str]] = []
    for folder in _created_folders(paths):
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            removed.append(str(folder))  # gone already (or a killed uninstall): only its marker is left
            continue
        if not stat.S_ISDIR(info.st_mode):
            kept.append((str(folder), "is no longer the folder sipxha created (a link or a file): not followed"))
            continue
        left = sorted(name for name in os.listdir(folder) if str(folder / name) not in going)
        if left:
            names = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
            kept.append((str(folder), f"holds what uninstall does not remove ({names})"))
            continue
        removed.append(str(folder))
        going |= {str(folder), str(created_marker(folder))}
    return tuple(removed), tuple(kept)


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
    reasons = dict(plan.kept_folders)
    for folder in sorted([*plan.folders, *reasons], key=lambda name: -len(Path(name).parts)):
        why = reasons.get(folder) or _remove_folder(Path(folder))
        discard_backup(folder)
        if why is None:
            done.append(f"removed folder {folder}")
        else:
            done.append(f"kept folder {folder} (sipxha created it, but it {why})")
    return done


def _remove_folder(folder: Path) -> str | None:
    """rmdir ``folder`` (never through a link; fine when gone); why it stays when it cannot."""
    if not folder.parent.exists():
        return None
    try:
        with open_folder(folder.parent) as fd:
            os.rmdir(folder.name, dir_fd=fd)
            os.fsync(fd)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return "holds what uninstall does not remove (written meanwhile)"
        if err.errno == errno.ENOTDIR:
            return "is no longer the folder sipxha created (a link or a file): not followed"
        return f"cannot be removed: {err.strerror or err}"
    return None


def _ca_links(layout: SslLayout) -> list[str]:
    """The ``<hash>.N`` links that point at the CA file sipxha installed."""
    if not layout.authorities.is_dir() or not has_marker(layout.ca_file):
        return []
    target = layout.ca_file.name
    return sorted(
        str(entry) for entry in layout.authorities.iterdir() if entry.is_symlink() and os.readlink(entry) == target
    )
