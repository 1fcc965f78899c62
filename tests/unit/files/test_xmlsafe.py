"""core.xmlsafe: the one safe parser refuses hostile and wrong files, and locates elements byte-exactly."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files import xmlsafe
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx import watchdog
from saltext_sipxha.core.sipx.role import plan_role
from tests.support import pillars
from tests.support.sipxtree import TOPOLOGY_IN, watchdog_xml, write_sipx_tree

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE watchdog [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<watchdog xmlns="http://www.sipfoundry.org/sipX/schema/xml/watchdog-00-00">&xxe;</watchdog>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE watchdog [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<watchdog>&lol2;</watchdog>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE watchdog [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<watchdog/>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE watchdog SYSTEM "http://127.0.0.1:9/watchdog.dtd">
<watchdog/>
"""
UNDECLARED = b"<watchdog>&nbsp;</watchdog>"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (XXE, "entities"),
        (LAUGHS, "entities"),
        (PARAMETER_ENTITY, "entities"),
        (EXTERNAL_DTD, "external DTD"),
        (UNDECLARED, "not well-formed"),
        (watchdog_xml("a.example.com").encode()[:-40], "not well-formed"),
        (b"", "not well-formed"),
        (b"<routes/>", "root element <routes>, expected <watchdog>"),
        (b'<watchdog xmlns="urn:other"/>', "namespace 'urn:other'"),
    ],
    ids=["xxe", "billion-laughs", "parameter-entity", "external-dtd", "undeclared", "truncated", "empty", "root", "ns"],
)
def test_refused(data, reason):
    with pytest.raises(UnsafeFileError, match=reason) as caught:
        xmlsafe.parse(data, "/etc/sipxpbx/WatchDog.xml", watchdog.ROOT, watchdog.NAMESPACES)
    assert caught.value.path == "/etc/sipxpbx/WatchDog.xml"


def test_huge_file_refused():
    huge = b"<watchdog>" + b"<!-- padding -->" * (xmlsafe.MAX_BYTES // 16) + b"</watchdog>"
    with pytest.raises(UnsafeFileError, match="more than"):
        xmlsafe.parse(huge, "big.xml", "watchdog")


def test_doctype_with_only_element_declarations_is_accepted():
    tree = xmlsafe.parse(TOPOLOGY_IN.encode(), "topology.xml.in", "topology", (None,))
    assert tree.docinfo.internalDTD is not None
    assert [xmlsafe.localname(el) for el in tree.getroot()].count("location") == 1


def test_both_namespaces_allowed():
    for namespace in (True, False):
        xmlsafe.parse(watchdog_xml("a.example.com", namespace=namespace).encode(), "w", "watchdog", watchdog.NAMESPACES)


def test_element_spans_skip_comments_and_match_the_tree():
    data = watchdog_xml("a.example.com").encode()
    tree = xmlsafe.parse(data, "w", "watchdog")
    spans = xmlsafe.element_spans(data, tree, "process", "w")
    assert [el.get("name") for el, _ in spans][-1] == "PresenceServer"  # ConferenceBridge is in a comment
    for element, span in spans:
        assert data[span.start : span.end].startswith(b'<process name="' + element.get("name").encode())
        assert data[span.start : span.end].endswith(b"</process>")


def test_prefixed_elements_are_refused_not_guessed():
    data = b'<w:watchdog xmlns:w="urn:x"><w:process name="A"/></w:watchdog>'
    tree = xmlsafe.parse(data, "w", "watchdog")
    with pytest.raises(UnsafeFileError, match="cannot locate"):
        xmlsafe.element_spans(data, tree, "process", "w")


@pytest.mark.parametrize("name", ["WatchDog.xml", "forwardingrules.xml.in", "topology.xml", "ProcessDefinitions.xml"])
def test_hostile_file_in_tree_leaves_every_file_untouched(tmp_path, name):
    pillar = pillars.fleet(2)
    pillar["servers"]["sipxpbx2"]["paths"] = {"etc": str(tmp_path)}
    write_sipx_tree(tmp_path, "sipxpbx2.example.com", "192.0.2.12")
    (tmp_path / name).write_bytes(XXE.replace(b"watchdog", b"x"))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(UnsafeFileError, match=name):
        plan_role(build_plan(pillar), "sipxpbx2")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
