"""The DHCP configuration phones need, for the one minion the pillar names (``sipxha:dhcp:server``).

Rendered for ``dhcp:software``: **kea** (``kea-dhcp4``, JSON; Debian 12's DHCP server) or **isc** (ISC
dhcpd, what sipXecs templated in ``dhcpd.erb`` and sipX hosts shipped, end-of-life since 2022). Each is
checked by its own daemon's check mode (``kea-dhcp4 -t``, ``dhcpd -t -cf``) before it replaces the live
file: :func:`check_config` never starts a server. Phones get (HaSetup / sipXecs ``110dhcp.test.xml``):
option 3 (router), 6 (DNS servers), 15 (domain name), 42 (NTP servers), 66 (``tftp-server-name``, the
provisioning server: the master's address unless ``tftp_server`` is set, as phones may not resolve names
yet) and 120 (RFC 3361 SIP servers, :mod:`.dhcpopt`: the SIP domain unless ``sip_servers`` is set;
sipXecs put a provisioning URL there as text, which RFC 3361 clients cannot read).

The network keys are required by the plan as soon as ``server`` names a minion (a fleet with
``server: external`` needs none), so every server's run fails on a missing one, before any file is touched.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from saltext_sipxha.core.errors import NotInstalledError, UnsafeFileError
from saltext_sipxha.core.files.atomic import atomic_write
from saltext_sipxha.core.files.change import FileChange, read_file
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import DHCP_SOFTWARE, EXTERNAL
from saltext_sipxha.core.sipx.dhcpopt import sip_servers, to_hex

HEADER = "# Managed by Salt (saltext-sipxha): DHCP for the sipX phones of {domain}. Local edits are overwritten.\n"
#: Every DHCP service a sipX host may have: stopped and disabled on each sipX server that is not the DHCP server.
DHCP_SERVICES = tuple(service for _, service in DHCP_SOFTWARE.values())
CHECK_TIMEOUT = 60


def is_dhcp_server(fleet: Fleet, minion_id: str) -> bool:
    """True on the one minion that runs DHCP (never when the pillar says ``external``)."""
    return fleet.dhcp.server != EXTERNAL and fleet.dhcp.server == minion_id


def kea_config(fleet: Fleet) -> dict[str, Any]:
    """The ``Dhcp4`` document for ``kea-dhcp4``."""
    dhcp = fleet.dhcp
    options = [
        {"name": "routers", "data": dhcp.router},
        {"name": "domain-name-servers", "data": ", ".join(dhcp.dns_servers)},
        {"name": "tftp-server-name", "data": dhcp.tftp_server or fleet.master.address},
        {"code": 120, "csv-format": False, "data": to_hex(option_120(fleet), "").upper()},
    ]
    if dhcp.ntp_servers:
        options.append({"name": "ntp-servers", "data": ", ".join(dhcp.ntp_servers)})
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": list(dhcp.interfaces)},
            "lease-database": {"type": "memfile", "lfc-interval": 3600},
            "valid-lifetime": dhcp.lease_time,
            "authoritative": True,
            "option-data": [{"name": "domain-name", "data": fleet.domain}],
            "subnet4": [
                {
                    "id": 1,
                    "subnet": dhcp.subnet,
                    "pools": [{"pool": " - ".join(dhcp.pool or ())}],  # the plan requires pool
                    "option-data": options,
                }
            ],
        }
    }


def option_120(fleet: Fleet) -> bytes:
    """RFC 3361 data of option 120: ``dhcp:sip_servers``, else the SIP domain."""
    return sip_servers(fleet.dhcp.sip_servers or (fleet.domain,))


def isc_config(fleet: Fleet) -> str:
    """``dhcpd.conf`` for ISC dhcpd (the layout of sipXecs' ``dhcpd.erb``, with an RFC 3361 option 120)."""
    dhcp = fleet.dhcp
    network = ipaddress.IPv4Network(dhcp.subnet)
    lines = [
        "authoritative;",
        "ddns-update-style none;",
        "option sip-servers code 120 = string;  # RFC 3361: encoding byte, then DNS names or IPv4 addresses",
        f"default-lease-time {dhcp.lease_time};",
        f"max-lease-time {dhcp.lease_time};",
        f"subnet {network.network_address} netmask {network.netmask} {{",
        f"  range {' '.join(dhcp.pool or ())};",  # the plan requires pool
        f"  option routers {dhcp.router};",
        f"  option subnet-mask {network.netmask};",
        f'  option domain-name "{fleet.domain}";',
        f"  option domain-name-servers {', '.join(dhcp.dns_servers)};",
    ]
    if dhcp.ntp_servers:
        lines.append(f"  option ntp-servers {', '.join(dhcp.ntp_servers)};")
    lines += [
        f'  option tftp-server-name "{dhcp.tftp_server or fleet.master.address}";',
        f"  option sip-servers {to_hex(option_120(fleet))};",
        "}",
    ]
    return "\n".join(lines) + "\n"


def render(fleet: Fleet) -> bytes:
    """The configuration file's bytes for ``dhcp:software`` (Kea, too, accepts ``#`` comments)."""
    isc = fleet.dhcp.software == "isc"
    body = isc_config(fleet) if isc else json.dumps(kea_config(fleet), indent=2) + "\n"
    return (HEADER.format(domain=fleet.domain) + body).encode("utf-8")


def check_argv(software: str, path: str) -> list[str]:
    """The daemon's own check of the configuration at ``path``: it parses and exits, never serving."""
    return ["dhcpd", "-t", "-q", "-cf", path] if software == "isc" else ["kea-dhcp4", "-t", path]


def check_config(software: str, data: bytes) -> None:
    """Run the daemon's check (:func:`check_argv`) on ``data`` in a private file; :class:`UnsafeFileError` if
    it rejects it (the live file is never touched)."""
    with tempfile.TemporaryDirectory(prefix="sipxha-dhcp-") as folder:
        path = os.path.join(folder, "dhcp.conf")
        atomic_write(path, data, mode=0o600)
        argv = check_argv(software, path)
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False)
        except FileNotFoundError as err:
            raise NotInstalledError(f"{argv[0]} is not installed: it checks the DHCP configuration") from err
        except subprocess.TimeoutExpired as err:
            raise UnsafeFileError(path, f"{argv[0]} did not check it within {CHECK_TIMEOUT}s") from err
    if result.returncode != 0:
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-5:])
        raise UnsafeFileError(argv[0], f"rejects the rendered DHCP configuration: {tail}")


def plan_dhcp(fleet: Fleet, minion_id: str) -> FileChange | None:
    """The DHCP configuration file's change on the DHCP server; None on every other minion."""
    if not is_dhcp_server(fleet, minion_id):
        return None
    path = fleet.dhcp.config
    new = render(fleet)
    if not Path(path).parent.is_dir():
        installed = f"is {fleet.dhcp.service} installed (sipxha:dhcp:config)?"
        raise NotInstalledError(f"{path}: its folder does not exist: {installed}")
    return FileChange(path, read_file(path), new)  # a new file gets 0644
