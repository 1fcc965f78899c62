"""The package as the index and a Salt user get it: ``python -m build``, ``twine check --strict``, a complete
sdist, and the wheel installed alone in a clean venv, where Salt's loader finds the modules and the formula
and ``pillar.example`` are on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: the pins of the default matrix entry (the Python this suite runs on), so the clean venv is reproducible
CONSTRAINTS = REPO / "constraints" / f"salt3008-py{sys.version_info.major}{sys.version_info.minor}.txt"
MINION_CONFIG = """\
id: wheel-test
root_dir: {root}
file_client: local
log_file: {root}/minion.log
"""


def _run(argv: list[str | Path], timeout: int = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built the way a release is (the wheel from the sdist).

    ``--no-isolation``: the build backend is this venv's pinned setuptools (the ``release`` extra), which
    saves two throw-away build environments per run.
    """
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO])
    (sdist,) = out.glob("saltext_sipxha-*.tar.gz")
    (wheel,) = out.glob("saltext_sipxha-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_twine_check_strict(dist):
    result = _run([sys.executable, "-m", "twine", "check", "--strict", dist["sdist"], dist["wheel"]])
    assert result.stdout.count("PASSED") == 2


def test_sdist_is_the_whole_project(dist):
    with tarfile.open(dist["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in (
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "pillar.example",
        "Makefile",
        "states/sipxha/init.sls",
        "states/sipxha/reactor/cert_expiring.sls",
        "states/sipxha/reactor/restart_needed.sls",
        "examples/master.d/sipxha.conf",
        "docs/conf.py",
        "docs/index.md",
        "tests/conftest.py",
        "tests/unit/test_core_purity.py",
    ):
        assert required in names, required
    assert not any(name.startswith(("docs/_build/", "docs/ref/", ".venv")) for name in names)


def test_wheel_ships_formula_pillar_example_license_and_entry_point(dist):
    with zipfile.ZipFile(dist["wheel"]) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    shipped = {n.split("saltext_sipxha/formula/", 1)[1] for n in names if "saltext_sipxha/formula/" in n}
    in_repo = {str(p.relative_to(REPO / "states")) for p in (REPO / "states").rglob("*.sls")}
    assert (
        in_repo <= shipped
        and {"sipxha/reactor/cert_expiring.sls", "sipxha/reactor/restart_needed.sls", "pillar.example"} <= shipped
    )
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "[salt.loader]" in entry_points and "saltext_sipxha = saltext_sipxha" in entry_points
    for folder in ("modules", "states", "runners", "beacons", "pillar"):
        assert any(n.startswith(f"saltext_sipxha/{folder}/") and n.endswith(".py") for n in names), folder
    assert "Requires-Python: >=3.10" in metadata and "Classifier: Framework :: Salt" not in metadata


@pytest.mark.timeout(900)
def test_wheel_alone_in_a_clean_venv(dist, tmp_path):
    """No checkout on the path: only the wheel and its dependencies, as ``pip install saltext-sipxha`` does."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-input"]
    if CONSTRAINTS.exists():
        pip += ["--constraint", CONSTRAINTS]
    _run([*pip, dist["wheel"]], timeout=900)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "minion").write_text(MINION_CONFIG.format(root=tmp_path / "root"), encoding="utf-8")
    listed = _run(
        [venv / "bin" / "salt-call", "--local", "--config-dir", conf, "--out", "json", "sys.list_functions", "sipxha"],
        cwd=tmp_path,
        env=env,
    )
    functions = json.loads(listed.stdout)["local"]
    assert {"sipxha.plan", "sipxha.srv_records", "sipxha.zone", "sipxha.verify"} <= set(functions)
    where = _run([python, "-m", "saltext_sipxha.formula_path"], cwd=tmp_path, env=env).stdout.strip()
    formula = Path(where)
    assert formula.is_relative_to(venv.resolve()) and not formula.is_relative_to(REPO)
    assert (formula / "sipxha" / "init.sls").is_file()
    assert (formula / "pillar.example").read_bytes() == (REPO / "pillar.example").read_bytes()
