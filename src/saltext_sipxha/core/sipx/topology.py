"""topology.xml(.in) on the master: one ``<location>`` per server of the fleet.

The stock template (``sipXconfig/neoconf/etc/topology.xml.in``) has the master's own location
(``https://${MY_FULL_HOSTNAME}:...``) and a commented-out example for one distributed server;
HaSetup has the admin uncomment it by hand. sipxha instead adds a location of its own for every
server that no location lists yet, with ``id="sipxha: <fqdn>"``, and only ever removes or rewrites
locations with that id: the stock ones, comments and the DOCTYPE (element declarations only, no
entities) stay byte for byte. With no servers (a demoted master), every sipxha location goes and
the file is back to what it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.xmlsafe import element_spans, escape_attr, localname, parse

ROOT = "topology"
ID_PREFIX = "sipxha: "
TEMPLATE_HOST = "${MY_FULL_HOSTNAME}"
TEMPLATE_PORT = "${CONFIG_SERVER_HTTPS_PORT}"
_HOST = re.compile(r"^\s*https?://([^:/\s]+)")
_LOCATION = """   <location id="{id}">
{components}      <replication_url>
         https://{host}:{port}/cgi-bin/replication/replication.cgi
      </replication_url>
      <agent_url>
         https://{host}:{port}/cgi-bin/processmonitor/process.cgi
      </agent_url>
   </location>
"""


@dataclass(frozen=True)
class Member:
    """One server as the topology lists it."""

    fqdn: str
    index: int
    is_master: bool


def hosts(tree: etree._ElementTree) -> dict[str, str]:
    """Location id -> the host of its replication URL."""
    listed = {}
    for location in tree.getroot():
        if localname(location) == "location":
            url = next((c.text or "" for c in location if localname(c) == "replication_url"), "")
            match = _HOST.match(url)
            listed[location.get("id", "")] = match.group(1) if match else ""
    return listed


def set_locations(data: bytes, path: str, members: Sequence[Member], port: str, own: Sequence[str] = ()) -> bytes:
    """The file listing every member once; ``own`` are the names the master's stock location uses for itself."""
    tree = parse(data, path, ROOT, (None,))
    kept = _without_ours(data, tree, path)
    kept_tree = parse(kept, path, ROOT, (None,)) if kept is not data else tree
    listed = {host for ident, host in hosts(kept_tree).items() if not ident.startswith(ID_PREFIX)}
    taken = {c.get("id") for c in kept_tree.getroot().iter() if localname(c) == "component"}
    blocks = []
    for member in members:
        names = {member.fqdn, *own} if member.is_master else {member.fqdn}
        if not names & listed:
            blocks.append(_block(member, port, taken))
    if not blocks:
        return data if kept == data else kept
    close = kept.rfind(b"</topology")
    if close < 0:
        raise UnsafeFileError(path, "has no </topology> end tag where the editor can add locations")
    at = kept.rfind(b"\n", 0, close) + 1
    if kept[at:close].strip():
        at = close
    result = kept[:at] + "".join(blocks).encode("utf-8") + kept[at:]
    return data if result == data else result


def _block(member: Member, port: str, taken: set[str | None]) -> str:
    components = []
    kinds: tuple[tuple[str, str], ...] = (("MediaServer", "media-server"),) if member.is_master else ()
    kinds += (("CommServer", "comm-server"),)
    for prefix, kind in kinds:
        ident = f"{prefix}{member.index}"
        if ident in taken:
            ident = f"{ident}-{member.fqdn}"
        components.append(f'      <component id="{ident}" type="{kind}" />\n')
    ident = escape_attr(ID_PREFIX + member.fqdn).decode()
    return _LOCATION.format(id=ident, components="".join(components), host=member.fqdn, port=port)


def _without_ours(data: bytes, tree: etree._ElementTree, path: str) -> bytes:
    """``data`` without the locations sipxha added (each with its indentation and line end)."""
    out, last = [], 0
    for element, span in element_spans(data, tree, "location", path):
        if not element.get("id", "").startswith(ID_PREFIX):
            continue
        start = data.rfind(b"\n", 0, span.start) + 1
        start = start if not data[start : span.start].strip() else span.start
        end = span.end + 1 if data[span.end : span.end + 1] == b"\n" else span.end
        out.append(data[last:start])
        last = end
    return data if last == 0 else b"".join(out) + data[last:]
