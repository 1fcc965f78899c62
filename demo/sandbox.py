"""The demo's sandbox: Salt daemons, a BIND server, SIP responders and the demo pillar, all on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.tsigkeyring
import dns.update

from tests.support import pillars
from tests.support.fleet import SipxFleet, standalone_fleet
from tests.support.named import HOST, TSIG_NAME, ZONE, Named, free_port, running_named
from tests.support.sipp import sip_responder
from tests.support.tls import s_server

ADDRESSES = {"sipxpbx1": "127.0.0.11", "sipxpbx2": "127.0.0.12", "sipxpbx3": "127.0.0.13"}
PORTS = {"proxy": free_port(), "registrar": free_port(), "authproxy": free_port(), "registrar_xmlrpc": free_port()}
PORTS["proxy_secure"] = free_port()  # SIP over TLS (srv:tls), answered by openssl s_server with the issued certificates


@contextlib.contextmanager
def sandbox_daemons(root: Path) -> Iterator[tuple[SipxFleet, Named]]:
    """A BIND server, then a Salt master and three minions, all under ``root``; stopped on exit."""
    with running_named(root / "named") as named:
        _address_records(named)
        print(f"Starting a salt-master and 3 salt-minions on 127.0.0.1 under {root} ...", flush=True)
        with standalone_fleet(root) as fleet:
            try:
                yield fleet, named
            finally:
                print("\nStopping the salt-master, the 3 salt-minions and named (about 20 s) ...", flush=True)


def _address_records(named: Named) -> None:
    """Point the servers' names at their loopback addresses (zone data the DNS admin owns)."""
    update = dns.update.UpdateMessage(ZONE, keyring=dns.tsigkeyring.from_text({TSIG_NAME: named.tsig_secret}))
    for minion_id, address in ADDRESSES.items():
        update.replace(minion_id, 300, "A", address)
    dns.query.tcp(update, HOST, port=named.port, timeout=5)


def demo_pillar(fleet: SipxFleet, named: Named, master: str = "sipxpbx1") -> dict[str, Any]:
    """Three servers on loopback addresses, nsupdate to the sandbox's named, DHCP rendered on sipxpbx3."""
    pillar = fleet.default_pillar()
    for minion_id, server in pillar["servers"].items():
        server["address"] = ADDRESSES[minion_id]
        server["role"] = "master" if minion_id == master else "distributed"
    kea = fleet.etc("sipxpbx3") / "kea"
    kea.mkdir(exist_ok=True)
    pillar |= {
        "ports": PORTS,
        "srv": {"tls": True},
        "dns": {"nsupdate": named.nsupdate_pillar()},
        "dhcp": pillars.dhcp("sipxpbx3", str(kea / "kea-dhcp4.conf")),
        "pki": {"ca_name": "ca.example.com", "days": 365, "renew_days": 30},
    }
    return pillar


@contextlib.contextmanager
def sip_services(pillar: dict[str, Any]) -> Iterator[dict[str, contextlib.ExitStack]]:
    """sipp answering OPTIONS on every server's proxy (UDP+TCP), registrar (TCP) and auth proxy (UDP+TCP);
    ``openssl s_server`` with the server's issued certificate on its SIP TLS port and, demanding the peer's
    certificate, on its registrar sync (XML-RPC) port, standing in for sipX's TLS listeners."""
    ports = pillar["ports"]
    endpoints = [(ports["proxy"], "udp"), (ports["proxy"], "tcp"), (ports["registrar"], "tcp")]
    endpoints += [(ports["authproxy"], "udp"), (ports["authproxy"], "tcp")]
    with contextlib.ExitStack() as stack:
        services = {}
        for minion_id, server in pillar["servers"].items():
            services[minion_id] = stack.enter_context(contextlib.ExitStack())
            for port, transport in endpoints:
                services[minion_id].enter_context(sip_responder(server["address"], port, transport))
            ssl = Path(server["paths"]["ssl"])
            cert, key, ca_file = ssl / "ssl.crt", ssl / "ssl.key", ssl / "authorities" / "ca.example.com.crt"
            tls = services[minion_id]
            tls.enter_context(s_server(server["address"], ports["proxy_secure"], cert, key))
            mutual = {"ca_file": ca_file, "require_client_cert": True}
            tls.enter_context(s_server(server["address"], ports["registrar_xmlrpc"], cert, key, **mutual))
        yield services
