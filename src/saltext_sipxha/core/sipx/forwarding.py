"""forwardingrules.xml(.in): route the local domain's requests to this server's registrar SRV name.

What changes, from the real files: the stock sipX 3.x template routes the local route's catch-all
requests (the ``<routeTo>`` directly in ``<route mappingType="local">`` and directly in its
``<methodMatch>``) to ``<${REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT}>``; the HA commit (sipXtapi
3854821) adds ``;transport=tcp`` to exactly those two, and sipXconfig's HA output
(``forwardingrules-ha.test.xml``) points them at the registrar SRV name (``rr.<fqdn>`` there).
``<routeTo>`` inside a ``<fieldMatch>`` (status server, reg events), nested method matches and other
routes are left alone, and so are any other URI parameters (``x-sipx-routetoreg``) and attributes.

In the ``.in`` template the host stays ``${REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT}`` (sipX expands it
from ``config.defs``, which sipxha sets); in the effective file it is the SRV name itself.
"""

from __future__ import annotations

from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.xmlsafe import element_spans, escape_text, localname, parse

NAMESPACE = "http://www.sipfoundry.org/sipX/schema/xml/forwardingrules-00-00"
NAMESPACES = (None, NAMESPACE)
ROOT = "routes"
TEMPLATE_HOST = "${REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT}"


def registrar_routes(tree: etree._ElementTree) -> list[etree._Element]:
    """The ``<routeTo>`` elements that send the local domain's requests to the registrar."""
    found = []
    for route in tree.getroot():
        if localname(route) != "route" or route.get("mappingType") != "local":
            continue
        for child in route:
            if localname(child) == "routeTo":
                found.append(child)
            elif localname(child) == "methodMatch":
                found.extend(grand for grand in child if localname(grand) == "routeTo")
    return found


def route_uri(current: str, host: str) -> str:
    """``<host;transport=tcp;...>`` keeping every other parameter of ``current``."""
    inner = current.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    params = [p for p in inner.split(";")[1:] if p and not p.lower().startswith("transport=")]
    return "<" + ";".join([host, "transport=tcp", *params]) + ">"


def set_registrar(data: bytes, path: str, host: str) -> bytes:
    """The file with every registrar route pointing at ``<host;transport=tcp>``; same bytes when already so."""
    tree = parse(data, path, ROOT, NAMESPACES)
    wanted = registrar_routes(tree)  # kept alive: lxml proxies compare by identity
    if not wanted:
        raise UnsafeFileError(path, 'has no <routeTo> in a <route mappingType="local">: not sipX forwarding rules')
    out, last = [], 0
    for element, span in element_spans(data, tree, "routeTo", path):
        if not any(element is route for route in wanted):
            continue
        if len(element):
            raise UnsafeFileError(path, "has a <routeTo> with child nodes: left untouched")
        new = route_uri(element.text or "", host)
        if new == (element.text or ""):
            continue
        out += [data[last : span.inner_start], escape_text(new)]
        last = span.inner_end
    return data if last == 0 else b"".join(out) + data[last:]
