"""The product's file-system primitives: safe reads, staged atomic writes, and a one-time root-owned backup.

Every managed path is opened without following a symbolic link, its folder too (``O_NOFOLLOW``): a
managed file or folder that is a link is refused, never written through. Reads take regular files only
(``O_NONBLOCK``, ``fstat`` first, at most the limit + 1 bytes), so a FIFO or a device never hangs a run.
Temporary files (``.<name>.<random>.tmp``), backups and markers are created ``O_EXCL``, mode 0600 and
owned by this process (root), with the final owner set before the first byte: a key is never readable
by anyone else under any name. A backup or marker is trusted only as a root-owned regular file with no
other name than its own temporary file (a hard link to ``/etc/shadow`` planted as ``<file>.bak`` is
refused), and a backup is read through the inode that was checked. :func:`commit` writes and fsyncs every
temporary file of a set first and renames them only when all are written (see :mod:`.change`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import secrets
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from saltext_sipxha.core.errors import UnsafeFileError

BACKUP_SUFFIX = ".bak"
CREATED_SUFFIX = ".sipxha-new"  #: marks a file that did not exist before sipxha wrote it
STALE_TEMP_SECONDS = 600  #: a temp file this old was left by a write that died (never under a live name)
MAX_FILE_BYTES = 16 * 1024 * 1024  #: no managed file is larger (sipX files, zone, DHCP, PEM)
DEFAULT_MODE = 0o644
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

Owner = tuple[int, int]  #: (uid, gid)


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


@contextlib.contextmanager
def open_folder(folder: str | os.PathLike[str]) -> Iterator[int]:
    """A descriptor of ``folder``; :class:`UnsafeFileError` when it is a symbolic link or not a folder."""
    try:
        fd = os.open(folder, _FOLDER)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeFileError(str(folder), "is a symbolic link or not a folder: refused") from None
        raise UnsafeFileError(str(folder), f"cannot be opened: {_reason(err)}") from None
    try:
        yield fd
    finally:
        os.close(fd)


def require_folder(folder: str | os.PathLike[str]) -> None:
    """Refuse ``folder`` when it is a symbolic link or not a folder (a missing one is fine: it is created)."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFileError(str(folder), "is a symbolic link or not a folder: refused")


def _open_checked(
    fd: int, name: str, path: str, same_as: os.stat_result | None = None
) -> tuple[int, os.stat_result] | None:
    """A descriptor and fstat of the regular file ``name`` in folder ``fd`` (None: absent), opened without
    following a link; refuses FIFOs, devices, and, with ``same_as``, a file that is no longer that inode."""
    try:
        handle = os.open(name, _READ, dir_fd=fd)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeFileError(path, "is a symbolic link: refused (sipxha never follows one)") from None
        raise UnsafeFileError(path, f"cannot be read: {_reason(err)}") from None
    try:
        info = os.fstat(handle)
    except OSError as err:
        os.close(handle)
        raise UnsafeFileError(path, f"cannot be read: {_reason(err)}") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise UnsafeFileError(path, "cannot be read: not a regular file (a FIFO, a device or a folder)")
    if same_as is not None and (info.st_dev, info.st_ino) != (same_as.st_dev, same_as.st_ino):
        os.close(handle)
        raise UnsafeFileError(path, "was replaced while being read: refused; run again")
    return handle, info


