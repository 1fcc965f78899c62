"""Run inside a private mount namespace on a small tmpfs (see ``test_full_disk.py``): fill the disk so that
only part of the role's temporary files fit, apply the role, and print what happened as JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.role import plan_role
from tests.faults.sandbox import MINION_ID, changed_entries, make_server, pillar_for, snapshot

PAGE = 4096


def fill(root: Path, leave: int) -> None:
    """Fill the file system of ``root`` and free ``leave`` bytes again."""
    filler = root / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * PAGE):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))


def main(root: Path, free_fraction: float) -> dict:
    etc, _ = make_server(root)
    pillar = pillar_for(etc)
    changes = plan_role(build_plan(pillar), MINION_ID).changed
    pages = sum(-(-len(change.new or b"") // PAGE) for change in changes)
    fill(root, int(pages * free_fraction) * PAGE)
    before = snapshot(etc)
    error = None
    try:
        apply_changes(plan_role(build_plan(pillar), MINION_ID).changes)
    except SipxhaError as err:
        error = str(err)
    after = snapshot(etc)
    return {"files": len(changes), "error": error, "changed": changed_entries(before, after)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), float(sys.argv[2]))))
