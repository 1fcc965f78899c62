"""Typed, path-aware reading of the raw ``sipxha`` pillar.

Every reader raises :class:`PillarError` naming the full colon path of the key
(``sipxha:servers:sipxpbx2:index``), so a mistake is found before anything is touched.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from saltext_sipxha.core.errors import PillarError

_MISSING: Any = object()
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def is_hostname(name: str) -> bool:
    """True for a valid DNS host name (RFC 1123 labels, at most 253 characters, no trailing dot)."""
    if not name or len(name) > 253 or name.endswith("."):
        return False
    return all(_LABEL.match(label) for label in name.split("."))


class Node:
    """A mapping from the pillar together with its colon path."""

    def __init__(self, data: Any, path: str = "sipxha") -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise PillarError(path, f"must be a mapping, got {type(data).__name__}")
        self.data = data
        self.path = path

    def key(self, name: str) -> str:
        """The colon path of ``name`` under this node."""
        return f"{self.path}:{name}"

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse keys other than ``allowed`` (catches typos such as ``adress``)."""
        allowed = set(allowed)
        for name in self.data:
            if not isinstance(name, str) or name not in allowed:
                raise PillarError(self.key(str(name)), f"unknown key (expected one of {', '.join(sorted(allowed))})")

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The value of ``name``; ``default`` when absent or null, an error when required."""
        value = self.data.get(name)
        if value is None:
            if default is _MISSING:
                raise PillarError(self.key(name), "is required")
            return default
        return value

    def child(self, name: str, required: bool = False) -> Node:
        """The nested mapping ``name`` (empty when absent and not required)."""
        return Node(self.raw(name, _MISSING if required else {}), self.key(name))

    def string(self, name: str, default: Any = _MISSING) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise PillarError(self.key(name), f"must be a non-empty string, got {value!r}")
        return value.strip()

    def optional_string(self, name: str) -> str | None:
        return None if self.data.get(name) is None else self.string(name)

    def integer(self, name: str, default: Any = _MISSING, low: int = 0, high: int = 2**31 - 1) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PillarError(self.key(name), f"must be an integer, got {value!r}")
        if not low <= value <= high:
            raise PillarError(self.key(name), f"must be between {low} and {high}, got {value}")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise PillarError(self.key(name), f"must be true or false, got {value!r}")
        return value

    def choice(self, name: str, choices: Iterable[str], default: Any = _MISSING) -> str:
        choices = tuple(choices)
        value = self.raw(name, default)
        if value not in choices:
            raise PillarError(self.key(name), f"must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def hostname(self, name: str, default: Any = _MISSING) -> str:
        value = self.string(name, default).rstrip(".").lower()
        if not is_hostname(value):
            raise PillarError(self.key(name), f"is not a valid DNS name: {value!r}")
        return value

    def address(self, name: str, default: Any = _MISSING) -> str:
        value = self.raw(name, default)
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise PillarError(self.key(name), f"is not an IP address: {value!r}") from None

    def abspath(self, name: str, default: Any = _MISSING) -> str:
        value = self.string(name, default)
        if not value.startswith("/") or "\0" in value:
            raise PillarError(self.key(name), f"must be an absolute path, got {value!r}")
        return value.rstrip("/") or "/"

    def base64(self, name: str) -> str:
        value = self.string(name)
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise PillarError(self.key(name), "is not valid base64") from None
        return value

    def string_list(self, name: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.raw(name, default)
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise PillarError(self.key(name), f"must be a list of strings, got {value!r}")
        items = tuple(value)
        if not items or not all(isinstance(item, str) and item.strip() for item in items):
            raise PillarError(self.key(name), "must be a non-empty list of non-empty strings")
        if len(set(items)) != len(items):
            raise PillarError(self.key(name), "lists an entry twice")
        return items
