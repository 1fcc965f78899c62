"""A planned change of one file (old bytes -> new bytes), its unified diff, and applying it safely."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import atomic_write, backup_once, backup_path
from saltext_sipxha.core.pki.keys import REDACTED, holds_private_key


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """A readable unified diff of two versions of ``path`` (``None``: the file does not exist).

    A version holding a private key is never shown: its text is replaced by ``<private key: not shown>``.
    """
    if holds_private_key(old) or holds_private_key(new):
        return f"{path}: {REDACTED}\n" if old is not None or new is not None else ""
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, path if old is not None else "/dev/null", path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class FileChange:
    """What one file is and what it should be."""

    path: str
    old: bytes | None = field(repr=False)  #: None: the file does not exist yet
    new: bytes = field(repr=False)
    mode: int | None = None  #: for a new file only

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return unified_diff(self.path, self.old, self.new)


def read_file(path: str | Path) -> bytes | None:
    """The bytes of ``path``, None when it does not exist; :class:`UnsafeFileError` when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise UnsafeFileError(str(path), f"cannot be read: {err.strerror or err}") from err


def read_backup(path: str | Path) -> bytes | None:
    """The original of ``path`` saved before sipxha's first edit, None when there is none yet."""
    return read_file(backup_path(path))


def apply_changes(changes: Iterable[FileChange]) -> list[FileChange]:
    """Write every changed file (backup of the original first, then an atomic replace); returns those written.

    A file that changed on disk since it was planned is refused (nothing of it written), unless it already
    holds the new text (another run, e.g. a concurrent ``state.apply``, wrote it meanwhile): then it is skipped.
    """
    written = []
    for change in changes:
        if not change.changed:
            continue
        current = read_file(change.path)
        if current == change.new:
            continue
        if current != change.old:
            raise UnsafeFileError(change.path, "changed on disk while sipxha was editing it: left as it is")
        backup_once(change.path)
        atomic_write(change.path, change.new, change.mode)
        written.append(change)
    return written
