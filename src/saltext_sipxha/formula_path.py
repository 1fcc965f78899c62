"""Where the installed copy of the SLS formula lives, for ``file_roots``.

``python -m saltext_sipxha.formula_path`` prints the folder to add to the master's ``file_roots``
(it holds ``sipxha/*.sls`` and the reactor SLS files).
"""

from __future__ import annotations

from pathlib import Path

FORMULA_DIR = Path(__file__).resolve().parent / "formula"


def formula_dir() -> Path:
    """The folder that holds ``sipxha/`` (the formula), to put in ``file_roots``."""
    return FORMULA_DIR


if __name__ == "__main__":
    print(formula_dir())
