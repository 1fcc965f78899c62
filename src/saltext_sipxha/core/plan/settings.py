"""Fleet-wide settings of the ``sipxha`` pillar: ports, SRV policy, DNS, DHCP, PKI and service.

Each default lives once, as the dataclass field's default; a reader passes it on as ``Class.field``
(``node.integer("ttl", SrvSettings.ttl, ...)``), never as a second literal.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.reader import Node, is_hostname

NAMING = ("numbered", "per-host")
RESTART_MODES = ("rolling", "immediate", "never")
TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5")
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")
KEY_TYPES = ("ec", "rsa")
EXTERNAL = "external"
#: what phones need from the one DHCP server: required as soon as ``dhcp:server`` names a minion
DHCP_REQUIRED = ("subnet", "pool", "router", "dns_servers")
DHCP_SOFTWARE = {  #: software -> (default configuration file, Debian service)
    "kea": ("/etc/kea/kea-dhcp4.conf", "kea-dhcp4-server"),
    "isc": ("/etc/dhcp/dhcpd.conf", "isc-dhcp-server"),
}


@dataclass(frozen=True)
class Ports:
    proxy: int = 5060
    registrar: int = 5070
    authproxy: int = 5080
    registrar_xmlrpc: int = 5077
    proxy_secure: int = 5061  #: the proxy's SIP over TLS port (``_sips._tcp`` with ``srv:tls``)


@dataclass(frozen=True)
class SrvSettings:
    names: str = "numbered"
    ttl: int = 3600
    weight: int = 50
    max_fallbacks: int | None = None
    naptr: bool = True
    tls: bool = False  #: ``_sips._tcp`` SRV on ``ports:proxy_secure`` and a ``SIPS+D2T`` NAPTR first


@dataclass(frozen=True)
class Tsig:
    name: str
    secret: str = field(repr=False, metadata={"secret": True})
    algorithm: str = "hmac-sha256"


@dataclass(frozen=True)
class ZoneFileDns:
    minion: str
    path: str
    reload: str | None = None
    #: NS host names of the zone and their address (None: out of the zone, or given in ``include``)
    nameservers: tuple[tuple[str, str | None], ...] = ()
    include: str | None = None  #: the administrator's own records, ``$INCLUDE``d at the end of the zone
    fragment: bool = False  #: write only the HA records into ``path``, which the site's own zone ``$INCLUDE``s
    including: str | None = None  #: with ``fragment``: the site's zone file (validated with the new fragment)


@dataclass(frozen=True)
class NsupdateDns:
    server: str
    zone: str  #: absolute, with the trailing dot
    tsig: Tsig
    port: int = 53
    timeout: int = 10
    addresses: bool = False  #: also keep the servers' A (and AAAA, ``address6``) records, in the zone


@dataclass(frozen=True)
class DnsSettings:
    zonefile: ZoneFileDns | None = None
    nsupdate: NsupdateDns | None = None


@dataclass(frozen=True)
class DhcpSettings:
    """``sipxha:dhcp``: where DHCP runs and what it hands to phones (see :mod:`.dhcp`)."""

    server: str = EXTERNAL  #: the one minion that runs DHCP (a sipX server or any other minion), or "external"
    software: str = "kea"  #: kea (kea-dhcp4) or isc (ISC dhcpd, what sipX hosts shipped)
    subnet: str | None = None  #: CIDR, e.g. 192.0.2.0/24; required to render a configuration
    pool: tuple[str, str] | None = None  #: first and last leased address, inside ``subnet``
    router: str | None = None  #: option 3, inside ``subnet``
    dns_servers: tuple[str, ...] = ()  #: option 6
    ntp_servers: tuple[str, ...] = ()  #: option 42
    tftp_server: str | None = None  #: option 66; default: the master's address
    sip_servers: tuple[str, ...] = ()  #: option 120 (RFC 3361): names or IPv4 addresses; default: the domain
    interfaces: tuple[str, ...] = ("*",)  #: Kea interfaces-config
    lease_time: int = 86400
    config: str = "/etc/kea/kea-dhcp4.conf"
    service: str = "kea-dhcp4-server"


@dataclass(frozen=True)
class PkiSettings:
    ca_name: str
    key_type: str = "rsa"  #: RSA 2048 + SHA-256 by default: what every OpenSSL sipX ran on reads
    curve: str = "secp256r1"
    bits: int = 2048
    days: int = 365
    renew_days: int = 30
    key_set: bool = False  #: sipxha:pki:key given: a server key of another type is replaced (else kept)


@dataclass(frozen=True)
class ServiceSettings:
    name: str = "sipxpbx"
    manage: bool = True
    restart: str = "rolling"  #: rolling (the master restarts one server at a time) | immediate | never
    restart_command: str | None = None  #: a shell command restarting sipX here, instead of the service module
    user: str = "sipxchange"  #: owns ssl.key (the sipX daemons run as it)
    group: str = "sipxchange"


@dataclass(frozen=True)
class RolloutSettings:
    """``sipxha:rollout``: the pace of a rolling restart (see :mod:`saltext_sipxha.core.rollout`)."""

    drain_wait: int = 30  #: seconds a drained server keeps serving before its restart (>= srv:ttl in production)
    health_timeout: int = 120  #: seconds a restarted server has to answer SIP OPTIONS on every port
    #: minion ids a running (or failed) rollout has drained, left out of DNS like ``maintenance``: set by the
    #: master's ``sipxha_rollout`` ext_pillar from its rollout state, never by hand
    drained: tuple[str, ...] = ()


def read_ports(node: Node) -> Ports:
    node.only(Ports.__dataclass_fields__)
    values = {name: node.integer(name, getattr(Ports, name), 1, 65535) for name in Ports.__dataclass_fields__}
    ports = Ports(**values)
    sip_ports = (ports.proxy, ports.registrar, ports.authproxy, ports.proxy_secure, ports.registrar_xmlrpc)
    if len(set(sip_ports)) != len(sip_ports):
        raise PillarError(node.path, "proxy, registrar, authproxy, proxy_secure and registrar_xmlrpc must differ")
    return ports


def read_srv(node: Node) -> SrvSettings:
    node.only(SrvSettings.__dataclass_fields__)
    max_fallbacks = node.data.get("max_fallbacks")
    return SrvSettings(
        names=node.choice("names", NAMING, SrvSettings.names),
        ttl=node.integer("ttl", SrvSettings.ttl, 0, 2**31 - 1),
        weight=node.integer("weight", SrvSettings.weight, 0, 65535),
        max_fallbacks=None if max_fallbacks is None else node.integer("max_fallbacks", low=1, high=9999),
        naptr=node.boolean("naptr", SrvSettings.naptr),
        tls=node.boolean("tls", SrvSettings.tls),
    )


def read_dns(node: Node) -> DnsSettings:
    node.only(("zonefile", "nsupdate"))
    zonefile = nsupdate = None
    if node.data.get("zonefile") is not None:
        zf = node.child("zonefile")
        zf.only(ZoneFileDns.__dataclass_fields__)
        zonefile = ZoneFileDns(
            minion=zf.string("minion"),
            path=zf.abspath("path"),
            reload=zf.optional_string("reload"),
            nameservers=_read_nameservers(zf.child("nameservers")),
            include=zf.abspath("include") if zf.data.get("include") is not None else None,
            fragment=zf.boolean("fragment", False),
            including=zf.abspath("including") if zf.data.get("including") is not None else None,
        )
        if zonefile.fragment and zonefile.including is None:
            raise PillarError(zf.key("including"), "is required with fragment: true (the zone that $INCLUDEs path)")
        if zonefile.fragment and zonefile.include is not None:
            raise PillarError(zf.key("include"), "is for whole-zone mode; with fragment: true your zone holds the rest")
    if node.data.get("nsupdate") is not None:
        nu = node.child("nsupdate")
        nu.only(("server", "port", "zone", "tsig", "timeout", "addresses"))
        tsig = nu.child("tsig", required=True)
        tsig.only(Tsig.__dataclass_fields__)
        nsupdate = NsupdateDns(
            server=nu.address("server"),
            port=nu.integer("port", NsupdateDns.port, 1, 65535),
            zone=nu.hostname("zone") + ".",
            tsig=Tsig(
                name=tsig.hostname("name") + ".",
                algorithm=tsig.choice("algorithm", TSIG_ALGORITHMS, Tsig.algorithm),
                secret=tsig.base64("secret"),
            ),
            timeout=nu.integer("timeout", NsupdateDns.timeout, 1, 300),
            addresses=nu.boolean("addresses", NsupdateDns.addresses),
        )
    return DnsSettings(zonefile=zonefile, nsupdate=nsupdate)


def _read_nameservers(node: Node) -> tuple[tuple[str, str | None], ...]:
    """``{ns1.example.com: 192.0.2.53, ns2.example.net: null}`` as sorted (name, address) pairs."""
    pairs = []
    for name in node.data:
        host = str(name).rstrip(".").lower()
        if not isinstance(name, str) or not is_hostname(host):
            raise PillarError(node.key(str(name)), "is not a valid DNS name")
        pairs.append((host, node.address(name) if node.data[name] is not None else None))
    return tuple(sorted(pairs))


def read_dhcp(node: Node) -> DhcpSettings:
    """Validate ``sipxha:dhcp``; the network keys are required once ``server`` names a minion.

    ``server`` may name any minion with the pillar (a router or infrastructure host), not only a sipX server.
    """
    node.only(DhcpSettings.__dataclass_fields__)
    server = node.string("server", DhcpSettings.server)
    if any(char.isspace() or char in "*?[],@" for char in server):
        raise PillarError(node.key("server"), f"{server!r} is neither one minion id nor {EXTERNAL!r}")
    software = node.choice("software", tuple(DHCP_SOFTWARE), DhcpSettings.software)
    config, service = DHCP_SOFTWARE[software]
    subnet = _network(node, "subnet")
    pool = None
    if node.data.get("pool") is not None:
        pool_node = node.child("pool")
        pool_node.only(("start", "end"))
        pool = (_ipv4(pool_node, "start", subnet), _ipv4(pool_node, "end", subnet))
        if ipaddress.IPv4Address(pool[0]) > ipaddress.IPv4Address(pool[1]):
            raise PillarError(pool_node.key("end"), f"{pool[1]} comes before start {pool[0]}")
    settings = DhcpSettings(
        server=server,
        subnet=None if subnet is None else str(subnet),
        pool=pool,
        router=None if node.data.get("router") is None else _ipv4(node, "router", subnet),
        dns_servers=_ipv4_list(node, "dns_servers"),
        ntp_servers=_ipv4_list(node, "ntp_servers"),
        tftp_server=node.optional_string("tftp_server"),
        sip_servers=_sip_servers(node),
        interfaces=node.string_list("interfaces", DhcpSettings.interfaces),
        lease_time=node.integer("lease_time", DhcpSettings.lease_time, 60, 2**31 - 1),
        config=node.abspath("config", config),
        service=node.service_name("service", service),
        software=software,
    )
    if server != EXTERNAL:  # checked in every server's run, not only on the DHCP server
        for name in DHCP_REQUIRED:
            if not getattr(settings, name):
                raise PillarError(node.key(name), f"is required: {server} renders the DHCP configuration")
    return settings


def _sip_servers(node: Node) -> tuple[str, ...]:
    """Option 120's servers: all IPv4 addresses or all host names (RFC 3361 never mixes them)."""
    if node.data.get("sip_servers") is None:
        return ()
    values = node.string_list("sip_servers")
    kinds = set()
    for value in values:
        try:
            ipaddress.IPv4Address(value)
            kinds.add("address")
        except ValueError:
            if not is_hostname(value.rstrip(".")):
                message = f"{value!r} is neither a host name nor an IPv4 address"
                raise PillarError(node.key("sip_servers"), message) from None
            kinds.add("name")
    if len(kinds) > 1:
        raise PillarError(node.key("sip_servers"), "holds either host names or IPv4 addresses, not both (RFC 3361)")
    return values


