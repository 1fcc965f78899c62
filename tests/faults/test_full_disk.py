"""A full disk in the middle of a server's file set (issue 13 item 8): nothing changes, the error says why.

Reproduced as the review did, on a small tmpfs: each run gets its own mount namespace (``unshare -m``) and
a 1 MiB tmpfs holding a stock sipX tree, filled so that only half of the role's temporary files fit. The
role's set is all or nothing: every temporary file is written and fsynced before the first rename, so
the failure leaves every file (and backup) as it was and names the file and the cause. Control: with
room for all of them the same apply converges.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_on_small_tmpfs(mount: Path, free_fraction: float) -> dict:
    mount.mkdir()
    script = f'mount -t tmpfs -o size=1m sipxha-full "$1" && exec "$2" -m tests.faults.fulldisk "$1" {free_fraction}'
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(mount), sys.executable]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 and "mount" in result.stderr + result.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_a_full_disk_changes_no_file_of_the_set(tmp_path):
    found = run_on_small_tmpfs(tmp_path / "full", 0.5)
    assert found["files"] >= 7
    assert found["error"] and "No space left on device" in found["error"], found
    assert found["error"].startswith("/") and ": cannot be written" in found["error"], found
    assert "Traceback" not in found["error"] and "Errno" not in found["error"]
    assert found["changed"] == [], "every file and backup as before"


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_with_room_the_same_apply_converges(tmp_path):
    found = run_on_small_tmpfs(tmp_path / "room", 3.0)
    assert found["error"] is None and len(found["changed"]) >= found["files"], found
