"""``sipxha.sls_context``: the one source of every value the SLS files render, and the plan cache."""

from __future__ import annotations

from tests.support import pillars


def test_context_of_the_dhcp_and_zonefile_minion(loaders, set_pillar):
    pillar = pillars.seed()
    pillar["service"] = {"name": "sipxpbx", "manage": True}
    pillar["dhcp"] = pillars.dhcp("sipxpbx1", "/etc/kea/kea-dhcp4.conf")
    pillar["dns"] = {"zonefile": {"minion": "sipxpbx1", "path": "/etc/bind/db.example.com"}}
    set_pillar(pillar)
    ctx = loaders.modules.sipxha.sls_context()
    assert ctx == {
        "error": None,
        "minion_id": "sipxpbx1",
        "server": True,
        "service": {"name": "sipxpbx", "manage": True, "restart": "rolling", "restart_command": False},
        "dhcp": {"here": True, "service": "kea-dhcp4-server", "others": ["isc-dhcp-server"]},
        "dns": {"zonefile": "/etc/bind/db.example.com", "nsupdate": None},
    }


def test_defaults_come_from_the_plan(loaders, set_pillar):
    pillar = pillars.seed()
    del pillar["service"]
    pillar["dhcp"] = pillars.dhcp("sipxpbx2", "/etc/kea/kea-dhcp4.conf")
    tsig = {"name": "sipxha-key", "secret": "c2VjcmV0"}
    pillar["dns"] = {"nsupdate": {"server": "192.0.2.53", "zone": "example.com", "tsig": tsig}}
    set_pillar(pillar)
    ctx = loaders.modules.sipxha.sls_context()
    assert ctx["service"] == {"name": "sipxpbx", "manage": True, "restart": "rolling", "restart_command": False}
    assert ctx["dhcp"] == {"here": False, "service": "kea-dhcp4-server", "others": ["isc-dhcp-server"]}
    assert ctx["dns"] == {"zonefile": None, "nsupdate": "example.com."}


def test_a_bad_pillar_is_reported_not_raised(loaders, set_pillar):
    pillar = pillars.seed()
    pillar["dhcp"] = {"server": "sipxpbx2"}  # no subnet: every server's run fails, not only sipxpbx2's
    set_pillar(pillar)
    ctx = loaders.modules.sipxha.sls_context()
    assert ctx == {
        "error": "Invalid sipxha pillar: sipxha:dhcp:subnet: is required: sipxpbx2 renders the DHCP configuration",
        "minion_id": "sipxpbx1",
    }


def test_the_plan_is_built_once_per_pillar_content(loaders, set_pillar, monkeypatch):
    from saltext_sipxha import saltbridge

    set_pillar(pillars.seed())
    calls = []
    real = saltbridge.build_plan
    monkeypatch.setattr(saltbridge, "build_plan", lambda raw: calls.append(1) or real(raw))
    for _ in range(3):
        loaders.modules.sipxha.sls_context()
        loaders.modules.sipxha.plan()
    assert len(calls) <= 1
    changed = pillars.seed()
    changed["servers"]["sipxpbx2"]["index"] = 7
    set_pillar(changed)
    assert loaders.modules.sipxha.plan()["servers"]["sipxpbx2"]["index"] == 7
