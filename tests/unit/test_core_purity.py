"""The core must stay free of Salt so it can be reused, benchmarked and unit-tested alone."""

from __future__ import annotations

import ast
from pathlib import Path

import saltext_sipxha.core

CORE = Path(saltext_sipxha.core.__file__).parent


def test_core_never_imports_salt():
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "salt"]
    assert list(CORE.rglob("*.py")), "core package not found"
    assert offenders == []
