"""core.keyvalue: config.defs (KEY=value) and registrar/proxy-config (KEY : value) line editing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files import keyvalue
from tests.support import sipxstart
from tests.support.sipxtree import CONFIG_DEFS, PROXY_CONFIG_IN, REGISTRAR_CONFIG_IN, real_file

HA = {
    "SIP_REGISTRAR_XMLRPC_PORT": "5077",
    "SIP_REGISTRAR_NAME": "sipxpbx1.example.com",
    "SIP_REGISTRAR_SYNC_WITH": "sipxpbx1.example.com, sipxpbx2.example.com",
}


def _changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(old.splitlines(), new.splitlines(), strict=False) if a != b]


@pytest.mark.parametrize("source", ["fixture", "real-interop", "real-template"])
def test_registrar_config_uncomments_ha_keys_in_place(source):
    text = {
        "fixture": lambda: REGISTRAR_CONFIG_IN,
        "real-interop": lambda: real_file("interop-etc-sipxpbx/registrar-config.in").read_text(),
        "real-template": lambda: real_file("registrar-config.in__sipXtapi_3854821").read_text(),
    }[source]()
    new = keyvalue.set_values(text, HA, keyvalue.COLON)
    assert len(new.splitlines()) == len(text.splitlines())
    assert _changed_lines(text, new) == [
        ("#SIP_REGISTRAR_XMLRPC_PORT : 5077", "SIP_REGISTRAR_XMLRPC_PORT : 5077"),
        ("#SIP_REGISTRAR_NAME : ${MY_FULL_HOSTNAME}", "SIP_REGISTRAR_NAME : sipxpbx1.example.com"),
        (
            "#SIP_REGISTRAR_SYNC_WITH : MASTER_HOSTNAME, DISTRIBUTED_HOSTNAME",
            "SIP_REGISTRAR_SYNC_WITH : sipxpbx1.example.com, sipxpbx2.example.com",
        ),
    ]
    assert "# See HaSetup.pdf for how to use the following" in new
    assert keyvalue.set_values(new, HA, keyvalue.COLON) == new
    assert keyvalue.get(new, "SIP_REGISTRAR_NAME", keyvalue.COLON) == "sipxpbx1.example.com"


def test_proxy_config_keeps_trailing_blanks_of_other_lines():
    value = "<sip:sipxauthproxy1.example.com;transport=tcp>"
    new = keyvalue.set_values(PROXY_CONFIG_IN, {"SIP_PROXY_AUTH_SERVER": value}, keyvalue.COLON)
    assert new.splitlines()[0] == f"SIP_PROXY_AUTH_SERVER : {value}"
    assert new.splitlines()[1:] == PROXY_CONFIG_IN.splitlines()[1:]
    assert "SIP_PROXY_LOG_DIR : \n" in new


@pytest.mark.parametrize("source", ["fixture", "real-interop"])
def test_config_defs(source):
    text = (
        CONFIG_DEFS.format(domain="example.com", etc="/etc/sipxpbx")
        if source == "fixture"
        else real_file("config.defs__legacy-sipxecs_interop.pingtel.com").read_text()
    )
    values = {
        "SIPXCHANGE_DOMAIN_NAME": "example.com",
        "SIPXCHANGE_REALM": "example realm",
        "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT": "sipxregistrar2.example.com",
        "PRESENCE_SERVER_ADDR": "sipxpbx1.example.com",
    }
    new = keyvalue.set_values(text, values, keyvalue.SHELL)
    assert "\nSIPXCHANGE_DOMAIN_NAME=example.com\n" in new
    assert "\n#SIPXCHANGE_DOMAIN_NAME=`hostname -d`\n" in new or "# SIPXCHANGE_DOMAIN_NAME=`hostname -d`" in new
    assert '\nSIPXCHANGE_REALM="example realm"\n' in new
    assert new.count("PRESENCE_SERVER_ADDR=") == 1
    for key, value in values.items():
        assert keyvalue.get(new, key, keyvalue.SHELL) == value
    assert keyvalue.set_values(new, values, keyvalue.SHELL) == new
    assert [line for line in text.splitlines() if line.startswith("#")] == [
        line for line in new.splitlines() if line.startswith("#")
    ]


def test_appends_with_newline_and_keeps_crlf():
    assert keyvalue.set_values("A=1", {"B": "2"}, keyvalue.SHELL) == "A=1\nB=2\n"
    assert keyvalue.set_values("A : 1\r\nB : 2\r\n", {"A": "3"}, keyvalue.COLON) == "A : 3\r\nB : 2\r\n"
    assert keyvalue.set_values("A : 1\r\n", {"C": "3"}, keyvalue.COLON) == "A : 1\r\nC : 3\r\n"


def test_prefix_keys_are_not_confused():
    text = "SIP_REGISTRAR_NAME_X : a\nSIP_REGISTRAR_NAME : b\n"
    assert keyvalue.set_values(text, {"SIP_REGISTRAR_NAME": "c"}, keyvalue.COLON) == (
        "SIP_REGISTRAR_NAME_X : a\nSIP_REGISTRAR_NAME : c\n"
    )


def _bash(text: str, *names: str) -> list[str]:
    """``bash -n`` passes on ``text``, and the values bash gives ``names`` after sourcing it (no stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        values = sipxstart.source(text, sipxstart.shims(Path(tmp), "sipxpbx1.example.com", "192.0.2.11"), names)
    return [values[name] for name in names]


@pytest.mark.parametrize("value", ["`reboot`", "$(reboot)", 'x"y', "it's $HOME", "a b\tc", "\\", "", "a!b"])
def test_shell_values_are_quoted_to_read_back_literally(value):
    new = keyvalue.set_values("A=1\nB=2\n", {"A": value}, keyvalue.SHELL, path="/x/config.defs")
    assert _bash(new, "A", "B") == [value, "2"]
    assert keyvalue.get(new, "A", keyvalue.SHELL) == value
    assert keyvalue.set_values(new, {"A": value}, keyvalue.SHELL) == new


@pytest.mark.parametrize("value", ["a\nB=evil", "a\rb", "nul\x00"])
def test_unsafe_shell_values_refused_naming_file_and_key(value):
    with pytest.raises(UnsafeFileError, match=r"^/x/config.defs: A:"):
        keyvalue.set_values("A=1\n", {"A": value}, keyvalue.SHELL, path="/x/config.defs")


def test_backslash_continued_value_is_replaced_whole():
    text = "A=first\\\nsecond\nB=2\n"
    assert _bash(text, "A", "B") == ["firstsecond", "2"]  # one word across the lines: no "second" command
    new = keyvalue.set_values(text, {"A": "new"}, keyvalue.SHELL)
    assert new == "A=new\nB=2\n"
    assert _bash(new, "A", "B") == ["new", "2"]


def test_quoted_multi_line_value_is_replaced_whole():
    text = 'A="one\ntwo # not a comment\nB=inside"\nB=2\nC=3 # trailing\n'
    assert keyvalue.get(text, "B", keyvalue.SHELL) == "2"
    new = keyvalue.set_values(text, {"A": "x y", "C": "4"}, keyvalue.SHELL)
    assert new == 'A="x y"\nB=2\nC=4 # trailing\n'
    assert _bash(new, "A", "B", "C") == ["x y", "2", "4"]


def test_multi_line_command_substitution_kept_and_replaced():
    text = "A=$(echo one \\\n two)\nD=`hostname -f`\n"
    assert keyvalue.raw(text, "A") == "$(echo one \\\n two)"
    new = keyvalue.set_values(text, {"A": "v"}, keyvalue.SHELL)
    assert new == "A=v\nD=`hostname -f`\n"


def test_raw_words_are_written_verbatim():
    new = keyvalue.set_values("A=1\n", {"A": keyvalue.Raw("${MY_IP_ADDR}")}, keyvalue.SHELL)
    assert new == "A=${MY_IP_ADDR}\n"
    with pytest.raises(UnsafeFileError):
        keyvalue.set_values("A=1\n", {"A": keyvalue.Raw("x; reboot")}, keyvalue.SHELL)


@pytest.mark.parametrize("line", ["export A=1", "A=1; reboot", "A=1 B=2", "A=1 \\\ntrue"])
def test_assignments_in_other_forms_are_refused(line):
    with pytest.raises(UnsafeFileError, match="A in a form"):
        keyvalue.set_values(f"{line}\n", {"A": "2"}, keyvalue.SHELL, path="/x/config.defs")


@pytest.mark.parametrize("text", ['A="open\n', "A='open\n", "A=`open\n", "cat <<EOF\nA=1\nEOF\n"])
def test_unreadable_shell_is_refused(text):
    with pytest.raises(UnsafeFileError, match=r"^/x/config\.defs: is not shell"):
        keyvalue.set_values(text, {"A": "2"}, keyvalue.SHELL, path="/x/config.defs")


def test_commented_assignment_inside_a_quoted_value_is_not_uncommented():
    text = 'X="\n#A=inside\n"\n'
    assert keyvalue.set_values(text, {"A": "1"}, keyvalue.SHELL) == text + "A=1\n"


@pytest.mark.parametrize(
    "source", ["config.defs__legacy-sipxecs_interop.pingtel.com", "config.defs.in__sipXtapi_3854821"]
)
def test_real_config_defs_stay_valid_shell(source):
    text = real_file(source).read_text()
    values = {"SIPXCHANGE_REALM": "a realm with $dollar", "REGISTRAR_SERVER_SIP_PORT": "5072", "NEW_KEY": "x y"}
    new = keyvalue.set_values(text, values, keyvalue.SHELL)
    assert _bash(new, "SIPXCHANGE_REALM", "REGISTRAR_SERVER_SIP_PORT", "NEW_KEY") == list(values.values())


def test_colon_values_with_line_breaks_and_template_expansions_refused():
    with pytest.raises(UnsafeFileError, match=r"^/x/registrar-config: SIP_REGISTRAR_NAME"):
        keyvalue.set_values("", {"SIP_REGISTRAR_NAME": "a\nB : c"}, keyvalue.COLON, path="/x/registrar-config")
    with pytest.raises(UnsafeFileError, match="template expansion"):
        keyvalue.set_values("", {"K": "$x"}, keyvalue.COLON, path="/x/r.in", template=True)
    assert keyvalue.set_values("", {"K": "$x"}, keyvalue.COLON) == "K : $x\n"