def read_at(
    fd: int, name: str, path: str, limit: int = MAX_FILE_BYTES, same_as: os.stat_result | None = None
) -> bytes | None:
    """The bytes of the regular file ``name`` in folder ``fd`` (None: absent); refuses links, FIFOs, devices,
    and, with ``same_as``, a file that is no longer that inode (replaced since it was checked)."""
    opened = _open_checked(fd, name, path, same_as)
    if opened is None:
        return None
    handle, info = opened
    try:
        if info.st_size > limit:
            raise UnsafeFileError(path, f"is {info.st_size} bytes, more than the {limit} allowed")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFileError(path, f"is more than the {limit} bytes allowed")
        return b"".join(chunks)
    except OSError as err:
        raise UnsafeFileError(path, f"cannot be read: {_reason(err)}") from None
    finally:
        os.close(handle)


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of the regular file ``path``, None when it (or its folder) does not exist."""
    target = Path(path)
    if not target.parent.exists():
        return None
    with open_folder(target.parent) as fd:
        return read_at(fd, target.name, str(target), limit)


def read_link_at(fd: int, name: str, path: str) -> bytes | None:
    """The target of the symbolic link ``name`` (None: absent); :class:`UnsafeFileError` for anything else."""
    try:
        info = os.lstat(name, dir_fd=fd)
    except FileNotFoundError:
        return None
    if not stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(path, "is not a symbolic link: left as it is")
    return os.fsencode(os.readlink(name, dir_fd=fd))


def _trusted(fd: int, name: str, path: str, what: str) -> os.stat_result | None:
    """lstat of a backup or marker; refused unless a regular file owned by this process's user (root) that has
    no other name (a hard link) than its own temporary files here (:func:`_own_links`)."""
    try:
        info = os.lstat(name, dir_fd=fd)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a plain file"
        raise UnsafeFileError(
            path, f"is not a regular file owned by root ({kind}), so not a {what} sipxha made: refused; remove it"
        )
    if info.st_uid != os.geteuid():
        raise UnsafeFileError(path, _foreign_owner(path, info, what))
    if info.st_nlink > 1 and not _own_links(fd, name, info):
        raise UnsafeFileError(
            path,
            f"is hard-linked ({info.st_nlink} names share its inode), so not a {what} sipxha made: refused, left as"
            f" it is. List the other names with 'find / -xdev -samefile {path}'; if it holds the original, give"
            " this name a copy of its own (cp -p to a new name, then mv that over it), else remove it (rm drops only"
            " this name, the other file stays); then run again",
        )
    return info


def _own_links(fd: int, name: str, info: os.stat_result, tries: int = 3) -> bool:
    """True when every other name of ``name``'s inode is its own ``.<name>.<random>.tmp`` here: a backup
    that :func:`backup_once` is linking into place (or a killed one left), never another file's name.

    Counted again while a concurrent run drops its temporary file (the count and ``st_nlink`` then differ
    for a moment); a count that stays short of ``st_nlink`` means a name elsewhere (``/etc/shadow``...).
    """
    prefix, key = f".{name}.", (info.st_dev, info.st_ino)
    for _ in range(tries):
        names = 1
        for entry in os.listdir(fd):
            if entry.startswith(prefix) and entry.endswith(".tmp"):
                with contextlib.suppress(FileNotFoundError):
                    other = os.lstat(entry, dir_fd=fd)
                    names += (other.st_dev, other.st_ino) == key
        if names == info.st_nlink:
            return True
        try:
            fresh = os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            return False
        if (fresh.st_dev, fresh.st_ino, fresh.st_nlink) == (*key, info.st_nlink):
            return False  # no name came or went: the missing names are elsewhere
        if (fresh.st_dev, fresh.st_ino) != key:
            return False
        if fresh.st_nlink == 1:
            return True
        info = fresh
    return False


def _foreign_owner(path: str, info: os.stat_result, what: str) -> str:
    """What to do about a regular backup or marker another account owns: an older sipxha's, or planted.

    Never taken over automatically (not even when it is a single-link regular file): its owner could have
    written anything into it, and adopting it would let uninstall "restore" that text.
    """
    try:
        owner = f"{pwd.getpwuid(info.st_uid).pw_name} (uid {info.st_uid})"
    except KeyError:
        owner = f"uid {info.st_uid}"
    return (
        f"is not a regular file owned by root (owner: {owner}), so not a {what} this sipxha made: refused. An "
        f"older sipxha kept the original's owner, or that account planted it: if it holds the original, "
        f"run 'chown root:root {path}', else remove it; then run again"
    )


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where the original of ``path`` is kept (``WatchDog.xml`` -> ``WatchDog.xml.bak``)."""
    path = Path(path)
    return path.with_name(path.name + BACKUP_SUFFIX)


def created_marker(path: str | os.PathLike[str]) -> Path:
    """The marker saying that ``path`` did not exist before sipxha's first write (uninstall removes it)."""
    path = Path(path)
    return path.with_name(path.name + CREATED_SUFFIX)


def has_backup(path: str | os.PathLike[str]) -> bool:
    """True when sipxha kept the original of ``path`` (a ``.bak``); a planted one is refused."""
    return _has_trusted(backup_path(path), "backup")


def has_marker(path: str | os.PathLike[str]) -> bool:
    """True when sipxha created ``path`` (a ``.sipxha-new`` marker); a planted one is refused."""
    return _has_trusted(created_marker(path), "marker")


