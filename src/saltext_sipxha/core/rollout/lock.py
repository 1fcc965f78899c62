"""One rollout at a time, fleet-wide: an exclusive ``flock`` on a file in the Salt master's cache.

A second rollout started while one runs is refused at once (it does not queue): the running one reads the
markers again before it ends, so a server marked meanwhile is restarted by it. The kernel releases the
lock when the holder dies, so a killed rollout never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from saltext_sipxha.core.errors import RolloutError, UnsafeFileError
from saltext_sipxha.core.files.atomic import make_folder


class RolloutBusy(RolloutError):
    """Another rollout holds the fleet-wide lock."""


@contextlib.contextmanager
def rollout_lock(path: str | os.PathLike[str], owner: dict[str, Any]) -> Iterator[None]:
    """Hold the lock at ``path`` for the block; :class:`RolloutBusy` naming the holder when it is taken."""
    target = Path(path)
    make_folder(target.parent, mode=0o700)
    try:
        fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as err:
        raise UnsafeFileError(str(target), f"cannot be opened: {err.strerror or err}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "unknown"
            raise RolloutBusy(f"another sipxha rollout is running ({holder}): refused, nothing done") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner, sort_keys=True).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)
