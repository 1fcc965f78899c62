"""One write path: no module outside ``core/files/`` writes, renames, links or removes a file itself.

An AST scan of every module of the package: calls of ``os.replace``/``rename``/``unlink``/``remove``/
``symlink``/``link``, writing ``os.open``, ``open(..., "w"/"a"/"x"/"+")``, ``Path.write_text``/``write_bytes``/
``unlink``/``rename``/``symlink_to``/``hardlink_to`` and ``shutil`` copies and moves are only allowed in
``core/files/`` (where the safety rules live), plus the small list below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import saltext_sipxha

PACKAGE = Path(saltext_sipxha.__file__).parent
WRITE_PATH = PACKAGE / "core" / "files"
OS_WRITES = {"replace", "rename", "renames", "unlink", "remove", "removedirs", "symlink", "link", "truncate"}
PATH_WRITES = {"write_text", "write_bytes", "unlink", "rename", "symlink_to", "hardlink_to", "touch"}
SHUTIL_WRITES = {"copy", "copy2", "copyfile", "copyfileobj", "move", "rmtree", "copytree"}
#: (module relative to the package, what it calls): the master-side CA folder's own writes (not a sipX file)
ALLOWED = {
    ("core/pki/ca.py", "os.replace"),  # a superseded CA file is kept as <name>.replaced
    ("core/pki/issued.py", "os.open"),  # the index's lock file, O_EXCL records and append-only logs
    ("core/pki/issued.py", "os.replace"),  # a version 1 index.json kept as index.json.migrated
    ("core/pki/issued.py", "?.unlink"),  # a one-time signing allowance used up
    ("core/rollout/lock.py", "os.open"),  # the master's fleet-wide rollout lock file (flock needs a descriptor)
}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return "?"


def _writing_mode(call: ast.Call, position: int) -> bool:
    modes = [kw.value for kw in call.keywords if kw.arg == "mode"]
    if len(call.args) > position:
        modes.append(call.args[position])
    return any(
        isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+")
        for mode in modes
    )


def writes_in(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, call)`` of every call in ``tree`` that changes the file system."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if (
            (name.startswith("os.") and attr in OS_WRITES)
            or (name.startswith("shutil.") and attr in SHUTIL_WRITES)
            or name == "os.open"
            or (attr in PATH_WRITES and not name.startswith("os."))
            or (name == "open" and _writing_mode(node, 1))
            or (attr == "open" and not name.startswith("os.") and _writing_mode(node, 0))
        ):
            found.append((node.lineno, name))
    return found


def test_no_module_outside_core_files_writes_a_file_itself():
    offenders = []
    for module in sorted(PACKAGE.rglob("*.py")):
        if WRITE_PATH in module.parents:
            continue
        relative = module.relative_to(PACKAGE).as_posix()
        for line, call in writes_in(ast.parse(module.read_text(encoding="utf-8"))):
            if (relative, call) not in ALLOWED:
                offenders.append(f"{relative}:{line}: {call}")
    assert not offenders, "write through saltext_sipxha.core.files instead:\n" + "\n".join(offenders)


def test_the_scan_finds_every_kind_of_write():
    """The scan can fail: each forbidden call is seen."""
    source = """
import os, shutil
from pathlib import Path
os.replace("a", "b"); os.unlink("a"); Path("a").write_text("x"); Path("a").unlink(); shutil.copy("a", "b")
open("a", "w"); open("a", mode="ab"); Path("a").open("w"); os.symlink("a", "b"); os.open("a", 0)
open("a"); open("a", "rb"); Path("a").read_bytes(); "text".replace("a", "b")
"""
    assert len(writes_in(ast.parse(source))) == 10
