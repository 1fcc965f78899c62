"""``sipxha_dns`` states and ``sipxha.verify`` through Salt's loader, against a real BIND ``named``."""

from __future__ import annotations

import pytest

from tests.support import pillars
from tests.support.named import HOST, free_port, new_secret, silent_tcp_port

pytestmark = pytest.mark.skipif(not __import__("shutil").which("named"), reason="bind9 not installed")


def updates_approved(named) -> int:
    return named.log().count('signer "sipxha-key" approved')


def nsupdate_pillar(named, count=3, **nsupdate):
    pillar = pillars.fleet(count)
    pillar["dns"] = {"nsupdate": named.nsupdate_pillar(**nsupdate)}
    return pillar


def test_nsupdate_test_mode_apply_idempotence_and_removal(loaders, set_pillar, named):
    set_pillar(nsupdate_pillar(named, 3))
    before = updates_approved(named)
    dry = loaders.states.sipxha_dns.nsupdate(name="example.com", test=True)
    assert dry.result is None and "Would update" in dry.comment
    assert "_sip._tcp.sipxregistrar3.example.com. SRV" in dry.changes
    assert updates_approved(named) == before
    assert not named.query("_sip._tcp.example.com").answer

    ret = loaders.states.sipxha_dns.nsupdate(name="example.com")
    assert ret.result is True and ret.changes, ret.comment
    assert updates_approved(named) == before + 1
    report = loaders.modules.sipxha.verify(dns_server=HOST, port=named.port, parts="dns")
    assert report["ok"], report
    assert report["dns"]["checked"] == 1 + 2 + 3 * 3  # NAPTR, domain SRV, 3 per server

    again = loaders.states.sipxha_dns.nsupdate(name="example.com")
    assert again.result is True and again.changes == {} and "up to date" in again.comment
    twin = loaders.modules.sipxha_dns.nsupdate()  # the state's action
    assert twin["in_sync"] and twin["changes"] == {} and twin["sent"] == 0 and twin["zone"] == "example.com."
    assert updates_approved(named) == before + 1

    set_pillar(nsupdate_pillar(named, 2))
    removed = loaders.states.sipxha_dns.nsupdate(name="example.com")
    assert removed.changes["_sip._tcp.sipxregistrar3.example.com. SRV"]["new"] == []
    assert not named.query("_sip._tcp.sipxregistrar3.example.com").answer
    assert named.query("_ldap._tcp.example.com").answer, "a record we do not own was touched"
    assert loaders.modules.sipxha.verify(parts="dns")["ok"]


def test_verify_reports_missing_extra_different_and_order(loaders, set_pillar, named):
    set_pillar(nsupdate_pillar(named, 3))
    assert loaders.states.sipxha_dns.nsupdate(name="example.com").result is True
    pillar = nsupdate_pillar(named, 2)
    pillar["srv"] = {"weight": 10}
    del pillar["servers"]["sipxpbx2"]
    pillar["servers"]["sipxpbx4"] = {"role": "distributed", "index": 4, "address": "192.0.2.14"}
    set_pillar(pillar)
    dns_report = loaders.modules.sipxha.verify(parts="dns")["dns"]
    assert not dns_report["ok"]
    assert {r["name"] for r in dns_report["missing"]} >= {"_sip._tcp.sipxregistrar4.example.com."}
    assert any(r["rdata"].endswith("sipxpbx2.example.com.") for r in dns_report["extra"])
    assert dns_report["different"][0]["planned"]["rdata"].startswith("1 10 ")
    order = dns_report["order"]["_sip._tcp.sipxregistrar1.example.com."]
    assert [group["priority"] for group in order] == [1, 2]
    assert {t["share"] for t in order[1]["targets"]} == {0.5}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"secret": new_secret()}, "BADSIG"),
        ({"zone": "locked.test"}, "REFUSED"),
    ],
)
def test_nsupdate_failures_are_clear_and_apply_nothing(loaders, set_pillar, named, change, message):
    pillar = nsupdate_pillar(named, 2, **change)
    if "zone" in change:
        pillar["domain"] = "locked.test"
    set_pillar(pillar)
    before = named.serial(change.get("zone", "example.com"))
    ret = loaders.states.sipxha_dns.nsupdate(name="x")
    assert ret.result is False and message in ret.comment and ret.changes == {}
    assert named.serial(change.get("zone", "example.com")) == before


def test_nsupdate_timeouts(loaders, set_pillar, named):
    with silent_tcp_port() as port:
        set_pillar(nsupdate_pillar(named, 2, port=port, timeout=1))
        ret = loaders.states.sipxha_dns.nsupdate(name="x")
    assert ret.result is False and "timed out after 1s" in ret.comment
    set_pillar(nsupdate_pillar(named, 2, port=free_port(), timeout=1))
    ret = loaders.states.sipxha_dns.nsupdate(name="x")
    assert ret.result is False and "cannot reach the server" in ret.comment


