"""The plan: pillar -> validated, immutable fleet."""

from __future__ import annotations

import dataclasses

import pytest

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars


def test_seed_plan_matches_the_guide():
    fleet = build_plan(pillars.seed())
    ms, ds = fleet.servers
    assert (ms.minion_id, ms.role, ms.fqdn, ds.minion_id, ds.role) == (
        "sipxpbx1",
        "master",
        "sipxpbx1.example.com",
        "sipxpbx2",
        "distributed",
    )
    assert fleet.master is ms
    assert ms.registrar_name == "sipxregistrar1.example.com"
    assert ds.authproxy_name == "sipxauthproxy2.example.com"
    assert ms.fallbacks == ("sipxpbx2",) and ds.fallbacks == ("sipxpbx1",)
    assert ms.processes is None
    assert ds.processes == ("KeepAlive", "SIPRegistrar", "SIPProxy", "SIPAuthProxy")
    assert ds.config_defs["CONFIG_SERVER_ADDR"] == "sipxpbx1.example.com"
    assert "CONFIG_SERVER_ADDR" not in ms.config_defs
    assert ds.registrar_config == {
        "SIP_REGISTRAR_XMLRPC_PORT": "5077",
        "SIP_REGISTRAR_NAME": "sipxpbx2.example.com",
        "SIP_REGISTRAR_SYNC_WITH": "sipxpbx1.example.com, sipxpbx2.example.com",
    }
    assert ds.proxy_config["SIP_PROXY_AUTH_SERVER"] == "<sip:sipxauthproxy2.example.com;transport=tcp>"
    assert fleet.realm == "example.com"
    assert fleet.dhcp.server == "external"


def test_plan_is_immutable():
    fleet = build_plan(pillars.seed())
    with pytest.raises(dataclasses.FrozenInstanceError):
        fleet.servers[0].role = "distributed"
    with pytest.raises(TypeError):
        fleet.servers[0].config_defs["SIPXCHANGE_REALM"] = "x"


def test_servers_are_ordered_by_index_not_pillar_order():
    pillar = pillars.fleet(3)
    pillar["servers"] = dict(reversed(list(pillar["servers"].items())))
    assert [s.index for s in build_plan(pillar).servers] == [1, 2, 3]


def test_per_host_names_and_explicit_fqdn():
    pillar = pillars.seed()
    pillar["srv"] = {"names": "per-host"}
    pillar["servers"]["sipxpbx2"]["fqdn"] = "ds.example.com"
    ds = build_plan(pillar).find_server("sipxpbx2")
    assert (ds.registrar_name, ds.authproxy_name) == ("rr.ds.example.com", "ap.ds.example.com")
    assert ds.config_defs["REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT"] == "rr.ds.example.com"


@pytest.mark.parametrize(
    ("max_fallbacks", "expected"),
    [(None, ("sipxpbx4", "sipxpbx5", "sipxpbx1", "sipxpbx2")), (2, ("sipxpbx4", "sipxpbx5"))],
)
def test_fallbacks_wrap_in_index_order(max_fallbacks, expected):
    pillar = pillars.fleet(5, srv={"max_fallbacks": max_fallbacks})
    assert build_plan(pillar).find_server("sipxpbx3").fallbacks == expected


def test_realm_defaults_to_domain_and_can_differ():
    pillar = pillars.seed() | {"realm": "Example Realm"}
    fleet = build_plan(pillar)
    assert {s.config_defs["SIPXCHANGE_REALM"] for s in fleet.servers} == {"Example Realm"}


def test_to_dict_redacts_the_tsig_secret():
    pillar = pillars.seed() | {
        "dns": {"nsupdate": {"server": "127.0.0.1", "zone": "example.com", "tsig": {"name": "k", "secret": "c2VjcmV0"}}}
    }
    data = build_plan(pillar).to_dict()
    assert data["dns"]["nsupdate"]["tsig"]["secret"] == "<redacted>"
    assert "c2VjcmV0" not in repr(data)
    assert data["dns"]["nsupdate"]["zone"] == "example.com."


def _set(pillar, path, value):
    *parents, last = path.split(":")[1:]
    node = pillar
    for key in parents:
        node = node.setdefault(key, {})
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()

