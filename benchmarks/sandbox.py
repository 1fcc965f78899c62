"""A real Salt master and three minions on loopback for the benchmarks, everything under one folder.

The fleet itself is :func:`tests.support.fleet.standalone_fleet` (salt-factories without pytest, master,
sipxpbx1 MS, sipxpbx2/3 DS, the fleet CA initialised, everything stopped when the block ends); this
module adds the benchmark pillar and bounded waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support import pillars
from tests.support.fleet import SipxFleet

HOST = "127.0.0.1"


def bench_pillar(fleet: SipxFleet, **extra: Any) -> dict[str, Any]:
    """The fleet's default pillar plus DHCP on the MS (inside its sandbox): every kind of file is managed."""
    pillar = fleet.default_pillar()
    kea = fleet.etc("sipxpbx1") / "kea"
    kea.mkdir(parents=True, exist_ok=True)
    pillar["dhcp"] = pillars.dhcp("sipxpbx1", str(kea / "kea-dhcp4.conf"))
    return pillar | extra


def wait_for(condition: Callable[[], Any], what: str, timeout: float) -> Any:
    """Poll ``condition`` every 0.1 s until it returns something true, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
