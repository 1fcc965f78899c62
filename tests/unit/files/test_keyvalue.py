"""core.keyvalue: config.defs (KEY=value) and registrar/proxy-config (KEY : value) line editing."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.files import keyvalue
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


@pytest.mark.parametrize("value", ["a\nB=evil", "`reboot`", "$(reboot)", 'x"y'])
def test_unsafe_shell_values_refused(value):
    with pytest.raises(SipxhaError):
        keyvalue.set_values("A=1\n", {"A": value}, keyvalue.SHELL)
