"""The sandboxed sipX server the fault tests break: its tree, its pillar, and byte+mode snapshots.

``snapshot(root)`` maps every entry under ``root`` (recursively, symlinks as links) to its bytes and mode,
so a test can say "nothing changed" (equal snapshots) or "every file is its old or its new version".
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.support import pillars
from tests.support.sipxtree import write_sipx_tree
from tests.support.snapshot import Snapshot, tree_snapshot

MINION_ID = "sipxpbx1"
FQDN, ADDRESS = "sipxpbx1.example.com", "192.0.2.11"
XML_FILES = (
    "WatchDog.xml",
    "ProcessDefinitions.xml",
    "forwardingrules.xml",
    "forwardingrules.xml.in",
    "topology.xml",
    "topology.xml.in",
)


def make_server(root: Path) -> tuple[Path, Path]:
    """A stock sipX 3.x tree for :data:`MINION_ID` under ``root``; returns ``(etc, ssl)`` (ssl not created)."""
    etc = Path(root) / "etc" / "sipxpbx"
    write_sipx_tree(etc, FQDN, ADDRESS)
    return etc, etc / "ssl"


def pillar_for(
    etc: Path, role: str = "distributed", count: int = 3, ssl: Path | None = None, **extra: Any
) -> dict[str, Any]:
    """A ``count``-server pillar in which :data:`MINION_ID` has ``role``, its files under ``etc`` (and ``ssl``)."""
    pillar = pillars.fleet(count, **copy.deepcopy(extra))
    if role == "distributed":
        pillar["servers"][MINION_ID]["role"] = "distributed"
        pillar["servers"]["sipxpbx2"]["role"] = "master"
    ssl = Path(etc) / "ssl" if ssl is None else ssl
    pillar["servers"][MINION_ID]["paths"] = {"etc": str(etc), "ssl": str(ssl)}
    pillar.setdefault("pki", {"ca_name": "ca.example.com"})
    return pillar


snapshot = tree_snapshot


def changed_entries(before: Snapshot, after: Snapshot) -> list[str]:
    """The entries that differ (added, removed, other bytes or mode)."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
