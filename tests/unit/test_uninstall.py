"""core.uninstall: after install and a role swap, every file is back byte for byte; created files are gone."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import created_marker, make_marked_folder
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.dhcp import plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role, role_files
from saltext_sipxha.core.uninstall import UninstallPlan, apply_uninstall, managed_paths, plan_uninstall
from tests.support import pillars
from tests.support.sipxtree import write_sipx_tree
from tests.support.snapshot import tree_snapshot


def _pillar(tmp_path: Path) -> dict:
    pillar = pillars.fleet(2, dhcp=pillars.dhcp("sipxpbx1", str(tmp_path / "kea" / "kea-dhcp4.conf")))
    for minion_id, server in pillar["servers"].items():
        etc = tmp_path / minion_id
        write_sipx_tree(etc, f"{minion_id}.example.com", server["address"])
        server["paths"] = {"etc": str(etc), "ssl": str(etc / "ssl")}
    (tmp_path / "kea").mkdir()
    os.chmod(tmp_path / "sipxpbx2" / "WatchDog.xml", 0o640)
    return pillar


def _install(pillar: dict) -> None:
    fleet = build_plan(pillar)
    for minion_id in pillar["servers"]:
        changes = list(plan_role(fleet, minion_id).changes)
        dhcp = plan_dhcp(fleet, minion_id)
        apply_changes([*changes, dhcp] if dhcp else changes)


def test_install_swap_uninstall_is_byte_identical(tmp_path):
    pillar = _pillar(tmp_path)
    before = tree_snapshot(tmp_path)
    _install(pillar)
    swapped = copy.deepcopy(pillar)
    swapped["servers"]["sipxpbx1"]["role"], swapped["servers"]["sipxpbx2"]["role"] = "distributed", "master"
    _install(swapped)
    assert tree_snapshot(tmp_path) != before
    fleet = build_plan(swapped)
    done = [line for minion_id in pillar["servers"] for line in apply_uninstall(plan_uninstall(fleet, minion_id))]
    assert f"removed {tmp_path / 'kea' / 'kea-dhcp4.conf'}" in done
    assert f"restored {tmp_path / 'sipxpbx2' / 'WatchDog.xml'}" in done
    assert tree_snapshot(tmp_path) == before
    assert not plan_uninstall(fleet, "sipxpbx1").pending, "a second uninstall has nothing to do"


def test_test_mode_plan_writes_nothing_and_shows_diffs(tmp_path):
    pillar = _pillar(tmp_path)
    _install(pillar)
    installed = tree_snapshot(tmp_path)
    plan = plan_uninstall(build_plan(pillar), "sipxpbx2")
    assert plan.pending
    assert any("sipxha-disabled" in change.diff() for change in plan.changes)
    assert tree_snapshot(tmp_path) == installed


def test_files_without_backup_are_never_touched(tmp_path):
    pillar = _pillar(tmp_path)
    assert not plan_uninstall(build_plan(pillar), "sipxpbx1").pending


def test_managed_paths_cover_every_role_file(tmp_path):
    fleet = build_plan(_pillar(tmp_path))
    server = fleet.find_server("sipxpbx1")
    files = role_files(fleet, server)
    assert "WatchDog.xml" in files and "topology.xml.in" in files
    names = {path.name for path in managed_paths(fleet, "sipxpbx1")}
    assert names >= set(files) | {"kea-dhcp4.conf", "ssl.key", "ssl.crt"}


def _install_pki(fleet, minion_id: str, tmp_path: Path):
    """The server's key and certificate from a real CA, installed as sipxha.pki does."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from saltext_sipxha.core.pki import servercert
    from tests.unit.pki.support import ca_of, new_ca, pem

    server = fleet.find_server(minion_id)
    layout = servercert.SslLayout(Path(server.paths["ssl"]), fleet.pki.ca_name)
    ca, key = new_ca(tmp_path / "ca-home"), rsa.generate_private_key(65537, 2048)
    names = ("URI:sip:example.com", "DNS:example.com", f"DNS:{server.fqdn}")
    cert = ca.sign(servercert.build_csr(key, server.fqdn, names), minion_id, names, server.fqdn, 30)
    servercert.install(layout, key, pem(cert).decode(), ca_of(ca))
    return layout


def test_uninstall_keeps_the_own_key_and_certificate_when_there_were_none(tmp_path):
    """Issue 12.10: sipX refuses to start without ssl.key/ssl.crt: where sipxha made the first ones they stay
    (with the CA file and both hash links), only the markers go; the plan's diffs show no key material."""
    from tests.unit.pki.support import openssl

    pillar = _pillar(tmp_path / "tree")
    fleet = build_plan(pillar)
    layout = _install_pki(fleet, "sipxpbx2", tmp_path)
    links = sorted(p.name for p in layout.authorities.iterdir() if p.is_symlink())
    installed = {path: path.read_bytes() for path in (layout.key, layout.cert, layout.ca_file)}
    plan = plan_uninstall(fleet, "sipxpbx2")
    assert set(plan.kept) == {str(path) for path in installed} and not plan.links
    done = apply_uninstall(plan)
    assert all(line.startswith("kept ") for line in done), done
    assert {path: path.read_bytes() for path in installed} == installed
    assert sorted(p.name for p in layout.authorities.iterdir() if p.is_symlink()) == links and len(links) == 2
    assert not list(layout.ssl_dir.rglob("*.sipxha-new")) and not list(layout.ssl_dir.rglob("*.bak"))
    assert not created_marker(layout.ssl_dir).exists(), "the ssl folder sipxha created stays, unmarked"
    verify = openssl("verify", "-CApath", str(layout.authorities), "-purpose", "sslserver", str(layout.cert))
    assert verify.returncode == 0, verify.stderr
    assert not plan_uninstall(fleet, "sipxpbx2").pending, "a second uninstall has nothing to do"


