"""Atomic writes keep owner and mode; the first backup is the original, forever."""

from __future__ import annotations

import os

import pytest

from saltext_sipxha.core.files.atomic import atomic_write, backup_once, backup_path, created_marker


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path):
    target = tmp_path / "config.defs"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o640)
    atomic_write(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o7777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["config.defs"]


def test_atomic_write_new_file_gets_requested_mode(tmp_path):
    target = tmp_path / "ssl.key"
    atomic_write(target, b"secret", mode=0o600)
    assert target.stat().st_mode & 0o7777 == 0o600


@pytest.mark.skipif(os.getuid() != 0, reason="chown to another owner needs root")
def test_atomic_write_keeps_owner(tmp_path):
    target = tmp_path / "WatchDog.xml"
    target.write_bytes(b"<watchdog/>")
    os.chown(target, 65534, 65534)
    atomic_write(target, b"<watchdog></watchdog>")
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


def test_failed_write_leaves_original_and_no_temp_file(tmp_path):
    target = tmp_path / "proxy-config"
    target.write_bytes(b"original")

    with pytest.raises(TypeError):
        atomic_write(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["proxy-config"]


def test_backup_once_keeps_the_first_original(tmp_path):
    target = tmp_path / "WatchDog.xml"
    target.write_bytes(b"original")
    os.chmod(target, 0o604)
    assert backup_once(target) == backup_path(target)
    target.write_bytes(b"edited")
    backup_once(target)
    assert backup_path(target).read_bytes() == b"original"
    assert backup_path(target).stat().st_mode & 0o7777 == 0o604


def test_backup_of_missing_file_marks_it_as_created(tmp_path):
    target = tmp_path / "kea-dhcp4.conf"
    assert backup_once(target) is None
    assert created_marker(target).exists()
    target.write_bytes(b"first version written by sipxha")
    assert backup_once(target) is None
    assert not backup_path(target).exists(), "a file sipxha created must not get a .bak of sipxha's own text"


def test_a_killed_writes_old_temp_file_is_dropped_a_fresh_one_kept(tmp_path):
    target = tmp_path / "config.defs"
    target.write_bytes(b"old\n")
    stale, fresh = tmp_path / ".config.defs.abc123.tmp", tmp_path / ".config.defs.def456.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    os.utime(stale, (1, 1))
    atomic_write(target, b"new\n")
    assert not stale.exists() and fresh.exists()
    assert target.read_bytes() == b"new\n"
