"""core.watchdog and core.processdefs over WatchDog.xml / ProcessDefinitions.xml in the real formats."""

from __future__ import annotations

import pytest
from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.plan.fleet import DEFAULT_DS_PROCESSES
from saltext_sipxha.core.sipx import processdefs, watchdog
from tests.support.sipxtree import PROCESSES, process_definitions_xml, real_file, watchdog_xml

DS = DEFAULT_DS_PROCESSES
DISABLED = ("SIPStatus", "ConfigServer", "MediaServer", "ParkServer", "PresenceServer")


def _sources():
    yield "namespaced", watchdog_xml("sipxpbx2.example.com").encode()
    yield "no-namespace", watchdog_xml("sipxpbx2.example.com", namespace=False).encode()


@pytest.fixture(params=["namespaced", "no-namespace", "real-interop", "real-template"])
def original(request):
    if request.param == "real-interop":
        return real_file("WatchDog.xml__legacy-sipxecs_interop.pingtel.com").read_bytes()
    if request.param == "real-template":
        return real_file("WatchDog.xml.in__sipXtapi_3854821").read_bytes()
    return dict(_sources())[request.param]


def test_ds_comments_out_the_rest_and_master_restores_byte_identical(original):
    disabled = watchdog.set_enabled(original, "w", DS)
    enabled, ours = watchdog.read(disabled, "w")
    assert enabled == list(DS)
    assert ours == list(DISABLED)
    root = etree.fromstring(disabled)
    assert etree.QName(root).namespace == etree.QName(etree.fromstring(original)).namespace
    assert watchdog.set_enabled(disabled, "w", DS) is disabled  # idempotent, same object
    assert watchdog.set_enabled(disabled, "w", None) == original
    assert watchdog.set_enabled(original, "w", None) is original


def test_only_the_processes_themselves_change(original):
    disabled = watchdog.set_enabled(original, "w", DS)
    stripped = disabled.replace(b"<!-- " + watchdog.MARKER.encode(), b"").replace(b"</process> -->", b"</process>")
    assert stripped == original


def test_foreign_comment_stays(original):
    disabled = watchdog.set_enabled(original, "w", DS)
    for data in (disabled, watchdog.set_enabled(disabled, "w", None)):
        assert b'<!-- Not implemented yet.\n      <process name="ConferenceBridge"' in data
        assert "ConferenceBridge" not in watchdog.read(data, "w")[0]


def test_changed_ds_process_list_converges():
    original = watchdog_xml("a.example.com").encode()
    ds = watchdog.set_enabled(original, "w", DS)
    wider = watchdog.set_enabled(ds, "w", (*DS, "SIPStatus"))
    assert watchdog.read(wider, "w") == ([*DS, "SIPStatus"], list(DISABLED[1:]))
    assert watchdog.set_enabled(wider, "w", DS) == ds


def test_process_text_with_double_dashes_round_trips():
    original = (
        watchdog_xml("a.example.com")
        .encode()
        .replace(
            b"sipx@localhost</failure_contact>\n      </process>\n\n      <!-- Configuration",
            b"ops--team\\x@localhost</failure_contact>\n      </process>\n\n      <!-- Configuration",
        )
    )
    assert b"ops--team" in original
    disabled = watchdog.set_enabled(original, "w", DS)
    etree.fromstring(disabled)  # still well-formed: no "--" inside our comments
    assert watchdog.set_enabled(disabled, "w", None) == original


def test_wrong_root_refused():
    with pytest.raises(UnsafeFileError, match="expected <watchdog>"):
        watchdog.set_enabled(process_definitions_xml().encode(), "WatchDog.xml", DS)


@pytest.fixture(params=["fixture", "real-interop", "real-template"])
def definitions(request):
    if request.param == "real-interop":
        return real_file("ProcessDefinitions.xml__legacy-sipxecs_interop.pingtel.com").read_bytes()
    if request.param == "real-template":
        return real_file("ProcessDefinitions.xml.in__sipXtapi_3854821").read_bytes()
    return process_definitions_xml().encode()


def test_process_definitions_by_role(definitions):
    stock = processdefs.start_controls(definitions, "p")
    ds = processdefs.set_start_controls(definitions, "p", DS)
    controls = processdefs.start_controls(ds, "p")
    assert all(controls[name] == "false" for name in controls if name not in DS)
    assert all(controls[name] == stock[name] for name in DS if name in controls)
    assert processdefs.set_start_controls(ds, "p", DS) is ds
    assert processdefs.set_start_controls(ds, "p", None, stock) == definitions
    assert processdefs.set_start_controls(definitions, "p", None, stock) is definitions
    changed = [line for line in zip(definitions.splitlines(), ds.splitlines(), strict=True) if line[0] != line[1]]
    assert changed and all(b"<start control=" in old and b"<start control=" in new for old, new in changed)


def test_fixture_has_every_process():
    assert set(processdefs.start_controls(process_definitions_xml().encode(), "p")) == {*PROCESSES, "ConferenceBridge"}
