"""Every state function's docstring shows a YAML usage example that names it (``salt-call sys.state_doc``)."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
import yaml

STATES = Path(__file__).resolve().parents[2] / "src" / "saltext_sipxha" / "states"


def _state_functions() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(STATES.glob("[!_]*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        virtualname = next(
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__virtualname__" for t in node.targets)
        )
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name != "mod_watch":
                found.append((virtualname, node.name, ast.get_docstring(node) or ""))
    return found


def _yaml_blocks(doc: str) -> list[str]:
    """The bodies of the docstring's ``.. code-block:: yaml`` directives."""
    blocks = []
    for match in re.finditer(r"^( *)\.\. code-block:: yaml\n\n((?:\1 +.*\n|\n)+)", doc + "\n", re.MULTILINE):
        blocks.append(textwrap.dedent(match.group(2)))
    return blocks


def test_there_are_state_functions():
    assert len(_state_functions()) >= 8


@pytest.mark.parametrize(("virtualname", "function", "doc"), _state_functions(), ids=lambda v: str(v)[:30])
def test_state_docstring_has_a_yaml_example(virtualname, function, doc):
    blocks = _yaml_blocks(doc)
    assert blocks, f"{virtualname}.{function}: no '.. code-block:: yaml' example"
    states = [yaml.safe_load(block) for block in blocks]
    used = {key for sls in states for body in sls.values() for key in body}
    assert f"{virtualname}.{function}" in used