def _original_ssl(fleet, minion_id: str) -> Path:
    """sipX's own key and certificate from before sipxha (gen-ssl-keys style), in an ``ssl`` folder of its own."""
    from tests.unit.pki.support import openssl

    ssl = Path(fleet.find_server(minion_id).paths["ssl"])
    ssl.mkdir(parents=True, exist_ok=True)
    made = openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ssl / "ssl.key"), "-out", str(ssl / "ssl.crt"),
        "-subj", f"/CN={minion_id}.example.com",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return ssl


def test_uninstall_restores_the_original_key_and_certificate(tmp_path):
    """With sipX's own key and certificate from before: both restored byte for byte, sipxha's CA file, its
    hash links and the ``authorities`` folder it created removed: the whole tree, folders included, is as it
    was; the key's diff is redacted (issue 13.1)."""
    pillar = _pillar(tmp_path / "tree")
    fleet = build_plan(pillar)
    _original_ssl(fleet, "sipxpbx2")
    before = tree_snapshot(tmp_path / "tree", folders=True)
    _install(pillar)
    layout = _install_pki(fleet, "sipxpbx2", tmp_path)
    plan = plan_uninstall(fleet, "sipxpbx2")
    assert not plan.kept and len(plan.links) == 2 and plan.folders == (str(layout.authorities),)
    shown = "".join(change.diff() for change in plan.changes)
    assert "PRIVATE KEY" not in shown and "<private key: not shown>" in shown
    assert layout.authorities.is_dir(), "planning removed nothing"
    done = apply_uninstall(plan) + apply_uninstall(plan_uninstall(fleet, "sipxpbx1"))
    assert f"removed folder {layout.authorities}" in done
    assert tree_snapshot(tmp_path / "tree", folders=True) == before
    assert not plan_uninstall(fleet, "sipxpbx2").pending, "a second uninstall has nothing to do"


def test_a_created_folder_holding_foreign_content_stays_and_is_named(tmp_path):
    """A CA file the administrator added to the ``authorities`` folder sipxha created: sipxha's own files go,
    the folder and that file stay, the plan and the report say why; its marker goes, so a second run is
    quiet."""
    pillar = _pillar(tmp_path / "tree")
    fleet = build_plan(pillar)
    _original_ssl(fleet, "sipxpbx2")
    layout = _install_pki(fleet, "sipxpbx2", tmp_path)
    (layout.authorities / "other-ca.crt").write_bytes(b"the administrator's\n")
    plan = plan_uninstall(fleet, "sipxpbx2")
    assert not plan.folders and plan.kept_folders == (
        (str(layout.authorities), "holds what uninstall does not remove (other-ca.crt)"),
    )
    done = apply_uninstall(plan)
    assert any(line.startswith(f"kept folder {layout.authorities} ") and "other-ca.crt" in line for line in done)
    assert sorted(p.name for p in layout.authorities.iterdir()) == ["other-ca.crt"]
    assert not list((tmp_path / "tree").rglob("*.sipxha-new"))
    assert not plan_uninstall(fleet, "sipxpbx2").pending, "a second uninstall has nothing to do"


def test_a_link_in_place_of_a_created_folder_is_never_followed(tmp_path):
    """The ``authorities`` folder replaced by a link to another folder: the plan refuses it (it never reads
    through it), and a folder swapped for a link between plan and apply is reported, not removed through."""
    pillar = _pillar(tmp_path / "tree")
    fleet = build_plan(pillar)
    _original_ssl(fleet, "sipxpbx2")
    layout = _install_pki(fleet, "sipxpbx2", tmp_path)
    elsewhere = tmp_path / "elsewhere"
    layout.authorities.rename(elsewhere)
    layout.authorities.symlink_to(elsewhere)
    kept = tree_snapshot(elsewhere, folders=True)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        plan_uninstall(fleet, "sipxpbx2")
    assert tree_snapshot(elsewhere, folders=True) == kept

    empty = tmp_path / "made" / "empty"
    make_marked_folder(empty)
    plan = UninstallPlan("sipxpbx2", (), (), folders=(str(empty),))
    empty.rmdir()
    (tmp_path / "target").mkdir()
    empty.symlink_to(tmp_path / "target")
    assert apply_uninstall(plan) == [
        f"kept folder {empty} (sipxha created it, but it is no longer the folder sipxha created (a link or a"
        " file): not followed)"
    ]
    assert empty.is_symlink() and (tmp_path / "target").is_dir() and not created_marker(empty).exists()


def test_a_dhcp_server_that_is_no_sipx_server_gets_its_config_removed(tmp_path):
    """A router as ``dhcp:server`` (not in ``servers``): its DHCP config is undone; other minions have nothing."""
    pillar = _pillar(tmp_path)
    pillar["dhcp"]["server"] = "router1"
    fleet = build_plan(pillar)
    config = tmp_path / "kea" / "kea-dhcp4.conf"
    assert managed_paths(fleet, "router1") == [config] and managed_paths(fleet, "ns1") == []
    apply_changes([plan_dhcp(fleet, "router1")])
    assert config.exists()
    apply_uninstall(plan_uninstall(fleet, "router1"))
    assert not config.exists() and not plan_uninstall(fleet, "router1").pending
    assert not plan_uninstall(fleet, "ns1").pending
