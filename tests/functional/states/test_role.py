"""``sipxha.role`` / ``sipxha.watchdog`` / ``sipxha.dhcp`` and ``sipxha_role`` through Salt's real loaders.

The functional minion is ``sipxpbx1``; each test gives it a sandboxed sipX tree and a pillar in which it
is the master or a distributed server. Every state test runs with and without ``test=True``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from salt.exceptions import CommandExecutionError

from tests.support import pillars
from tests.support.sipxtree import sipx_files, write_sipx_tree
from tests.support.snapshot import tree_snapshot

FQDN, ADDRESS = "sipxpbx1.example.com", "192.0.2.11"


@pytest.fixture(params=[False, True], ids=["apply", "testmode"])
def testmode(request):
    return request.param


@pytest.fixture
def etc(tmp_path):
    path = tmp_path / "etc" / "sipxpbx"
    write_sipx_tree(path, FQDN, ADDRESS)
    return path


def _pillar(etc: Path, role: str = "master", **extra):
    pillar = pillars.fleet(3, **extra)
    if role == "distributed":
        pillar["servers"]["sipxpbx1"]["role"] = "distributed"
        pillar["servers"]["sipxpbx2"]["role"] = "master"
    pillar["servers"]["sipxpbx1"]["paths"] = {"etc": str(etc), "ssl": str(etc / "ssl")}
    return pillar


def test_role_distributed(loaders, set_pillar, etc, testmode):
    set_pillar(_pillar(etc, "distributed"))
    before = tree_snapshot(etc)
    ret = loaders.states.sipxha.role(name="sipxha-role", test=testmode)
    watchdog = str(etc / "WatchDog.xml")
    assert watchdog in ret.changes
    assert '+      <!-- sipxha-disabled: <process name="SIPStatus"' in ret.changes[watchdog]["diff"]
    if testmode:
        assert ret.result is None
        assert "would update" in ret.comment
        assert tree_snapshot(etc) == before
        return
    assert ret.result is True
    text = (etc / "WatchDog.xml").read_text()
    assert '<process name="SIPRegistrar"' in text and '<!-- sipxha-disabled: <process name="MediaServer"' in text
    assert (etc / "WatchDog.xml.bak").read_bytes() == before["WatchDog.xml"][0]
    assert "CONFIG_SERVER_ADDR=sipxpbx2.example.com\n" in (etc / "config.defs").read_text()
    again = loaders.states.sipxha.role(name="sipxha-role")
    assert again.result is True and again.changes == {}


def test_role_master_then_demoted_then_promoted(loaders, set_pillar, etc, testmode):
    original = tree_snapshot(etc)
    set_pillar(_pillar(etc, "distributed"))
    assert loaders.states.sipxha.role(name="r").result is True
    set_pillar(_pillar(etc, "master"))
    ret = loaders.states.sipxha.role(name="r", test=testmode)
    assert ret.result is (None if testmode else True)
    if testmode:
        assert (etc / "WatchDog.xml").read_bytes() != original["WatchDog.xml"][0]
        return
    for name in ("WatchDog.xml", "ProcessDefinitions.xml"):
        assert (etc / name).read_bytes() == original[name][0], name
    assert "CONFIG_SERVER_ADDR=${MY_IP_ADDR}\n" in (etc / "config.defs").read_text()
    assert "sipxha: sipxpbx3.example.com" in (etc / "topology.xml").read_text()


def test_watchdog_state_touches_only_process_files(loaders, set_pillar, etc, testmode):
    set_pillar(_pillar(etc, "distributed"))
    ret = loaders.states.sipxha.watchdog(name="wd", test=testmode)
    assert {Path(path).name for path in ret.changes} == {"WatchDog.xml", "ProcessDefinitions.xml"}
    assert ret.result is (None if testmode else True)


def test_bad_pillar_fails_before_touching_files(loaders, set_pillar, etc, testmode):
    pillar = _pillar(etc, "distributed")
    pillar["servers"]["sipxpbx3"]["index"] = 2
    set_pillar(pillar)
    before = tree_snapshot(etc)
    ret = loaders.states.sipxha.role(name="r", test=testmode)
    assert ret.result is False
    assert "sipxha:servers:sipxpbx3:index" in ret.comment
    assert tree_snapshot(etc) == before


def test_hostile_file_fails_and_nothing_is_touched(loaders, set_pillar, etc, testmode):
    (etc / "forwardingrules.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE routes [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<routes>&x;</routes>\n'
    )
    set_pillar(_pillar(etc, "distributed"))
    before = tree_snapshot(etc)
    ret = loaders.states.sipxha.role(name="r", test=testmode)
    assert ret.result is False
    assert "forwardingrules.xml" in ret.comment and "entities" in ret.comment
    assert tree_snapshot(etc) == before


def test_dhcp_state_renders_on_the_dhcp_server_only(loaders, set_pillar, etc, tmp_path, testmode):
    config = tmp_path / "kea" / "kea-dhcp4.conf"
    config.parent.mkdir()
    dhcp = pillars.dhcp("sipxpbx1", str(config))
    set_pillar(_pillar(etc, dhcp=dhcp))
    ret = loaders.states.sipxha.dhcp(name="dhcp", test=testmode)
    assert str(config) in ret.changes
    if testmode:
        assert ret.result is None and not config.exists()
        return
    assert ret.result is True
    check = subprocess.run(["kea-dhcp4", "-t", str(config)], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert loaders.states.sipxha.dhcp(name="dhcp").changes == {}
    set_pillar(_pillar(etc, dhcp=dhcp | {"server": "sipxpbx2"}))
    elsewhere = loaders.states.sipxha.dhcp(name="dhcp")
    assert elsewhere.result is True and elsewhere.changes == {} and "not the DHCP server" in elsewhere.comment


def test_module_plan_and_apply(loaders, set_pillar, etc):
    set_pillar(_pillar(etc, "distributed"))
    planned = loaders.modules.sipxha_role.plan_changes()
    assert planned["role"] == "distributed"
    assert str(etc / "registrar-config.in") in planned["changes"]
    assert loaders.modules.sipxha_role.apply(test=True)["changes"] == planned["changes"]
    assert (etc / "registrar-config.in").read_text() == sipx_files(FQDN, ADDRESS, str(etc))["registrar-config.in"]
    assert loaders.modules.sipxha_role.apply()["changes"].keys() == planned["changes"].keys()
    assert loaders.modules.sipxha_role.plan_changes()["changes"] == {}
    assert loaders.modules.sipxha_role.dhcp_config() is None
    assert loaders.modules.sipxha_role.apply_dhcp() == {
        "here": False,
        "server": "external",
        "test": False,
        "changes": {},
        "notes": [],
    }


def test_module_apply_only_some_files(loaders, set_pillar, etc):
    """``sipxha.watchdog`` is ``sipxha_role.apply`` limited to the process files (comma-separated on the CLI)."""
    set_pillar(_pillar(etc, "distributed"))
    done = loaders.modules.sipxha_role.apply(only="WatchDog.xml,ProcessDefinitions.xml")
    assert {Path(path).name for path in done["changes"]} == {"WatchDog.xml", "ProcessDefinitions.xml"}
    assert str(etc / "registrar-config.in") in loaders.modules.sipxha_role.plan_changes()["changes"]


def test_module_apply_dhcp_checks_then_writes(loaders, set_pillar, etc, tmp_path):
    """The ``sipxha.dhcp`` state's twin: kea-dhcp4 -t even under test=True; a rejected configuration is not written."""
    config = tmp_path / "kea" / "kea-dhcp4.conf"
    config.parent.mkdir()
    set_pillar(_pillar(etc, dhcp=pillars.dhcp("sipxpbx1", str(config))))
    planned = loaders.modules.sipxha_role.apply_dhcp(test=True)
    assert planned["here"] and planned["test"] and str(config) in planned["changes"] and not config.exists()
    assert loaders.modules.sipxha_role.apply_dhcp()["changes"].keys() == planned["changes"].keys()
    assert loaders.modules.sipxha_role.apply_dhcp()["changes"] == {}


def test_module_bad_pillar_raises_naming_the_key(loaders, set_pillar, etc):
    pillar = _pillar(etc)
    pillar["dhcp"] = {"server": "sipxpbx1"}
    set_pillar(pillar)
    with pytest.raises(CommandExecutionError, match="sipxha:dhcp:subnet"):
        loaders.modules.sipxha_role.dhcp_config()


def test_module_uninstall_is_the_uninstalled_states_action(loaders, set_pillar, etc):
    set_pillar(_pillar(etc, "distributed"))
    original = tree_snapshot(etc, folders=True)
    assert loaders.modules.sipxha_role.apply()["changes"]
    applied = tree_snapshot(etc, folders=True)
    planned = loaders.modules.sipxha_role.uninstall(test=True)
    assert planned["pending"] and str(etc / "WatchDog.xml") in planned["changes"] and planned["done"] == []
    assert tree_snapshot(etc, folders=True) == applied
    done = loaders.modules.sipxha_role.uninstall()
    assert done["changes"] == planned["changes"] and any(line.startswith("restored") for line in done["done"])
    assert tree_snapshot(etc, folders=True) == original
    assert loaders.modules.sipxha_role.uninstall() == {"pending": False, "changes": {}, "done": [], "test": False}
