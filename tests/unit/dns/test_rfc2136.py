"""nsupdate mode without a server: ownership, per-RRset diff and the update message with prerequisites."""

from __future__ import annotations

import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.update
import pytest

from saltext_sipxha.core.dns.records import Record, absolute, group, planned_records, srv
from saltext_sipxha.core.dns.rfc2136 import (
    MAX_MESSAGE,
    UpdatePlan,
    apply_update,
    build_update,
    build_updates,
    diff_rrsets,
    owned_live,
)
from saltext_sipxha.core.errors import DnsError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

DOMAIN = absolute("example.com")


def planned(count=3, **extra):
    return group(planned_records(build_plan(pillars.fleet(count, **extra))))


def test_in_sync_means_no_change():
    assert diff_rrsets(planned(), planned()) == ()


def test_removed_server_rrsets_are_deleted_and_shared_ones_replaced():
    changes = diff_rrsets(planned(3), planned(2))
    deleted = {c.name.to_text() for c in changes if not c.new}
    assert deleted == {
        "_sip._tcp.sipxregistrar3.example.com.",
        "_sip._tcp.sipxauthproxy3.example.com.",
        "_sip._udp.sipxauthproxy3.example.com.",
    }
    assert all(c.old for c in changes)


def test_ttl_only_difference_is_a_change():
    changes = diff_rrsets(planned(2), planned(2, srv={"ttl": 60}))
    assert len(changes) == len(planned(2))
    assert {r.ttl for c in changes for r in c.new} == {60}


def test_only_our_rrsets_are_owned():
    foreign = [
        srv(absolute("_ldap._tcp.example.com"), 60, (0, 0, 389, "www.example.com")),
        srv(absolute("_sip._tcp.www.example.com"), 60, (0, 0, 5060, "www.example.com")),
    ]
    ours = [record for records in planned(2).values() for record in records]
    assert set(owned_live(foreign + ours, DOMAIN)) == set(planned(2))


def test_update_has_one_prerequisite_per_changed_rrset():
    changes = diff_rrsets(planned(3), planned(2))
    update = build_update(DOMAIN, changes)
    assert isinstance(update, dns.update.UpdateMessage)
    prereq_names = {rrset.name for rrset in update.prerequisite}
    assert prereq_names == {c.name for c in changes}
    assert all(rrset.ttl == 0 for rrset in update.prerequisite)
    created = build_update(DOMAIN, diff_rrsets({}, planned(2)))
    assert {dns.rdataclass.to_text(r.rdclass) for r in created.prerequisite} == {"NONE"}  # "RRset does not exist"
    assert update.rcode() == dns.rcode.NOERROR


def test_removing_one_of_twenty_servers_is_a_small_update_guarded_by_the_soa():
    soa = Record(DOMAIN, 300, dns.rdata.from_text("IN", "SOA", "ns1.example.com. h.example.com. 7 1 2 3 4"))
    update = build_update(DOMAIN, diff_rrsets(planned(20), planned(19)), soa)
    assert [rrset.rdtype for rrset in update.prerequisite] == [dns.rdatatype.SOA]
    assert len(update.to_wire()) < 8192
    single = sum(len(rrset) for rrset in update.update if rrset.deleting == dns.rdataclass.NONE)
    whole = [rrset.name.labels[2] for rrset in update.update if rrset.deleting == dns.rdataclass.ANY]
    assert single == 2 + 3 * 19  # sipxpbx20 leaves both domain RRsets and three RRsets of every other server
    assert sorted(whole) == [b"sipxauthproxy20", b"sipxauthproxy20", b"sipxregistrar20"]
    assert not [rrset for rrset in update.update if rrset.deleting is None]  # nothing added


def test_a_rollout_too_large_for_one_message_is_batched_by_whole_rrsets():
    soa = Record(DOMAIN, 300, dns.rdata.from_text("IN", "SOA", "ns1.example.com. h.example.com. 7 1 2 3 4"))
    changes = diff_rrsets({}, planned(30))
    updates = build_updates(DOMAIN, changes, soa)
    assert len(updates) > 1
    assert all(len(update.to_wire()) <= MAX_MESSAGE for update in updates)
    names = [rrset.name for update in updates for rrset in update.prerequisite]
    assert sorted(names) == sorted(c.name for c in changes)  # one "does not exist" prerequisite per RRset
    assert build_updates(DOMAIN, diff_rrsets({}, planned(3)), soa)[0].prerequisite[0].rdtype == dns.rdatatype.SOA


class _FailingSecond:
    """A client whose connection breaks on the second message (the connection reset of issue 13.9)."""

    def __init__(self):
        self.sent = []

    def send(self, update):
        if self.sent:
            raise DnsError("UPDATE to 127.0.0.1 port 53 failed: connection reset")
        self.sent.append(update)


def test_a_failed_later_batch_says_exactly_what_the_earlier_ones_applied():
    soa = Record(DOMAIN, 300, dns.rdata.from_text("IN", "SOA", "ns1.example.com. h.example.com. 7 1 2 3 4"))
    plan = UpdatePlan(DOMAIN, tuple(diff_rrsets({}, planned(30))), soa)
    client = _FailingSecond()
    with pytest.raises(DnsError) as err:
        apply_update(plan, client)  # type: ignore[arg-type]
    applied = {f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}" for rrset in client.sent[0].update}
    message = str(err.value)
    total = len(build_updates(DOMAIN, plan.changes, soa))
    assert "connection reset" in message and f"batches 1-1 of {total}" in message
    assert f"({len(applied)} RRsets: " in message and all(name in message for name in applied)
    later = {f"{c.name} {c.rdtype}" for c in plan.changes} - applied
    assert later and not any(f" {name}," in message or f" {name})" in message for name in later)


def test_a_failed_first_batch_is_reported_as_it_is():
    plan = UpdatePlan(DOMAIN, tuple(diff_rrsets({}, planned(2))), None)
    client = _FailingSecond()
    client.sent.append(object())  # the very first send fails
    with pytest.raises(DnsError, match=r"connection reset$"):
        apply_update(plan, client)  # type: ignore[arg-type]
