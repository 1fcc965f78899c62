"""A full disk, a file system out of inodes, a read-only file system (issue 13 item 8, issue 7's leftover).

Real file systems, not mocked errors: each test runs ``tests/faults/fulldisk.py`` in its own mount
namespace (``unshare --mount --propagation private``), which mounts a 1 MiB tmpfs there (never visible
on the host), writes a stock sipX tree on it and breaks it: filled by a filler file so that only ``k``
pages are free, its inodes used up, or remounted read-only. The product's write path (the role apply, or
a PKI renewal: key, certificate, CA file, hash link) must then fail with an error naming the path and the
cause (never a traceback, never a key's PEM or the CA passphrase), leave every original byte- and
mode-identical and no temporary file (a backup taken before the failure may stay: it is the original);
with the room given back the next run converges to exactly what an unbroken run gives, and the run after
it changes nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")


def in_namespace(tmp_path: Path, scenario: str, arg: str | None = None) -> dict:
    mount = tmp_path / "fs"
    mount.mkdir()
    argv = ["unshare", "--mount", "--propagation", "private", sys.executable, "-m", "tests.faults.fulldisk"]
    argv += [str(mount), scenario] + ([arg] if arg else [])
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=240, check=False)
    if result.returncode != 0 and ("unshare" in result.stderr or "mount" in result.stderr):
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()[-300:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_clear(error: str, cause: str) -> None:
    assert error.startswith("/") and "/fs/" in error and cause in error, error
    assert not error.startswith("UNCLEAR") and "Traceback" not in error and "Errno" not in error, error


def assert_lost_nothing(case: dict) -> None:
    assert case["bad"] == [], f"originals changed or unfaithful new entries: {case}"
    assert case["temps"] == [], f"temporary files left: {case}"


def assert_recovered(case: dict) -> None:
    assert case["recovery_error"] is None, case
    assert case["recovered"], "with room back the run gives what an unbroken run gives"
    assert case["second_run_changes"] == 0


def test_a_full_disk_changes_no_file_of_the_set(tmp_path):
    found = in_namespace(tmp_path, "fraction", "0.5")
    assert found["files"] >= 7
    (case,) = found["cases"]
    assert_clear(case["error"], ": cannot be written: No space left on device")
    assert case["changed"] == [], "every file and backup as before (no backup taken yet)"
    assert_recovered(case)


def test_with_room_the_same_apply_converges(tmp_path):
    (case,) = in_namespace(tmp_path, "fraction", "3.0")["cases"]
    assert case["error"] is None and case["changed"], case
    assert_recovered(case)


def test_every_free_page_count_from_none_to_enough(tmp_path):
    """0, 1, 2, ... free pages: the disk runs out at every temporary file and every backup in turn."""
    found = in_namespace(tmp_path, "sweep")
    cases = found["cases"]
    failed = [c for c in cases if c["error"]]
    assert cases[-1]["error"] is None, "the last case has room for everything"
    assert len(failed) > found["temp_pages"], "it also ran out while taking the backups"
    for case in cases:
        if case["error"]:
            assert_clear(case["error"], "No space left on device")
            assert_lost_nothing(case)
        assert_recovered(case)
    with_backups = [c for c in failed if c["changed"]]
    assert with_backups, "some failures came after backups were taken (they stay: each is the original)"
    print(f"full disk sweep: {len(cases)} cases, {len(failed)} refused, {len(with_backups)} after some backups")


def test_no_free_inode(tmp_path):
    (case,) = in_namespace(tmp_path, "inodes")["cases"]
    assert_clear(case["error"], "No space left on device")
    assert_lost_nothing(case)
    assert case["changed"] == []
    assert_recovered(case)


def test_a_read_only_file_system(tmp_path):
    """Read-only, also with an old temporary file of a killed write there (the next write's cleanup of it
    must not turn the refusal into a raw ``OSError``)."""
    plain, with_stale = in_namespace(tmp_path, "readonly")["cases"]
    for case in (plain, with_stale):
        assert_clear(case["error"], "Read-only file system")
        assert case["bad"] == [] and case["changed"] == [], case
        assert_recovered(case)  # the stale temporary file is gone then too (converged has none)


@pytest.mark.parametrize("scenario", ["pki-full", "pki-readonly"])
def test_a_key_and_certificate_renewal(tmp_path, scenario):
    """First install and renewal of an RSA pair to a new EC key: refused without a secret in the error; the
    old key and certificate stay; with room back the renewal completes."""
    cases = in_namespace(tmp_path, scenario, str(tmp_path / "ca"))["cases"]
    cause = "No space left on device" if scenario == "pki-full" else "Read-only file system"
    assert any(c["error"] for c in cases if c["installed_before"]), cases
    for case in cases:
        if case["error"]:
            assert_clear(case["error"], cause)
            assert not case["secret_in_error"], case["error"]
            assert_lost_nothing(case)
        assert case["recovery_error"] is None and case["up_to_date"], case
        assert case["temps_after_recovery"] == []
