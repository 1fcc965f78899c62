"""A real master and 1 MS + 2 DS minions converge with ``state.apply sipxha``; a role swap converges too."""

from __future__ import annotations

import copy
import shutil
import subprocess

import pytest

from tests.support import pillars
from tests.support.rolecheck import check_role

pytestmark = pytest.mark.integration


def _changed(states: dict) -> dict[str, dict]:
    return {sid: run["changes"] for sid, run in states.items() if run["changes"]}


def _assert_ok(result: dict, expect=True) -> None:
    for minion_id, states in result.items():
        for sid, run in states.items():
            assert run["result"] is expect or (expect is None and run["result"] is True and not run["changes"]), (
                minion_id,
                sid,
                run["comment"],
            )


def test_converge_idempotent_then_swap(fleet, apply_sipxha):
    pillar = fleet.default_pillar()
    first = apply_sipxha()
    _assert_ok(first)
    for minion_id in fleet.minions:
        assert _changed(first[minion_id]), f"{minion_id} changed nothing"
        check_role(pillar, minion_id)
        assert (fleet.etc(minion_id) / "config.defs.bak").exists()
    assert (fleet.etc("sipxpbx2") / "WatchDog.xml.bak").exists()

    second = apply_sipxha()
    _assert_ok(second)
    assert {m: _changed(states) for m, states in second.items()} == {m: {} for m in fleet.minions}

    swapped = copy.deepcopy(pillar)
    swapped["servers"]["sipxpbx1"]["role"] = "distributed"
    swapped["servers"]["sipxpbx2"]["role"] = "master"
    fleet.set_pillar(swapped)
    dry = apply_sipxha("test=True")
    _assert_ok(dry, expect=None)
    role_diffs = {m: states for m, states in dry.items() if _changed(states)}
    assert set(role_diffs) == set(fleet.minions)  # sipxpbx3 too: its config.defs now points at the new master
    check_role(pillar, "sipxpbx1")  # test=True changed nothing

    third = apply_sipxha()
    _assert_ok(third)
    for minion_id in fleet.minions:
        check_role(swapped, minion_id)
    etc2 = fleet.etc("sipxpbx2")
    assert (etc2 / "WatchDog.xml").read_bytes() == (etc2 / "WatchDog.xml.bak").read_bytes()
    assert {m: _changed(s) for m, s in apply_sipxha().items()} == {m: {} for m in fleet.minions}


