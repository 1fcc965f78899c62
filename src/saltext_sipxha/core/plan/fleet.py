"""The HA plan: the ``sipxha`` pillar parsed once into a validated, immutable topology.

:func:`build_plan` is a pure function of the pillar; everything downstream (SRV records,
file editors, PKI) reads the :class:`Fleet` it returns and never the raw pillar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.reader import Node, control_character, is_hostname
from saltext_sipxha.core.plan.settings import (
    DhcpSettings,
    DnsSettings,
    PkiSettings,
    Ports,
    RolloutSettings,
    ServiceSettings,
    SrvSettings,
    read_dhcp,
    read_dns,
    read_pki,
    read_ports,
    read_rollout,
    read_service,
    read_srv,
)
from saltext_sipxha.core.plan.trees import check_trees

MASTER = "master"
DISTRIBUTED = "distributed"
ROLES = (MASTER, DISTRIBUTED)
DEFAULT_DS_PROCESSES = ("KeepAlive", "SIPRegistrar", "SIPProxy", "SIPAuthProxy")
REQUIRED_DS_PROCESSES = ("SIPRegistrar", "SIPProxy", "SIPAuthProxy")
DEFAULT_PATHS = MappingProxyType({"etc": "/etc/sipxpbx", "ssl": "/etc/sipxpbx/ssl"})
ALLOW_OUTSIDE = "allow_outside"  #: ``sipxha:paths:allow_outside``: more folders for managed paths (:mod:`.trees`)
#: config.defs addresses a DS points at the master (HaSetup: "routing for non-replicated services").
MASTER_SERVICE_KEYS = (
    "CONFIG_SERVER_ADDR",
    "MEDIA_SERVER_ADDR",
    "STATUS_SERVER_ADDR",
    "VOICEMAIL_SERVER_ADDR",
    "VOICEMAIL_SERVER_HOSTNAME",
    "ORBIT_SERVER_ADDR",
    "PRESENCE_SERVER_ADDR",
)
_TOP_KEYS = (
    *(
        "domain",
        "realm",
        "allow_realm_change",
        "servers",
        "ports",
        "srv",
        "dns",
        "dhcp",
        "ds_processes",
        "pki",
        "paths",
    ),
    *("service", "rollout"),
)
_SERVER_KEYS = ("role", "index", "fqdn", "address", "address6", "paths", "maintenance")


@dataclass(frozen=True)
class Server:
    """One sipX server of the fleet and everything derived for it."""

    minion_id: str
    role: str
    index: int
    fqdn: str
    address: str
    paths: Mapping[str, str]
    maintenance: bool  #: drained (out of every SRV RRset) for as long as it is set; files still managed
    registrar_name: str  #: SRV name of this proxy's registrar, e.g. ``sipxregistrar1.example.com``
    authproxy_name: str  #: SRV name of this proxy's auth proxy, e.g. ``sipxauthproxy1.example.com``
    fallbacks: tuple[str, ...]  #: minion ids of the peers behind this server's own, in failover order
    processes: tuple[str, ...] | None  #: WatchDog processes to keep; None = every process (a master)
    config_defs: Mapping[str, str] = field(repr=False)
    registrar_config: Mapping[str, str] = field(repr=False)
    proxy_config: Mapping[str, str] = field(repr=False)
    address6: str | None = None  #: optional IPv6 address of a dual-stack server (an AAAA next to the A)

    @property
    def is_master(self) -> bool:
        return self.role == MASTER

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-friendly copy (what ``sipxha.plan`` returns)."""
        plain: dict[str, Any] = _plain(self)
        return plain | {"is_master": self.is_master}


