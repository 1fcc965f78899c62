"""core.topology: one <location> per server on the master, DOCTYPE and stock text kept."""

from __future__ import annotations

from lxml import etree

from saltext_sipxha.core.sipx import topology
from tests.support.sipxtree import TOPOLOGY_IN, expand, expansion, real_file

MEMBERS = [
    topology.Member("sipxpbx1.example.com", 1, True),
    topology.Member("sipxpbx2.example.com", 2, False),
    topology.Member("sipxpbx3.example.com", 3, False),
]
OWN_IN = (topology.TEMPLATE_HOST,)


def _urls(data: bytes) -> list[str]:
    return [el.text.strip() for el in etree.fromstring(data).iter("replication_url")]


def test_template_lists_every_server_once():
    data = TOPOLOGY_IN.encode()
    new = topology.set_locations(data, "t.in", MEMBERS, topology.TEMPLATE_PORT, OWN_IN)
    assert _urls(new) == [
        f"https://{host}:${{CONFIG_SERVER_HTTPS_PORT}}/cgi-bin/replication/replication.cgi"
        for host in ("${MY_FULL_HOSTNAME}", "sipxpbx2.example.com", "sipxpbx3.example.com")
    ]
    assert new.startswith(data[: data.index(b"</topology>")])  # DOCTYPE, stock location and comments kept
    assert topology.set_locations(new, "t.in", MEMBERS, topology.TEMPLATE_PORT, OWN_IN) is new
    assert topology.set_locations(new, "t.in", [], topology.TEMPLATE_PORT, OWN_IN) == data


def test_effective_file_and_fleet_change():
    data = expand(TOPOLOGY_IN, expansion("sipxpbx1.example.com", "192.0.2.11")).encode()
    three = topology.set_locations(data, "t", MEMBERS, "8091", ("sipxpbx1.example.com",))
    assert [url.split("/")[2] for url in _urls(three)] == [
        "sipxpbx1.example.com:8091",
        "sipxpbx2.example.com:8091",
        "sipxpbx3.example.com:8091",
    ]
    two = topology.set_locations(three, "t", MEMBERS[:2], "8091", ("sipxpbx1.example.com",))
    assert two == topology.set_locations(data, "t", MEMBERS[:2], "8091", ("sipxpbx1.example.com",))
    assert b"sipxpbx3" not in two


def test_new_master_not_in_stock_location_gets_its_own_and_unique_component_ids():
    data = expand(TOPOLOGY_IN, expansion("sipxpbx2.example.com", "192.0.2.12")).encode()
    members = [topology.Member("sipxpbx1.example.com", 1, False), topology.Member("sipxpbx2.example.com", 2, True)]
    new = topology.set_locations(data, "t", members, "8091", ("sipxpbx2.example.com",))
    ids = [el.get("id") for el in etree.fromstring(new).iter("component")]
    assert len(ids) == len(set(ids)) == 3
    assert [url.split("/")[2] for url in _urls(new)] == ["sipxpbx2.example.com:8091", "sipxpbx1.example.com:8091"]


def test_real_stock_template():
    data = real_file("topology.xml.in__sipXtapi_3854821").read_bytes()
    new = topology.set_locations(data, "t.in", MEMBERS[:2], topology.TEMPLATE_PORT, OWN_IN)
    assert len(_urls(new)) == 2
    assert b"<!ELEMENT location (component+, replication_url, agent_url, sip_domain?)>" in new
    assert topology.set_locations(new, "t.in", [], topology.TEMPLATE_PORT, OWN_IN) == data
