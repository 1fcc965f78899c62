"""Byte-and-mode snapshots of a folder tree, to prove "nothing changed" or "back exactly as it was"."""

from __future__ import annotations

from pathlib import Path

Snapshot = dict[str, tuple[bytes, int]]


def tree_snapshot(root: Path, folders: bool = False) -> Snapshot:
    """Every file (and symlink, by its target) under ``root``: relative path -> (bytes, permission bits);
    with ``folders``, every folder too (``<path>/`` -> (b"", mode)), so that an empty one left behind counts."""
    shot: Snapshot = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            shot[str(path.relative_to(root))] = (str(path.readlink()).encode(), 0o777)
        elif path.is_file():
            shot[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mode & 0o7777)
        elif folders and path.is_dir():
            shot[f"{path.relative_to(root)}/"] = (b"", path.stat().st_mode & 0o7777)
    return shot
