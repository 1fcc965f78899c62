"""Sphinx configuration: the saltext-sipxha documentation site (``make docs``, warnings are errors).

The Markdown pages (``docs/*.md``, ``docs/guide/*.md``) are read by myst-parser; the README's sections are
included, not copied. One reference page per Salt loader module is generated below from the package's folders
(``docs/ref/``, not in git), so a new loader module gets its page without anyone writing it.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PACKAGE = DOCS.parent / "src" / "saltext_sipxha"
sys.path.insert(0, str(PACKAGE.parent))

import saltext_sipxha  # noqa: E402

project = "saltext-sipxha"
author = "saltext-sipxha contributors"
copyright = "saltext-sipxha contributors"
release = version = saltext_sipxha.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "benchmarks.json"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# The README's sections start at "##"/"###" inside pages that have their own title.
suppress_warnings = ["myst.header"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
add_module_names = False  # functions read as Salt shows them: sipxha_dns page, zonefile(...)
autodoc_default_options = {"members": True}
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"saltext-sipxha {release}"

#: loader folder -> (what Salt calls one module of it, the title of its index page)
KINDS = {
    "modules": ("execution module", "Execution modules"),
    "states": ("state module", "State modules"),
    "runners": ("runner module", "Runner modules"),
    "beacons": ("beacon", "Beacons"),
    "pillar": ("ext_pillar", "External pillars"),
}


def loader_modules() -> dict[str, list[tuple[str, str]]]:
    """Per loader folder: (Salt name, import path) of every module in it.

    Read from the source, not imported: importing Salt here would install Salt's logger class before the
    extensions load, and it drops the warning types that ``suppress_warnings`` matches.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS:
        found[kind] = []
        for path in sorted((PACKAGE / kind).glob("[!_]*.py")):
            found[kind].append((_virtualname(path) or path.stem, f"saltext_sipxha.{kind}.{path.stem}"))
    return found


def _virtualname(path: Path) -> str | None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__virtualname__" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def _write(path: Path, text: str) -> None:
    """Write only when the text changed, so incremental builds stay incremental."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _heading(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def generate_reference() -> None:
    ref = DOCS / "ref"
    index = [
        _heading("Reference"),
        "Generated from the loader modules' docstrings.\n",
        ".. toctree::",
        "   :maxdepth: 2\n",
    ]
    for kind, modules in loader_modules().items():
        title, plural = KINDS[kind]
        index.append(f"   {kind}/index")
        kind_index = [_heading(plural), ".. toctree::", "   :maxdepth: 1\n"]
        for salt_name, import_path in modules:
            kind_index.append(f"   {salt_name}")
            page = [_heading(f"{salt_name} ({title})"), f".. automodule:: {import_path}", ""]
            _write(ref / kind / f"{salt_name}.rst", "\n".join(page))
        _write(ref / kind / "index.rst", "\n".join(kind_index) + "\n")
    _write(ref / "index.rst", "\n".join(index) + "\n")


generate_reference()