@dataclass(frozen=True)
class Fleet:
    """The whole validated HA topology."""

    domain: str
    realm: str
    servers: tuple[Server, ...]  #: ordered by index
    ports: Ports
    srv: SrvSettings
    dns: DnsSettings
    dhcp: DhcpSettings
    ds_processes: tuple[str, ...]
    pki: PkiSettings
    service: ServiceSettings
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    allow_realm_change: bool = False  #: the master's current realm may be replaced (users must re-enter passwords)

    @property
    def master(self) -> Server:
        return next(server for server in self.servers if server.is_master)

    def get_server(self, minion_id: str) -> Server | None:
        """The server of ``minion_id``, or None when the minion is not in the fleet."""
        return next((s for s in self.servers if s.minion_id == minion_id), None)

    def with_drained(self, drained: Iterable[str]) -> Fleet:
        """This plan with ``drained`` (minion ids) as the rollout's drained servers instead of the pillar's."""
        return replace(self, rollout=replace(self.rollout, drained=tuple(drained)))

    def find_server(self, minion_id: str) -> Server:
        """The server of ``minion_id``; :class:`PillarError` when it is not listed."""
        server = self.get_server(minion_id)
        if server is None:
            raise PillarError(f"sipxha:servers:{minion_id}", "this minion is not listed in the sipxha pillar")
        return server

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-friendly copy of the whole plan."""
        data: dict[str, Any] = _plain(self)
        data["servers"] = {s.minion_id: s.to_dict() for s in self.servers}
        data["master"] = self.master.minion_id
        return data


def build_plan(pillar: Mapping[str, Any] | None) -> Fleet:
    """Validate the ``sipxha`` pillar and return the :class:`Fleet`; :class:`PillarError` names the bad key."""
    top = Node(pillar)
    if not top.data:
        raise PillarError("sipxha", "is empty or missing: nothing to plan")
    top.only(_TOP_KEYS)
    domain = top.hostname("domain")
    realm = top.string("realm", domain)
    ports = read_ports(top.child("ports"))
    srv = read_srv(top.child("srv"))
    ds_processes = top.string_list("ds_processes", DEFAULT_DS_PROCESSES)
    missing = [name for name in REQUIRED_DS_PROCESSES if name not in ds_processes]
    if missing:
        raise PillarError(top.key("ds_processes"), f"a distributed server must run {', '.join(missing)}")
    paths_node = top.child("paths")
    paths = _read_paths(paths_node, DEFAULT_PATHS, extra=(ALLOW_OUTSIDE,))
    allow_outside = paths_node.abspath_list(ALLOW_OUTSIDE)
    raw_servers = _read_servers(top, domain, paths)
    fleet_paths = {"domain": domain, "realm": realm, "ports": ports, "srv": srv, "ds_processes": ds_processes}
    servers = _derive_servers(raw_servers, fleet_paths)
    rollout = read_rollout(top.child("rollout"))
    unknown = sorted(set(rollout.drained) - {server.minion_id for server in servers})
    if unknown:
        raise PillarError(top.child("rollout").key("drained"), f"{', '.join(unknown)}: not under sipxha:servers")
    fleet = Fleet(
        domain=domain,
        realm=realm,
        servers=servers,
        ports=ports,
        srv=srv,
        dns=read_dns(top.child("dns")),
        dhcp=read_dhcp(top.child("dhcp")),
        ds_processes=ds_processes,
        pki=read_pki(top.child("pki"), domain),
        service=read_service(top.child("service")),
        rollout=rollout,
        allow_realm_change=top.boolean("allow_realm_change", False),
    )
    check_trees(fleet, paths, allow_outside)
    return fleet


def _read_paths(node: Node, defaults: Mapping[str, str], extra: tuple[str, ...] = ()) -> MappingProxyType[str, str]:
    node.only((*DEFAULT_PATHS, *extra))
    return MappingProxyType({name: node.abspath(name, default) for name, default in defaults.items()})


def _read_servers(top: Node, domain: str, paths: Mapping[str, str]) -> list[dict[str, Any]]:
    """Read and cross-check each server entry (roles, unique index, fqdn and address)."""
    servers = top.child("servers", required=True)
    if not servers.data:
        raise PillarError(servers.path, "lists no server")
    entries: list[dict[str, Any]] = []
    seen: dict[str, dict[Any, str]] = {"index": {}, "fqdn": {}, "address": {}}
    for minion_id in servers.data:
        if not isinstance(minion_id, str) or not minion_id.strip() or control_character(minion_id):
            raise PillarError(
                servers.key(str(minion_id)), "a minion id must be a non-empty string without control characters"
            )
        node = servers.child(minion_id, required=True)
        node.only(_SERVER_KEYS)
        default_fqdn = _default_fqdn(minion_id, domain)
        entry: dict[str, Any] = {
            "minion_id": minion_id,
            "role": node.choice("role", ROLES),
            "index": node.integer("index", low=1, high=9999),
            "fqdn": node.hostname("fqdn", default_fqdn),
            "address": node.address("address"),
            "paths": _read_paths(node.child("paths"), paths),
            "maintenance": node.boolean("maintenance", False),
            "address6": _address6(node),
        }
        for unique, owners in seen.items():
            other = owners.setdefault(entry[unique], minion_id)
            if other != minion_id:
                raise PillarError(node.key(unique), f"{entry[unique]} is also used by {other}")
        entries.append(entry)
    masters = [e["minion_id"] for e in entries if e["role"] == MASTER]
    if not masters:
        raise PillarError(servers.path, "exactly one server must have role: master (found: none)")
    if len(masters) > 1:
        raise PillarError(servers.key(f"{masters[1]}:role"), f"a second master: {masters[0]} is the master already")
    return sorted(entries, key=lambda e: e["index"])


def _address6(node: Node) -> str | None:
    if node.data.get("address6") is None:
        return None
    address = node.address("address6")
    if ":" not in address:
        raise PillarError(node.key("address6"), f"is not an IPv6 address: {address}")
    return address


def _default_fqdn(minion_id: str, domain: str) -> str | None:
    """The minion id when it has a dot (Salt's default id is the host's FQDN), else ``<id>.<domain>``."""
    fqdn = minion_id if "." in minion_id else f"{minion_id}.{domain}"
    fqdn = fqdn.rstrip(".").lower()
    return fqdn if is_hostname(fqdn) else None


def _derive_servers(entries: list[dict[str, Any]], fleet: dict[str, Any]) -> tuple[Server, ...]:
    """Add SRV names, failover order and the sipX configuration values each server needs."""
    domain, srv = fleet["domain"], fleet["srv"]
    master = next(e for e in entries if e["role"] == MASTER)
    all_fqdns = ", ".join(e["fqdn"] for e in entries)
    servers = []
    for position, entry in enumerate(entries):
        if srv.names == "numbered":
            registrar, authproxy = f"sipxregistrar{entry['index']}.{domain}", f"sipxauthproxy{entry['index']}.{domain}"
        else:
            registrar, authproxy = f"rr.{entry['fqdn']}", f"ap.{entry['fqdn']}"
        peers = entries[position + 1 :] + entries[:position]
        if srv.max_fallbacks is not None:
            peers = peers[: srv.max_fallbacks]
        config_defs = {
            "SIPXCHANGE_DOMAIN_NAME": domain,
            "SIPXCHANGE_REALM": fleet["realm"],
            "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT": registrar,
            "AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT": authproxy,
            "PROXY_SERVER_SIP_PORT": str(fleet["ports"].proxy),
            "REGISTRAR_SERVER_SIP_PORT": str(fleet["ports"].registrar),
            "AUTH_PROXY_SERVER_SIP_PORT": str(fleet["ports"].authproxy),
            "SIP_REGISTRAR_XMLRPC_PORT": str(fleet["ports"].registrar_xmlrpc),
        }
        if srv.tls:  # the proxy's TLS port, the one _sips._tcp names (sipX's default is 5061 as well)
            config_defs["PROXY_SERVER_SIP_SECURE_PORT"] = str(fleet["ports"].proxy_secure)
        if entry["role"] == DISTRIBUTED:
            config_defs |= {key: master["fqdn"] for key in MASTER_SERVICE_KEYS}
        servers.append(
            Server(
                **entry,
                registrar_name=registrar,
                authproxy_name=authproxy,
                fallbacks=tuple(peer["minion_id"] for peer in peers),
                processes=None if entry["role"] == MASTER else fleet["ds_processes"],
                config_defs=MappingProxyType(config_defs),
                registrar_config=MappingProxyType(
                    {
                        "SIP_REGISTRAR_XMLRPC_PORT": str(fleet["ports"].registrar_xmlrpc),
                        "SIP_REGISTRAR_NAME": entry["fqdn"],
                        "SIP_REGISTRAR_SYNC_WITH": all_fqdns,
                    }
                ),
                proxy_config=MappingProxyType({"SIP_PROXY_AUTH_SERVER": f"<sip:{authproxy};transport=tcp>"}),
            )
        )
    return tuple(servers)


def _plain(value: Any) -> Any:
    """Dataclasses, mapping proxies and tuples to dicts and lists, recursively; secrets redacted."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: "<redacted>" if f.metadata.get("secret") else _plain(getattr(value, f.name)) for f in fields(value)
        }
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
