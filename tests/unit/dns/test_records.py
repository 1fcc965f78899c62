"""The planned SRV/NAPTR records: the seed's exact listing, N servers, naming and fallbacks."""

from __future__ import annotations

import dns.name
import pytest

from saltext_sipxha.core.dns.records import (
    Record,
    absolute,
    address_records,
    group,
    is_owned,
    planned_records,
    require_in_zone,
    srv,
)
from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

ORIGIN = dns.name.from_text("example.com.")
#: The seed document's listing (HaSetup, "Configuring DNS"), targets made absolute, TTL 3600.
SEED_LISTING = """
_sip._tcp IN SRV 1 50 5060 sipxpbx1
_sip._tcp IN SRV 1 50 5060 sipxpbx2
_sip._udp IN SRV 101 50 5060 sipxpbx1
_sip._udp IN SRV 101 50 5060 sipxpbx2
_sip._tcp.sipxregistrar1 IN SRV 1 50 5070 sipxpbx1
_sip._tcp.sipxregistrar1 IN SRV 2 50 5070 sipxpbx2
_sip._tcp.sipxregistrar2 IN SRV 1 50 5070 sipxpbx2
_sip._tcp.sipxregistrar2 IN SRV 2 50 5070 sipxpbx1
_sip._tcp.sipxauthproxy1 IN SRV 1 50 5080 sipxpbx1
_sip._tcp.sipxauthproxy1 IN SRV 2 50 5080 sipxpbx2
_sip._udp.sipxauthproxy1 IN SRV 101 50 5080 sipxpbx1
_sip._udp.sipxauthproxy1 IN SRV 102 50 5080 sipxpbx2
_sip._tcp.sipxauthproxy2 IN SRV 1 50 5080 sipxpbx2
_sip._tcp.sipxauthproxy2 IN SRV 2 50 5080 sipxpbx1
_sip._udp.sipxauthproxy2 IN SRV 101 50 5080 sipxpbx2
_sip._udp.sipxauthproxy2 IN SRV 102 50 5080 sipxpbx1
"""


def seed_listing() -> list[str]:
    """The seed's records as ``owner TTL IN SRV rdata`` with absolute names, in the document's order."""
    lines = []
    for line in SEED_LISTING.strip().splitlines():
        owner, _, _, prio, weight, port, target = line.split()
        lines.append(f"{owner}.example.com. 3600 IN SRV {prio} {weight} {port} {target}.example.com.")
    return lines


def texts(records):
    return [record.to_text() for record in records]


def test_seed_records_equal_the_seed_listing_in_order():
    records = planned_records(build_plan(pillars.seed()))
    assert texts(r for r in records if r.rdtype == "SRV") == seed_listing()
    assert [r.rdtype for r in records] == ["NAPTR", "NAPTR"] + ["SRV"] * 16  # naptr: true is the default


def test_without_naptr_the_records_are_exactly_the_seed_listing():
    assert texts(planned_records(build_plan(pillars.seed() | {"srv": {"naptr": False}}))) == seed_listing()


def test_weight_ttl_and_ports_come_from_the_pillar():
    pillar = pillars.seed() | {"srv": {"ttl": 60, "weight": 10}, "ports": {"proxy": 5062, "authproxy": 5082}}
    records = [r for r in planned_records(build_plan(pillar)) if r.rdtype == "SRV"]
    assert {record.ttl for record in planned_records(build_plan(pillar))} == {60}
    assert {record.rdata.weight for record in records} == {10}
    ports = {record.name.labels[2]: record.rdata.port for record in records}
    assert ports == {b"example": 5062, b"sipxregistrar1": 5070, b"sipxregistrar2": 5070} | {
        b"sipxauthproxy1": 5082,
        b"sipxauthproxy2": 5082,
    }


def test_three_servers_share_the_second_priority_evenly():
    rrsets = group(planned_records(build_plan(pillars.fleet(3))))
    registrar2 = rrsets[(absolute("_sip._tcp.sipxregistrar2.example.com"), "SRV")]
    assert [(r.rdata.priority, r.rdata.weight, r.rdata.target.to_text()) for r in registrar2] == [
        (1, 50, "sipxpbx2.example.com."),
        (2, 50, "sipxpbx3.example.com."),
        (2, 50, "sipxpbx1.example.com."),
    ]
    udp3 = rrsets[(absolute("_sip._udp.sipxauthproxy3.example.com"), "SRV")]
    assert [r.rdata.priority for r in udp3] == [101, 102, 102]
    assert len(rrsets[(absolute("_sip._tcp.example.com"), "SRV")]) == 3


@pytest.mark.parametrize("count", [2, 3, 20])
def test_record_count_scales_with_the_fleet(count):
    records = planned_records(build_plan(pillars.fleet(count)))
    # NAPTR: 2; domain: 2N; per server: registrar N + authproxy 2N records
    assert len(records) == 2 + 2 * count + 3 * count * count
    assert len(set(records)) == len(records)


def test_max_fallbacks_keeps_k_peers_wrapping():
    rrsets = group(planned_records(build_plan(pillars.fleet(5, srv={"max_fallbacks": 2}))))
    registrar5 = rrsets[(absolute("_sip._tcp.sipxregistrar5.example.com"), "SRV")]
    assert [r.rdata.target.to_text().split(".")[0] for r in registrar5] == ["sipxpbx5", "sipxpbx1", "sipxpbx2"]


