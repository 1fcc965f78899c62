"""``sipxha.uninstall`` on a real fleet: install (roles, certificates, DHCP), then uninstall leaves every
sipX file byte-identical to the original and no sipxha file behind."""

from __future__ import annotations

import pytest

from tests.support import pillars
from tests.support.snapshot import tree_snapshot

pytestmark = pytest.mark.integration


def _apply(fleet, mods: str, *args: str) -> dict:
    ret = fleet.salt("sipxpbx*", "state.apply", mods, *args)
    assert set(ret.data) == set(fleet.minions), ret
    for minion_id, states in ret.data.items():
        assert isinstance(states, dict), (minion_id, states)
        failed = {sid: s["comment"] for sid, s in states.items() if s["result"] is False}
        assert not failed, (minion_id, failed)
    return ret.data


def test_install_then_uninstall_restores_every_file(fleet):
    sandbox = fleet.root / "sandbox"
    (fleet.etc("sipxpbx1") / "kea").mkdir()
    pillar = fleet.default_pillar()
    pillar["dhcp"] = pillars.dhcp("sipxpbx1", str(fleet.etc("sipxpbx1") / "kea" / "kea-dhcp4.conf"))
    fleet.set_pillar(pillar)
    before = tree_snapshot(sandbox)

    _apply(fleet, "sipxha,sipxha.pki")
    installed = tree_snapshot(sandbox)
    assert installed != before
    assert any(name.endswith("ssl/ssl.key") for name in installed)

    dry = _apply(fleet, "sipxha.uninstall", "test=True")
    assert all(s["result"] is None for s in dry["sipxpbx2"].values() if s["changes"])
    assert tree_snapshot(sandbox) == installed, "test=True changed files"

    done = _apply(fleet, "sipxha.uninstall")
    assert any(s["changes"] for s in done["sipxpbx2"].values())
    assert tree_snapshot(sandbox) == before

    again = _apply(fleet, "sipxha.uninstall")
    assert not any(s["changes"] for states in again.values() for s in states.values())


def test_uninstall_sls_stops_dhcp_only_where_enabled_and_removes_dns_records(fleet):
    """With ``service:manage``: DHCP is stopped and disabled on the DHCP server only, sipX restarts after the
    files are restored, and in nsupdate mode each server removes its own SRV records (SLS rendered only)."""
    nsupdate = {"server": "127.0.0.1", "port": 53, "zone": "example.com", "tsig": {"name": "k", "secret": "c2Vj"}}
    pillar = fleet.default_pillar() | {
        "service": {"name": "sipxpbx", "manage": True},
        "dhcp": pillars.dhcp("sipxpbx2", str(fleet.etc("sipxpbx2") / "kea" / "kea-dhcp4.conf")),
        "dns": {"nsupdate": nsupdate},
    }
    fleet.set_pillar(pillar)
    shown = fleet.salt("sipxpbx*", "state.show_sls", "sipxha.uninstall")
    assert set(shown.data) == set(fleet.minions), shown
    for minion_id, sls in shown.data.items():
        assert "sipxha_dns" in sls["sipxha-uninstall-dns"]
        assert {"sipxha": "sipxha-uninstall-files"} in _arg(sls["sipxha-uninstall-service"]["service"], "watch")
        assert ("sipxha-uninstall-dhcp-service" in sls) is (minion_id == "sipxpbx2")
    dhcp_service = shown.data["sipxpbx2"]["sipxha-uninstall-dhcp-service"]["service"]
    assert "dead" in dhcp_service and _arg(dhcp_service, "enable") is False


def _arg(state: list, name: str):
    return next(item[name] for item in state if isinstance(item, dict) and name in item)
