"""Malformed pillars through ``state.sls sipxha`` (role, DHCP and PKI together) and the other SLS files.

Each case fails every sipxha state with an error naming the offending key, and no file of the
sandboxed sipX tree (nor its ssl folder) changes: bytes and modes are compared before and after.
The core's own table (``tests/unit/plan/test_fleet.py``) is reused here, run the way an administrator runs it.
"""

from __future__ import annotations

import copy

import pytest

from tests.faults.sandbox import changed_entries, pillar_for, snapshot
from tests.unit.plan.test_fleet import _DELETE, BAD_PILLARS, _set

#: Mistakes an administrator makes in the SLS-visible parts of the pillar (on top of the core's table).
SLS_CASES = [
    ("sipxha:service", "off"),
    ("sipxha:service", ["sipxpbx"]),
    ("sipxha:dhcp", "sipxpbx1"),
    ("sipxha:dhcp:server", ["sipxpbx1"]),
    ("sipxha:pki", "ca.example.com"),
    ("sipxha:pki:days", "365"),
    ("sipxha:servers:sipxpbx1:paths", "/etc/sipxpbx"),
    ("sipxha:servers:sipxpbx1:role", _DELETE),
    ("sipxha:servers:sipxpbx1:index", _DELETE),
    ("sipxha:servers:sipxpbx1:address", "192.0.2.300"),
    ("sipxha:dns", "ns1.example.com"),
    ("sipxha:dns:zonefile", "/etc/bind/db.example.com"),
    ("sipxha:dns:nsupdate", "192.0.2.53"),
    ("sipxha:dhcp:config", "/etc/passwd"),  # issue 13 item 15: a system file outside the key's trees
    ("sipxha:servers:sipxpbx1:paths:etc", "/etc"),
]
CASES = BAD_PILLARS + SLS_CASES
#: A bad pillar renders only the plan check (sipxha.sls_context): no role, DHCP, PKI or service state runs.
SIPXHA_STATES = ("sipxha-plan",)


def bad_pillar(etc, key, value):
    pillar = pillar_for(etc, "master")  # the seed's roles, as in the core's table
    tsig = {"name": "k", "secret": "c2Vj"}
    pillar["dns"] = {"nsupdate": {"server": "127.0.0.1", "zone": "example.com", "tsig": tsig}}
    _set(pillar, key, copy.deepcopy(value))
    return pillar


@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_bad_pillar_fails_naming_the_key_and_touches_nothing(apply_sls, server, key, value):
    etc, _ = server
    pillar = bad_pillar(etc, key, value)
    before = snapshot(etc.parent)
    results = apply_sls(pillar)
    assert set(results) == set(SIPXHA_STATES), results
    for state_id in SIPXHA_STATES:
        ret = results[state_id]
        assert ret["result"] is False, (state_id, ret)
        assert key.rsplit(":", 1)[0] in ret["comment"], (state_id, ret["comment"])
        assert ret["changes"] == {}
    assert not [r for r in results.values() if r["result"] is not False], results  # no service was touched
    assert changed_entries(before, snapshot(etc.parent)) == []


@pytest.mark.parametrize("sls", ["sipxha.uninstall", "sipxha.dns"])
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sipxha:servers:sipxpbx2:index", 1),
        ("sipxha:ports:proxy", 0),
        ("sipxha:dns:nsupdate:tsig:secret", "%%%"),
        ("sipxha:service", "off"),
        ("sipxha:dhcp", "sipxpbx1"),
        ("sipxha:dns", "ns1.example.com"),
        ("sipxha:dns:zonefile", "/etc/bind/db.example.com"),
    ],
)
def test_other_sls_refuse_a_bad_pillar_too(apply_sls, server, sls, key, value):
    etc, _ = server
    assert apply_sls(pillar_for(etc), "sipxha")["sipxha-role"]["result"] is True
    before = snapshot(etc.parent)
    results = apply_sls(bad_pillar(etc, key, value), sls)
    failed = [r for r in results.values() if r["result"] is False]
    assert failed and all(key.rsplit(":", 1)[0] in r["comment"] for r in failed), results
    assert all(r["result"] is False for r in results.values()), results
    assert changed_entries(before, snapshot(etc.parent)) == []


def test_a_good_pillar_after_a_bad_one_converges(apply_sls, server):
    """The control case: the same sandbox with the pillar fixed converges, so the failures above are real."""
    etc, ssl = server
    assert apply_sls(bad_pillar(etc, "sipxha:ports:proxy", 0))["sipxha-plan"]["result"] is False
    results = apply_sls(pillar_for(etc))
    assert all(r["result"] is True for r in results.values()), results
    assert (ssl / "ssl.crt").exists() and (etc / "WatchDog.xml.bak").exists()
    again = apply_sls(pillar_for(etc))
    assert all(r["result"] is True and not r["changes"] for r in again.values()), again


@pytest.mark.parametrize("pillar", ["sipxha", ["sipxpbx1"], 42])
@pytest.mark.parametrize("sls", ["sipxha", "sipxha.uninstall", "sipxha.dns"])
def test_a_pillar_that_is_not_a_mapping_is_named(apply_sls, server, sls, pillar):
    etc, _ = server
    before = snapshot(etc.parent)
    results = apply_sls(pillar, sls)
    failed = [r for r in results.values() if r["result"] is False]
    assert failed, results
    assert all("sipxha" in r["comment"] for r in failed), results
    assert changed_entries(before, snapshot(etc.parent)) == []
