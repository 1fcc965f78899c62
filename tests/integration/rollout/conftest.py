"""Rollout fixtures: the session fleet, a real BIND in nsupdate mode and per-server SIP responders.

``rollout_env``: each server on its own loopback address (127.0.0.11-13) with sipp responders on its
proxy, registrar and auth-proxy ports; its ``service:restart_command`` is ``tests/support/responders.py``,
which logs to ``env.log`` and stops and starts that server's responders. ``env.pillar(**extra)`` is the
fleet's pillar for it (nsupdate mode, SRV TTL 1 s, drain_wait 1 s, health_timeout 5 s), ``env.apply(p)``
makes it the fleet's pillar and converges DNS.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import responders
from tests.support.named import HOST, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("named") is None or shutil.which("sipp") is None, reason="bind9 or sipp not installed"
)
SCRIPT = Path(responders.__file__).resolve()


@dataclass
class RolloutEnv:
    fleet: Any
    named: Any
    state: Path
    log: Path
    ports: list[int]
    addresses: dict[str, str]

    def pillar(self, **extra: Any) -> dict[str, Any]:
        pillar = self.fleet.default_pillar()
        for minion_id, server in pillar["servers"].items():
            server["address"] = self.addresses[minion_id]
        proxy, registrar, authproxy = self.ports
        return (
            pillar
            | {
                "ports": {
                    "proxy": proxy,
                    "registrar": registrar,
                    "authproxy": authproxy,
                    "registrar_xmlrpc": free_port(),
                },
                "srv": {"ttl": 1},
                "dns": {"nsupdate": self.named.nsupdate_pillar()},
                "service": {"manage": True, "restart": "rolling"},
                "rollout": {"drain_wait": 1, "health_timeout": 5},
            }
            | extra
        )

    def restart_command(self, minion_id: str) -> str:
        args = [sys.executable, str(SCRIPT), "restart", "--state", str(self.state), "--id", minion_id,
                "--address", self.addresses[minion_id], "--ports", ",".join(map(str, self.ports)),
                "--log", str(self.log), "--dns", f"{HOST}:{self.named.port}"]  # fmt: skip
        return " ".join(args)

    def apply(self, pillar: dict[str, Any]) -> None:
        """Make ``pillar`` the fleet's, each server with its own restart_command, and converge DNS."""
        per_minion = {m: {"sipxha": {"service": {"restart_command": self.restart_command(m)}}} for m in self.addresses}
        self.fleet.set_pillar(pillar, per_minion=per_minion)
        ret = self.fleet.salt("sipxpbx1", "state.apply", "sipxha.dns")
        assert ret.returncode == 0, ret

    def events(self) -> list[tuple[float, str, str, str]]:
        """The restart script's log: (time, minion, begin|end, in_dns flag or '')."""
        if not self.log.exists():
            return []
        lines = [line.split() for line in self.log.read_text(encoding="utf-8").splitlines()]
        return [(float(p[0]), p[1], p[2], p[3] if len(p) > 3 else "") for p in lines]

    def in_dns(self, minion_id: str) -> bool:
        return responders.in_dns(f"{HOST}:{self.named.port}", "example.com", f"{minion_id}.example.com")

    def mark_all(self) -> None:
        ret = self.fleet.salt("sipxpbx*", "sipxha_restart.mark", "reasons=test", "fire=False")
        assert ret.returncode == 0 and len(ret.data) == 3, ret

    def pending(self) -> set[str]:
        ret = self.fleet.salt("sipxpbx*", "sipxha_restart.pending")
        return {minion for minion, marker in ret.data.items() if marker}

    def reset(self) -> None:
        self.fleet.salt("sipxpbx*", "sipxha_restart.clear")
        self.log.unlink(missing_ok=True)
        for minion_id in self.addresses:
            (self.state / f"{minion_id}.broken").unlink(missing_ok=True)
            if not (self.state / f"{minion_id}.pids").exists():
                responders.start(self.state, minion_id, self.addresses[minion_id], self.ports)


@pytest.fixture(scope="module")
def rollout_base(sipx_fleet, named, tmp_path_factory):
    state = tmp_path_factory.mktemp("responders")
    addresses = {minion_id: f"127.0.0.{11 + i}" for i, minion_id in enumerate(sorted(sipx_fleet.minions))}
    env = RolloutEnv(sipx_fleet, named, state, state / "restarts.log", [free_port() for _ in range(3)], addresses)
    try:
        yield env
    finally:
        for minion_id in addresses:
            responders.stop(state, minion_id)


@pytest.fixture
def rollout_env(rollout_base, fleet):
    rollout_base.reset()
    rollout_base.apply(rollout_base.pillar())
    yield rollout_base
    rollout_base.fleet.salt("sipxpbx*", "sipxha_restart.clear")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(0.5)