def test_dhcp_on_exactly_one_server(fleet, apply_sipxha):
    pillar = fleet.default_pillar()
    for minion_id in fleet.minions:
        (fleet.etc(minion_id) / "kea").mkdir()
    # one pillar for all: the path is sipxpbx3's sandbox, which no other minion may write
    pillar["dhcp"] = pillars.dhcp("sipxpbx3", str(fleet.etc("sipxpbx3") / "kea" / "kea-dhcp4.conf"))
    fleet.set_pillar(pillar)
    result = apply_sipxha()
    _assert_ok(result)
    assert _changed(result["sipxpbx3"]).get("sipxha_|-sipxha-dhcp_|-sipxha-dhcp_|-dhcp")
    for minion_id in ("sipxpbx1", "sipxpbx2"):
        dhcp_run = result[minion_id]["sipxha_|-sipxha-dhcp_|-sipxha-dhcp_|-dhcp"]
        assert "not the DHCP server" in dhcp_run["comment"] and not dhcp_run["changes"]
    config = fleet.etc("sipxpbx3") / "kea" / "kea-dhcp4.conf"
    kea = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
    check = subprocess.run([kea, "-t", str(config)], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert b'"tftp-server-name"' in config.read_bytes() and b"192.0.2.11" in config.read_bytes()


def test_services_only_when_managed(fleet):
    """With ``service:manage``: sipX restarts only on file changes, DHCP runs on one server (SLS rendered only)."""
    dhcp = pillars.dhcp("sipxpbx2", str(fleet.etc("sipxpbx2") / "kea" / "kea-dhcp4.conf"))
    pillar = fleet.default_pillar() | {"service": {"name": "sipxpbx", "manage": True}, "dhcp": dhcp}
    fleet.set_pillar(pillar)
    shown = fleet.salt("sipxpbx*", "state.show_sls", "sipxha")
    assert set(shown.data) == set(fleet.minions), shown
    for minion_id, sls in shown.data.items():
        service = sls["sipxha-service"]["service"]
        assert "running" in service and {"sipxha": "sipxha-role"} in _arg(service, "require")
        restart = sls["sipxha-restart"]["sipxha_service"]  # restarts (or marks) as service:restart says
        assert "restart" in restart and {"sipxha_pki": "sipxha-pki-certificate"} in _arg(restart, "watch")
        dhcp_service = sls["sipxha-dhcp-service"]["service"]
        assert ("running" if minion_id == "sipxpbx2" else "dead") in dhcp_service
        assert _arg(dhcp_service, "name") == "kea-dhcp4-server"
        isc = sls.get("sipxha-dhcp-service-isc-dhcp-server", {}).get("service", [])
        assert ("dead" in isc and _arg(isc, "name") == "isc-dhcp-server") == (minion_id != "sipxpbx2"), sls
    fleet.set_pillar(fleet.default_pillar())
    unmanaged = fleet.salt("sipxpbx1", "state.show_sls", "sipxha").data  # one minion: not keyed by id
    assert "sipxha-service" not in unmanaged and "sipxha-dhcp-service" not in unmanaged
    assert "sipxha-restart" not in unmanaged


def test_dhcp_on_a_minion_that_is_not_a_sipx_server(fleet):
    """dhcp:server names a minion outside sipxha:servers (a router): ``sipxha`` gives it DHCP and nothing else."""
    pillar = fleet.default_pillar()
    del pillar["servers"]["sipxpbx3"]  # sipxpbx3 plays the router: it keeps the pillar, it is no sipX server
    config = fleet.etc("sipxpbx3") / "dhcp" / "dhcpd.conf"
    config.parent.mkdir(exist_ok=True)
    pillar["dhcp"] = pillars.dhcp("sipxpbx3", str(config)) | {"software": "isc"}
    fleet.set_pillar(pillar | {"service": {"name": "sipxpbx", "manage": True}})
    shown = fleet.salt("sipxpbx3", "state.show_sls", "sipxha").data
    assert set(shown) == {"sipxha-dhcp", "sipxha-dhcp-service"}, shown
    assert _arg(shown["sipxha-dhcp-service"]["service"], "name") == "isc-dhcp-server"
    on_ms = fleet.salt("sipxpbx1", "state.show_sls", "sipxha").data
    assert {"sipxha-dhcp-service", "sipxha-dhcp-service-kea-dhcp4-server", "sipxha-role"} <= set(on_ms)

    fleet.set_pillar(pillar)  # service.manage false: nothing is started in the test
    before = sorted(p.name for p in fleet.etc("sipxpbx3").iterdir())
    config_defs = (fleet.etc("sipxpbx3") / "config.defs").read_bytes()
    ret = fleet.salt("sipxpbx3", "state.apply", "sipxha")
    states = ret.data
    assert isinstance(states, dict) and all(run["result"] for run in states.values()), ret
    assert [run["__id__"] for run in states.values()] == ["sipxha-dhcp"]
    assert sorted(p.name for p in fleet.etc("sipxpbx3").iterdir()) == before  # no role files, no backups
    assert (fleet.etc("sipxpbx3") / "config.defs").read_bytes() == config_defs
    text = config.read_text(encoding="utf-8")
    assert "option sip-servers 00:07:65:78:61:6d:70:6c:65:03:63:6f:6d:00;" in text
    check = subprocess.run(["dhcpd", "-t", "-cf", str(config)], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    again = fleet.salt("sipxpbx3", "state.apply", "sipxha").data
    assert all(not run["changes"] for run in again.values()), again


def _arg(state: list, name: str):
    return next(item[name] for item in state if isinstance(item, dict) and name in item)