def _has_trusted(target: Path, kind: str) -> bool:
    """True when ``target`` is a root-owned regular file sipxha made; anything else there is refused."""
    if not target.parent.exists():
        return False
    with open_folder(target.parent) as fd:
        return _trusted(fd, target.name, str(target), kind) is not None


def read_backup(path: str | os.PathLike[str]) -> bytes | None:
    """The original of ``path`` saved before sipxha's first edit, None when there is none (yet)."""
    target = backup_path(path)
    if not target.parent.exists():
        return None
    with open_folder(target.parent) as fd:
        info = _trusted(fd, target.name, str(target), "backup")
        return None if info is None else read_at(fd, target.name, str(target), same_as=info)


def backup_mode(path: str | os.PathLike[str]) -> int:
    """The original's mode, as the backup keeps it: fstat of the checked backup, opened without following a
    link (a name swapped since the check is refused, as :func:`read_backup` refuses it)."""
    target = backup_path(path)
    with open_folder(target.parent) as fd:
        info = _trusted(fd, target.name, str(target), "backup")
        opened = None if info is None else _open_checked(fd, target.name, str(target), same_as=info)
        if opened is None:
            raise UnsafeFileError(str(target), "was removed while being read: run again")
        os.close(opened[0])
        return opened[1].st_mode & 0o7777


def fsync_dir(folder: str | os.PathLike[str] | int) -> None:
    """Make a rename in ``folder`` (a path or a descriptor) durable."""
    if isinstance(folder, int):
        os.fsync(folder)
        return
    with open_folder(folder) as fd:
        os.fsync(fd)


def _temp_name(name: str) -> str:
    return f".{name}.{secrets.token_hex(4)}.tmp"


def _create_temp(fd: int, name: str, path: str, data: bytes, owner: Owner | None) -> str:
    """A fsynced ``.<name>.<random>.tmp`` in ``fd`` holding ``data``: 0600, owned by ``owner`` first."""
    tmp = _temp_name(name)
    try:
        handle = os.open(tmp, _CREATE, 0o600, dir_fd=fd)
    except OSError as err:
        raise UnsafeFileError(path, f"cannot be written: {_reason(err)}") from None
    try:
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            os.fchown(handle, *owner)
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        os.fsync(handle)
    except BaseException as err:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=fd)
        if isinstance(err, OSError):
            raise UnsafeFileError(path, f"cannot be written: {_reason(err)}") from None
        raise
    os.close(handle)
    return tmp


@dataclass(frozen=True)
class Write:
    """One step of a :func:`commit`: write ``data`` (or link to it, or with None remove ``path``)."""

    path: str
    data: bytes | None
    mode: int | None = None  #: None: keep an existing file's mode (a new one gets 0644)
    owner: Owner | None = None  #: None: keep an existing file's owner (a new one gets this process's)
    link: bool = False  #: ``data`` is the target of a symbolic link


@dataclass
class _Staged:
    write: Write
    fd: int
    name: str
    tmp: str | None = None


def commit(writes: Sequence[Write], before_rename: Callable[[], None] | None = None) -> None:
    """Write every file of the set, all or nothing: all temporary files are written and fsynced (with their
    final owner and mode) before the first rename; any failure before the renames leaves every file as it was.

    ``before_rename()`` runs when every temporary file is ready (the backups are taken there).
    """
    folders: dict[str, int] = {}
    staged: list[_Staged] = []
    try:
        for write in writes:
            target = Path(write.path)
            folder = str(target.parent)
            if folder not in folders:
                folders[folder] = _enter_folder(folder, write.path)
            item = _Staged(write, folders[folder], target.name)
            staged.append(item)
            _stage(item)
        if before_rename is not None:
            before_rename()
    except BaseException:
        for item in staged:
            if item.tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(item.tmp, dir_fd=item.fd)
        for fd in folders.values():
            os.close(fd)
        raise
    try:
        _rename_all(staged)
        for fd in folders.values():
            os.fsync(fd)
    finally:
        for fd in folders.values():
            os.close(fd)


def _enter_folder(folder: str, path: str) -> int:
    try:
        return os.open(folder, _FOLDER)
    except FileNotFoundError:
        raise UnsafeFileError(path, "its folder does not exist") from None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeFileError(folder, "is a symbolic link or not a folder: refused") from None
        raise UnsafeFileError(folder, f"cannot be opened: {_reason(err)}") from None


