"""A real Salt master and three minions on loopback for the benchmarks, everything under one folder.

:func:`running_fleet` starts salt-factories standalone (no pytest): its log server and event listener
bound to 127.0.0.1, then :func:`tests.support.fleet.start_fleet` (master, sipxpbx1 MS, sipxpbx2/3 DS,
the fleet CA initialised). Every process is stopped when the block ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from saltfactories.manager import FactoriesManager
from saltfactories.plugins.event_listener import EventListener
from saltfactories.plugins.log_server import LogServer

from tests.support.fleet import SipxFleet, start_fleet

HOST = "127.0.0.1"


@contextlib.contextmanager
def running_fleet(root: Path) -> Iterator[SipxFleet]:
    """Master + three minions under ``root`` (loopback only); stopped on exit."""
    root.mkdir(parents=True, exist_ok=True)
    log_server = LogServer(log_host=HOST, log_level="error")
    listener = EventListener()
    listener.host, listener.address = HOST, f"tcp://{HOST}:{listener.port}"
    with contextlib.ExitStack() as stack:
        log_server.start()
        stack.callback(log_server.stop)
        stack.enter_context(listener)
        factories = FactoriesManager(
            root_dir=root / "salt",
            log_server_host=HOST,
            log_server_port=log_server.log_port,
            log_server_level="error",
            event_listener=listener,
            start_timeout=120,
        )
        yield stack.enter_context(start_fleet(factories, root / "fleet"))


def bench_pillar(fleet: SipxFleet, **extra: Any) -> dict[str, Any]:
    """The fleet's default pillar plus DHCP on the MS (inside its sandbox): every kind of file is managed."""
    pillar = fleet.default_pillar()
    kea = fleet.etc("sipxpbx1") / "kea"
    kea.mkdir(parents=True, exist_ok=True)
    pillar["dhcp"] = dhcp_pillar("sipxpbx1", kea / "kea-dhcp4.conf")
    return pillar | extra


def dhcp_pillar(server: str, config: Path) -> dict[str, Any]:
    """``sipxha:dhcp`` rendering a Kea configuration at ``config`` on ``server``."""
    return {
        "server": server,
        "subnet": "192.0.2.0/24",
        "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
        "router": "192.0.2.1",
        "dns_servers": ["192.0.2.53"],
        "config": str(config),
    }


def wait_for(condition: Callable[[], Any], what: str, timeout: float) -> Any:
    """Poll ``condition`` every 0.1 s until it returns something true, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
