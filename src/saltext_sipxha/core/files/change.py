"""The one planned write of the product (:class:`FileChange`) and the one way to apply a set of them.

Every writer (role files, DHCP, zone file, key, certificate, CA file and its hash links, uninstall)
plans :class:`FileChange` values and hands them to :func:`apply_changes`, where every safety rule lives:
a file changed on disk since it was planned is refused, links are never followed (see :mod:`.atomic`),
reads are size-limited, the original is backed up once, and a set of files is written all or nothing.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import (
    MAX_FILE_BYTES,
    Owner,
    Write,
    backup_once,
    commit,
    open_folder,
    read_at,
    read_backup,
    read_bytes,
    read_link_at,
)
from saltext_sipxha.core.pki.keys import REDACTED, holds_private_key

__all__ = ["SECRET_DIFF", "FileChange", "apply_changes", "read_backup", "read_file", "unified_diff"]

SECRET_DIFF = REDACTED


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """A readable unified diff of two versions of ``path`` (``None``: the file does not exist).

    A version holding a private key is never shown: its text is replaced by ``<private key: not shown>``.
    """
    if holds_private_key(old) or holds_private_key(new):
        return f"{path}: {REDACTED}\n" if old is not None or new is not None else ""
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before, after, path if old is not None else "/dev/null", path if new is not None else "/dev/null"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class FileChange:
    """One planned write: create, replace or (``new`` None) remove ``path``.

    ``old`` is what the file held when the change was planned (None: absent); :func:`apply_changes`
    refuses the change when the file no longer holds it. With ``link``, ``old``/``new`` are the target
    of a symbolic link (the CA's hash links).
    """

    path: str
    old: bytes | None = field(repr=False)
    new: bytes | None = field(repr=False)
    mode: int | None = None  #: the mode from the first byte on; None: keep an existing file's (new: 0644)
    owner: Owner | None = None  #: (uid, gid) from the first byte on; None: keep an existing file's (new: root)
    link: bool = False
    backup: bool = True  #: keep the original once (``.bak``, or a ``.sipxha-new`` marker) before the first write
    secret: bool = False  #: the content never appears in a diff (keys)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        if self.secret:
            return f"{self.path}: {SECRET_DIFF}\n" if self.changed else ""
        if self.link:
            return "" if not self.changed else f"link {self.path}: {_target(self.old)} -> {_target(self.new)}\n"
        return unified_diff(self.path, self.old, self.new)

    def current(self) -> bytes | None:
        """What ``path`` holds now (a link's target with ``link``); refuses a link where a file is managed."""
        target = Path(self.path)
        if not target.parent.exists():
            return None
        with open_folder(target.parent) as fd:
            if self.link:
                return read_link_at(fd, target.name, self.path)
            return read_at(fd, target.name, self.path)


def _target(value: bytes | None) -> str:
    return "(none)" if value is None else os.fsdecode(value)


def read_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of the regular file ``path``, None when it does not exist; :class:`UnsafeFileError` when it
    is a link, a FIFO, a device, too large or unreadable."""
    return read_bytes(path, limit)


def apply_changes(changes: Iterable[FileChange]) -> list[FileChange]:
    """Write every changed file as one all-or-nothing set; returns those written.

    A file that changed on disk since it was planned is refused (nothing of the set written), unless it
    already holds the new text (another run, e.g. a concurrent ``state.apply``, wrote it meanwhile): then it
    is skipped. Every temporary file is written and fsynced, then the originals are backed up once, then
    every file is renamed into place: a failure before the renames leaves every file as it was, and the
    error names the file and the cause.
    """
    pending = []
    for change in changes:
        if not change.changed:
            continue
        current = change.current()
        if current == change.new:
            continue
        if current != change.old:
            raise UnsafeFileError(change.path, "changed on disk while sipxha was editing it: left as it is")
        pending.append(change)
    if not pending:
        return []

    def backups() -> None:
        for change in pending:
            if change.backup and not change.link:
                backup_once(change.path)

    commit([Write(c.path, c.new, c.mode, c.owner, c.link) for c in pending], before_rename=backups)
    return pending
