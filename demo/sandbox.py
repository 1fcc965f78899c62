"""The demo's sandbox: Salt daemons, a BIND server, SIP responders and the demo pillar, all on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.tsigkeyring
import dns.update
from saltfactories.manager import FactoriesManager
from saltfactories.plugins.event_listener import EventListener
from saltfactories.plugins.log_server import LogServer

from tests.support.fleet import SipxFleet, start_fleet
from tests.support.named import HOST, TSIG_NAME, ZONE, Named, free_port, running_named
from tests.support.sipp import sip_responder

ADDRESSES = {"sipxpbx1": "127.0.0.11", "sipxpbx2": "127.0.0.12", "sipxpbx3": "127.0.0.13"}
PORTS = {"proxy": free_port(), "registrar": free_port(), "authproxy": free_port(), "registrar_xmlrpc": free_port()}


@contextlib.contextmanager
def sandbox_daemons(root: Path) -> Iterator[tuple[SipxFleet, Named]]:
    """A BIND server, then a Salt master and three minions, all under ``root``; stopped on exit."""
    log_server = LogServer(log_host=HOST, log_level="critical")
    listener = EventListener()
    listener.host, listener.address = HOST, f"tcp://{HOST}:{listener.port}"
    with contextlib.ExitStack() as stack:
        log_server.start()
        stack.callback(log_server.stop)
        stack.enter_context(listener)
        named = stack.enter_context(running_named(root / "named"))
        _address_records(named)
        factories = FactoriesManager(
            root_dir=root / "salt",
            log_server_host=HOST,
            log_server_port=log_server.log_port,
            log_server_level="critical",
            event_listener=listener,
            start_timeout=120,
        )
        print(f"Starting a salt-master and 3 salt-minions on 127.0.0.1 under {root} ...", flush=True)
        yield stack.enter_context(start_fleet(factories, root / "fleet")), named


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
        "dns": {"nsupdate": named.nsupdate_pillar()},
        "dhcp": {
            "server": "sipxpbx3",
            "subnet": "192.0.2.0/24",
            "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
            "router": "192.0.2.1",
            "dns_servers": ["192.0.2.53"],
            "config": str(kea / "kea-dhcp4.conf"),
        },
        "pki": {"ca_name": "ca.example.com", "days": 365, "renew_days": 30},
    }
    return pillar


@contextlib.contextmanager
def sip_services(pillar: dict[str, Any]) -> Iterator[dict[str, contextlib.ExitStack]]:
    """sipp answering OPTIONS on every server's proxy (UDP+TCP), registrar (TCP) and auth proxy (UDP+TCP)."""
    ports = pillar["ports"]
    endpoints = [(ports["proxy"], "udp"), (ports["proxy"], "tcp"), (ports["registrar"], "tcp")]
    endpoints += [(ports["authproxy"], "udp"), (ports["authproxy"], "tcp")]
    with contextlib.ExitStack() as stack:
        services = {}
        for minion_id, server in pillar["servers"].items():
            services[minion_id] = stack.enter_context(contextlib.ExitStack())
            for port, transport in endpoints:
                services[minion_id].enter_context(sip_responder(server["address"], port, transport))
        yield services
