"""The DHCP configuration phones need, for the one server the pillar names (``sipxha:dhcp:server``).

Rendered for **ISC Kea** (``kea-dhcp4``, JSON) rather than ISC dhcpd, which sipXecs 4.6 templated
(``dhcpd.erb``): ISC ended maintenance of dhcpd in 2022, Debian 12 ships Kea (``kea-dhcp4-server``)
as its DHCP server, and Kea has a check mode (``kea-dhcp4 -t <file>``) that the tests run on the
rendered file. Phones get (HaSetup / sipXecs ``110dhcp.test.xml``): the domain name, DNS servers,
router, NTP servers and option 66 (``tftp-server-name``, the provisioning server) pointing at the
master, whose address is used unless ``tftp_server`` is set (phones may not resolve names yet).

The network keys are required by the plan as soon as ``server`` names a minion (a fleet with
``server: external`` needs none), so every server's run fails on a missing one, before any file is touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saltext_sipxha.core.errors import NotInstalledError
from saltext_sipxha.core.files.change import FileChange, read_file
from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.plan.settings import EXTERNAL

HEADER = "# Managed by Salt (saltext-sipxha): DHCP for the sipX phones of {domain}. Local edits are overwritten.\n"


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
                    "pools": [{"pool": " - ".join(dhcp.pool or ())}],  # _complete: pool is set
                    "option-data": options,
                }
            ],
        }
    }


def render(fleet: Fleet) -> bytes:
    """The configuration file's bytes (Kea accepts ``#`` comments)."""
    body = json.dumps(kea_config(fleet), indent=2)
    return (HEADER.format(domain=fleet.domain) + body + "\n").encode("utf-8")


def plan_dhcp(fleet: Fleet, minion_id: str) -> FileChange | None:
    """The DHCP configuration file's change on the DHCP server; None on every other server."""
    if not is_dhcp_server(fleet, minion_id):
        return None
    path = fleet.dhcp.config
    new = render(fleet)
    if not Path(path).parent.is_dir():
        raise NotInstalledError(
            f"{path}: its folder does not exist: is kea-dhcp4-server installed (sipxha:dhcp:config)?"
        )
    return FileChange(path, read_file(path), new, mode=0o644)
