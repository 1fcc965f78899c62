"""Pillars used across the tests: the seed's two servers and a three-server fleet on loopback."""

from __future__ import annotations

import copy
from typing import Any

SEED: dict[str, Any] = {
    "domain": "example.com",
    "servers": {
        "sipxpbx1": {"role": "master", "index": 1, "address": "192.0.2.11"},
        "sipxpbx2": {"role": "distributed", "index": 2, "address": "192.0.2.12"},
    },
    "service": {"manage": False},
}


def seed() -> dict[str, Any]:
    """A fresh copy of the seed document's two-server pillar."""
    return copy.deepcopy(SEED)


def fleet(count: int = 3, domain: str = "example.com", prefix: str = "sipxpbx", **extra: Any) -> dict[str, Any]:
    """A pillar of ``count`` servers ``<prefix>1..N`` (``sipxpbx1..N``), the first one the master."""
    servers = {
        f"{prefix}{i}": {"role": "master" if i == 1 else "distributed", "index": i, "address": f"192.0.2.{10 + i}"}
        for i in range(1, count + 1)
    }
    return {"domain": domain, "servers": servers, "service": {"manage": False}} | extra


def dhcp(server: str, config: str) -> dict[str, Any]:
    """A complete ``sipxha:dhcp`` for a test network, rendered on ``server`` into ``config``."""
    return {
        "server": server,
        "subnet": "192.0.2.0/24",
        "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
        "router": "192.0.2.1",
        "dns_servers": ["192.0.2.53"],
        "ntp_servers": ["192.0.2.1"],
        "config": config,
    }
