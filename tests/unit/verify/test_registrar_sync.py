"""Registrar sync health: ``openssl s_server`` with issued certificates stands in for each peer's XML-RPC port."""

from __future__ import annotations

import contextlib
import shutil

import pytest

from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.verify.registrar_sync import own_identity, verify_sync
from saltext_sipxha.core.verify.tlsprobe import TlsResult
from tests.support import pillars
from tests.support.named import free_port
from tests.support.tls import issue, s_server
from tests.unit.pki.support import new_ca

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")
ADDRESSES = {"sipxpbx1": "127.0.0.11", "sipxpbx2": "127.0.0.12", "sipxpbx3": "127.0.0.13"}


@pytest.fixture(scope="module")
def fleet_and_certs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sync")
    ca, other_ca = new_ca(root / "fleet"), new_ca(root / "other")
    pillar = pillars.fleet(3, ports={"registrar_xmlrpc": free_port()})
    for minion_id, server in pillar["servers"].items():
        server["address"] = ADDRESSES[minion_id]
        server["paths"] = {"etc": str(root / minion_id), "ssl": str(root / minion_id / "ssl")}
    fleet = build_plan(pillar)
    for server in fleet.servers:
        identity = own_identity(fleet, server)
        folder = root / server.minion_id / "issued"
        issuer = other_ca if server.minion_id == "sipxpbx3" else ca  # sipxpbx3 carries a stranger's certificate
        ca_file, cert, key = issue(issuer, folder, fleet.domain, server.fqdn, server.minion_id)
        (root / server.minion_id / "ssl" / "authorities").mkdir(parents=True)
        shutil.copy(ca_file, identity.ca_file)
        shutil.copy(cert, identity.cert_file)
        shutil.copy(key, identity.key_file)
    fleet_ca = own_identity(fleet, fleet.find_server("sipxpbx1")).ca_file
    return fleet, fleet_ca


@contextlib.contextmanager
def registrars(fleet, ca_file, minion_ids):
    with contextlib.ExitStack() as stack:
        for minion_id in minion_ids:
            server = fleet.find_server(minion_id)
            own = own_identity(fleet, server)
            port = fleet.ports.registrar_xmlrpc
            mutual = {"ca_file": ca_file, "require_client_cert": True}
            stack.enter_context(s_server(server.address, port, own.cert_file, own.key_file, **mutual))
        yield


def test_every_peer_verified_with_mutual_tls(fleet_and_certs):
    fleet, ca_file = fleet_and_certs
    with registrars(fleet, ca_file, ["sipxpbx1", "sipxpbx2", "sipxpbx3"]):
        from_1 = verify_sync(fleet, "sipxpbx1")
        from_3 = verify_sync(fleet, "sipxpbx3")
    assert from_1["peers"]["sipxpbx2"]["ok"], from_1
    assert from_1["peers"]["sipxpbx2"]["target"] == f"sipxpbx2.example.com:{fleet.ports.registrar_xmlrpc}"
    assert not from_1["peers"]["sipxpbx3"]["ok"] and "not trusted" in from_1["peers"]["sipxpbx3"]["reason"]
    assert not from_1["ok"] and set(from_1["peers"]) == {"sipxpbx2", "sipxpbx3"}
    # sipxpbx3 trusts a CA that signed neither peer, and the peers refuse its certificate
    assert not from_3["ok"] and not any(peer["ok"] for peer in from_3["peers"].values())


def test_a_peer_that_is_down(fleet_and_certs):
    fleet, ca_file = fleet_and_certs
    with registrars(fleet, ca_file, ["sipxpbx1"]):
        report = verify_sync(fleet, "sipxpbx2", timeout=1)
    assert report["peers"]["sipxpbx1"]["ok"], report
    assert not report["peers"]["sipxpbx3"]["ok"] and report["peers"]["sipxpbx3"]["reason"]


def test_injected_handshake_gets_the_peer_fqdn_and_this_servers_identity(fleet_and_certs):
    fleet, _ = fleet_and_certs
    calls = []

    def connect(address, port, fqdn, identity):
        calls.append((address, port, fqdn, identity.cert_file.endswith("sipxpbx2/ssl/ssl.crt")))
        return TlsResult(fqdn, address, port, True, "ok")

    assert verify_sync(fleet, "sipxpbx2", connect)["ok"]
    port = fleet.ports.registrar_xmlrpc
    assert calls == [
        ("127.0.0.11", port, "sipxpbx1.example.com", True),
        ("127.0.0.13", port, "sipxpbx3.example.com", True),
    ]
