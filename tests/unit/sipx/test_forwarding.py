"""core.forwarding over the real forwarding rules formats."""

from __future__ import annotations

import pytest
from lxml import etree

from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.sipx import forwarding
from tests.support.sipxtree import FORWARDINGRULES_IN, expand, expansion, real_file

HOST = "sipxregistrar1.example.com"


def _routes(data: bytes) -> list[str]:
    return [el.text for el in etree.fromstring(data).iter("{*}routeTo")]


def test_template_matches_the_ha_commit():
    """The stock template edited equals sipXtapi 3854821's HA forwardingrules.xml.in, byte for byte."""
    ha = real_file("forwardingrules.xml.in__sipXtapi_3854821").read_bytes()
    stock = real_file("forwardingrules.xml.in__legacy-sipxecs_interop.pingtel.com").read_bytes()
    assert forwarding.set_registrar(stock, "f.in", forwarding.TEMPLATE_HOST) == ha
    assert forwarding.set_registrar(ha, "f.in", forwarding.TEMPLATE_HOST) is ha


def test_effective_file_routes_to_the_srv_name():
    data = expand(FORWARDINGRULES_IN, expansion("sipxpbx1.example.com", "192.0.2.11")).encode()
    new = forwarding.set_registrar(data, "f", HOST)
    assert _routes(new) == [
        "<192.0.2.11:5110;transport=tcp>",  # the status server route inside <fieldMatch> stays
        f"<{HOST};transport=tcp>",
        f"<{HOST};transport=tcp>",
    ]
    assert forwarding.set_registrar(new, "f", HOST) is new
    assert len(new.splitlines()) == len(data.splitlines())


def test_sipxconfig_ha_output_keeps_other_params_and_routes():
    data = real_file("forwardingrules-ha.test.xml__legacy-sipxecs_dc2f6f5").read_bytes()
    new = forwarding.set_registrar(data, "f", HOST)
    routes = _routes(new)
    assert routes.count(f"<{HOST};transport=tcp;x-sipx-routetoreg>") == 2
    assert "<192.168.1.5:9905;transport=tcp>" in routes  # fieldMatch routes untouched
    assert "<reg.example.org:9904;transport=tcp;x-sipx-routetoreg>" in routes  # nested methodMatch untouched
    assert "10.1.2.3" in routes  # external route untouched
    assert new.count(b'ruriParams="sipx-noroute=Voicemail"') == data.count(b'ruriParams="sipx-noroute=Voicemail"')


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("<1.2.3.4:5070>", f"<{HOST};transport=tcp>"),
        ("<rr.a.example.com;transport=udp;lr>", f"<{HOST};transport=tcp;lr>"),
        ("rr.a.example.com", f"<{HOST};transport=tcp>"),
    ],
)
def test_route_uri(current, wanted):
    assert forwarding.route_uri(current, HOST) == wanted


def test_not_forwarding_rules_refused():
    with pytest.raises(UnsafeFileError, match="expected <routes>"):
        forwarding.set_registrar(b"<watchdog/>", "f", HOST)
    with pytest.raises(UnsafeFileError, match="mappingType"):
        forwarding.set_registrar(b"<routes><route/></routes>", "f", HOST)
