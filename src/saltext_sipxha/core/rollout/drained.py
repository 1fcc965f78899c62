"""The server a rollout has drained, in the Salt master's cache: the one record every DNS rendering reads.

The runner writes it before it drains a server and removes it before it undrains one; a failed rollout
leaves it (that server stays drained, and the next rollout starts with it). The master's
``sipxha_rollout`` ext_pillar turns it into ``sipxha:rollout:drained`` for every minion with the
``sipxha`` pillar, so a scheduled ``sipxha.dns`` or highstate run during a rollout renders DNS with that
server left out, as the rollout does. Master-side data only: nothing a minion sends ever reaches it.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import atomic_write, make_folder, remove
from saltext_sipxha.core.files.change import read_file

STATE = ("sipxha", "rollout.json")  #: under the master's ``cachedir``


def state_path(cachedir: str | os.PathLike[str]) -> Path:
    """Where the rollout state lives under the master's ``cachedir``."""
    return Path(cachedir).joinpath(*STATE)


def read_drained(path: str | os.PathLike[str]) -> str | None:
    """The minion id a rollout has drained, None when none is (or the file is unreadable)."""
    try:
        data = read_file(Path(path))
        state = json.loads(data) if data is not None else None
    except (OSError, ValueError, UnsafeFileError):
        return None
    drained = state.get("drained") if isinstance(state, dict) else None
    return drained if isinstance(drained, str) and drained else None


def set_drained(path: str | os.PathLike[str], minion_id: str | None, now: datetime.datetime) -> None:
    """Record ``minion_id`` as the drained server (None: no server is drained any more)."""
    target = Path(path)
    if minion_id is None:
        remove(target)
        return
    make_folder(target.parent, mode=0o700)
    state = {"drained": minion_id, "since": now.isoformat(timespec="seconds")}
    atomic_write(target, json.dumps(state, sort_keys=True).encode(), mode=0o600)
