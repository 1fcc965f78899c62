"""The one safe XML parser of the extension, and byte-exact location of elements in the source text.

Every sipX XML file goes through :func:`parse`: lxml with entity resolution, network access, DTD
loading and huge trees all off; any DOCTYPE that declares an entity or points at an external DTD
is refused (XXE, billion laughs), so is a file over :data:`MAX_BYTES`, a wrong root element or a
wrong namespace. A DOCTYPE whose internal subset only declares elements and attributes (sipX's
``topology.xml``) is accepted.

The editors change sipX files as *text*, so everything they do not mean to change stays byte for
byte as it was (lxml's serializer would rewrite ``<x />`` as ``<x/>``, the XML declaration, ...).
:func:`element_spans` finds elements in the text and cross-checks them against lxml's tree, so a
text edit is only made where the parser agrees on what is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError

MAX_BYTES = 4 * 1024 * 1024
#: Comments, CDATA sections, processing instructions and the DOCTYPE: never searched for elements.
_OPAQUE = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_EXTERNAL_DTD = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\b")
_ATTRS = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
        collect_ids=False,
    )


def parse(
    data: bytes,
    path: str,
    root: str | None = None,
    namespaces: Iterable[str | None] | None = None,
) -> etree._ElementTree:
    """Parse ``data`` (the bytes of ``path``) safely; :class:`UnsafeFileError` names the file and the reason.

    ``root`` is the expected local name of the root element; ``namespaces`` the namespaces it may
    have (``None`` in the list allows no namespace). Both are checked when given.
    """
    if len(data) > MAX_BYTES:
        raise UnsafeFileError(path, f"is {len(data)} bytes, more than the {MAX_BYTES} a sipX file may have")
    if _ENTITY_DECL.search(data):
        raise UnsafeFileError(path, "declares XML entities (XXE / entity expansion): refused")
    if _EXTERNAL_DTD.search(data):
        raise UnsafeFileError(path, "refers to an external DTD: refused")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as err:
        raise UnsafeFileError(path, f"is not well-formed XML: {err}") from err
    _check_doctype(tree, path)
    _check_root(tree.getroot(), path, root, namespaces)
    return tree


def _check_doctype(tree: etree._ElementTree, path: str) -> None:
    info = tree.docinfo
    if info.system_url or info.public_id:
        raise UnsafeFileError(path, "refers to an external DTD: refused")
    dtd = info.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or dtd.system_url or dtd.external_id):
        raise UnsafeFileError(path, "has a DOCTYPE that declares entities: refused")
    for node in tree.getroot().iter():
        if isinstance(node, etree._Entity):
            raise UnsafeFileError(path, f"references the entity {node.text}: refused")


def _check_root(element: etree._Element, path: str, root: str | None, namespaces: Iterable[str | None] | None) -> None:
    qname = etree.QName(element)
    if root is not None and qname.localname != root:
        raise UnsafeFileError(path, f"has root element <{qname.localname}>, expected <{root}>")
    if namespaces is not None:
        allowed = tuple(namespaces)
        if qname.namespace not in allowed:
            shown = " or ".join(repr(ns) if ns else "no namespace" for ns in allowed)
            raise UnsafeFileError(path, f"has namespace {qname.namespace!r}, expected {shown}")


def localname(element: etree._Element) -> str:
    """The local name of an element (no namespace); "" for comments and PIs."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


@dataclass(frozen=True)
class Span:
    """Byte offsets of one element in the source: ``start:end`` the whole element, ``inner`` its content."""

    start: int
    end: int
    inner_start: int
    inner_end: int
    start_tag: bytes


def mask(data: bytes) -> bytes:
    """``data`` with comments, CDATA, PIs and the DOCTYPE blanked out (same length, so offsets hold)."""
    return _OPAQUE.sub(lambda m: b" " * len(m.group(0)), data)


def comment_spans(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of every real comment (not text inside CDATA, PIs or the DOCTYPE)."""
    return [m.span() for m in _OPAQUE.finditer(data) if m.group(0).startswith(b"<!--")]


def element_spans(data: bytes, tree: etree._ElementTree, name: str, path: str) -> list[tuple[etree._Element, Span]]:
    """Each ``<name>`` element of ``tree`` (document order) with its :class:`Span` in ``data``.

    Only unprefixed, non-nested elements (as sipX writes them) are supported; when the text and the
    parsed tree disagree on how many there are, :class:`UnsafeFileError` is raised and nothing is edited.
    """
    elements = [el for el in tree.getroot().iter() if localname(el) == name]
    pattern = re.compile(rb"<" + name.encode() + rb"(?=[\s/>])" + _ATTRS.encode() + rb"?(/>|>)", re.S)
    masked, spans, pos = mask(data), [], 0
    close = re.compile(rb"</" + name.encode() + rb"\s*>")
    while (found := pattern.search(masked, pos)) is not None:
        if found.group(1) == b"/>":
            spans.append(Span(found.start(), found.end(), found.end(), found.end(), data[found.start() : found.end()]))
            pos = found.end()
            continue
        end = close.search(masked, found.end())
        if end is None:
            break
        spans.append(Span(found.start(), end.end(), found.end(), end.start(), data[found.start() : found.end()]))
        pos = end.end()
    if len(spans) != len(elements):
        raise UnsafeFileError(path, f"has <{name}> elements the editor cannot locate safely (prefixed or nested)")
    return list(zip(elements, spans, strict=True))


def escape_text(text: str) -> bytes:
    """Character data as XML text content (``<`` ``>`` ``&`` escaped), UTF-8."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")


def escape_attr(text: str) -> bytes:
    """A value for a double-quoted attribute, UTF-8."""
    return escape_text(text).replace(b'"', b"&quot;")
