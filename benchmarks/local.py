"""A masterless minion sandbox (``salt-call --local``) for the memory and masterless re-run figures.

:func:`local_minion` writes, under one folder: a minion config (``file_client: local``, ``file_roots`` the
repo's ``states/`` plus a bench state tree, ``pillar_roots``, every Salt path under the folder), a sipX
tree for ``sipxpbx1`` (the MS, also the DHCP server) and a local CA (``sipxha_pki:local_ca``, the
masterless way of signing). Nothing is started: each :meth:`LocalMinion.call` is one ``salt-call`` process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import salt.utils.yaml

from benchmarks.baseline import NAME as BASELINE
from benchmarks.baseline import install_baseline
from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.plan.settings import PkiSettings
from tests.support import pillars
from tests.support.sipxtree import write_sipx_tree

REPO = Path(__file__).resolve().parents[1]
MINION = "sipxpbx1"
PASSPHRASE = "sipxha-bench-passphrase"
CALL_TIMEOUT = 120


@dataclass
class LocalMinion:
    """One masterless minion's config folder, state tree and pillar."""

    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "conf"

    def call(self, *args: str, hide_extension: bool = False, rss_out: Path | None = None) -> tuple[Any, float]:
        """One ``salt-call --local`` process (JSON output): its return and wall time in seconds."""
        prefix = [sys.executable, "-m", "benchmarks.rss_call", str(rss_out or self.root / "rss.json")]
        prefix += ["--hide-extension"] if hide_extension else []
        command = [*prefix, "--", "--local", "-c", str(self.config_dir), "--out=json", "--log-level=quiet", *args]
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=CALL_TIMEOUT, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"salt-call {' '.join(args)} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
        return json.loads(proc.stdout)["local"], seconds

    def pillar(self) -> dict[str, Any]:
        etc = self.root / "sandbox" / "etc" / "sipxpbx"
        pillar = pillars.fleet(3)
        pillar["servers"][MINION]["paths"] = {"etc": str(etc), "ssl": str(etc / "ssl")}
        pillar["dhcp"] = pillars.dhcp(MINION, str(self.root / "sandbox" / "kea" / "kea-dhcp4.conf"))
        pillar["pki"] = {"ca_name": "ca.example.com"}
        return pillar

    def write_pillar(self, data: dict[str, Any]) -> None:
        (self.root / "pillar" / "top.sls").write_text("base:\n  '*':\n    - bench\n", encoding="utf-8")
        with open(self.root / "pillar" / "bench.sls", "w", encoding="utf-8") as handle:
            salt.utils.yaml.safe_dump(data, handle, default_flow_style=False)


def _minion_config(root: Path) -> dict[str, Any]:
    return {
        "id": MINION,
        "root_dir": str(root / "salt"),
        "file_client": "local",
        "file_roots": {"base": [str(REPO / "states"), str(root / "state")]},
        "pillar_roots": {"base": [str(root / "pillar")]},
        "sipxha_pki": {"local_ca": {"dir": str(root / "ca"), "passphrase_file": str(root / "ca-passphrase")}},
        "log_file": str(root / "salt" / "minion.log"),
    }


def local_minion(root: Path) -> LocalMinion:
    """Write the sandbox, converge it with ``state.apply sipxha`` and install the baseline SLS."""
    minion = LocalMinion(root)
    for folder in ("conf", "state", "pillar", "salt", "sandbox/kea"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    with open(minion.config_dir / "minion", "w", encoding="utf-8") as handle:
        salt.utils.yaml.safe_dump(_minion_config(root), handle, default_flow_style=False)
    (root / "ca-passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    CertificateAuthority(root / "ca", PASSPHRASE.encode()).create("ca.example.com", PkiSettings("ca.example.com"))
    pillar = minion.pillar()
    write_sipx_tree(Path(pillar["servers"][MINION]["paths"]["etc"]), f"{MINION}.example.com", "192.0.2.11")
    minion.write_pillar({"sipxha": pillar})
    minion.call("state.apply", "sipxha")
    minion.write_pillar({"sipxha": pillar, **install_baseline(root / "state", pillar, [MINION])})
    minion.call("state.apply", BASELINE)
    return minion
