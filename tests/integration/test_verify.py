"""Fleet verification with real parts: named (nsupdate mode), sipp SIP responders on loopback, and the
``sipxha.verify`` runner collecting every server's report; stopping one server moves clients to its peers."""

from __future__ import annotations

import contextlib
import shutil

import dns.query
import dns.tsigkeyring
import dns.update
import pytest

from tests.support.named import HOST, TSIG_NAME, ZONE, free_port, running_named
from tests.support.sipp import sip_responder
from tests.support.tls import s_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (shutil.which("named") and shutil.which("sipp")), reason="needs bind9 and sip-tester"),
]
ADDRESSES = {"sipxpbx1": "127.0.0.11", "sipxpbx2": "127.0.0.12", "sipxpbx3": "127.0.0.13"}


@pytest.fixture(scope="module")
def loopback_named(tmp_path_factory):
    """A BIND whose zone maps every server's name to a loopback address, so probes stay on this machine."""
    with running_named(tmp_path_factory.mktemp("named-verify")) as server:
        update = dns.update.UpdateMessage(ZONE, keyring=dns.tsigkeyring.from_text({TSIG_NAME: server.tsig_secret}))
        for minion_id, address in ADDRESSES.items():
            update.replace(minion_id, 300, "A", address)  # the SRV targets resolve to loopback only
        assert dns.query.tcp(update, HOST, port=server.port, timeout=5).rcode() == 0
        yield server


def _endpoints(ports: dict[str, int]) -> list[tuple[int, str]]:
    proxy, registrar, authproxy = ports["proxy"], ports["registrar"], ports["authproxy"]
    return [(proxy, "udp"), (proxy, "tcp"), (registrar, "tcp"), (authproxy, "udp"), (authproxy, "tcp")]


def _verify(fleet, named) -> dict:
    args = (f"dns_server={HOST}", f"port={named.port}", "probe_timeout=0.5")
    ret = fleet.salt_run("sipxha.verify", "table=False", *args)
    assert ret.returncode == 0 and isinstance(ret.data, dict), ret
    return ret.data


def test_verify_whole_fleet_and_failover(fleet, loopback_named):
    named = loopback_named  # serves the servers' names on loopback addresses
    ports = {"proxy": free_port(), "registrar": free_port(), "authproxy": free_port(), "registrar_xmlrpc": free_port()}
    ports["proxy_secure"] = free_port()
    pillar = fleet.default_pillar() | {"ports": ports, "dns": {"nsupdate": named.nsupdate_pillar()}}
    pillar["srv"] = {"tls": True}
    for minion_id, address in ADDRESSES.items():
        pillar["servers"][minion_id]["address"] = address
    fleet.set_pillar(pillar)
    converge = fleet.salt("sipxpbx*", "state.apply", "sipxha,sipxha.dns")
    assert all(s["result"] for states in converge.data.values() for s in states.values()), converge.data

    with contextlib.ExitStack() as stack:
        down = {}
        for minion_id, address in ADDRESSES.items():
            down[minion_id] = contextlib.ExitStack()
            stack.enter_context(down[minion_id])
            for port, transport in _endpoints(ports):
                down[minion_id].enter_context(sip_responder(address, port, transport))
            # openssl s_server with the issued certificate: sipX's SIP TLS port and its registrar sync port
            ssl = fleet.ssl(minion_id)
            cert, key, ca_file = ssl / "ssl.crt", ssl / "ssl.key", ssl / "authorities" / "ca.example.com.crt"
            down[minion_id].enter_context(s_server(address, ports["proxy_secure"], cert, key))
            mutual = {"ca_file": ca_file, "require_client_cert": True}
            down[minion_id].enter_context(s_server(address, ports["registrar_xmlrpc"], cert, key, **mutual))

        healthy = _verify(fleet, named)
        assert healthy["ok"], healthy
        sip = healthy["servers"]["sipxpbx1"]["sip"]["names"]
        assert sip[f"_sip._tcp.sipxregistrar2.{ZONE}."]["reaches"] == [f"sipxpbx2.{ZONE}.:{ports['registrar']}"]
        assert healthy["servers"]["sipxpbx2"]["files"]["role"] == "distributed"
        assert healthy["servers"]["sipxpbx2"]["certs"]["ok"]
        sips = sip[f"_sips._tcp.{ZONE}."]
        assert sips["transport"] == "tls" and len(sips["reaches"]) == 3, sips  # every certificate verified
        sync = healthy["servers"]["sipxpbx1"]["sync"]
        assert sync["ok"] and set(sync["peers"]) == {"sipxpbx2", "sipxpbx3"}, sync

        down["sipxpbx2"].close()  # sipxpbx2's SIP services stop answering
        degraded = _verify(fleet, named)
        sip = degraded["servers"]["sipxpbx3"]["sip"]
        registrar2 = sip["names"][f"_sip._tcp.sipxregistrar2.{ZONE}."]["reaches"]
        assert sorted(registrar2) == sorted(f"sipxpbx{i}.{ZONE}.:{ports['registrar']}" for i in (1, 3))
        domain = sip["names"][f"_sip._udp.{ZONE}."]["reaches"]
        assert f"sipxpbx2.{ZONE}.:{ports['proxy']}" not in domain and len(domain) == 2
        assert f"sipxpbx2.{ZONE}.:{ports['registrar']}/tcp" in sip["unreachable"]
        assert f"sipxpbx2.{ZONE}.:{ports['proxy_secure']}/tls" in sip["unreachable"]
        sync = degraded["servers"]["sipxpbx3"]["sync"]
        assert not sync["ok"] and not sync["peers"]["sipxpbx2"]["ok"] and sync["peers"]["sipxpbx1"]["ok"], sync

        table = fleet.salt_run("sipxha.verify", f"dns_server={HOST}", f"port={named.port}", "probe_timeout=0.5")
        text = table.stdout
        assert "<- failover" in text and "sipxregistrar2" in text, text
        assert "sipxpbx2" in text and "distributed" in text
        assert "SYNC" in text and "sipxpbx2:" in text, text  # the peers' sync column names the one down
