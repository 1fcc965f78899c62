"""Hostile and broken XML in the sipX tree, met by ``state.sls sipxha``: refused, naming the file, nothing changed.

Each payload is planted in each of the six XML files the role edits (WatchDog.xml, ProcessDefinitions.xml,
forwardingrules.xml(.in), topology.xml(.in)), built from the stock file so the rest of it is realistic.
After the run: the role state failed with the file's path and the reason in its comment, EVERY file of
the tree has its bytes and mode as before (not just the bad one), and a secret the XXE payloads point
at appears nowhere (return, files). The ssl folder is outside the tree here: the PKI part of the SLS is
independent of the role files and may legitimately install a certificate in the same run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from saltext_sipxha.core.files.xmlsafe import MAX_BYTES
from saltext_sipxha.core.sipx import forwarding, processdefs, topology, watchdog
from tests.faults.sandbox import XML_FILES, changed_entries, pillar_for, snapshot

SECRET = "sipxha-fault-suite-secret-7f3c"
ROOTS = {
    "WatchDog.xml": watchdog.ROOT,
    "ProcessDefinitions.xml": processdefs.ROOT,
    "forwardingrules.xml": forwarding.ROOT,
    "forwardingrules.xml.in": forwarding.ROOT,
    "topology.xml": topology.ROOT,
    "topology.xml.in": topology.ROOT,
}
LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
)


def _with_subset(text: str, root: str, subset: str) -> str:
    """``text`` with ``subset`` in its DOCTYPE's internal subset (a DOCTYPE is added when it has none)."""
    if "<!DOCTYPE" in text:
        return re.sub(r"(<!DOCTYPE\s+\w+\s*\[)", lambda m: m.group(1) + "\n" + subset, text, count=1)
    decl = re.match(r"<\?xml[^>]*\?>", text)
    at = decl.end() if decl else 0
    return f"{text[:at]}\n<!DOCTYPE {root} [{subset}]>{text[at:]}"


def _in_root(text: str, root: str, inner: str) -> str:
    """``inner`` placed right after the root element's start tag."""
    return re.sub(rf"(<{root}\b[^>]*>)", lambda m: m.group(1) + inner, text, count=1)


def _root_tag(text: str, root: str, edit: Callable[[str], str]) -> str:
    return re.sub(rf"<{root}\b[^>]*>", lambda m: edit(m.group(0)), text, count=1)


def xxe_file(text, root, secret):
    return _in_root(_with_subset(text, root, f'<!ENTITY leak SYSTEM "file://{secret}">'), root, "&leak;")


def xxe_parameter(text, root, secret):
    return _with_subset(text, root, f'<!ENTITY % leak SYSTEM "file://{secret}"> %leak;')


def external_dtd(text, root, secret):
    text = re.sub(r"<!DOCTYPE\s+\w+\s*\[.*?\]>", "", text, flags=re.S)
    decl = re.match(r"<\?xml[^>]*\?>", text)
    at = decl.end() if decl else 0
    return f'{text[:at]}\n<!DOCTYPE {root} SYSTEM "file://{secret}">{text[at:]}'


def billion_laughs(text, root, secret):
    return _in_root(_with_subset(text, root, LAUGHS), root, "&lol9;")


def truncated(text, root, secret):
    return text[: len(text) // 2]


def wrong_root(text, root, secret):
    return text.replace(f"<{root}", f"<not{root}").replace(f"</{root}>", f"</not{root}>")


def wrong_namespace(text, root, secret):
    return _root_tag(text, root, lambda tag: re.sub(r'\s+xmlns="[^"]*"', "", tag)[:-1] + ' xmlns="urn:evil:ns">')


def huge(text, root, secret):
    decl = re.match(r"<\?xml[^>]*\?>", text)
    at = decl.end() if decl else 0
    return f"{text[:at]}\n<!-- {'x' * MAX_BYTES} -->{text[at:]}"


def not_xml(text, root, secret):
    return "\x00\x01binary garbage \ufffd" * 8


def empty(text, root, secret):
    return ""


PAYLOADS = {
    "xxe-file": (xxe_file, "entities"),
    "xxe-parameter-entity": (xxe_parameter, "entities"),
    "external-dtd": (external_dtd, "external DTD"),
    "billion-laughs": (billion_laughs, "entities"),
    "truncated": (truncated, "not well-formed"),
    "wrong-root": (wrong_root, "root element"),
    "wrong-namespace": (wrong_namespace, "namespace"),
    "huge": (huge, "more than the"),
    "not-xml": (not_xml, "not well-formed"),
    "empty": (empty, "not well-formed"),
}


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


CASES = [(payload, name) for payload in PAYLOADS for name in XML_FILES]


@pytest.mark.parametrize("case", CASES, ids=[f"{payload}-{name}" for payload, name in CASES])
def test_hostile_xml_is_refused_and_the_whole_tree_kept(apply_sls, server, tmp_path, secret, case):
    etc, _ = server
    payload, name = case
    build, reason = PAYLOADS[payload]
    target = etc / name
    target.write_text(build(target.read_text(encoding="utf-8"), ROOTS[name], secret), encoding="utf-8")
    before = snapshot(etc)
    results = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"), test=payload == "xxe-file")
    role = results["sipxha-role"]
    assert role["result"] is False, role
    assert str(target) in role["comment"] and reason in role["comment"], role["comment"]
    assert role["changes"] == {}
    assert changed_entries(before, snapshot(etc)) == []
    assert SECRET not in repr(results)
    assert not any(SECRET.encode() in data for data, _ in before.values() if isinstance(data, bytes))


def test_a_directory_in_place_of_a_file_is_refused(apply_sls, server, tmp_path):
    etc, _ = server
    (etc / "topology.xml").unlink()
    (etc / "topology.xml").mkdir()
    before = snapshot(etc)
    role = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))["sipxha-role"]
    assert role["result"] is False and f"{etc / 'topology.xml'}: cannot be read" in role["comment"], role
    assert changed_entries(before, snapshot(etc)) == []


def test_the_same_tree_repaired_converges(apply_sls, server, tmp_path, secret):
    """Control: the refusal is about the file, not the sandbox; restoring the stock file lets the run converge."""
    etc, _ = server
    stock = (etc / "WatchDog.xml").read_text(encoding="utf-8")
    (etc / "WatchDog.xml").write_text(xxe_file(stock, watchdog.ROOT, secret), encoding="utf-8")
    assert apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))["sipxha-role"]["result"] is False
    (etc / "WatchDog.xml").write_text(stock, encoding="utf-8")
    role = apply_sls(pillar_for(etc, ssl=tmp_path / "ssl"))["sipxha-role"]
    assert role["result"] is True and str(etc / "WatchDog.xml") in role["changes"], role
    assert (etc / "WatchDog.xml.bak").read_text(encoding="utf-8") == stock
