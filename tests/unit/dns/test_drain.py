"""Drained servers (maintenance, or a rollout's) leave every SRV RRset; no SRV name loses its last target."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.dns.records import absolute, drained_set, group, planned_records, undrainable
from saltext_sipxha.core.dns.zonetext import render_zone
from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars


def targets(records, owner):
    rrsets = group(records)
    return [(r.rdata.priority, r.rdata.target.to_text().split(".")[0]) for r in rrsets[(absolute(owner), "SRV")]]


def test_a_drained_server_leaves_every_rrset_and_its_own_names_point_at_its_peers():
    fleet = build_plan(pillars.fleet(3))
    records = planned_records(fleet, drained={"sipxpbx2"})
    assert not any(r.rdtype == "SRV" and r.rdata.target == absolute("sipxpbx2.example.com") for r in records)
    assert targets(records, "_sip._tcp.sipxregistrar2.example.com") == [(2, "sipxpbx3"), (2, "sipxpbx1")]
    assert targets(records, "_sip._udp.example.com") == [(101, "sipxpbx1"), (101, "sipxpbx3")]
    assert targets(records, "_sip._tcp.sipxauthproxy1.example.com") == [(1, "sipxpbx1"), (2, "sipxpbx3")]
    # every owner name of the full plan is still there: nothing loses its name
    assert set(group(records)) == set(group(planned_records(fleet)))


def test_maintenance_drains_like_a_rollout_and_adds_to_it():
    pillar = pillars.fleet(3)
    pillar["servers"]["sipxpbx3"]["maintenance"] = True
    fleet = build_plan(pillar)
    assert fleet.find_server("sipxpbx3").maintenance
    assert drained_set(fleet) == {"sipxpbx3"}
    assert planned_records(fleet) == planned_records(build_plan(pillars.fleet(3)), drained={"sipxpbx3"})
    both = planned_records(fleet, drained={"sipxpbx2"})
    assert targets(both, "_sip._tcp.example.com") == [(1, "sipxpbx1")]


def test_an_srv_name_never_loses_its_last_target():
    fleet = build_plan(pillars.fleet(2, srv={"max_fallbacks": 1}))
    records = planned_records(fleet, drained={"sipxpbx1", "sipxpbx2"})
    assert records == planned_records(fleet)
    assert "_sip._tcp.example.com." in undrainable(fleet, {"sipxpbx1", "sipxpbx2"})
    assert undrainable(fleet, {"sipxpbx1"}) == ()


def test_draining_an_unknown_server_names_it():
    with pytest.raises(PillarError, match="sipxpbx9"):
        planned_records(build_plan(pillars.fleet(2)), drained={"sipxpbx9"})


def test_zone_text_leaves_a_drained_server_out():
    fleet = build_plan(pillars.fleet(3))
    text = render_zone(fleet, 1, drained={"sipxpbx1"})
    srv_lines = [line for line in text.splitlines() if " SRV " in line]
    assert srv_lines and not any(line.endswith("sipxpbx1.example.com.") for line in srv_lines)
    assert "sipxpbx1 " in text  # its address record stays: it is still a host of the zone


@pytest.mark.parametrize(
    ("section", "value", "key"),
    [
        ("service", {"restart": "sometimes"}, "sipxha:service:restart"),
        ("rollout", {"drain_wait": -1}, "sipxha:rollout:drain_wait"),
        ("rollout", {"health_timeout": 0}, "sipxha:rollout:health_timeout"),
        ("rollout", {"drain": 3}, "sipxha:rollout:drain"),
    ],
)
def test_bad_rollout_keys_are_named(section, value, key):
    with pytest.raises(PillarError, match=key):
        build_plan(pillars.fleet(2) | {section: value})


def test_rollout_defaults_and_values():
    fleet = build_plan(pillars.fleet(2))
    assert (fleet.service.restart, fleet.service.restart_command) == ("rolling", None)
    assert (fleet.rollout.drain_wait, fleet.rollout.health_timeout) == (30, 120)
    custom = build_plan(
        pillars.fleet(2)
        | {"service": {"restart": "never", "restart_command": "/bin/true"}, "rollout": {"drain_wait": 1}}
    )
    assert (custom.service.restart, custom.service.restart_command, custom.rollout.drain_wait) == (
        "never",
        "/bin/true",
        1,
    )


def test_maintenance_must_be_a_boolean():
    pillar = pillars.fleet(2)
    pillar["servers"]["sipxpbx2"]["maintenance"] = "yes"
    with pytest.raises(PillarError, match="sipxha:servers:sipxpbx2:maintenance"):
        build_plan(pillar)


def test_rollout_drained_from_the_pillar_drains_like_maintenance_and_an_explicit_set_replaces_it():
    """``rollout:drained`` (the sipxha_rollout ext_pillar's) leaves the server out of every rendering;
    ``with_drained`` (what the rollout's own DNS calls use) replaces it."""
    fleet = build_plan(pillars.fleet(3) | {"rollout": {"drained": ["sipxpbx2"]}})
    assert fleet.rollout.drained == ("sipxpbx2",) and drained_set(fleet) == {"sipxpbx2"}
    assert planned_records(fleet) == planned_records(build_plan(pillars.fleet(3)), drained={"sipxpbx2"})
    assert "sipxpbx2.example.com" not in render_zone(fleet, 1).split("_sip._tcp.sipxregistrar3")[0]
    assert planned_records(fleet.with_drained(())) == planned_records(build_plan(pillars.fleet(3)))
    assert drained_set(fleet.with_drained(["sipxpbx3"])) == {"sipxpbx3"}


def test_rollout_drained_never_empties_an_rrset():
    pillar = pillars.fleet(2) | {"rollout": {"drained": ["sipxpbx2"]}}
    pillar["servers"]["sipxpbx1"]["maintenance"] = True
    fleet = build_plan(pillar)
    assert targets(planned_records(fleet), "_sip._tcp.example.com") == [(1, "sipxpbx1"), (1, "sipxpbx2")]
    assert "_sip._tcp.example.com." in undrainable(fleet)


@pytest.mark.parametrize("value", [["sipxpbx9"], "sipxpbx2", [3]])
def test_a_bad_rollout_drained_is_named(value):
    with pytest.raises(PillarError, match="sipxha:rollout:drained"):
        build_plan(pillars.fleet(2) | {"rollout": {"drained": value}})


def test_an_empty_rollout_drained_drains_nothing():
    assert build_plan(pillars.fleet(2) | {"rollout": {"drained": []}}).rollout.drained == ()