def test_zonefile_state_with_real_named_reload(loaders, set_pillar, zone_named):
    path = str(zone_named.zone_file)
    zonefile = {
        "minion": "sipxpbx1",
        "path": path,
        "reload": zone_named.reload_command(),
        "nameservers": {"ns1.example.com": "127.0.0.1"},
    }
    set_pillar(pillars.seed() | {"dns": {"zonefile": zonefile}})
    original = zone_named.zone_file.read_text(encoding="utf-8")
    dry = loaders.states.sipxha_dns.zonefile(name=path, test=True)
    assert dry.result is None and "+_sip._tcp.sipxregistrar1" in dry.changes["diff"]
    assert zone_named.zone_file.read_text(encoding="utf-8") == original

    ret = loaders.states.sipxha_dns.zonefile(name=path)
    assert ret.result is True, ret.comment
    assert zone_named.serial() == ret.changes["serial"]["new"]
    assert len(zone_named.query("_sip._tcp.sipxregistrar2.example.com").answer[0]) == 2
    assert loaders.modules.sipxha.verify(dns_server=HOST, port=zone_named.port, parts="dns")["ok"]

    again = loaders.states.sipxha_dns.zonefile(name=path)
    assert again.result is True and again.changes == {}
    twin = loaders.modules.sipxha_dns.zonefile(test=True)  # the state's action; the path from the pillar
    assert twin["path"] == path and not twin["changed"] and twin["reload"] is None
    assert twin["old_serial"] == twin["new_serial"] == ret.changes["serial"]["new"]
    served = zone_named.zone_file.read_text(encoding="utf-8")
    assert loaders.modules.sipxha.zone(serial=twin["old_serial"]) == served  # one rendering for both
    undo = loaders.modules.sipxha_dns.withdraw(test=True)  # sipxha_dns.zonefile_uninstalled's action
    assert undo["managed"] and undo["pending"] and undo["changed"] and "-_sip._tcp.sipxregistrar1" in undo["diff"]
    assert zone_named.zone_file.read_text(encoding="utf-8") == served
    assert not loaders.modules.sipxha_dns.withdraw(path=path + ".other")["managed"]


def test_rollout_drain_writes_the_zone_through_sipxha_dns(loaders, set_pillar, zone_named):
    path = str(zone_named.zone_file)
    zonefile = {"minion": "sipxpbx1", "path": path, "reload": zone_named.reload_command(),
                "nameservers": {"ns1.example.com": "127.0.0.1"}}  # fmt: skip
    set_pillar(pillars.seed() | {"dns": {"zonefile": zonefile}})
    assert loaders.states.sipxha_dns.zonefile(name=path).result is True

    def targets():
        return sorted(r.target.to_text() for r in zone_named.query("_sip._tcp.example.com").answer[0])

    assert targets() == ["sipxpbx1.example.com.", "sipxpbx2.example.com."]
    dry = loaders.modules.sipxha_restart.drain_dns(drained="sipxpbx2", test=True)
    assert dry == {"zonefile": {"changed": True, "serial": dry["zonefile"]["serial"], "path": path}}
    assert targets() == ["sipxpbx1.example.com.", "sipxpbx2.example.com."]
    drained = loaders.modules.sipxha_restart.drain_dns(drained="sipxpbx2")
    assert drained["zonefile"]["changed"] and zone_named.serial() == drained["zonefile"]["serial"]
    assert targets() == ["sipxpbx1.example.com."]
    assert loaders.modules.sipxha_dns.zonefile(drained=["sipxpbx2"], test=True)["changed"] is False
    undrained = loaders.modules.sipxha_restart.drain_dns()  # no ids: every server back
    assert undrained["zonefile"]["changed"] and targets() == ["sipxpbx1.example.com.", "sipxpbx2.example.com."]
    assert loaders.states.sipxha_dns.zonefile(name=path).changes == {}


def test_server_absent_removes_this_server_only(loaders, set_pillar, named):
    set_pillar(nsupdate_pillar(named, 3))
    assert loaders.states.sipxha_dns.nsupdate(name="example.com").result is True
    dry = loaders.states.sipxha_dns.server_absent(name="uninstall", test=True)
    assert dry.result is None and "_sip._tcp.sipxregistrar1.example.com. SRV" in dry.changes
    assert named.query("_sip._tcp.sipxregistrar1.example.com").answer, "test=True changed DNS"

    gone = loaders.states.sipxha_dns.server_absent(name="uninstall")  # the functional minion is sipxpbx1
    assert gone.result is True and gone.changes, gone.comment
    assert not named.query("_sip._tcp.sipxregistrar1.example.com").answer
    assert not named.query("_sip._udp.sipxauthproxy1.example.com").answer
    targets = {rdata.target.to_text() for rrset in named.query("_sip._tcp.example.com").answer for rdata in rrset}
    assert targets == {"sipxpbx2.example.com.", "sipxpbx3.example.com."}
    fallbacks = {rdata.target.to_text() for rrset in named.query("_sip._tcp.sipxregistrar2.example.com").answer
                 for rdata in rrset}  # fmt: skip
    assert fallbacks == {"sipxpbx2.example.com.", "sipxpbx3.example.com."}
    again = loaders.states.sipxha_dns.server_absent(name="uninstall")
    assert again.result is True and again.changes == {}


