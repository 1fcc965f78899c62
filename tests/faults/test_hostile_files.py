"""Filesystem attacks of the adversarial review (issue 13 items 2, 3, 6, 7; issue 12 item 1), met by the SLS.

The attacker is the sipX account, which owns the sipX tree: it plants links (``.bak`` backups, a
managed file, the ``ssl`` folder), FIFOs and device links where sipxha reads or writes, and polls the
ssl folder for a readable key. Every case: the run fails naming the file and the cause (or converges
without exposing anything), nothing is followed, no secret leaves, and no run hangs.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import signal
import time

import pytest
import salt.loader

from saltext_sipxha.core.files.atomic import backup_path
from saltext_sipxha.core.pki.servercert import SslLayout
from tests.faults.sandbox import changed_entries, pillar_for, snapshot

SECRET = b"root-only-secret-sipxha-4e1d\n"
NOBODY = 65534


@pytest.fixture
def root_only(tmp_path):
    path = tmp_path / "root-only"
    path.write_bytes(SECRET)
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-root-only-file", "dangling"])
def test_a_planted_bak_link_is_refused_and_never_followed(apply_sls, server, tmp_path, root_only, dangling):
    etc, _ = server
    target = tmp_path / "nowhere" if dangling else root_only
    backup_path(etc / "config.defs").symlink_to(target)
    before = snapshot(etc)
    results = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))
    role = results["sipxha-role"]
    assert role["result"] is False, role
    assert f"{etc / 'config.defs.bak'}: is not a regular file owned by root" in role["comment"], role
    assert changed_entries(before, snapshot(etc)) == [], "no file of the set was written"
    assert SECRET.decode().strip() not in repr(results)
    uninstall = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"), sls="sipxha.uninstall")
    assert SECRET.decode().strip() not in repr(uninstall)
    assert changed_entries(before, snapshot(etc)) == []
    assert not dangling or not (tmp_path / "nowhere").exists()


def test_a_hard_linked_bak_is_refused_and_the_linked_file_left_untouched(apply_sls, server, tmp_path, root_only):
    """A root-owned file outside the tree (``/etc/shadow``) hard-linked to ``config.defs.bak``: neither the run nor
    uninstall reads, restores or drops it; after ``rm`` as the error says, the run converges."""
    etc, _ = server
    backup = backup_path(etc / "config.defs")
    os.link(root_only, backup)
    pillar = pillar_for(etc, ssl=tmp_path / "ssl")
    before = snapshot(etc)
    for sls, state in (("sipxha", "sipxha-role"), ("sipxha.uninstall", "sipxha-uninstall-files")):
        results = apply_sls(pillar, sls=sls)
        assert results[state]["result"] is False, results[state]
        assert f"{backup}: is hard-linked (2 names share its inode)" in results[state]["comment"], results[state]
        assert f"find / -xdev -samefile {backup}" in results[state]["comment"], results[state]
        assert SECRET.decode().strip() not in repr(results)
        assert changed_entries(before, snapshot(etc)) == []
        assert root_only.read_bytes() == SECRET and root_only.stat().st_nlink == 2
    backup.unlink()  # what the error says to do when it is no original
    assert apply_sls(pillar)["sipxha-role"]["result"] is True
    assert root_only.read_bytes() == SECRET and root_only.stat().st_nlink == 1
    assert backup.read_bytes() == before["config.defs"][0] and backup.stat().st_nlink == 1


def test_a_managed_file_linked_to_a_root_only_file_is_refused(apply_sls, server, tmp_path, root_only):
    etc, _ = server
    (etc / "config.defs").unlink()
    (etc / "config.defs").symlink_to(root_only)
    for test in (True, False):
        results = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"), test=test)
        role = results["sipxha-role"]
        assert role["result"] is False and f"{etc / 'config.defs'}: is a symbolic link" in role["comment"], role
        assert SECRET.decode().strip() not in repr(results)
    assert root_only.read_bytes() == SECRET and (etc / "config.defs").is_symlink()


def test_an_ssl_folder_linked_elsewhere_gets_no_key(apply_sls, server, tmp_path):
    etc, ssl = server
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    ssl.symlink_to(elsewhere)
    pki = apply_sls(pillar_for(etc))["sipxha-pki-certificate"]
    assert pki["result"] is False and f"{ssl}: is a symbolic link or not a folder" in pki["comment"], pki
    assert list(elsewhere.iterdir()) == []


def test_a_fifo_at_watchdog_xml_fails_the_run_quickly(apply_sls, server, tmp_path):
    etc, _ = server
    (etc / "WatchDog.xml").unlink()
    os.mkfifo(etc / "WatchDog.xml")
    started = time.monotonic()
    role = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))["sipxha-role"]
    assert time.monotonic() - started < 60
    assert role["result"] is False and f"{etc / 'WatchDog.xml'}: cannot be read: not a regular file" in role["comment"]


def test_a_dev_zero_link_is_not_read(apply_sls, server, tmp_path):
    etc, _ = server
    (etc / "proxy-config").unlink()
    (etc / "proxy-config").symlink_to("/dev/zero")
    role = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))["sipxha-role"]
    assert role["result"] is False and f"{etc / 'proxy-config'}: is a symbolic link" in role["comment"], role


def test_the_beacon_does_not_block_on_a_fifo_at_ssl_crt(loaders, server, caplog):
    etc, ssl = server
    ssl.mkdir()
    os.mkfifo(ssl / "ssl.crt")
    opts = dict(loaders.opts, pillar={"sipxha": pillar_for(etc)})
    beacon = salt.loader.beacons(opts, loaders.modules, context={})["sipxha_cert.beacon"]
    signal.alarm(30)  # a blocking open would hang here: fail instead of hanging the suite
    try:
        assert beacon([{"interval": 1}]) == []
    finally:
        signal.alarm(0)
    assert "cannot check the certificate" in caplog.text and "not a regular file" in caplog.text


def _poll_for_readable_keys(ssl, seconds: float) -> tuple[int, int]:
    """A child running as ``nobody`` reading every entry of ``ssl`` it can; sends each key's sha256 and when it
    first read it down a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            folder = os.open(ssl, os.O_RDONLY | os.O_DIRECTORY)  # pytest's root is 0700: enter before dropping root
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            seen: set[bytes] = set()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for name in os.listdir(folder):
                    try:
                        with open(os.open(name, os.O_RDONLY | os.O_NONBLOCK, dir_fd=folder), "rb") as handle:
                            data = handle.read()
                    except OSError:
                        continue
                    digest = hashlib.sha256(data).hexdigest().encode()
                    if b"PRIVATE KEY" in data and digest not in seen:
                        seen.add(digest)
                        os.write(write_end, digest + f" {time.monotonic()}\n".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_replaced_0644_key_is_never_readable_by_others(apply_sls, server):
    """Issue 13 item 3: an old 0644 key (gen-ssl-keys.sh) is replaced 10 times while ``nobody`` polls the folder.

    The poller does read each old 0644 key (so it would see a new one too); it never gets a new key.
    """
    etc, ssl = server
    assert apply_sls(pillar_for(etc))["sipxha-pki-certificate"]["result"] is True
    os.chmod(ssl, 0o755)
    poller, pipe = _poll_for_readable_keys(ssl, seconds=600)
    made_readable = {}  #: key -> when the test itself made it 0644 (the next run's "old 0644 key")
    try:
        for key_type in ("ec", "rsa") * 5:  # the first run made an RSA key (the default)
            made_readable[_sha256(ssl / "ssl.key")] = time.monotonic()
            os.chmod(ssl / "ssl.key", 0o644)
            time.sleep(0.05)  # the poller reads the old key: proof that it would read a new one
            ec = {"type": "ec", "curve": "secp256r1"}
            key = {"type": "rsa", "bits": 2048} if key_type == "rsa" else ec
            pki = apply_sls(pillar_for(etc, pki={"ca_name": "ca.example.com", "key": key}))["sipxha-pki-certificate"]
            assert pki["result"] is True and str(ssl / "ssl.key") in pki["changes"]["files"], pki
            assert (ssl / "ssl.key").stat().st_mode & 0o777 == 0o600
    finally:
        os.kill(poller, signal.SIGKILL)
        os.waitpid(poller, 0)
    with os.fdopen(pipe, "rb") as handle:
        captured = dict(line.split() for line in handle.read().decode().splitlines())
    assert captured.keys() & made_readable.keys(), "the poller works: it read the old world-readable keys"
    early = [k for k, at in captured.items() if float(at) < made_readable.get(k, float("inf"))]
    assert not early, "nobody read a key sipxha had just written"


def test_the_key_belongs_to_the_sipx_account_from_its_first_byte(apply_sls, server, sipx_user):
    etc, ssl = server
    pki = apply_sls(pillar_for(etc))["sipxha-pki-certificate"]
    assert pki["result"] is True, pki
    info = (ssl / "ssl.key").stat()
    account = pwd.getpwnam(sipx_user)
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (account.pw_uid, account.pw_gid, 0o600)
    assert not [p for p in ssl.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("key", ["user", "group"])
def test_a_missing_sipx_account_fails_naming_the_pillar_key(apply_sls, server, sipx_user, key):
    etc, ssl = server
    service = {"manage": False, "user": sipx_user, "group": sipx_user} | {key: "no-such-sipx-account"}
    pki = apply_sls(pillar_for(etc, service=service))["sipxha-pki-certificate"]
    assert pki["result"] is False and f"sipxha:service:{key}:" in pki["comment"], pki
    assert "no-such-sipx-account" in pki["comment"], pki
    assert not ssl.exists() or not (ssl / "ssl.key").exists()


def test_uninstall_removes_a_killed_writes_temp_file(apply_sls, server):
    """Issue 13 item 3: a temp file a killed key write left is private, and uninstall cleans it up."""
    etc, ssl = server
    pillar = pillar_for(etc)
    assert apply_sls(pillar)["sipxha-pki-certificate"]["result"] is True
    layout = SslLayout(ssl, "ca.example.com")
    left = ssl / ".ssl.key.0123abcd.tmp"
    fd = os.open(left, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"-----BEGIN PRIVATE KEY-----\nhalf")
    os.close(fd)
    results = apply_sls(pillar, sls="sipxha.uninstall")
    assert not left.exists() and layout.key.exists(), "the temp file goes; the key stays (sipX's own, issue 12.10)"
    assert "BEGIN PRIVATE KEY" not in repr(results)


def test_a_key_of_an_earlier_install_owned_by_root_or_0644_is_replaced(apply_sls, server, sipx_user):
    """Issue 12 item 1: a ``root:root`` (or 0644) ssl.key the sipX daemons cannot use (or anyone could read)."""
    etc, ssl = server
    pillar = pillar_for(etc)
    assert apply_sls(pillar)["sipxha-pki-certificate"]["result"] is True
    account = pwd.getpwnam(sipx_user)
    for uid, gid, mode in ((0, 0, 0o600), (account.pw_uid, account.pw_gid, 0o644)):
        old = (ssl / "ssl.key").read_bytes()
        os.chown(ssl / "ssl.key", uid, gid)
        os.chmod(ssl / "ssl.key", mode)
        pki = apply_sls(pillar)["sipxha-pki-certificate"]
        assert pki["result"] is True and "ssl.key is 0" in pki["comment"], pki
        info = (ssl / "ssl.key").stat()
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (account.pw_uid, account.pw_gid, 0o600)
        assert (ssl / "ssl.key").read_bytes() != old
        again = apply_sls(pillar)["sipxha-pki-certificate"]
        assert again["result"] is True and not again["changes"], again


def test_an_older_sipxhas_bak_owned_by_the_sipx_account_is_refused_until_re_owned(apply_sls, server, sipx_user):
    """An older sipxha kept the original's owner on its ``.bak``: refused (the account could have written anything
    into it) with what to do; after ``chown root:root`` as the error says, the run converges and uninstall restores
    that original."""
    etc, ssl = server
    account = pwd.getpwnam(sipx_user)
    backup = backup_path(etc / "config.defs")
    backup.write_bytes((etc / "config.defs").read_bytes())
    os.chown(backup, account.pw_uid, account.pw_gid)
    pillar = pillar_for(etc, ssl=ssl)
    before = snapshot(etc)
    role = apply_sls(pillar)["sipxha-role"]
    assert role["result"] is False, role
    assert (
        f"{backup}: is not a regular file owned by root (owner: {sipx_user} (uid {account.pw_uid}))" in role["comment"]
    ), role
    assert f"run 'chown root:root {backup}'" in role["comment"], role
    assert [
        name for name in changed_entries(before, snapshot(etc)) if not name.startswith(("ssl/", "ssl.sipxha-new"))
    ] == []
    os.chown(backup, 0, 0)  # what the error says to do
    assert apply_sls(pillar)["sipxha-role"]["result"] is True
    assert apply_sls(pillar, sls="sipxha.uninstall")["sipxha-uninstall-files"]["result"] is True
    assert (etc / "config.defs").read_bytes() == before["config.defs"][0] and not backup.exists()
