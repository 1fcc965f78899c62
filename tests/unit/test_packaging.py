"""Package metadata the index accepts, README links that work there, and user-facing words (the built sdist and
wheel are checked in tests/packaging)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from saltext_sipxha.formula_path import formula_dir, pillar_example

REPO = Path(__file__).resolve().parents[2]


def test_formula_path_is_the_repository_formula():
    assert (formula_dir() / "sipxha" / "init.sls").read_bytes() == (REPO / "states/sipxha/init.sls").read_bytes()


def _metadata() -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    return config["metadata"]


def test_classifiers_are_known_to_the_index():
    """The index rejects unknown classifiers (``Framework :: Salt`` is not one); twine does not check them."""
    trove = pytest.importorskip("trove_classifiers")
    classifiers = [line for line in _metadata()["classifiers"].splitlines() if line.strip()]
    assert [c for c in classifiers if c not in trove.classifiers] == []
    assert [c for c in classifiers if c in trove.deprecated_classifiers] == []
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)


def test_declared_python_versions_match_requires_python():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    lowest = config["options"]["python_requires"].removeprefix(">=")
    versions = [
        c.rsplit(" ", 1)[1] for c in _metadata()["classifiers"].splitlines() if c.count("::") == 2 and ":: 3." in c
    ]
    assert versions[0] == lowest and versions == [f"3.{minor}" for minor in range(10, 10 + len(versions))]
    assert "salt-extension" in _metadata()["keywords"]


def test_pillar_example_ships_with_the_formula():
    assert pillar_example().read_bytes() == (REPO / "pillar.example").read_bytes()


def test_readme_links_work_on_the_index_page():
    """The index renders README.md without the repository around it: links must be absolute (or anchors)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    relative = [m for m in re.findall(r"\]\(([^)]+)\)", readme) if not m.startswith(("https://", "#"))]
    assert relative == []


def test_user_facing_text_names_no_internal_documents():
    """Users read the README, pillar.example, the docs, the formula and the loader docstrings: they know sipX's
    HA Setup guide and this product's docs, not the project's internal working documents."""
    loader = [REPO / "src/saltext_sipxha" / kind for kind in ("modules", "states", "runners", "beacons", "pillar")]
    files = [REPO / "README.md", REPO / "pillar.example", REPO / "CHANGELOG.md"]
    files += [p for folder in (REPO / "docs", REPO / "states", REPO / "examples", *loader) for p in folder.rglob("*")]
    internal = re.compile(r"\b((?i:the seed|seed's)|CONTRACT)\b")
    found = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in files
        if path.is_file()
        and path.suffix in {".md", ".sls", ".example", ".py", ".conf", ".rst", ""}
        and "_build" not in path.parts
        for match in internal.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []
