"""The fleet verification table: rows per server, DHCP rule, DNS summary and failover notes."""

from __future__ import annotations

from saltext_sipxha.core.verify.fleet_table import dhcp_servers, fleet_ok, fleet_table


def _target(host: str, reachable: bool) -> dict:
    return {"target": f"{host}.example.com.", "port": 5070, "weight": 50, "share": 0.5, "reachable": reachable}


def _sip(own_up: bool) -> dict:
    order = [
        {"priority": 1, "targets": [_target("sipxpbx2", own_up)]},
        {"priority": 2, "targets": [_target("sipxpbx1", True)]},
    ]
    reaches = ["sipxpbx2.example.com.:5070"] if own_up else ["sipxpbx1.example.com.:5070"]
    names = {"_sip._tcp.sipxregistrar2.example.com.": {"transport": "tcp", "order": order, "reaches": reaches}}
    return {"ok": True, "names": names, "unreachable": []}


def _report(role: str, dhcp: bool, own_up: bool = True) -> dict:
    return {
        "ok": True,
        "files": {"ok": True, "role": role, "differs": []},
        "certs": {"ok": True, "certificate": {"not_after": "2027-11-25T00:00:00+00:00"}, "reasons": []},
        "dhcp": {"ok": True, "server": dhcp, "running": None},
        "dns": {"ok": True, "server": "127.0.0.1:53", "checked": 11}
        | {key: [] for key in ("missing", "extra", "different", "unresolved_targets")},
        "sip": _sip(own_up),
        "sync": {
            "ok": True,
            "port": 5077,
            "peers": {"sipxpbx9": {"target": "sipxpbx9:5077", "ok": True, "reason": ""}},
        },
    }


def test_healthy_fleet_table():
    results = {"sipxpbx1": _report("master", True), "sipxpbx2": _report("distributed", False)}
    table = fleet_table(results)
    assert fleet_ok(results)
    assert "sipxpbx2  distributed  ok     ok until 2027-11-25  off" in table
    assert "DHCP: sipxpbx1 (ok)" in table
    assert "11 RRsets checked; 0 missing" in table
    assert "failover" not in table and table.endswith("Fleet: OK")


def test_failover_is_flagged_and_a_missing_report_fails():
    results = {"sipxpbx1": _report("master", True, own_up=False), "sipxpbx2": "Minion did not return"}
    table = fleet_table(results)
    assert "<- failover" in table
    assert "no report: Minion did not return" in table
    assert not fleet_ok(results) and "Fleet: NOT OK (1 SRV names are failing over" in table


def test_two_dhcp_servers_are_not_ok():
    results = {"sipxpbx1": _report("master", True), "sipxpbx2": _report("distributed", True)}
    assert dhcp_servers(results) == (["sipxpbx1", "sipxpbx2"], False)
    assert not fleet_ok(results)
    assert "MORE THAN ONE" in fleet_table(results)


def test_a_server_in_maintenance_is_shown_so():
    results = {"sipxpbx1": _report("master", True), "sipxpbx2": _report("distributed", False) | {"maintenance": True}}
    table = fleet_table(results)
    assert "sipxpbx2  distributed (MAINTENANCE: out of DNS)" in table
    assert "sipxpbx1  master " in table


def test_registrar_sync_column():
    healthy = _report("master", True)
    broken = _report("distributed", False)
    broken["ok"] = False
    broken["sync"] = {
        "ok": False,
        "port": 5077,
        "peers": {"sipxpbx1": {"ok": False, "reason": "certificate not trusted"}},
    }
    table = fleet_table({"sipxpbx1": healthy, "sipxpbx2": broken})
    assert "SYNC" in table.splitlines()[0]
    assert "ok (1 peers)" in table
    assert "sipxpbx1: certificate not trusted" in table
    assert "Fleet: NOT OK" in table
