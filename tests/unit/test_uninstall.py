"""core.uninstall: after install and a role swap, every file is back byte for byte; created files are gone."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.dhcp import plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role, role_files
from saltext_sipxha.core.uninstall import apply_uninstall, managed_paths, plan_uninstall
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
