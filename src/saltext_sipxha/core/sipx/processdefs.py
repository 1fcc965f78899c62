"""ProcessDefinitions.xml: the ``<start control="true|false">`` of each process, by role.

HaSetup ("Disable non-replicated services on the Distributed Server") sets ``control="false"`` for
every process a DS does not run. Everything else gets the value of the original file (the backup
taken before sipxha's first edit), so a DS promoted to master starts exactly what it started before;
the stock file's own ``false`` values (ConfigServer, ConferenceBridge on some installs) stay.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.xmlsafe import element_spans, localname, mask, parse

NAMESPACE = "http://www.sipfoundry.org/sipX/schema/xml/processdefinitions-00-00"
NAMESPACES = (NAMESPACE, None)
ROOT = "process_definitions"
_START = re.compile(rb"""<start(?=[\s>/])[^>]*?\scontrol\s*=\s*(["'])(.*?)\1""", re.S)


def start_controls(data: bytes, path: str) -> dict[str, str]:
    """Process name -> its ``<start control>`` value."""
    tree = parse(data, path, ROOT, NAMESPACES)
    processes = (el for el in tree.getroot().iter() if localname(el) == "process")
    return {el.get("name", ""): value for el in processes if (value := start_controls_of(el)) is not None}


def set_start_controls(
    data: bytes, path: str, keep: Collection[str] | None, original: Mapping[str, str] | None = None
) -> bytes:
    """The file with ``control="false"`` for processes not in ``keep`` and the ``original`` value for the rest.

    ``keep`` None means a master (every process as originally). Unchanged input comes back as is.
    """
    tree = parse(data, path, ROOT, NAMESPACES)
    original = original or {}
    out, last, masked = [], 0, mask(data)
    for element, span in element_spans(data, tree, "process", path):
        name = element.get("name", "")
        current = start_controls_of(element)
        if current is None:
            continue
        wanted = "false" if keep is not None and name not in keep else original.get(name, current)
        if wanted == current:
            continue
        found = _START.search(masked, span.start, span.end)
        if found is None or found.group(2).decode() != current:
            raise UnsafeFileError(path, f"has a <start> of process {name} the editor cannot locate safely")
        at = found.start(2)
        out += [data[last:at], wanted.encode()]
        last = at + len(found.group(2))
    result = data if last == 0 else b"".join(out) + data[last:]
    if result is not data and start_controls(result, path) != _expected(data, path, keep, original):
        raise UnsafeFileError(path, "editing <start control> gave an unexpected result: left untouched")
    return result


def start_controls_of(process: Any) -> str | None:
    """The ``<start control>`` of one parsed ``<process>`` element, None when it has none."""
    start = next((child for child in process if localname(child) == "start"), None)
    return None if start is None else start.get("control")


def _expected(data: bytes, path: str, keep: Collection[str] | None, original: Mapping[str, str]) -> dict[str, str]:
    return {
        name: "false" if keep is not None and name not in keep else original.get(name, value)
        for name, value in start_controls(data, path).items()
    }
