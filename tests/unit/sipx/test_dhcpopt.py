"""Option 120 (RFC 3361) encoding, checked against the RFC's own examples."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.sipx.dhcpopt import sip_servers, to_hex


def test_rfc_3361_domain_name_example():
    # RFC 3361 section 3.1: code 120, len 27, enc 0, then example.com and example.net in DNS wire format
    data = sip_servers(["example.com", "example.net"])
    assert len(data) == 27
    assert data == b"\x00\x07example\x03com\x00\x07example\x03net\x00"


def test_rfc_3361_ipv4_address_example():
    # RFC 3361 section 3.2: code 120, len 9, enc 1, then 192.0.2.1 and 192.0.2.2 as four bytes each
    data = sip_servers(["192.0.2.1", "192.0.2.2"])
    assert len(data) == 9
    assert data == bytes([1, 192, 0, 2, 1, 192, 0, 2, 2])


def test_one_domain_keeps_case_and_ignores_a_trailing_dot():
    assert sip_servers(["Example.COM."]) == b"\x00\x07Example\x03COM\x00"
    assert to_hex(sip_servers(["a.b"])) == "00:01:61:01:62:00"
    assert to_hex(b"\x00\xab", "") == "00ab"


def test_mixed_empty_and_oversized_are_refused():
    with pytest.raises(ValueError, match="not both"):
        sip_servers(["example.com", "192.0.2.1"])
    with pytest.raises(ValueError, match="at least one"):
        sip_servers([])
    with pytest.raises(ValueError, match="more than one DHCP option holds"):
        sip_servers([f"host{i}.example.com" for i in range(20)])
