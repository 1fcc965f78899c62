"""Byte-and-mode snapshots of a folder tree, to prove "nothing changed" or "back exactly as it was"."""

from __future__ import annotations

from pathlib import Path

Snapshot = dict[str, tuple[bytes, int]]


def tree_snapshot(root: Path) -> Snapshot:
    """Every file (and symlink, by its target) under ``root``: relative path -> (bytes, permission bits)."""
    shot: Snapshot = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            shot[str(path.relative_to(root))] = (str(path.readlink()).encode(), 0o777)
        elif path.is_file():
            shot[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mode & 0o7777)
    return shot
