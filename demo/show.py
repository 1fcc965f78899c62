"""What the demo prints: each step's outcome the way an administrator wants to see it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import dns.name
import yaml

from saltext_sipxha.core.dns.records import group, planned_records
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx import watchdog
from saltext_sipxha.core.verify.live_dns import lookup_at, processing_order
from tests.support.fleet import SipxFleet
from tests.support.named import HOST, Named

RULE = "=" * 100


def step(title: str) -> None:
    print(f"\n{RULE}\n{title}\n{RULE}", flush=True)


def plan_of(pillar_file: Path) -> None:
    """The plan of ``pillar_file``: each server's role, SRV names, failover peers and sipX values."""
    pillar = yaml.safe_load(pillar_file.read_text(encoding="utf-8")) or {}
    fleet = build_plan(pillar.get("sipxha"))
    step(f"0. the plan of {pillar_file.name}: SIP domain {fleet.domain}, master {fleet.master.minion_id}")
    for server in fleet.servers:
        processes = "every process" if server.processes is None else ", ".join(server.processes)
        print(f"  {server.minion_id} ({server.role}, index {server.index}) {server.fqdn} {server.address}")
        print(f"    registrar SRV {server.registrar_name}, auth proxy SRV {server.authproxy_name}")
        print(f"    fails over to {', '.join(server.fallbacks) or 'nobody'}; runs {processes}")
        for key, value in {**server.config_defs, **server.registrar_config, **server.proxy_config}.items():
            print(f"      {key} = {value}")


def highstate(fleet: SipxFleet, fun: str, *args: str) -> dict[str, Any]:
    """Run ``fun`` on every server and print, per server, how many states ran and changed."""
    started = time.monotonic()
    ret = fleet.salt("sipxpbx*", fun, *args)
    took = time.monotonic() - started
    data = ret.data if isinstance(ret.data, dict) else {}
    for minion_id in sorted(fleet.minions):
        states = data.get(minion_id)
        if not isinstance(states, dict):
            print(f"  {minion_id}: FAILED: {states or ret.stderr[-500:]}")
            continue
        changed = [s for s in states.values() if s.get("changes")]
        failed = [s for s in states.values() if s.get("result") is False]
        print(f"  {minion_id}: {len(states)} states, {len(changed)} changed, {len(failed)} failed")
        for state in changed:
            print(f"      changed: {state['__id__']}: {_short(fleet, state['comment'])}")
        for state in failed:
            print(f"      FAILED: {state['__id__']}: {state['comment'][:200]}")
    print(f"  ({fun} took {took:.1f}s across the fleet)")
    return data


def _short(fleet: SipxFleet, comment: str) -> str:
    """A state comment's first line, whole, with the sandbox folder (printed at the start) written as ``...``."""
    first = comment.splitlines()[0] if comment else ""
    return first.replace(f"{fleet.root}/", ".../")


def srv_records(named: Named, pillar: dict[str, Any]) -> None:
    """Every planned SRV name as the DNS server serves it, in RFC 2782 processing order."""
    print(f"\nSRV records as named on {HOST}:{named.port} serves them (RFC 2782 order, weight share):")
    lookup = lookup_at(HOST, named.port)
    for name, rdtype in group(planned_records(build_plan(pillar))):
        if rdtype != "SRV":
            continue
        groups = processing_order(lookup(name, "SRV"))
        text = "  then  ".join(
            f"prio {g['priority']}: " + ", ".join(f"{t['target'].split('.')[0]}:{t['port']}" for t in g["targets"])
            for g in groups
        )
        print(f"  {name.to_text():<40} {text or 'NOT SERVED'}")


def roles(fleet: SipxFleet) -> None:
    """Each server's role and the processes its WatchDog.xml still runs."""
    print("\nRoles and the processes each server's WatchDog.xml runs:")
    plan = fleet.salt("sipxpbx*", "sipxha.plan", "own=True").data
    for minion_id in sorted(fleet.minions):
        path = fleet.etc(minion_id) / "WatchDog.xml"
        enabled, disabled = watchdog.read(path.read_bytes(), str(path))
        role = plan[minion_id]["role"] if isinstance(plan.get(minion_id), dict) else "?"
        print(f"  {minion_id:<9} {role:<12} runs: {', '.join(enabled)}")
        if disabled:
            print(f"  {'':<22} commented out: {', '.join(disabled)}")


def certificates(fleet: SipxFleet) -> None:
    """The certificates the CA issued, and ``openssl verify`` of each installed one against the CA."""
    status = fleet.salt_run("sipxha_ca.status").data
    print(f"\nCertificates issued by the CA on the Salt master ({status['ca']['name']}):")
    for cert in status["issued"]:
        print(f"  {cert['minion']:<9} serial {cert['serial'][:12]}  until {cert['not_after'][:10]}  {cert['state']}")
        print(f"            SANs: {', '.join(cert['names'])}")
    for minion_id in sorted(fleet.minions):
        ssl = fleet.ssl(minion_id)
        cafile = ssl / "authorities" / "ca.example.com.crt"
        check = subprocess.run(
            ["openssl", "verify", "-CAfile", str(cafile), str(ssl / "ssl.crt")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        mode = oct((ssl / "ssl.key").stat().st_mode & 0o777)
        print(f"  openssl verify on {minion_id}: {check.stdout.strip() or check.stderr.strip()} (ssl.key {mode})")


def verification(fleet: SipxFleet, named: Named) -> bool:
    """The fleet-wide verification table (``salt-run sipxha.verify``); True when it says OK."""
    ret = fleet.salt_run("sipxha.verify", f"dns_server={HOST}", f"port={named.port}", "probe_timeout=0.5")
    text = ret.data if isinstance(ret.data, str) else ret.stdout
    print(text)
    return "Fleet: OK" in text


def uninstall(fleet: SipxFleet, named: Named) -> None:
    """Apply ``sipxha.uninstall`` everywhere and show what is left in DNS."""
    highstate(fleet, "state.apply", "sipxha.uninstall")
    lookup = lookup_at(HOST, named.port)
    left = lookup(dns.name.from_text("_sip._tcp.example.com."), "SRV")
    print(f"  SRV records left for _sip._tcp.example.com: {len(left)}")
    backups = sorted(p.name for p in (fleet.root / "sandbox").rglob("*.bak"))
    print(f"  .bak files left in the sandboxed sipX trees: {len(backups)}")
