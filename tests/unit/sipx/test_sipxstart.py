"""The real interop tree and the stock templates, converged by the core, pass sipX's start-up (emulated)."""

from __future__ import annotations

import copy

import pytest

from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.role import plan_role
from saltext_sipxha.core.uninstall import apply_uninstall, plan_uninstall
from tests.support import pillars, sipxstart
from tests.support.sipxtree import real_file, write_tree


def _pillar(tmp_path, kind: str, count: int) -> dict:
    real_file("interop-etc-sipxpbx/config.defs")
    pillar = pillars.fleet(count)
    if kind == "interop":
        pillar["realm"] = "sipxpbx1.example.com"  # config.defs there: SIPXCHANGE_REALM=${SIPXCHANGE_DOMAIN_NAME}
    for minion_id, server in pillar["servers"].items():
        etc = tmp_path / minion_id / "etc"
        write_tree(etc, kind, f"{minion_id}.example.com", server["address"])
        server["paths"] = {"etc": str(etc), "ssl": str(etc / "ssl")}
    return pillar


def _converge_and_start(tmp_path, pillar: dict, phase: str) -> None:
    fleet = build_plan(pillar)
    for minion_id in pillar["servers"]:
        apply_changes(plan_role(fleet, minion_id).changes)
    for minion_id, server in pillar["servers"].items():
        assert plan_role(fleet, minion_id).changed == (), (phase, minion_id)
        started = sipxstart.start(
            tmp_path / minion_id / "etc", f"{minion_id}.example.com", server["address"], tmp_path / phase / minion_id
        )
        sipxstart.check_contract(started, fleet, minion_id)


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("kind", ["interop", "stock"])
def test_converge_swap_start(tmp_path, kind, count):
    pillar = _pillar(tmp_path, kind, count)
    _converge_and_start(tmp_path, pillar, "converged")
    swapped = copy.deepcopy(pillar)
    swapped["servers"]["sipxpbx1"]["role"], swapped["servers"]["sipxpbx2"]["role"] = "distributed", "master"
    _converge_and_start(tmp_path, swapped, "swapped")
    fleet = build_plan(swapped)
    for minion_id, server in swapped["servers"].items():
        apply_uninstall(plan_uninstall(fleet, minion_id))
        etc = tmp_path / minion_id / "etc"
        assert not list(etc.glob("*.bak"))
        started = sipxstart.start(etc, f"{minion_id}.example.com", server["address"], tmp_path / "gone" / minion_id)
        sipxstart.check_not_ha(started, f"{minion_id}.example.com")
