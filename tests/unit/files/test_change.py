"""FileChange + apply_changes: create, replace, remove and link through one guarded, all-or-nothing apply."""

from __future__ import annotations

import os

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import backup_path, created_marker
from saltext_sipxha.core.files.change import SECRET_DIFF, FileChange, apply_changes, read_file


def test_create_replace_and_remove_in_one_set(tmp_path):
    kept, gone = tmp_path / "WatchDog.xml", tmp_path / "old.conf"
    kept.write_bytes(b"old\n")
    os.chmod(kept, 0o640)
    gone.write_bytes(b"bye\n")
    changes = [
        FileChange(str(kept), b"old\n", b"new\n"),
        FileChange(str(tmp_path / "kea.conf"), None, b"{}\n"),
        FileChange(str(gone), b"bye\n", None, backup=False),
    ]
    assert [c.path for c in apply_changes(changes)] == [c.path for c in changes]
    assert kept.read_bytes() == b"new\n" and kept.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "kea.conf").stat().st_mode & 0o777 == 0o644
    assert not gone.exists()
    assert backup_path(kept).read_bytes() == b"old\n" and created_marker(tmp_path / "kea.conf").exists()
    assert not apply_changes(changes), "a second apply has nothing to do"


def test_a_file_changed_since_it_was_planned_is_refused_and_nothing_of_the_set_written(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(b"a1")
    second.write_bytes(b"b1")
    planned = [FileChange(str(first), b"a1", b"a2"), FileChange(str(second), b"b1", b"b2")]
    second.write_bytes(b"edited by hand")
    with pytest.raises(UnsafeFileError, match="changed on disk"):
        apply_changes(planned)
    assert first.read_bytes() == b"a1" and not backup_path(first).exists()


def test_a_failure_before_the_renames_changes_nothing_and_names_the_file(tmp_path):
    first = tmp_path / "a"
    first.write_bytes(b"a1")
    blocked = tmp_path / "missing" / "b"  # staged after "a": its temporary file is already written
    changes = [FileChange(str(first), b"a1", b"a2"), FileChange(str(blocked), None, b"b")]
    with pytest.raises(UnsafeFileError) as caught:
        apply_changes(changes)
    assert str(blocked) in str(caught.value) and "folder does not exist" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"] and first.read_bytes() == b"a1"


def test_links_are_created_and_removed(tmp_path):
    (tmp_path / "ca.crt").write_bytes(b"pem")
    new = FileChange(str(tmp_path / "abcd.0"), None, b"ca.crt", link=True)
    assert apply_changes([new]) == [new]
    assert os.readlink(tmp_path / "abcd.0") == "ca.crt"
    assert new.diff() == f"link {tmp_path / 'abcd.0'}: (none) -> ca.crt\n"
    assert apply_changes([FileChange(str(tmp_path / "abcd.0"), b"ca.crt", None, link=True)])
    assert not (tmp_path / "abcd.0").is_symlink() and (tmp_path / "ca.crt").exists()


def test_a_secret_never_shows_in_its_diff(tmp_path):
    change = FileChange(str(tmp_path / "ssl.key"), b"-----BEGIN PRIVATE KEY-----old", b"-----BEGIN new", secret=True)
    assert change.diff() == f"{change.path}: {SECRET_DIFF}\n"
    assert "PRIVATE" not in repr(change)


def test_read_file_refuses_a_link_and_reads_a_file(tmp_path):
    (tmp_path / "real").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert read_file(tmp_path / "real") == b"data" and read_file(tmp_path / "none") is None
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        read_file(tmp_path / "link")
