"""DHCP option 120 (RFC 3361, "SIP Servers DHCP Option for IPv4"): the bytes after the code and length.

The first byte says which form follows and the forms never mix: ``enc`` 0, a list of domain names in
DNS wire format (RFC 1035 section 3.1: length-prefixed labels, each name ending in a zero byte; we never
compress), or ``enc`` 1, a list of IPv4 addresses, four bytes each. RFC 3361 section 3.1 example:
``example.com`` and ``example.net`` give ``0 7 'example' 3 'com' 0 7 'example' 3 'net' 0`` (length 27).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import dns.name

ENC_NAMES, ENC_ADDRESSES = 0, 1
MAX_OPTION = 255  #: one DHCPv4 option carries at most 255 bytes (RFC 2132 section 2)


def sip_servers(values: Sequence[str]) -> bytes:
    """The option's data for ``values``: all IPv4 addresses (``enc`` 1) or all domain names (``enc`` 0)."""
    if not values:
        raise ValueError("option 120 needs at least one SIP server")
    kinds = {_is_ipv4(value) for value in values}
    if len(kinds) > 1:
        raise ValueError("option 120 holds either domain names or IPv4 addresses, not both (RFC 3361)")
    if kinds == {True}:
        data = bytes([ENC_ADDRESSES]) + b"".join(ipaddress.IPv4Address(v).packed for v in values)
    else:
        data = bytes([ENC_NAMES]) + b"".join(_wire(value) for value in values)
    if len(data) > MAX_OPTION:
        raise ValueError(f"option 120 would be {len(data)} bytes, more than one DHCP option holds ({MAX_OPTION})")
    return data


def to_hex(data: bytes, separator: str = ":") -> str:
    """``00:07:65...`` (ISC dhcpd's colon form), or with ``separator=""`` Kea's plain hex."""
    return separator.join(f"{byte:02x}" for byte in data)


def _wire(name: str) -> bytes:
    """``name`` in uncompressed DNS wire format (RFC 1035 section 3.1)."""
    labels = dns.name.from_text(name.rstrip(".") + ".").labels  # validated; ends with the empty root label
    return b"".join(bytes([len(label)]) + label for label in labels)


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True
