"""core.role: every file of one server planned from the Fleet, applied, idempotent, and role swaps."""

from __future__ import annotations

import copy
import shutil
import stat
from pathlib import Path

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files import keyvalue
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import DEFAULT_DS_PROCESSES, build_plan
from saltext_sipxha.core.sipx import watchdog
from saltext_sipxha.core.sipx.role import plan_role
from tests.support import pillars
from tests.support.rolecheck import check_role
from tests.support.sipxtree import REAL_SIPX, real_file, sipx_files, write_sipx_tree

IDS = ("sipxpbx1", "sipxpbx2", "sipxpbx3")


@pytest.fixture
def trees(tmp_path):
    pillar = pillars.fleet(3)
    for minion_id, server in pillar["servers"].items():
        etc = tmp_path / minion_id
        write_sipx_tree(etc, f"{minion_id}.example.com", server["address"])
        server["paths"] = {"etc": str(etc)}
    return pillar


def _converge(pillar) -> dict[str, list[str]]:
    fleet = build_plan(pillar)
    written = {m: [Path(c.path).name for c in apply_changes(plan_role(fleet, m).changes)] for m in pillar["servers"]}
    for minion_id in pillar["servers"]:
        assert plan_role(fleet, minion_id).changed == (), f"{minion_id} not idempotent"
    return written


def _etc(pillar, minion_id) -> Path:
    return Path(pillar["servers"][minion_id]["paths"]["etc"])


def test_fleet_converges_and_second_run_changes_nothing(trees):
    originals = {m: sipx_files(f"{m}.example.com", trees["servers"][m]["address"], str(_etc(trees, m))) for m in IDS}
    written = _converge(trees)
    assert "topology.xml" in written["sipxpbx1"] and "topology.xml" not in written["sipxpbx2"]
    assert "WatchDog.xml" in written["sipxpbx2"] and "WatchDog.xml" not in written["sipxpbx1"]
    for minion_id in IDS:
        check_role(trees, minion_id)
        for name in written[minion_id]:
            assert (_etc(trees, minion_id) / f"{name}.bak").read_text() == originals[minion_id][name]
    assert _converge(trees) == {m: [] for m in IDS}


def test_swap_master_and_distributed_converges_and_restores(trees):
    _converge(trees)
    swapped = copy.deepcopy(trees)
    swapped["servers"]["sipxpbx1"]["role"] = "distributed"
    swapped["servers"]["sipxpbx2"]["role"] = "master"
    _converge(swapped)
    for minion_id in IDS:
        check_role(swapped, minion_id)
    etc2 = _etc(trees, "sipxpbx2")
    for name in ("WatchDog.xml", "ProcessDefinitions.xml"):
        assert (etc2 / name).read_bytes() == (etc2 / f"{name}.bak").read_bytes(), name
    assert (_etc(trees, "sipxpbx1") / "topology.xml").read_bytes() == (
        _etc(trees, "sipxpbx1") / "topology.xml.bak"
    ).read_bytes()
    _converge(trees)
    for minion_id in IDS:
        check_role(trees, minion_id)


def test_owner_and_mode_kept(trees):
    path = _etc(trees, "sipxpbx2") / "WatchDog.xml"
    path.chmod(0o640)
    _converge(trees)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE((path.parent / "WatchDog.xml.bak").stat().st_mode) == 0o640


def test_missing_files(trees):
    etc = _etc(trees, "sipxpbx2")
    (etc / "registrar-config").unlink()
    plan = plan_role(build_plan(trees), "sipxpbx2")
    assert any("registrar-config does not exist yet" in note for note in plan.notes)
    (etc / "registrar-config.in").unlink()
    with pytest.raises(UnsafeFileError, match=r"registrar-config: is missing, and so is registrar-config\.in"):
        plan_role(build_plan(trees), "sipxpbx2")
    (etc / "WatchDog.xml").unlink()
    with pytest.raises(UnsafeFileError, match=r"WatchDog\.xml: is missing"):
        plan_role(build_plan(trees), "sipxpbx2")


@pytest.mark.parametrize("role", ["master", "distributed"])
def test_real_interop_tree(tmp_path, role):
    """The real /etc/sipxpbx of Pingtel's interop server (templates only, no effective files)."""
    real_file("interop-etc-sipxpbx/WatchDog.xml")
    etc = tmp_path / "etc"
    shutil.copytree(REAL_SIPX / "interop-etc-sipxpbx", etc)
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx1"]["role"] = role
    pillar["servers"]["sipxpbx2"]["role"] = "master" if role == "distributed" else "distributed"
    pillar["servers"]["sipxpbx1"]["paths"] = {"etc": str(etc)}
    fleet = build_plan(pillar)
    plan = plan_role(fleet, "sipxpbx1")
    assert sorted(Path(n.split(" ")[0]).name for n in plan.notes) == [
        "forwardingrules.xml",
        "proxy-config",
        "registrar-config",
    ]
    before = {p.name: p.read_bytes() for p in etc.iterdir()}
    written = {Path(c.path).name for c in apply_changes(plan.changes)}
    expected = {"config.defs", "forwardingrules.xml.in", "registrar-config.in", "proxy-config.in"}
    if role == "master":
        expected.add("topology.xml.in")
    else:
        expected |= {"WatchDog.xml", "ProcessDefinitions.xml"}
    assert written == expected
    assert plan_role(fleet, "sipxpbx1").changed == ()
    defs = (etc / "config.defs").read_text()
    if role == "distributed":
        assert keyvalue.get(defs, "PRESENCE_SERVER_ADDR", keyvalue.SHELL) == "sipxpbx2.example.com"  # appended
        assert watchdog.read((etc / "WatchDog.xml").read_bytes(), "w")[0] == list(DEFAULT_DS_PROCESSES)
        assert b"<!-- Not implemented yet." in (etc / "WatchDog.xml").read_bytes()
    for name in written:
        assert (etc / f"{name}.bak").read_bytes() == before[name]
