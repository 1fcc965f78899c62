"""The restart marker: a server's record that its sipX needs a restart (``service:restart: rolling``).

A state run that changed sipX's files or certificate writes it (JSON, in the minion's cache folder, so it
survives a minion restart); the rollout reads it from the minion and restarts sipX, which takes the marker
as the restart begins (a change written after that marks the server again) and puts it back when the
restart fails. Written through the product's one write path (:func:`.files.atomic.atomic_write`).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from saltext_sipxha.core.files.atomic import atomic_write, make_folder, remove
from saltext_sipxha.core.files.change import read_file

MARKER = ("sipxha", "restart-needed")


def marker_path(cachedir: str | os.PathLike[str]) -> Path:
    """Where the marker lives under a minion's ``cachedir``."""
    return Path(cachedir).joinpath(*MARKER)


def read_marker(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker (``{"since": ISO time, "reasons": [...]}``), None when no restart is needed."""
    data = read_file(Path(path))
    if data is None:
        return None
    try:
        marker = json.loads(data)
    except ValueError:
        marker = None
    if not isinstance(marker, dict):  # unreadable: still a restart pending, never silently dropped
        return {"since": None, "reasons": ["unreadable marker"]}
    return marker


def mark(path: str | os.PathLike[str], reasons: Iterable[str], now: datetime.datetime) -> dict[str, Any]:
    """Record that a restart is needed for ``reasons`` (merged with a pending marker's); returns the marker."""
    target = Path(path)
    current = read_marker(target) or {}
    merged = list(dict.fromkeys([*current.get("reasons", []), *reasons]))
    marker = {"since": current.get("since") or now.isoformat(timespec="seconds"), "reasons": merged}
    make_folder(target.parent, mode=0o700)
    atomic_write(target, (json.dumps(marker, sort_keys=True) + "\n").encode(), mode=0o644)
    return marker


def put_back(path: str | os.PathLike[str], taken: dict[str, Any]) -> dict[str, Any]:
    """Put back a marker a failed restart took (merged with one written meanwhile); returns the marker."""
    since = taken.get("since")
    try:
        when = datetime.datetime.fromisoformat(since) if isinstance(since, str) else None
    except ValueError:
        when = None
    return mark(path, taken.get("reasons") or ["restart failed"], when or datetime.datetime.now(datetime.timezone.utc))


def clear(path: str | os.PathLike[str]) -> bool:
    """Remove the marker; True when there was one."""
    existed = os.path.lexists(path)
    remove(path)
    return existed
