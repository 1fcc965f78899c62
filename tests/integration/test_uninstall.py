"""``sipxha.uninstall`` on a real fleet: install (roles, certificates, DHCP), then uninstall leaves every
sipX file byte-identical to the original and no sipxha file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DHCP = {
    "server": "sipxpbx1",
    "subnet": "192.0.2.0/24",
    "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
    "router": "192.0.2.1",
    "dns_servers": ["192.0.2.53"],
}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() or p.is_symlink()}


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
    pillar["dhcp"] = DHCP | {"config": str(fleet.etc("sipxpbx1") / "kea" / "kea-dhcp4.conf")}
    fleet.set_pillar(pillar)
    before = _snapshot(sandbox)

    _apply(fleet, "sipxha,sipxha.pki")
    installed = _snapshot(sandbox)
    assert installed != before
    assert any(name.endswith("ssl/ssl.key") for name in installed)

    dry = _apply(fleet, "sipxha.uninstall", "test=True")
    assert all(s["result"] is None for s in dry["sipxpbx2"].values() if s["changes"])
    assert _snapshot(sandbox) == installed, "test=True changed files"

    done = _apply(fleet, "sipxha.uninstall")
    assert any(s["changes"] for s in done["sipxpbx2"].values())
    assert _snapshot(sandbox) == before

    again = _apply(fleet, "sipxha.uninstall")
    assert not any(s["changes"] for states in again.values() for s in states.values())
