"""Atomic writes keep owner and mode; the first backup is the original, forever; links, FIFOs, devices and
planted backups are refused; a key is private from its first byte."""

from __future__ import annotations

import os
import stat
import time

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files import atomic
from saltext_sipxha.core.files.atomic import (
    Write,
    atomic_write,
    backup_mode,
    backup_once,
    backup_path,
    commit,
    created_marker,
    discard_backup,
    has_marker,
    leftover_temps,
    read_backup,
    read_bytes,
    remove,
    require_folder,
)


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


NOBODY = 65534


def test_a_symlink_in_place_of_a_managed_file_is_neither_read_nor_written(tmp_path):
    secret = tmp_path / "root-only"
    secret.write_bytes(b"root secret\n")
    os.chmod(secret, 0o600)
    target = tmp_path / "config.defs"
    target.symlink_to(secret)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        read_bytes(target)
    with pytest.raises(UnsafeFileError, match="symbolic link or not a regular file"):
        atomic_write(target, b"new\n")
    assert secret.read_bytes() == b"root secret\n" and target.is_symlink()


def test_a_symlinked_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "ssl").symlink_to(elsewhere)
    with pytest.raises(UnsafeFileError, match="symbolic link or not a folder"):
        atomic_write(tmp_path / "ssl" / "ssl.key", b"key", mode=0o600)
    with pytest.raises(UnsafeFileError, match="symbolic link or not a folder"):
        require_folder(tmp_path / "ssl")
    assert not list(elsewhere.iterdir())


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "WatchDog.xml"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(UnsafeFileError, match="not a regular file"):
        read_bytes(fifo)
    assert time.monotonic() - started < 2


def test_a_device_is_never_read_linked_or_not(tmp_path):
    (tmp_path / "config.defs").symlink_to("/dev/zero")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        read_bytes(tmp_path / "config.defs")
    with pytest.raises(UnsafeFileError, match="not a regular file"):
        read_bytes("/dev/zero")


def test_reads_stop_at_the_limit(tmp_path):
    target = tmp_path / "big"
    target.write_bytes(b"x" * 101)
    assert read_bytes(target, limit=101) == b"x" * 101
    with pytest.raises(UnsafeFileError, match="more than the 100"):
        read_bytes(target, limit=100)


@pytest.mark.parametrize("dangling", [False, True])
def test_a_planted_backup_symlink_is_refused(tmp_path, dangling):
    secret = tmp_path / "shadow"
    if not dangling:
        secret.write_bytes(b"root:$6$hash\n")
    target = tmp_path / "config.defs"
    target.write_bytes(b"original\n")
    backup_path(target).symlink_to(secret)
    with pytest.raises(UnsafeFileError, match="not a regular file owned by root"):
        backup_once(target)
    with pytest.raises(UnsafeFileError, match="not a regular file owned by root"):
        read_backup(target)
    assert backup_path(target).is_symlink() and target.read_bytes() == b"original\n"


@pytest.mark.parametrize("kind", ["backup", "marker"])
def test_a_hard_linked_backup_or_marker_is_refused_and_left_as_it_is(tmp_path, kind):
    """A root-owned file linked to the backup's (or marker's) name, e.g. ``/etc/shadow``: never read, restored
    or dropped; the error names the path and what to do."""
    shadow = tmp_path / "elsewhere" / "shadow"
    shadow.parent.mkdir()
    shadow.write_bytes(b"root:$6$hash\n")
    target = tmp_path / "config.defs"
    target.write_bytes(b"original\n")
    planted = backup_path(target) if kind == "backup" else created_marker(target)
    os.link(shadow, planted)
    reads = (read_backup, atomic.has_backup) if kind == "backup" else (has_marker,)
    for call in (backup_once, *reads, discard_backup):
        with pytest.raises(UnsafeFileError) as err:
            call(target)
        assert err.value.path == str(planted) and "is hard-linked (2 names share its inode)" in err.value.reason
        assert f"find / -xdev -samefile {planted}" in err.value.reason
    assert planted.read_bytes() == shadow.read_bytes() == b"root:$6$hash\n" and shadow.stat().st_nlink == 2
    assert target.read_bytes() == b"original\n"


def test_a_backup_being_linked_into_place_is_accepted(tmp_path):
    """The transient second name ``backup_once`` gives its backup (or a killed run left): ``.<bak>.<x>.tmp``."""
    target = tmp_path / "config.defs"
    target.write_bytes(b"original\n")
    backup_once(target)
    os.link(backup_path(target), tmp_path / ".config.defs.bak.0badc0de.tmp")
    assert read_backup(target) == b"original\n" and backup_once(target) == backup_path(target)
    os.link(backup_path(target), tmp_path / "config.defs.old")  # any other name: refused
    with pytest.raises(UnsafeFileError, match="is hard-linked"):
        read_backup(target)
    os.unlink(tmp_path / "config.defs.old")
    discard_backup(target)
    assert not backup_path(target).exists() and not leftover_temps(target)


def test_a_backup_swapped_after_its_check_is_not_read(tmp_path, monkeypatch):
    target = tmp_path / "config.defs"
    target.write_bytes(b"original\n")
    backup_once(target)
    shadow = tmp_path / "shadow"
    shadow.write_bytes(b"root:$6$hash\n")
    trusted = atomic._trusted

    def swap(fd, name, path, what):  # the sipX account links another file there between the check and the read
        info = trusted(fd, name, path, what)
        os.unlink(name, dir_fd=fd)
        os.link(shadow, tmp_path / name)
        return info

    monkeypatch.setattr(atomic, "_trusted", swap)
    with pytest.raises(UnsafeFileError, match="was replaced while being read"):
        read_backup(target)


