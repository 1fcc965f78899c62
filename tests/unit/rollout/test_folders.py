"""The master's and the minion's own state files fail with an error naming the folder, never a raw OSError."""

from __future__ import annotations

import datetime

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.rollout import drained, lock, marker
from tests.support import pillars

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def blocked(tmp_path):
    """A folder that cannot be created: its parent is a regular file."""
    (tmp_path / "cache").write_text("not a folder")
    return tmp_path / "cache" / "sipxha"


@pytest.mark.parametrize(
    "write",
    [
        lambda folder: marker.mark(folder / "restart-needed", ["x"], NOW),
        lambda folder: drained.set_drained(folder / "rollout.json", "sipxpbx2", NOW),
        lambda folder: lock.rollout_lock(folder / "rollout.lock", {"pid": 1}).__enter__(),
        lambda folder: CertificateAuthority(folder / "ca", b"pass").create("CA", build_plan(pillars.fleet(2)).pki),
    ],
    ids=["marker", "drained", "lock", "ca"],
)
def test_a_folder_that_cannot_be_created_is_named(blocked, write):
    with pytest.raises(UnsafeFileError, match="cannot be created") as err:
        write(blocked)
    assert str(blocked) in str(err.value)
