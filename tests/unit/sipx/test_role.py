"""core.role: every file of one server planned from the Fleet, applied, idempotent, and role swaps."""

from __future__ import annotations

import copy
import shutil
import stat
from pathlib import Path

import pytest

from saltext_sipxha.core.errors import PillarError, UnsafeFileError
from saltext_sipxha.core.files import keyvalue
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import DEFAULT_DS_PROCESSES, build_plan
from saltext_sipxha.core.sipx import expand, processdefs, watchdog
from saltext_sipxha.core.sipx.role import plan_role
from tests.support import pillars
from tests.support.rolecheck import check_role
from tests.support.sipxtree import PROCESSES, REAL_SIPX, real_file, sipx_files, write_sipx_tree

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
    pillar = pillars.seed() | {"realm": "sipxpbx1.example.com"}  # the interop realm is ${SIPXCHANGE_DOMAIN_NAME}
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
    # proxy-config.in already gives the auth proxy's SRV name once config.defs has it: converged as sipX reads it
    expected = {"config.defs", "forwardingrules.xml.in", "registrar-config.in"}
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


def _text(pillar, minion_id, name) -> str:
    return (_etc(pillar, minion_id) / name).read_text()


def test_ports_written_to_config_defs_and_registrar_config(trees):
    trees["ports"] = {"proxy": 5062, "registrar": 5072, "authproxy": 5082, "registrar_xmlrpc": 5078}
    _converge(trees)
    for minion_id in IDS:
        defs = _text(trees, minion_id, "config.defs")
        for key, port in (
            ("PROXY_SERVER_SIP_PORT", "5062"),
            ("REGISTRAR_SERVER_SIP_PORT", "5072"),
            ("AUTH_PROXY_SERVER_SIP_PORT", "5082"),
            ("SIP_REGISTRAR_XMLRPC_PORT", "5078"),
        ):
            assert keyvalue.get(defs, key, keyvalue.SHELL) == port, (minion_id, key)
        for name in ("registrar-config", "registrar-config.in"):
            assert keyvalue.get(_text(trees, minion_id, name), "SIP_REGISTRAR_XMLRPC_PORT", keyvalue.COLON) == "5078"


def _interop(tmp_path, realm=None, **extra):
    real_file("interop-etc-sipxpbx/config.defs")
    etc = tmp_path / "etc"
    shutil.copytree(REAL_SIPX / "interop-etc-sipxpbx", etc)
    pillar = pillars.seed() | extra
    if realm:
        pillar["realm"] = realm
    pillar["servers"]["sipxpbx1"]["paths"] = {"etc": str(etc)}
    return pillar, etc


def test_master_realm_change_refused_before_any_write(tmp_path):
    pillar, etc = _interop(tmp_path)
    before = {p.name: p.read_bytes() for p in etc.iterdir()}
    with pytest.raises(PillarError, match=r"^sipxha:realm: the master's current realm is 'sipxpbx1\.example\.com'"):
        plan_role(build_plan(pillar), "sipxpbx1")
    assert {p.name: p.read_bytes() for p in etc.iterdir()} == before
    pillar["allow_realm_change"] = True
    apply_changes(plan_role(build_plan(pillar), "sipxpbx1").changes)
    assert keyvalue.get((etc / "config.defs").read_text(), "SIPXCHANGE_REALM", keyvalue.SHELL) in (
        "example.com",
        "${SIPXCHANGE_DOMAIN_NAME}",  # kept as written: it now expands to the planned domain
    )
    with pytest.raises(PillarError, match="allow_realm_change"):
        build_plan(pillar | {"allow_realm_change": "yes"})


def test_distributed_takes_the_planned_realm(tmp_path):
    pillar, etc = _interop(tmp_path)
    pillar["servers"]["sipxpbx1"]["role"], pillar["servers"]["sipxpbx2"]["role"] = "distributed", "master"
    apply_changes(plan_role(build_plan(pillar), "sipxpbx1").changes)
    env = expand.environment((etc / "config.defs").read_text(), "sipxpbx1.example.com")
    assert env["SIPXCHANGE_REALM"] == "example.com"