BAD_PILLARS = [
    ("sipxha:servers:sipxpbx2:index", 0),
    ("sipxha:servers:sipxpbx2:index", "2"),
    ("sipxha:servers:sipxpbx2:index", True),
    ("sipxha:servers:sipxpbx2:index", 1),
    ("sipxha:servers:sipxpbx2:role", "backup"),
    ("sipxha:servers:sipxpbx2:role", "master"),
    ("sipxha:servers:sipxpbx2:address", _DELETE),
    ("sipxha:servers:sipxpbx2:address", "192.0.2.11"),
    ("sipxha:servers:sipxpbx2:address", "not-an-ip"),
    ("sipxha:servers:sipxpbx2:fqdn", "sipxpbx1.example.com"),
    ("sipxha:servers:sipxpbx2:fqdn", "bad_name!.example.com"),
    ("sipxha:servers:sipxpbx2:fqdn", "-dash.example.com"),
    ("sipxha:servers:sipxpbx2:adress", "192.0.2.12"),
    ("sipxha:servers:sipxpbx2:paths", {"etc": "relative/path"}),
    ("sipxha:servers:sipxpbx2:paths", {"var": "/var"}),
    ("sipxha:servers:sipxpbx2", "distributed"),
    ("sipxha:servers", {}),
    ("sipxha:servers", ["sipxpbx1"]),
    ("sipxha:domain", _DELETE),
    ("sipxha:domain", "exa mple.com"),
    ("sipxha:realm", ""),
    ("sipxha:ports:proxy", 0),
    ("sipxha:ports:registrar", 70000),
    ("sipxha:ports:authproxy", "5080"),
    ("sipxha:ports", {"proxy": 5070}),
    ("sipxha:srv:names", "random"),
    ("sipxha:srv:weight", -1),
    ("sipxha:srv:ttl", 1.5),
    ("sipxha:srv:max_fallbacks", 0),
    ("sipxha:srv:naptr", "yes"),
    ("sipxha:dhcp:server", "sipx pbx9"),
    ("sipxha:dhcp:server", "sipxpbx*"),
    ("sipxha:dhcp:software", "dnsmasq"),
    ("sipxha:dhcp:sip_servers", ["example.com", "192.0.2.1"]),
    ("sipxha:servers:sipxpbx2:address6", "192.0.2.99"),
    ("sipxha:dns:nsupdate:addresses", "yes"),
    ("sipxha:srv:tls", "yes"),
    ("sipxha:ports:proxy_secure", 5060),
    ("sipxha:ds_processes", []),
    ("sipxha:ds_processes", ["KeepAlive", "SIPProxy"]),
    ("sipxha:ds_processes", "SIPProxy"),
    ("sipxha:pki:key:type", "dsa"),
    ("sipxha:pki:key", {"type": "rsa", "bits": 1024}),
    ("sipxha:pki:key", {"type": "ec", "curve": "secp192r1"}),
    ("sipxha:pki:renew_days", 400),
    ("sipxha:pki:days", 0),
    ("sipxha:dns:zonefile:path", "db.example"),
    ("sipxha:dns:zonefile", {"path": "/etc/bind/db"}),
    ("sipxha:dns:nsupdate", {"server": "ns1", "zone": "example.com", "tsig": {"name": "k", "secret": "c2Vj"}}),
    ("sipxha:dns:nsupdate:tsig:secret", "%%%"),
    ("sipxha:service:manage", "yes"),
    ("sipxha:paths:etc", "etc"),
    ("sipxha:colour", "blue"),
]


@pytest.mark.parametrize(("key", "value"), BAD_PILLARS, ids=[f"{k}={v!r}" for k, v in BAD_PILLARS])
def test_bad_pillar_names_the_key(key, value):
    pillar = pillars.seed()
    pillar["dns"] = {
        "nsupdate": {"server": "127.0.0.1", "zone": "example.com", "tsig": {"name": "k", "secret": "c2Vj"}}
    }
    _set(pillar, key, value)
    with pytest.raises(PillarError) as err:
        build_plan(pillar)
    assert err.value.key.startswith(key.rsplit(":", 1)[0]), err.value
    assert str(err.value).startswith("sipxha")


@pytest.mark.parametrize("pillar", [None, {}, "sipxha", [1]])
def test_missing_or_non_mapping_pillar(pillar):
    with pytest.raises(PillarError, match=r"^sipxha"):
        build_plan(pillar)


def test_no_master_and_two_masters():
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx1"]["role"] = "distributed"
    with pytest.raises(PillarError, match=r"sipxha:servers: exactly one server must have role: master \(found: none\)"):
        build_plan(pillar)


def test_plan_is_a_pure_function_of_the_pillar():
    assert build_plan(pillars.fleet(4)) == build_plan(pillars.fleet(4))


def test_default_fqdn_is_a_dotted_minion_id_itself():
    """Salt's default minion id is the host's FQDN: it is not suffixed with the domain a second time."""
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx2.example.com"] = pillar["servers"].pop("sipxpbx2")
    fleet = build_plan(pillar)
    assert fleet.find_server("sipxpbx2.example.com").fqdn == "sipxpbx2.example.com"
    assert fleet.find_server("sipxpbx1").fqdn == "sipxpbx1.example.com"