def test_per_host_names():
    rrsets = group(planned_records(build_plan(pillars.seed() | {"srv": {"names": "per-host"}})))
    names = {name.to_text() for name, _ in rrsets}
    assert "_sip._tcp.rr.sipxpbx1.example.com." in names
    assert "_sip._udp.ap.sipxpbx2.example.com." in names
    assert not any("sipxregistrar" in name for name in names)


def test_removing_a_server_never_renames_another_servers_records():
    three = build_plan(pillars.fleet(3))
    pillar = pillars.fleet(3)
    del pillar["servers"]["sipxpbx2"]
    two = build_plan(pillar)
    names_three = {name for name, _ in group(planned_records(three))}
    names_two = {name for name, _ in group(planned_records(two))}
    assert names_two < names_three
    assert absolute("_sip._tcp.sipxregistrar3.example.com") in names_two


def test_naptr_prefers_tcp_over_udp_by_default():
    records = planned_records(build_plan(pillars.seed()))
    naptr = [r for r in records if r.rdtype == "NAPTR"]
    assert [r.to_text(ORIGIN) for r in naptr] == [
        '@ 3600 IN NAPTR 90 50 "s" "SIP+D2T" "" _sip._tcp.example.com.',
        '@ 3600 IN NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.example.com.',
    ]


def test_address_records_only_for_servers_inside_the_zone():
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx2"]["fqdn"] = "pbx2.example.net"
    pillar["servers"]["sipxpbx1"]["address"] = "2001:db8::11"
    records = address_records(build_plan(pillar), ORIGIN)
    assert texts(records) == ["sipxpbx1.example.com. 3600 IN AAAA 2001:db8::11"]


def test_ownership_patterns():
    domain = absolute("example.com")
    owned = ["_sip._tcp", "_sip._udp.sipxauthproxy12", "_sip._tcp.sipxregistrar3", "_sip._tcp.rr.pbx.example.com"]
    for name in owned:
        assert is_owned(dns.name.from_text(name, origin=domain), "SRV", domain), name
    foreign = ["_ldap._tcp", "_sip._tcp.other", "www", "_sips._tcp"]
    for name in foreign:
        assert not is_owned(dns.name.from_text(name, origin=domain), "SRV", domain), name
    assert is_owned(domain, "NAPTR", domain)
    assert not is_owned(absolute("_sip._tcp.example.net"), "SRV", domain)
    assert is_owned(absolute("_sips._tcp.example.com"), "SRV", domain, tls=True)
    assert not is_owned(absolute("_sips._tcp.sipxauthproxy1.example.com"), "SRV", domain, tls=True)


def test_tls_adds_the_domain_sips_srv_and_a_sips_naptr_first():
    pillar = pillars.seed() | {"srv": {"tls": True}}
    records = planned_records(build_plan(pillar))
    naptr = [r.to_text(ORIGIN) for r in records if r.rdtype == "NAPTR"]
    assert naptr[0] == '@ 3600 IN NAPTR 80 50 "s" "SIPS+D2T" "" _sips._tcp.example.com.'
    assert len(naptr) == 3
    sips = [r.to_text(ORIGIN) for r in records if r.name == absolute("_sips._tcp.example.com")]
    assert sips == [
        "_sips._tcp 3600 IN SRV 1 50 5061 sipxpbx1.example.com.",
        "_sips._tcp 3600 IN SRV 1 50 5061 sipxpbx2.example.com.",
    ]
    # the seed's SRV set is untouched; no TLS SRV under per-server names (certificates cannot match them)
    assert texts(r for r in records if r.rdtype == "SRV" and r.name.labels[0] != b"_sips") == seed_listing()
    with pytest.raises(PillarError, match=r"^sipxha:ports: .*must differ"):
        build_plan(pillars.seed() | {"srv": {"tls": True}, "ports": {"proxy_secure": 5070}})


def test_record_values_validate_and_out_of_zone_is_refused():
    with pytest.raises(ValueError):
        Record(dns.name.from_text("rel", origin=None), 1, srv(ORIGIN, 1, (1, 1, 1, "a.example.com")).rdata)
    outside = srv(absolute("_sip._tcp.example.net"), 60, (1, 1, 5060, "a.example.net"))
    with pytest.raises(PillarError, match=r"sipxha:domain.*outside the zone"):
        require_in_zone(build_plan(pillars.seed()), [outside], ORIGIN, "sipxha:domain")


def test_per_host_name_outside_the_zone_names_that_servers_fqdn():
    pillar = pillars.seed() | {"srv": {"names": "per-host"}}
    pillar["servers"]["sipxpbx2"]["fqdn"] = "pbx2.example.net"
    fleet = build_plan(pillar)
    with pytest.raises(PillarError, match=r"^sipxha:servers:sipxpbx2:fqdn: _sip._tcp.rr.pbx2.example.net."):
        require_in_zone(fleet, planned_records(fleet), ORIGIN, "sipxha:domain")


def test_a_dual_stack_server_gets_an_aaaa_next_to_its_a():
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx2"]["address6"] = "2001:DB8::12"
    assert texts(address_records(build_plan(pillar), ORIGIN)) == [
        "sipxpbx1.example.com. 3600 IN A 192.0.2.11",
        "sipxpbx2.example.com. 3600 IN A 192.0.2.12",
        "sipxpbx2.example.com. 3600 IN AAAA 2001:db8::12",
    ]
    pillar["servers"]["sipxpbx2"]["address6"] = "192.0.2.99"
    with pytest.raises(PillarError, match=r"^sipxha:servers:sipxpbx2:address6: is not an IPv6 address"):
        build_plan(pillar)