def test_values_equal_after_expansion_are_converged(trees):
    trees["srv"] = {"names": "per-host"}
    etc = _etc(trees, "sipxpbx2")
    defs = (
        (etc / "config.defs")
        .read_text()
        .replace(
            "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT=${REGISTRAR_SERVER_ADDR}:${REGISTRAR_SERVER_SIP_PORT}",
            "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT=rr.${MY_FULL_HOSTNAME}",
        )
    )
    (etc / "config.defs").write_text(defs)
    registrar = (
        (etc / "registrar-config.in")
        .read_text()
        .replace("#SIP_REGISTRAR_NAME : ${MY_FULL_HOSTNAME}", "SIP_REGISTRAR_NAME : ${MY_FULL_HOSTNAME}")
    )
    (etc / "registrar-config.in").write_text(registrar)
    _converge(trees)
    assert "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT=rr.${MY_FULL_HOSTNAME}\n" in (etc / "config.defs").read_text()
    assert "\nSIP_REGISTRAR_NAME : ${MY_FULL_HOSTNAME}\n" in (etc / "registrar-config.in").read_text()
    check_role(trees, "sipxpbx2")


def test_reference_whose_referent_changes_is_written_literally(tmp_path):
    pillar, etc = _interop(tmp_path, realm="sipxpbx1.example.com")
    apply_changes(plan_role(build_plan(pillar), "sipxpbx1").changes)
    text = (etc / "config.defs").read_text()
    assert "\nSIPXCHANGE_DOMAIN_NAME=example.com\n" in text and "\nSIPXCHANGE_REALM=sipxpbx1.example.com\n" in text


def test_hand_trimmed_distributed_server_promoted_to_master(trees):
    """Adopted DS trimmed by hand before sipxha (processes commented out, services on the old master)."""
    etc = _etc(trees, "sipxpbx2")
    watchdog_xml = (etc / "WatchDog.xml").read_text()
    for name in ("SIPStatus", "MediaServer", "ParkServer", "PresenceServer", "ConfigServer"):
        start = watchdog_xml.index(f'<process name="{name}"')
        end = watchdog_xml.index("</process>", start) + len("</process>")
        watchdog_xml = watchdog_xml[:start] + "<!--" + watchdog_xml[start:end] + "-->" + watchdog_xml[end:]
    (etc / "WatchDog.xml").write_text(watchdog_xml)
    defs = (etc / "config.defs").read_text().replace("MEDIA_SERVER_ADDR=${MY_IP_ADDR}", "MEDIA_SERVER_ADDR=192.0.2.11")
    (etc / "config.defs").write_text(defs)
    pd = (etc / "ProcessDefinitions.xml").read_text()
    (etc / "ProcessDefinitions.xml").write_text(
        processdefs.set_start_controls(pd.encode(), "p", DEFAULT_DS_PROCESSES).decode()  # HaSetup's DS trimming
    )
    trees["servers"]["sipxpbx1"]["role"], trees["servers"]["sipxpbx2"]["role"] = "distributed", "master"
    _converge(trees)
    check_role(trees, "sipxpbx2")
    text = (etc / "WatchDog.xml").read_bytes()
    assert watchdog.read(text, "w")[0] == list(PROCESSES)
    assert b"<!-- Not implemented yet." in text
    assert "\nMEDIA_SERVER_ADDR=${MY_IP_ADDR}\n" in (etc / "config.defs").read_text()
    controls = processdefs.start_controls((etc / "ProcessDefinitions.xml").read_bytes(), "p")
    assert controls == {**dict.fromkeys(PROCESSES, "true"), "ConfigServer": "false", "ConferenceBridge": "false"}


def test_authproxy_record_routes_with_its_own_address(trees):
    _converge(trees)
    for minion_id in IDS:
        address = trees["servers"][minion_id]["address"]
        template = _text(trees, minion_id, "authproxy-config.in")
        assert "\nSIP_AUTHPROXY_ROUTE_NAME : ${MY_IP_ADDR}:${AUTH_PROXY_SERVER_SIP_PORT}\n" in template
        effective = keyvalue.get(
            _text(trees, minion_id, "authproxy-config"), "SIP_AUTHPROXY_ROUTE_NAME", keyvalue.COLON
        )
        assert effective == f"{address}:5080"


@pytest.mark.parametrize("line", ["export SIPXCHANGE_REALM=x", 'SIPXCHANGE_DOMAIN_NAME="unterminated'])
def test_config_defs_the_editor_cannot_read_is_refused(trees, line):
    path = _etc(trees, "sipxpbx2") / "config.defs"
    path.write_text(path.read_text() + line + "\n")
    with pytest.raises(UnsafeFileError, match=str(path)):
        plan_role(build_plan(trees), "sipxpbx2")
