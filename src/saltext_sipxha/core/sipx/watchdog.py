"""WatchDog.xml: comment out and restore ``<process>`` entries by name.

A distributed server keeps only its ``ds_processes``; every other ``<process>`` element is turned
into a comment that starts with :data:`MARKER`, holding the element's exact text, so a later role
change (DS promoted to MS) restores it byte for byte. A comment that holds nothing but one
``<process>`` element (a process commented out by hand, e.g. on a distributed server trimmed before
sipxha arrived) is uncommented too when that process is wanted (on a master: every process). Other
comments stay: the stock file's own ``<!-- Not implemented yet. <process name="ConferenceBridge"> -->``
is a note, not a process element, and stays as it is.

The file is edited as text (see :mod:`.xmlsafe`), before and after which it must parse safely
with root ``<watchdog>`` in the sipX watchdog namespace (or none, as some installs have it).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.xmlsafe import comment_spans, element_spans, localname, parse

NAMESPACE = "http://www.sipfoundry.org/sipX/schema/xml/watchdog-00-00"
NAMESPACES = (NAMESPACE, None)
ROOT = "watchdog"
MARKER = "sipxha-disabled: "
_OURS = re.compile(rb"<!-- " + MARKER.encode() + rb"(.*?) -->", re.S)


def _escape(text: bytes) -> bytes:
    """Make ``text`` legal inside a comment, reversibly: no ``--`` survives.

    ``\\`` is doubled, and a ``-`` followed by another ``-`` gets a ``\\`` after it; :func:`_unescape` undoes both.
    """
    return re.sub(rb"-(?=-)", rb"-\\", text.replace(b"\\", b"\\\\"))


def _unescape(text: bytes) -> bytes:
    return re.sub(rb"\\(.)", rb"\1", text, flags=re.S)


def _process_name(fragment: bytes, path: str) -> str:
    """The name of a commented-out process of ours (the fragment parsed safely on its own)."""
    element = parse(fragment, path, root="process").getroot()
    name = element.get("name")
    if not name:
        raise UnsafeFileError(path, "has a sipxha-disabled comment without a process name")
    return str(name)


def read(data: bytes, path: str) -> tuple[list[str], list[str]]:
    """(enabled process names, names of processes commented out by sipxha), in file order."""
    tree = parse(data, path, ROOT, NAMESPACES)
    enabled = [el.get("name", "") for el in tree.getroot().iter() if localname(el) == "process"]
    disabled = [_process_name(_unescape(m.group(1)), path) for m in _OURS.finditer(data)]
    return enabled, disabled


def set_enabled(data: bytes, path: str, keep: Collection[str] | None) -> bytes:
    """WatchDog.xml text with only ``keep`` enabled (``None``: every process, restoring ours).

    Processes commented out by sipxha and named in ``keep`` are restored exactly; enabled ones not
    in ``keep`` are commented out. Unchanged input comes back as the same bytes.
    """
    tree = parse(data, path, ROOT, NAMESPACES)
    out = _restore(data, path, keep)
    if out is not data:
        tree = parse(out, path, ROOT, NAMESPACES)
    out = _disable(out, tree, path, keep)
    enabled, _ = read(out, path)
    unwanted = [name for name in enabled if keep is not None and name not in keep]
    if unwanted:
        raise UnsafeFileError(path, f"still runs {', '.join(unwanted)} after editing: left untouched")
    return out


def _restore(data: bytes, path: str, keep: Collection[str] | None) -> bytes:
    def put_back(match: re.Match[bytes]) -> bytes:
        original = _unescape(match.group(1))
        return original if keep is None or _process_name(original, path) in keep else match.group(0)

    restored = _OURS.sub(put_back, data)
    restored = _restore_by_hand(restored, path, keep)
    return data if restored == data else restored


def _hand_commented(fragment: bytes) -> str | None:
    """The process name when a comment's text is exactly one ``<process name=...>`` element."""
    fragment = fragment.strip()
    if not fragment.startswith(b"<process") or fragment.startswith(MARKER.encode()):
        return None
    try:
        element = parse(fragment, "comment", root="process").getroot()
    except UnsafeFileError:
        return None
    return element.get("name") or None


def commented_out(data: bytes, path: str) -> list[str]:
    """Names of every ``<process>`` commented out (by sipxha or by hand), in file order."""
    parse(data, path, ROOT, NAMESPACES)
    names = [_hand_commented(data[start + 4 : end - 3]) for start, end in comment_spans(data)]
    return [name for name in names if name] + read(data, path)[1]


def _restore_by_hand(data: bytes, path: str, keep: Collection[str] | None) -> bytes:
    out, last = [], 0
    for start, end in comment_spans(data):
        name = _hand_commented(data[start + 4 : end - 3])
        if name is None or (keep is not None and name not in keep):
            continue
        out += [data[last:start], data[start + 4 : end - 3].strip()]
        last = end
    return data if last == 0 else b"".join(out) + data[last:]


def _disable(data: bytes, tree: etree._ElementTree, path: str, keep: Collection[str] | None) -> bytes:
    if keep is None:
        return data
    out, last = [], 0
    for element, span in element_spans(data, tree, "process", path):
        if element.get("name") in keep:
            continue
        out += [data[last : span.start], b"<!-- ", MARKER.encode(), _escape(data[span.start : span.end]), b" -->"]
        last = span.end
    return data if last == 0 else b"".join(out) + data[last:]