def _network(node: Node, name: str) -> ipaddress.IPv4Network | None:
    if node.data.get(name) is None:
        return None
    try:
        return ipaddress.IPv4Network(str(node.printable(name, node.data[name])).strip())
    except ValueError as err:
        raise PillarError(node.key(name), f"is not an IPv4 network in CIDR form: {err}") from None


def _ipv4(node: Node, name: str, subnet: ipaddress.IPv4Network | None) -> str:
    value = node.printable(name, node.raw(name))
    try:
        address = ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise PillarError(node.key(name), f"is not an IPv4 address: {value!r}") from None
    if subnet is not None and address not in subnet:
        raise PillarError(node.key(name), f"{address} is outside the subnet {subnet}")
    return str(address)


def _ipv4_list(node: Node, name: str) -> tuple[str, ...]:
    if node.data.get(name) is None:
        return ()
    values = node.raw(name)
    values = [values] if isinstance(values, str) else values
    if not isinstance(values, list):
        raise PillarError(node.key(name), f"must be a list of IPv4 addresses, got {values!r}")
    return tuple(_ipv4(Node({name: value}, node.path), name, None) for value in values)


def read_pki(node: Node, domain: str) -> PkiSettings:
    node.only(("ca_name", "key", "days", "renew_days"))
    ca_name = node.hostname("ca_name", f"ca.{domain}")
    key = node.child("key")
    key.only(("type", "curve", "bits"))
    key_type = key.choice("type", KEY_TYPES, PkiSettings.key_type)
    curve = key.choice("curve", EC_CURVES, PkiSettings.curve) if key_type == "ec" else PkiSettings.curve
    bits = key.integer("bits", PkiSettings.bits, 2048, 8192) if key_type == "rsa" else PkiSettings.bits
    days = node.integer("days", PkiSettings.days, 1, 3650)
    renew_days = node.integer("renew_days", PkiSettings.renew_days, 0, 3650)
    if renew_days >= days:
        raise PillarError(node.key("renew_days"), f"must be less than days ({days}), got {renew_days}")
    return PkiSettings(
        ca_name=ca_name,
        key_type=key_type,
        curve=curve,
        bits=bits,
        days=days,
        renew_days=renew_days,
        key_set=bool(key.data),
    )


def read_service(node: Node) -> ServiceSettings:
    node.only(ServiceSettings.__dataclass_fields__)
    return ServiceSettings(
        name=node.service_name("name", ServiceSettings.name),
        manage=node.boolean("manage", ServiceSettings.manage),
        restart=node.choice("restart", RESTART_MODES, ServiceSettings.restart),
        restart_command=node.optional_string("restart_command"),
        user=node.string("user", ServiceSettings.user),
        group=node.string("group", ServiceSettings.group),
    )


def read_rollout(node: Node) -> RolloutSettings:
    node.only(RolloutSettings.__dataclass_fields__)
    return RolloutSettings(
        drain_wait=node.integer("drain_wait", RolloutSettings.drain_wait, 0, 86400),
        health_timeout=node.integer("health_timeout", RolloutSettings.health_timeout, 1, 86400),
        drained=node.string_list("drained") if node.data.get("drained") else (),
    )
