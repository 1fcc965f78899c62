"""Live DNS against the plan: a lookup serving exactly the plan is ok; TLS SRV and dual-stack targets count."""

from __future__ import annotations

from saltext_sipxha.core.dns.records import absolute, address_records, group, planned_records
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.verify.live_dns import processing_order, verify_dns
from tests.support import pillars


def served(fleet, drop=()):
    rrsets = group(planned_records(fleet) + address_records(fleet, absolute(fleet.domain)))
    return lambda name, rdtype: () if (name.to_text(), rdtype) in drop else rrsets.get((name, rdtype), ())


def test_tls_and_dual_stack_plan_served_exactly_is_ok():
    pillar = pillars.seed() | {"srv": {"tls": True}}
    pillar["servers"]["sipxpbx2"]["address6"] = "2001:db8::12"
    fleet = build_plan(pillar)
    report = verify_dns(fleet, served(fleet))
    assert report["ok"], report
    assert "_sips._tcp.example.com." in report["order"]
    assert report["checked"] == 1 + 3 + 6  # NAPTR; _sip._tcp, _sip._udp, _sips._tcp; 3 per server


def test_a_missing_sips_rrset_and_an_unresolved_target_are_reported():
    fleet = build_plan(pillars.seed() | {"srv": {"tls": True}})
    drop = {("_sips._tcp.example.com.", "SRV"), ("sipxpbx2.example.com.", "A")}
    report = verify_dns(fleet, served(fleet, drop))
    assert not report["ok"]
    assert {m["name"] for m in report["missing"]} == {"_sips._tcp.example.com."}
    assert report["unresolved_targets"] == ["sipxpbx2.example.com."]


def test_processing_order_groups_by_priority():
    fleet = build_plan(pillars.fleet(3))
    rrsets = group(planned_records(fleet))
    order = processing_order(rrsets[(absolute("_sip._tcp.sipxregistrar1.example.com"), "SRV")])
    assert [g["priority"] for g in order] == [1, 2]
    assert [t["share"] for t in order[1]["targets"]] == [0.5, 0.5]