def _stage(item: _Staged) -> None:
    write, fd, name = item.write, item.fd, item.name
    _drop_stale_at(fd, name)
    try:
        current = os.lstat(name, dir_fd=fd)
    except FileNotFoundError:
        current = None
    if write.link:
        if current is not None and not stat.S_ISLNK(current.st_mode):
            raise UnsafeFileError(write.path, "is not a symbolic link: left as it is")
        if write.data is not None:
            item.tmp = _temp_name(name)
            try:
                os.symlink(os.fsdecode(write.data), item.tmp, dir_fd=fd)
            except OSError as err:
                raise UnsafeFileError(write.path, f"cannot be linked: {_reason(err)}") from None
        return
    if current is not None and not stat.S_ISREG(current.st_mode):
        raise UnsafeFileError(write.path, "is a symbolic link or not a regular file: refused")
    if write.data is None:
        return
    owner = write.owner or ((current.st_uid, current.st_gid) if current is not None else None)
    mode = write.mode if write.mode is not None else (current.st_mode & 0o7777 if current else DEFAULT_MODE)
    item.tmp = _create_temp(fd, name, write.path, write.data, owner)
    try:
        _fchmod_at(fd, item.tmp, mode)
    except OSError as err:
        raise UnsafeFileError(write.path, f"cannot be written: {_reason(err)}") from None


def _fchmod_at(fd: int, name: str, mode: int) -> None:
    """chmod a temporary file this process just created (opened again without following a link)."""
    if mode == 0o600:
        return
    handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    try:
        os.fchmod(handle, mode)
    finally:
        os.close(handle)


def _rename_all(staged: list[_Staged]) -> None:
    done: list[str] = []
    for item in staged:
        try:
            if item.tmp is not None:
                os.replace(item.tmp, item.name, src_dir_fd=item.fd, dst_dir_fd=item.fd)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(item.name, dir_fd=item.fd)
        except OSError as err:
            for rest in staged[len(done) :]:
                if rest.tmp is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(rest.tmp, dir_fd=rest.fd)
            applied = ", ".join(done) or "none"
            raise UnsafeFileError(
                item.write.path, f"cannot be replaced: {_reason(err)} (already done: {applied})"
            ) from None
        done.append(item.write.path)


def atomic_write(
    path: str | os.PathLike[str], data: bytes, mode: int | None = None, owner: Owner | None = None
) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename, fsync of the folder).

    ``mode``/``owner`` None: an existing file keeps its own (a new one gets 0644 and this process's);
    given, the file has them from its first byte. Readers see the old content or the new one, never a mix.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"atomic_write needs bytes, got {type(data).__name__}")
    commit([Write(str(path), data, mode, owner)])


def remove(path: str | os.PathLike[str]) -> None:
    """Remove the file or symbolic link ``path`` (never what a link points to); fine when it is absent."""
    target = Path(path)
    if not target.parent.exists():
        return
    with open_folder(target.parent) as fd:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target.name, dir_fd=fd)
        os.fsync(fd)


def _drop_stale_at(fd: int, name: str, max_age: float = STALE_TEMP_SECONDS) -> None:
    prefix, now = f".{name}.", time.time()
    for entry in os.listdir(fd):
        if entry.startswith(prefix) and entry.endswith(".tmp"):
            with contextlib.suppress(OSError):  # best effort: a read-only folder fails the write itself, clearly
                if now - os.lstat(entry, dir_fd=fd).st_mtime > max_age:
                    os.unlink(entry, dir_fd=fd)


def drop_stale_temps(target: Path, max_age: float = STALE_TEMP_SECONDS) -> None:
    """Remove ``.<name>.<random>.tmp`` files of ``target`` older than ``max_age`` seconds (a killed write's)."""
    if not target.parent.exists():
        return
    with open_folder(target.parent) as fd:
        _drop_stale_at(fd, target.name, max_age)


def discard_backup(path: str | os.PathLike[str]) -> None:
    """Drop the backup or marker of ``path`` and its leftover temporary files (uninstall, after restoring)."""
    target = Path(path)
    if not target.parent.exists():
        return
    with open_folder(target.parent) as fd:
        for name in (target.name + BACKUP_SUFFIX, target.name + CREATED_SUFFIX):
            if _trusted(fd, name, str(target.parent / name), "backup") is not None:
                os.unlink(name, dir_fd=fd)
        _drop_stale_at(fd, target.name, max_age=-1)
        os.fsync(fd)


