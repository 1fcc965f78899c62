"""Safe file writes: atomic replace keeping owner and mode, and a one-time backup of the original."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import time
from pathlib import Path

BACKUP_SUFFIX = ".bak"
CREATED_SUFFIX = ".sipxha-new"  #: marks a file that did not exist before sipxha wrote it
STALE_TEMP_SECONDS = 600  #: a temp file this old was left by a write that died (never under a live name)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename, fsync of the folder).

    An existing file keeps its owner, group and mode; a new one gets ``mode`` (default 0644).
    Readers see the old content or the new one, never a mix, whatever happens in between.
    """
    target = Path(path)
    drop_stale_temps(target)
    try:
        current = target.stat()
    except FileNotFoundError:
        current = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if current is not None:
            os.chmod(tmp, current.st_mode & 0o7777)
            if (current.st_uid, current.st_gid) != (os.getuid(), os.getgid()):
                os.chown(tmp, current.st_uid, current.st_gid)
        else:
            os.chmod(tmp, 0o644 if mode is None else mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where the original of ``path`` is kept (``WatchDog.xml`` -> ``WatchDog.xml.bak``)."""
    path = Path(path)
    return path.with_name(path.name + BACKUP_SUFFIX)


def created_marker(path: str | os.PathLike[str]) -> Path:
    """The marker saying that ``path`` did not exist before sipxha's first write (uninstall removes it)."""
    path = Path(path)
    return path.with_name(path.name + CREATED_SUFFIX)


def drop_stale_temps(target: Path) -> None:
    """Remove ``.<name>.*.tmp`` files of ``target`` older than :data:`STALE_TEMP_SECONDS` (a killed write's)."""
    now = time.time()
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if now - tmp.lstat().st_mtime > STALE_TEMP_SECONDS:
                tmp.unlink()


def backup_once(path: str | os.PathLike[str]) -> Path | None:
    """Before the first write to ``path``, keep its original; returns the backup's path (None: no original).

    An existing file is copied to ``<file>.bak`` (atomically, with its mode and owner); a missing one gets an
    empty ``<file>.sipxha-new`` marker instead, so that uninstall knows to remove it rather than restore
    it. Later calls, concurrent ones included, never overwrite either (the backup is hard-linked into place,
    never renamed over one): the backup is the original from before any edit.
    """
    source, backup, marker = Path(path), backup_path(path), created_marker(path)
    if backup.exists():
        return backup
    if marker.exists():
        return None
    if not source.exists():
        atomic_write(marker, b"", mode=0o600)
        return None
    drop_stale_temps(backup)
    fd, tmp = tempfile.mkstemp(prefix=f".{backup.name}.", suffix=".tmp", dir=backup.parent)
    try:
        with os.fdopen(fd, "wb") as handle, source.open("rb") as original:
            shutil.copyfileobj(original, handle)
            handle.flush()
            os.fsync(handle.fileno())
        shutil.copystat(source, tmp)
        stat = source.stat()
        if (stat.st_uid, stat.st_gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, stat.st_uid, stat.st_gid)
        with contextlib.suppress(FileExistsError):  # never os.replace: a backup made meanwhile is the original
            os.link(tmp, backup)
    finally:
        Path(tmp).unlink(missing_ok=True)
    fsync_dir(backup.parent)
    return backup