def test_the_mode_of_a_backup_swapped_after_its_check_is_not_read(tmp_path, monkeypatch):
    """It was read by name (lstat): a file linked there after the check lent its mode to the restored file."""
    target = tmp_path / "config.defs"
    target.write_bytes(b"original\n")
    target.chmod(0o640)
    backup_once(target)
    assert backup_mode(target) == 0o640
    other = tmp_path / "other"
    other.write_bytes(b"planted\n")
    other.chmod(0o4777)
    trusted = atomic._trusted

    def swap(fd, name, path, what):  # another file renamed over the backup between the check and the fstat
        info = trusted(fd, name, path, what)
        os.rename(other, tmp_path / name)
        return info

    monkeypatch.setattr(atomic, "_trusted", swap)
    with pytest.raises(UnsafeFileError, match="was replaced while being read"):
        backup_mode(target)
    monkeypatch.undo()
    os.unlink(backup_path(target))
    os.symlink(target, backup_path(target))
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        backup_mode(target)


@pytest.mark.skipif(os.geteuid() != 0, reason="a file owned by another user needs root")
def test_a_backup_or_marker_not_owned_by_root_is_refused(tmp_path):
    target = tmp_path / "WatchDog.xml"
    target.write_bytes(b"<watchdog/>")
    backup_path(target).write_bytes(b"<planted/>")
    os.chown(backup_path(target), NOBODY, NOBODY)
    with pytest.raises(UnsafeFileError, match="owned by root"):
        backup_once(target)
    marker = created_marker(tmp_path / "kea.conf")
    marker.write_bytes(b"")
    os.chown(marker, NOBODY, NOBODY)
    with pytest.raises(UnsafeFileError, match="owned by root"):
        has_marker(tmp_path / "kea.conf")


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another owner needs root")
def test_backups_and_markers_are_root_owned_regular_files(tmp_path):
    target = tmp_path / "WatchDog.xml"
    target.write_bytes(b"<watchdog/>")
    os.chown(target, NOBODY, NOBODY)
    backup_once(target)
    backup_once(tmp_path / "new.conf")
    for made in (backup_path(target), created_marker(tmp_path / "new.conf")):
        info = made.lstat()
        assert stat.S_ISREG(info.st_mode) and info.st_uid == 0, made
    assert created_marker(tmp_path / "new.conf").stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another owner needs root")
def test_a_key_is_0600_and_owned_before_its_first_byte(tmp_path, monkeypatch):
    """Replacing a 0644 key: at every write the file being written is 0600 and already owned as asked."""
    target = tmp_path / "ssl.key"
    target.write_bytes(b"old key")
    os.chmod(target, 0o644)
    seen, real_write = [], os.write

    def spy(fd, data):
        info = os.fstat(fd)
        seen.append((info.st_mode & 0o777, info.st_uid, info.st_gid))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    atomic_write(target, b"-----BEGIN PRIVATE KEY-----\n", mode=0o600, owner=(NOBODY, NOBODY))
    monkeypatch.undo()
    assert seen and set(seen) == {(0o600, NOBODY, NOBODY)}
    info = target.stat()
    assert (info.st_mode & 0o777, info.st_uid, info.st_gid) == (0o600, NOBODY, NOBODY)


def test_a_killed_writes_temp_file_is_private(tmp_path):
    target = tmp_path / "config.defs"
    with pytest.raises(UnsafeFileError):
        commit([Write(str(target), b"new"), Write(str(tmp_path / "missing" / "x"), b"x")])
    assert not target.exists() and not leftover_temps(target)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        tmp = atomic._create_temp(fd, target.name, str(target), b"half", None)  # what a killed write leaves
    finally:
        os.close(fd)
    assert (tmp_path / tmp).stat().st_mode & 0o077 == 0
    assert leftover_temps(target) == [str(tmp_path / tmp)]
    discard_backup(target)
    assert not leftover_temps(target)


def test_remove_drops_a_link_never_its_target(tmp_path):
    kept = tmp_path / "kept"
    kept.write_bytes(b"kept")
    (tmp_path / "link").symlink_to(kept)
    remove(tmp_path / "link")
    remove(tmp_path / "absent")
    assert kept.exists() and not (tmp_path / "link").is_symlink()


def test_make_marked_folder_marks_only_the_folders_it_creates(tmp_path):
    (tmp_path / "ssl").mkdir()
    atomic.make_marked_folder(tmp_path / "ssl" / "authorities")
    assert (tmp_path / "ssl" / "authorities").is_dir() and has_marker(tmp_path / "ssl" / "authorities")
    assert not has_marker(tmp_path / "ssl")
    atomic.make_marked_folder(tmp_path / "etc" / "ssl" / "authorities")
    assert all(has_marker(tmp_path / name) for name in ("etc", "etc/ssl", "etc/ssl/authorities"))
    atomic.make_marked_folder(tmp_path / "etc" / "ssl" / "authorities")  # again: nothing new
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["ssl", "ssl.sipxha-new"]


def test_make_marked_folder_refuses_a_link_and_never_creates_through_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "ssl").symlink_to(elsewhere)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        atomic.make_marked_folder(tmp_path / "ssl" / "authorities")
    assert list(elsewhere.iterdir()) == [] and not created_marker(tmp_path / "ssl").exists()
