"""``make demo``: show what saltext-sipxha plans for ``pillar.example``.

Prints each server's role, SRV names, processes and the sipX values it gets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan import build_plan

REPO = Path(__file__).resolve().parents[1]


def show_plan(pillar_file: Path) -> None:
    """Print the plan of ``pillar_file``'s ``sipxha`` pillar as a readable summary."""
    pillar = yaml.safe_load(pillar_file.read_text(encoding="utf-8")) or {}
    fleet = build_plan(pillar.get("sipxha"))
    print(f"Plan for {pillar_file.name}: SIP domain {fleet.domain}, realm {fleet.realm}")
    print(f"Master server: {fleet.master.minion_id}")
    for server in fleet.servers:
        processes = "every process" if server.processes is None else ", ".join(server.processes)
        print(f"\n  {server.minion_id} ({server.role}, index {server.index}) {server.fqdn} {server.address}")
        print(f"    registrar SRV {server.registrar_name}, auth proxy SRV {server.authproxy_name}")
        print(f"    fails over to {', '.join(server.fallbacks) or 'nobody'}; runs {processes}")
        for key, value in {**server.config_defs, **server.registrar_config, **server.proxy_config}.items():
            print(f"    {key} = {value}")
    print(f"\n  DHCP: {fleet.dhcp.server}; CA: {fleet.pki.ca_name}")


def main() -> int:
    try:
        show_plan(REPO / "pillar.example")
    except PillarError as err:
        print(f"Invalid pillar: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
