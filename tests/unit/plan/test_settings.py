"""core.plan.settings: each default once (the dataclass field), the DHCP keys required fleet-wide."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan import settings
from saltext_sipxha.core.plan.reader import Node

READERS = [
    (settings.read_ports, settings.Ports),
    (settings.read_srv, settings.SrvSettings),
    (settings.read_service, settings.ServiceSettings),
    (settings.read_dhcp, settings.DhcpSettings),
]


@pytest.mark.parametrize(("read", "cls"), READERS, ids=[cls.__name__ for _, cls in READERS])
def test_an_empty_section_is_the_dataclass_defaults(read, cls):
    assert read(Node({})) == cls()


def test_pki_defaults_are_the_dataclass_defaults():
    read = settings.read_pki(Node({}), "example.com")
    assert read == settings.PkiSettings(ca_name="ca.example.com")


def test_no_default_is_written_twice():
    """A default changed in the dataclass changes what the reader returns (there is no second literal)."""
    original = settings.SrvSettings.ttl
    try:
        settings.SrvSettings.ttl = 1234  # type: ignore[misc]
        assert settings.read_srv(Node({})).ttl == 1234
    finally:
        settings.SrvSettings.ttl = original  # type: ignore[misc]


@pytest.mark.parametrize("key", settings.DHCP_REQUIRED)
def test_dhcp_network_keys_are_required_once_a_server_is_named(key):
    dhcp = {
        "server": "sipxpbx1",
        "subnet": "192.0.2.0/24",
        "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
        "router": "192.0.2.1",
        "dns_servers": ["192.0.2.53"],
    }
    del dhcp[key]
    with pytest.raises(PillarError, match=f"^sipxha:dhcp:{key}: is required"):
        settings.read_dhcp(Node(dhcp, "sipxha:dhcp"))


def test_dhcp_service_must_be_a_plain_word():
    with pytest.raises(PillarError, match="sipxha:dhcp:service"):
        settings.read_dhcp(Node({"service": "kea\nx: y"}, "sipxha:dhcp"))
