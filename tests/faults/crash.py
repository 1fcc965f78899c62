"""Kill a process at its k-th write step: the harness of the crash tests.

:func:`run_killed_at` forks a child that replaces the file-system calls by which the product changes
disk (``os.fsync``, ``replace``, ``rename``, ``unlink``, ``symlink``, ``link``, ``chmod``, ``mkdir``) with
wrappers counting them, and sends itself SIGKILL just before the k-th one: no ``finally`` block, no
``atexit``, no flush runs, as when the power goes or the OOM killer strikes. :func:`count_steps` runs the
same work in this process with the counting wrappers only, to learn how many steps there are.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator

WRITE_CALLS = ("fsync", "replace", "rename", "unlink", "symlink", "link", "chmod", "mkdir")
CHILD_TIMEOUT = 60.0


class _Steps:
    """Counts write steps; ``kill_at`` > 0 makes the k-th one a SIGKILL; ``paused`` stops counting."""

    def __init__(self, kill_at: int = 0) -> None:
        self.count, self.kill_at, self.paused = 0, kill_at, False

    def wrap(self, func: Callable) -> Callable:
        def step(*args, **kwargs):
            if not self.paused:
                self.count += 1
                if self.count == self.kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return func(*args, **kwargs)

        return step


_CURRENT: list[_Steps] = []


@contextlib.contextmanager
def _hooked(steps: _Steps) -> Iterator[_Steps]:
    originals = {name: getattr(os, name) for name in WRITE_CALLS}
    for name, func in originals.items():
        setattr(os, name, steps.wrap(func))
    _CURRENT.append(steps)
    try:
        yield steps
    finally:
        _CURRENT.pop()
        for name, func in originals.items():
            setattr(os, name, func)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Do not count (nor kill at) the steps inside the block, e.g. the CA's own writes on the "master"."""
    if not _CURRENT:
        yield
        return
    _CURRENT[-1].paused = True
    try:
        yield
    finally:
        _CURRENT[-1].paused = False


def count_steps(work: Callable[[], object]) -> int:
    """Run ``work`` here, counting its write steps."""
    with _hooked(_Steps()) as steps:
        work()
    return steps.count


def run_killed_at(work: Callable[[], object], kill_at: int) -> str:
    """Run ``work`` in a forked child killed before its ``kill_at``-th write step.

    Returns how the child ended: ``"killed"`` (SIGKILL as planned), ``"finished"`` or ``"raised"``.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            with _hooked(_Steps(kill_at)):
                work()
        except BaseException:  # pylint: disable=broad-except
            code = 3
        os._exit(code)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
                return "killed"
            return "finished" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "raised"
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the child killed at step {kill_at} did not finish within {CHILD_TIMEOUT}s")
