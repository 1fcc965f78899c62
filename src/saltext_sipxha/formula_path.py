"""Where the installed copy of the SLS formula lives, for ``file_roots``.

``python -m saltext_sipxha.formula_path`` prints the folder to add to the master's ``file_roots``
(it holds ``sipxha/*.sls``, the reactor SLS files and ``pillar.example``, every pillar key with its default).
"""

from __future__ import annotations

from pathlib import Path

FORMULA_DIR = Path(__file__).resolve().parent / "formula"


def formula_dir() -> Path:
    """The folder that holds ``sipxha/`` (the formula), to put in ``file_roots``."""
    return FORMULA_DIR


def pillar_example() -> Path:
    """The shipped ``pillar.example``: every ``sipxha`` pillar key with its default and a comment."""
    return FORMULA_DIR / "pillar.example"


if __name__ == "__main__":
    print(formula_dir())
