"""A fleet set up for rolling restarts: BIND in nsupdate mode and per-server SIP responders on loopback.

Shared by the rollout integration tests (``tests/integration/rollout/conftest.py``) and the rollout benchmark
(``benchmarks/rollout.py``). Each server is on its own loopback address (127.0.0.11-13) with sipp responders on
its proxy, registrar and auth-proxy ports (:mod:`tests.support.responders`); its ``service:restart_command`` is
that module run as a script, which logs to ``env.log`` and stops and starts the server's responders
(``<state>/<id>.broken``: they stay down; ``<state>/<id>.hold``: they stay down while it exists).
``env.pillar(**extra)`` is the fleet's pillar for it (nsupdate mode, SRV TTL 1 s, drain_wait 1 s,
health_timeout 5 s), ``env.apply(p)`` makes it the fleet's pillar and converges DNS.
``env.in_zonefile(zone_named, minion)`` is the same fleet and responders in zone-file mode instead: ``minion``
writes the zone file ``zone_named`` serves and reloads it with ``rndc reload``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dns.zone

from saltext_sipxha.core.dns.records import planned_records
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import responders
from tests.support.named import HOST, ZONE, free_port

SCRIPT = Path(responders.__file__).resolve()


@dataclass
class RolloutEnv:
    fleet: Any
    named: Any
    state: Path
    log: Path
    ports: list[int]
    addresses: dict[str, str]
    down: float = 0.5  #: seconds the restart script keeps a server's responders down
    zonefile_minion: str | None = None  #: zone-file mode: the dns:zonefile:minion (else nsupdate mode)

    @classmethod
    def create(cls, fleet: Any, named: Any, state: Path, down: float = 0.5) -> RolloutEnv:
        """Addresses 127.0.0.11.. in minion order, three free ports; nothing started yet."""
        addresses = {minion_id: f"127.0.0.{11 + i}" for i, minion_id in enumerate(sorted(fleet.minions))}
        return cls(fleet, named, state, state / "restarts.log", [free_port() for _ in range(3)], addresses, down)

    def in_zonefile(self, zone_named: Any, minion_id: str) -> RolloutEnv:
        """This fleet and its responders in zone-file mode: ``minion_id`` writes ``zone_named``'s zone file."""
        return replace(self, named=zone_named, zonefile_minion=minion_id)

    @property
    def dns_mode(self) -> str:
        return "nsupdate" if self.zonefile_minion is None else "zonefile"

    @property
    def dns_minion(self) -> str:
        """Where ``sipxha.dns`` changes DNS (nsupdate mode: anywhere; sipxpbx1)."""
        return self.zonefile_minion or "sipxpbx1"

    def dns_pillar(self) -> dict[str, Any]:
        if self.zonefile_minion is None:
            return {"nsupdate": self.named.nsupdate_pillar()}
        zonefile = {"minion": self.zonefile_minion, "path": str(self.named.zone_file),
                    "reload": self.named.reload_command(), "nameservers": {"ns1.example.com": HOST}}  # fmt: skip
        return {"zonefile": zonefile}

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
                "dns": self.dns_pillar(),
                "service": {"manage": True, "restart": "rolling"},
                "rollout": {"drain_wait": 1, "health_timeout": 5},
            }
            | extra
        )

    def restart_command(self, minion_id: str) -> str:
        args = [sys.executable, str(SCRIPT), "restart", "--state", str(self.state), "--id", minion_id,
                "--address", self.addresses[minion_id], "--ports", ",".join(map(str, self.ports)),
                "--log", str(self.log), "--dns", f"{HOST}:{self.named.port}", "--down", str(self.down)]  # fmt: skip
        return " ".join(args)

    def set_pillar(self, pillar: dict[str, Any]) -> None:
        """Make ``pillar`` the fleet's, each server with its own restart_command."""
        per_minion = {m: {"sipxha": {"service": {"restart_command": self.restart_command(m)}}} for m in self.addresses}
        self.fleet.set_pillar(pillar, per_minion=per_minion)

    def apply(self, pillar: dict[str, Any]) -> None:
        """:meth:`set_pillar`, then converge DNS."""
        self.set_pillar(pillar)
        ret = self.fleet.salt(self.dns_minion, "state.apply", "sipxha.dns")
        if ret.returncode != 0:
            raise RuntimeError(f"state.apply sipxha.dns failed: {ret}")

    def events(self) -> list[tuple[float, str, str, str]]:
        """The restart script's log: (time, minion, begin|end, in_dns flag or '')."""
        if not self.log.exists():
            return []
        lines = [line.split() for line in self.log.read_text(encoding="utf-8").splitlines()]
        return [(float(p[0]), p[1], p[2], p[3] if len(p) > 3 else "") for p in lines]

    def in_dns(self, minion_id: str) -> bool:
        return responders.in_dns(f"{HOST}:{self.named.port}", "example.com", f"{minion_id}.example.com")

    def srv_targets(self) -> dict[str, set[str]]:
        """Every planned SRV owner name (absolute) -> the targets named answers for it now."""
        owners = sorted({r.name.to_text() for r in planned_records(build_plan(self.pillar())) if r.rdtype == "SRV"})
        return {name: {rdata.target.to_text() for rrset in self.named.query(name).answer for rdata in rrset}
                for name in owners}  # fmt: skip

    def zone_file_targets(self) -> dict[str, set[str]]:
        """Zone-file mode: every SRV owner name of the zone file -> its targets, as the file says."""
        zone = dns.zone.from_file(str(self.named.zone_file), origin=f"{ZONE}.", relativize=False)
        return {name.to_text(): {rdata.target.to_text() for rdata in rdataset}
                for name, rdataset in zone.iterate_rdatasets("SRV")}  # fmt: skip

    def mark_all(self) -> None:
        ret = self.fleet.salt("sipxpbx*", "sipxha_restart.mark", "reasons=test", "fire=False")
        if ret.returncode != 0 or len(ret.data) != len(self.addresses):
            raise RuntimeError(f"sipxha_restart.mark failed: {ret}")

    def pending(self) -> set[str]:
        ret = self.fleet.salt("sipxpbx*", "sipxha_restart.pending")
        return {minion for minion, marker in ret.data.items() if marker}

    def start_responders(self) -> None:
        """Start every server's responders that are not running."""
        for minion_id, address in self.addresses.items():
            if not (self.state / f"{minion_id}.pids").exists():
                responders.start(self.state, minion_id, address, self.ports)

    def stop_responders(self) -> None:
        for minion_id in self.addresses:
            responders.stop(self.state, minion_id)

    def reset(self) -> None:
        self.fleet.salt("sipxpbx*", "sipxha_restart.clear")
        self.log.unlink(missing_ok=True)
        for minion_id in self.addresses:
            (self.state / f"{minion_id}.broken").unlink(missing_ok=True)
            (self.state / f"{minion_id}.hold").unlink(missing_ok=True)
        self.start_responders()


def wait_for(predicate: Any, timeout: float, what: str, pause: float = 0.5) -> None:
    """Poll ``predicate`` every ``pause`` seconds until it is true, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(pause)
