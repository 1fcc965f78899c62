"""``state.apply sipxha.dns`` through a real Salt master and minions, against real BIND servers."""

from __future__ import annotations

import dns.name

from tests.support import pillars
from tests.support.named import HOST, free_port, new_secret, silent_tcp_port
from tests.unit.dns.test_records import seed_listing


def approved(named) -> int:
    return named.log().count('signer "sipxha-key" approved')


def live_srv_set(named, names) -> set[str]:
    texts = set()
    for name in names:
        for rrset in named.query(name).answer:
            texts.update(f"{rrset.name} {rrset.ttl} IN SRV {rdata.to_text()}" for rdata in rrset)
    return texts


def seed_pillar(fleet, **dns):
    pillar = fleet.default_pillar()
    del pillar["servers"]["sipxpbx3"]
    pillar["dns"] = dns
    return pillar


def zonefile_settings(zone_named, **extra):
    return {
        "minion": "sipxpbx1",
        "path": str(zone_named.zone_file),
        "reload": zone_named.reload_command(),
        "nameservers": {"ns1.example.com": "127.0.0.1"},
    } | extra


def test_zonefile_mode_seed_exact_idempotent_and_only_on_its_minion(fleet, zone_named, apply_dns):
    fleet.set_pillar(seed_pillar(fleet, zonefile=zonefile_settings(zone_named)))
    ret, states = apply_dns("sipxpbx1", "test=True")
    assert ret.returncode == 0 and states["sipxha-dns-zonefile"]["result"] is None, states
    assert zone_named.serial() == 1

    ret, states = apply_dns("sipxpbx1")
    assert ret.returncode == 0, states
    serial = states["sipxha-dns-zonefile"]["changes"]["serial"]["new"]
    assert zone_named.serial() == serial
    owners = sorted({line.split()[0] for line in seed_listing()})
    assert live_srv_set(zone_named, owners) == set(seed_listing())

    ret, states = apply_dns("sipxpbx1")
    assert states["sipxha-dns-zonefile"]["changes"] == {} and zone_named.serial() == serial

    ret, states = apply_dns("sipxpbx2")
    assert ret.returncode == 0 and set(states) == {"sipxha-dns-not-configured"}
    assert states["sipxha-dns-not-configured"]["changes"] == {}


def test_zonefile_failing_named_checkzone_leaves_the_live_file(fleet, zone_named, apply_dns, tmp_path):
    include = tmp_path / "example.com.local"
    include.write_text("www IN CNAME elsewhere.example.net.\nwww IN A 192.0.2.80\n", encoding="utf-8")
    fleet.set_pillar(seed_pillar(fleet, zonefile=zonefile_settings(zone_named, include=str(include))))
    before = zone_named.zone_file.read_bytes()
    serial = zone_named.serial()
    ret, states = apply_dns("sipxpbx1")
    assert ret.returncode != 0
    assert "named-checkzone rejected the zone example.com" in states["sipxha-dns-zonefile"]["comment"]
    assert zone_named.zone_file.read_bytes() == before and zone_named.serial() == serial


def test_nsupdate_mode_n3_n20_idempotence_and_removal(fleet, named, apply_dns):
    pillar = fleet.default_pillar() | {"dns": {"nsupdate": named.nsupdate_pillar()}}
    fleet.set_pillar(pillar)
    ret, states = apply_dns("sipxpbx2")
    assert ret.returncode == 0 and states["sipxha-dns-nsupdate"]["changes"], states
    assert len(named.query("_sip._udp.sipxauthproxy3.example.com").answer[0]) == 3

    big = pillars.fleet(20) | {"dns": {"nsupdate": named.nsupdate_pillar()}}
    fleet.set_pillar(big)
    ret, states = apply_dns("sipxpbx3")
    assert ret.returncode == 0, states
    sent = approved(named)
    ret, states = apply_dns("sipxpbx3")
    assert states["sipxha-dns-nsupdate"]["changes"] == {} and approved(named) == sent
    answer = named.query("_sip._tcp.sipxregistrar20.example.com").answer[0]
    assert sorted(rdata.priority for rdata in answer) == [1] + [2] * 19

    del big["servers"]["sipxpbx7"]
    fleet.set_pillar(big)
    ret, states = apply_dns("sipxpbx1")
    assert ret.returncode == 0 and approved(named) == sent + 1, states
    assert not named.query("_sip._tcp.sipxregistrar7.example.com").answer
    targets = {rdata.target for rdata in named.query("_sip._tcp.example.com").answer[0]}
    assert dns.name.from_text("sipxpbx7.example.com.") not in targets and len(targets) == 19
    report = fleet.salt_call("sipxpbx1", "sipxha.verify", f"dns_server={HOST}", f"port={named.port}", "parts=dns")
    assert report.data["ok"] is True, report.data


def test_nsupdate_failures_fail_the_run_and_change_nothing(fleet, named, apply_dns):
    cases = [
        ({"secret": new_secret()}, "BADSIG", "example.com"),
        ({"zone": "locked.test"}, "REFUSED", "locked.test"),
        ({"port": free_port(), "timeout": 1}, "cannot reach the server", "example.com"),
    ]
    with silent_tcp_port() as silent:
        cases.append(({"port": silent, "timeout": 1}, "timed out after 1s", "example.com"))
        for change, message, zone in cases:
            pillar = pillars.fleet(2, domain=zone) | {"dns": {"nsupdate": named.nsupdate_pillar(**change)}}
            fleet.set_pillar(pillar)
            serial = named.serial(zone)
            ret, states = apply_dns("sipxpbx2")
            assert ret.returncode != 0, (change, ret)
            assert message in states["sipxha-dns-nsupdate"]["comment"], states
            assert named.serial(zone) == serial
