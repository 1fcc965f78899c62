"""The built wheel carries the SLS formula and the package-form salt.loader entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from saltext_sipxha.formula_path import formula_dir

REPO = Path(__file__).resolve().parents[2]


def test_formula_path_is_the_repository_formula():
    assert (formula_dir() / "sipxha" / "init.sls").read_bytes() == (REPO / "states/sipxha/init.sls").read_bytes()


def test_wheel_ships_formula_and_entry_point(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("saltext_sipxha-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    shipped = {n.split("saltext_sipxha/formula/", 1)[1] for n in names if "saltext_sipxha/formula/" in n}
    in_repo = {str(p.relative_to(REPO / "states")) for p in (REPO / "states").rglob("*.sls")}
    assert in_repo <= shipped and "sipxha/reactor/cert_expiring.sls" in shipped
    assert "[salt.loader]" in entry_points and "saltext_sipxha = saltext_sipxha" in entry_points
    for folder in ("modules", "states", "runners", "beacons", "pillar"):
        assert any(n.startswith(f"saltext_sipxha/{folder}/") and n.endswith(".py") for n in names), folder