def test_concurrent_uninstalls_each_win_in_turn_and_never_re_add(set_pillar, named):
    """Two servers leaving at once race on the zone's SOA prerequisite; each retries and nothing comes back."""
    from concurrent.futures import ThreadPoolExecutor

    from saltext_sipxha.core.dns import rfc2136
    from saltext_sipxha.core.plan.fleet import build_plan

    fleet = build_plan(nsupdate_pillar(named, 3))
    client = rfc2136.client_for(fleet)
    rfc2136.converge(fleet, client)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda m: rfc2136.converge(fleet, client, without=m), ["sipxpbx1", "sipxpbx2"]))
    assert all(sent == 1 for _, sent in results)
    targets = {rdata.target.to_text() for rrset in named.query("_sip._tcp.example.com").answer for rdata in rrset}
    assert targets == {"sipxpbx3.example.com."}
    assert not named.query("_sip._tcp.sipxregistrar1.example.com").answer
    assert not named.query("_sip._tcp.sipxregistrar2.example.com").answer
    leftover = rfc2136.plan_update(fleet, client, without="sipxpbx2")
    assert leftover.in_sync, leftover.to_dict()


def test_nsupdate_keeps_a_and_aaaa_with_tls_srv(loaders, set_pillar, named):
    pillar = nsupdate_pillar(named, 3, addresses=True)
    pillar["srv"] = {"tls": True}
    pillar["servers"]["sipxpbx1"]["address6"] = "2001:db8::11"
    set_pillar(pillar)
    ret = loaders.states.sipxha_dns.nsupdate(name="example.com")
    assert ret.result is True and "sipxpbx1.example.com. AAAA" in ret.changes, ret.changes
    assert [r.to_text() for a in named.query("sipxpbx1.example.com", "AAAA").answer for r in a] == ["2001:db8::11"]
    assert [r.to_text() for a in named.query("sipxpbx2.example.com", "A").answer for r in a] == ["192.0.2.12"]
    sips = {r.to_text() for a in named.query("_sips._tcp.example.com").answer for r in a}
    assert sips == {f"1 50 5061 sipxpbx{i}.example.com." for i in (1, 2, 3)}
    naptr = sorted(r.order for a in named.query("example.com", "NAPTR").answer for r in a)
    assert naptr == [80, 90, 100]
    report = loaders.modules.sipxha.verify(dns_server=HOST, port=named.port, parts="dns")
    assert report["ok"] and not report["dns"]["unresolved_targets"], report
    assert loaders.states.sipxha_dns.nsupdate(name="example.com").changes == {}

    gone = loaders.states.sipxha_dns.server_absent(name="uninstall")  # sipxpbx1 leaves, its addresses too
    assert gone.result is True and "sipxpbx1.example.com. AAAA" in gone.changes, gone.changes
    assert not named.query("sipxpbx1.example.com", "AAAA").answer
    assert named.query("sipxpbx2.example.com", "A").answer


def test_zone_fragment_included_by_the_sites_zone_and_reloaded(loaders, set_pillar, zone_named):
    fragment_path = zone_named.zone_file.with_name("db.sipxha-fragment")
    site = (
        "$ORIGIN example.com.\n$TTL 300\n"
        "@ IN SOA ns1.example.com. hostmaster.example.com. ( 2030010101 3600 900 1209600 300 )\n"
        "@ IN NS ns1.example.com.\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.80\n"
        f"$INCLUDE {fragment_path}\n"
    )
    zone_named.zone_file.write_text(site, encoding="utf-8")
    zonefile = {"minion": "sipxpbx1", "path": str(fragment_path), "reload": zone_named.reload_command()}
    set_pillar(pillars.seed() | {"dns": {"zonefile": zonefile | {"fragment": True}}})
    bad = loaders.states.sipxha_dns.zonefile(name=str(fragment_path))
    assert bad.result is False and "sipxha:dns:zonefile:including" in bad.comment
    zonefile |= {"fragment": True, "including": str(zone_named.zone_file)}
    set_pillar(pillars.seed() | {"dns": {"zonefile": zonefile}})

    dry = loaders.states.sipxha_dns.zonefile(name=str(fragment_path), test=True)
    assert dry.result is None and "Would write zone fragment" in dry.comment and not fragment_path.exists()
    ret = loaders.states.sipxha_dns.zonefile(name=str(fragment_path))
    assert ret.result is True and "serial" not in ret.changes, ret.comment
    assert len(zone_named.query("_sip._tcp.sipxregistrar2.example.com").answer[0]) == 2
    assert zone_named.query("www.example.com", "A").answer, "the site's own records are served as before"
    assert zone_named.serial() == 2030010101  # the site's serial: untouched
    assert loaders.modules.sipxha.verify(dns_server=HOST, port=zone_named.port, parts="dns")["ok"]
    again = loaders.states.sipxha_dns.zonefile(name=str(fragment_path))
    assert again.result is True and again.changes == {} and "up to date" in again.comment