def backup_once(path: str | os.PathLike[str]) -> Path | None:
    """Before the first write to ``path``, keep its original; returns the backup's path (None: no original).

    An existing file is copied to ``<file>.bak`` (its mode, owned by root); a missing one gets an empty
    0600 ``<file>.sipxha-new`` marker instead, so that uninstall knows to remove it rather than restore it.
    Later calls, concurrent ones included, never overwrite either (the backup is hard-linked into place,
    never renamed over one: for a moment its temporary file is a second name of it). A backup or marker
    that is not a regular file owned by root, or has a name elsewhere (a planted symbolic or hard link), is
    refused.
    """
    source = Path(path)
    backup, marker = backup_path(source), created_marker(source)
    with open_folder(source.parent) as fd:
        if _trusted(fd, backup.name, str(backup), "backup") is not None:
            return backup
        if _trusted(fd, marker.name, str(marker), "marker") is not None:
            return None
        original = read_at(fd, source.name, str(source))
        if original is None:
            _mark_created(fd, marker)
            return None
        info = os.lstat(source.name, dir_fd=fd)
        _drop_stale_at(fd, backup.name)
        tmp = _create_temp(fd, backup.name, str(backup), original, None)
        try:
            _fchmod_at(fd, tmp, info.st_mode & 0o7777)
            os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns), dir_fd=fd, follow_symlinks=False)
            with contextlib.suppress(FileExistsError):  # never os.replace: a backup made meanwhile is the original
                os.link(tmp, backup.name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
        except OSError as err:
            raise UnsafeFileError(str(backup), f"cannot be written: {_reason(err)}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=fd)
        _trusted(fd, backup.name, str(backup), "backup")
        os.fsync(fd)
    return backup


def _mark_created(fd: int, marker: Path) -> None:
    """Create the empty 0600 marker ``marker`` in folder ``fd`` (one made meanwhile must be a trusted one)."""
    try:
        os.close(os.open(marker.name, _CREATE, 0o600, dir_fd=fd))
    except FileExistsError:
        _trusted(fd, marker.name, str(marker), "marker")
    except OSError as err:
        raise UnsafeFileError(str(marker), f"cannot be written: {_reason(err)}") from None
    os.fsync(fd)


def make_folder(folder: str | os.PathLike[str], mode: int = 0o755) -> None:
    """Create ``folder`` and its missing parents (the master's and the minion cache's own folders, which
    uninstall does not undo); :class:`UnsafeFileError` naming it when that fails (a full or read-only file
    system)."""
    try:
        Path(folder).mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as err:
        raise UnsafeFileError(str(folder), f"cannot be created: {_reason(err)}") from None


def make_marked_folder(folder: str | os.PathLike[str], mode: int = 0o755) -> None:
    """Create a folder of a sipX server (``ssl/authorities``...) and its missing parents like ``mkdir -p``,
    each one after a ``<folder>.sipxha-new`` marker in its parent (as :func:`backup_once` marks a created file),
    so that uninstall removes again the folders sipxha created, once empty. A folder that exists is left as it
    is (no marker); a link is refused; :class:`UnsafeFileError` naming the folder when it cannot be created."""
    target, missing = Path(folder), []
    while not os.path.lexists(target) and target != target.parent:
        missing.append(target)
        target = target.parent
    require_folder(target)
    for path in reversed(missing):
        with open_folder(path.parent) as fd:
            _mark_created(fd, created_marker(path))
            try:
                with contextlib.suppress(FileExistsError):  # a concurrent run made it: checked the same below
                    os.mkdir(path.name, mode, dir_fd=fd)
                info = os.lstat(path.name, dir_fd=fd)
                os.fsync(fd)
            except OSError as err:
                raise UnsafeFileError(str(path), f"cannot be created: {_reason(err)}") from None
            if not stat.S_ISDIR(info.st_mode):
                raise UnsafeFileError(str(path), "is a symbolic link or not a folder: refused")


def leftover_temps(path: str | os.PathLike[str]) -> list[str]:
    """The temporary files of ``path`` (and of its backup) a killed write left behind."""
    target = Path(path)
    if not target.parent.is_dir() or target.parent.is_symlink():
        return []
    prefix = f".{target.name}."
    return sorted(
        str(target.parent / e) for e in os.listdir(target.parent) if e.startswith(prefix) and e.endswith(".tmp")
    )
