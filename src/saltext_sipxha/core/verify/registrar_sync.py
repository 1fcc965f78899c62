"""Registrar replication health: can this server open the mutual-TLS link its registrar syncs over?

sipX registrars replicate over XML-RPC on ``SIP_REGISTRAR_XMLRPC_PORT`` (``ports:registrar_xmlrpc``) with
TLS and certificates on both ends (SyncDesign.txt). From one server, every peer's port must answer a TLS
handshake whose certificate verifies against the fleet CA and the peer's fqdn, while this server presents
its own ``ssl.crt``/``ssl.key``: a key sipX cannot use, a certificate from another CA or one without
clientAuth shows up here as the peer refusing us.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from saltext_sipxha.core.pki.servercert import SslLayout
from saltext_sipxha.core.plan.fleet import Fleet, Server
from saltext_sipxha.core.verify.tlsprobe import TlsIdentity, TlsResult, handshake

Handshake = Callable[[str, int, str, TlsIdentity], TlsResult]  #: (address, port, fqdn, identity) -> result


def own_identity(fleet: Fleet, server: Server, present: bool = True) -> TlsIdentity:
    """``server``'s fleet CA file and (with ``present``) its own certificate and key, in sipX's layout."""
    layout = SslLayout.of(fleet, server)
    if not present:
        return TlsIdentity(str(layout.ca_file))
    return TlsIdentity(str(layout.ca_file), str(layout.cert), str(layout.key))


def verify_sync(fleet: Fleet, minion_id: str, connect: Handshake | None = None, timeout: float = 2.0) -> dict[str, Any]:
    """One handshake per peer of ``minion_id`` (every other server); a JSON-friendly report with ``ok``."""
    server = fleet.find_server(minion_id)
    identity = own_identity(fleet, server)
    port = fleet.ports.registrar_xmlrpc
    if connect is None:

        def connect(address: str, port: int, fqdn: str, identity: TlsIdentity) -> TlsResult:
            return handshake(address, port, fqdn, identity, check="hostname", timeout=timeout)

    peers: dict[str, Any] = {}
    for peer in fleet.servers:
        if peer.minion_id == minion_id:
            continue
        result = connect(peer.address, port, peer.fqdn, identity)
        peers[peer.minion_id] = {"target": f"{peer.fqdn}:{port}", "ok": result.reachable, "reason": result.reason}
    return {"ok": all(p["ok"] for p in peers.values()), "port": port, "peers": peers}
