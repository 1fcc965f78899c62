"""Failover verification: live SRV order probed with SIP OPTIONS against real sipp responders."""

from __future__ import annotations

import contextlib
import socket

from saltext_sipxha.core.dns.records import absolute, address_records, group, planned_records
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.verify.failover_check import verify_failover
from tests.support import pillars
from tests.support.sipp import sip_responder


def _free_ports(count: int) -> list[int]:
    """Ports free for both TCP and UDP on loopback."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            ports.append(port)
    return ports


def _fleet():
    proxy, registrar, authproxy = _free_ports(3)
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx1"]["address"] = "127.0.0.11"
    pillar["servers"]["sipxpbx2"]["address"] = "127.0.0.12"
    pillar["ports"] = {"proxy": proxy, "registrar": registrar, "authproxy": authproxy}
    return build_plan(pillar)


def _served(fleet):
    """What a nameserver serving exactly the plan returns (the zone-file mode's records)."""
    rrsets = group(planned_records(fleet) + address_records(fleet, absolute(fleet.domain)))
    return lambda name, rdtype: rrsets.get((name, rdtype), ())


def test_clients_move_to_the_peer_when_a_server_is_down():
    fleet = _fleet()
    ports = fleet.ports
    endpoints = [(ports.proxy, "udp"), (ports.proxy, "tcp"), (ports.registrar, "tcp")]
    endpoints += [(ports.authproxy, "udp"), (ports.authproxy, "tcp")]
    with contextlib.ExitStack() as stack:
        for port, transport in endpoints:
            stack.enter_context(sip_responder("127.0.0.12", port, transport))
        report = verify_failover(fleet, _served(fleet), timeout=0.4)
    assert report["ok"], report
    reaches = {name: entry["reaches"] for name, entry in report["names"].items()}
    assert reaches["_sip._tcp.sipxregistrar1.example.com."] == [f"sipxpbx2.example.com.:{ports.registrar}"]
    assert reaches["_sip._udp.sipxauthproxy1.example.com."] == [f"sipxpbx2.example.com.:{ports.authproxy}"]
    assert reaches["_sip._tcp.example.com."] == [f"sipxpbx2.example.com.:{ports.proxy}"]
    first = report["names"]["_sip._tcp.sipxregistrar1.example.com."]["order"][0]["targets"][0]
    assert (first["target"], first["reachable"]) == ("sipxpbx1.example.com.", False)
    assert sorted(report["unreachable"]) == sorted(
        f"sipxpbx1.example.com.:{port}/{transport}" for port, transport in endpoints
    )


def test_nothing_answering_is_not_ok():
    fleet = _fleet()
    report = verify_failover(fleet, _served(fleet), timeout=0.2)
    assert not report["ok"]
    assert all(entry["reaches"] == [] for entry in report["names"].values())
    assert len(report["unreachable"]) == 10


def test_sips_targets_are_probed_by_a_verified_tls_handshake(tmp_path):
    from saltext_sipxha.core.verify.tlsprobe import TlsIdentity
    from tests.support.tls import issue, s_server
    from tests.unit.pki.support import new_ca

    proxy, registrar, authproxy, secure = _free_ports(4)
    pillar = pillars.seed() | {"srv": {"tls": True}}
    pillar["servers"]["sipxpbx1"]["address"] = "127.0.0.11"
    pillar["servers"]["sipxpbx2"]["address"] = "127.0.0.12"
    pillar["ports"] = {"proxy": proxy, "registrar": registrar, "authproxy": authproxy, "proxy_secure": secure}
    fleet = build_plan(pillar)
    ca, stranger = new_ca(tmp_path / "fleet"), new_ca(tmp_path / "other")
    ca_file, cert1, key1 = issue(ca, tmp_path / "1", "example.com", "sipxpbx1.example.com", "sipxpbx1")
    _, cert2, key2 = issue(stranger, tmp_path / "2", "example.com", "sipxpbx2.example.com", "sipxpbx2")
    with s_server("127.0.0.11", secure, cert1, key1), s_server("127.0.0.12", secure, cert2, key2):
        report = verify_failover(fleet, _served(fleet), timeout=0.4, tls=TlsIdentity(str(ca_file)))
        no_ca = verify_failover(fleet, _served(fleet), timeout=0.4)
    sips = report["names"]["_sips._tcp.example.com."]
    assert sips["transport"] == "tls"
    assert sips["reaches"] == [f"sipxpbx1.example.com.:{secure}"]  # sipxpbx2's certificate is not the fleet's
    assert f"sipxpbx2.example.com.:{secure}/tls" in report["unreachable"]
    assert no_ca["names"]["_sips._tcp.example.com."]["reaches"] == []
