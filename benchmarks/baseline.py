"""The plain-Salt baseline: the files ``sipxha`` manages on a minion, as ``file.managed`` / ``file.symlink`` states.

After ``state.apply sipxha`` has converged a minion, :func:`install_baseline` copies each file it manages
(role files, DHCP configuration, key, certificate, CA and its hash link) into the master's state tree
under ``salt://sipxha_bench/<minion id>/`` and returns the pillar that lists them for
``benchmarks/baseline.sls`` (installed as the ``sipxha_bench`` SLS).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from saltext_sipxha.core.pki.servercert import SslLayout
from saltext_sipxha.core.plan.fleet import Fleet, build_plan
from saltext_sipxha.core.sipx.dhcp import plan_dhcp
from saltext_sipxha.core.sipx.role import plan_role

SLS = Path(__file__).with_name("baseline.sls")
NAME = "sipxha_bench"


def managed_paths(fleet: Fleet, minion_id: str) -> list[Path]:
    """Every file the ``sipxha`` SLS manages on ``minion_id`` (existing ones only)."""
    server = fleet.get_server(minion_id)
    paths = [Path(change.path) for change in plan_role(fleet, minion_id).changes]
    dhcp = plan_dhcp(fleet, minion_id)
    if dhcp is not None:
        paths.append(Path(dhcp.path))
    layout = SslLayout(Path(server.paths["ssl"]), fleet.pki.ca_name)
    paths += [layout.key, layout.cert, layout.ca_file]
    paths += sorted(entry for entry in layout.authorities.glob("*.0") if entry.is_symlink())
    return [path for path in paths if path.is_symlink() or path.exists()]


def install_baseline(state_root: Path, pillar: dict[str, Any], minion_ids: Iterable[str]) -> dict[str, Any]:
    """Copy the converged files into ``<state_root>/sipxha_bench/``; returns the ``sipxha_bench`` pillar key."""
    fleet = build_plan(pillar)
    target = state_root / NAME
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(SLS, target / "init.sls")
    listing: dict[str, list[dict[str, str]]] = {}
    for minion_id in minion_ids:
        items = listing.setdefault(minion_id, [])
        for index, path in enumerate(managed_paths(fleet, minion_id)):
            if path.is_symlink():
                items.append({"path": str(path), "target": os.readlink(path)})
                continue
            rel = f"{index:02d}-{path.name}"
            (target / minion_id).mkdir(exist_ok=True)
            shutil.copyfile(path, target / minion_id / rel)
            items.append({"path": str(path), "rel": rel, "mode": f"{path.stat().st_mode & 0o7777:04o}"})
    return {NAME: listing}
