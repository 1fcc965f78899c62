"""Typed, path-aware reading of the raw ``sipxha`` pillar.

Every reader raises :class:`PillarError` naming the full colon path of the key
(``sipxha:servers:sipxpbx2:index``), so a mistake is found before anything is touched.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from saltext_sipxha.core.errors import PillarError

_MISSING: Any = object()
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
#: C0 and C1 control characters (newline, tab, NUL, ESC, DEL, ...): never part of a pillar value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: A service (systemd unit) name: a plain word, nothing a shell or an SLS file would read as syntax.
_SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,254}")


def is_hostname(name: str) -> bool:
    """True for a valid DNS host name (RFC 1123 labels, at most 253 characters, no trailing dot)."""
    if not isinstance(name, str) or not name or len(name) > 253 or name.endswith("."):
        return False
    return all(_LABEL.fullmatch(label) for label in name.split("."))


def shown(name: Any) -> str:
    """A pillar key as an error shows it: control characters escaped (``a\\nb``), never raw."""
    return str(name).encode("unicode_escape").decode("ascii") if _CONTROL.search(str(name)) else str(name)


def control_character(value: str) -> str | None:
    """``U+000A`` for the first control character of ``value``, None when it has none."""
    found = _CONTROL.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


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
        return f"{self.path}:{shown(name)}"

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

    def printable(self, name: str, value: Any) -> Any:
        """``value`` itself; :class:`PillarError` when it is a string with a control character."""
        if isinstance(value, str) and (control := control_character(value)):
            raise PillarError(self.key(name), f"must not contain control characters (found {control})")
        return value

    def child(self, name: str, required: bool = False) -> Node:
        """The nested mapping ``name`` (empty when absent and not required)."""
        return Node(self.raw(name, _MISSING if required else {}), self.key(name))

    def string(self, name: str, default: Any = _MISSING, secret: bool = False) -> str:
        """A non-empty string without control characters; a ``secret`` value is never shown in the error."""
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            shown = f"a value of type {type(value).__name__}" if secret else repr(value)
            raise PillarError(self.key(name), f"must be a non-empty string, got {shown}")
        return str(self.printable(name, value)).strip()

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
        value = self.printable(name, self.raw(name, default))
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise PillarError(self.key(name), f"is not an IP address: {value!r}") from None

    def service_name(self, name: str, default: Any = _MISSING) -> str:
        """A service (systemd unit) name: a plain word such as ``sipxpbx`` or ``kea-dhcp4-server``."""
        value = self.string(name, default)
        if not _SERVICE.fullmatch(value):
            raise PillarError(self.key(name), f"is not a plain service name (letters, digits, _.@:+-): {value!r}")
        return value

    def abspath(self, name: str, default: Any = _MISSING) -> str:
        """An absolute, normalised path (no ``.``, ``..`` or ``//``), without a trailing slash."""
        value = self.string(name, default)
        trimmed = value.rstrip("/") or "/"
        if not value.startswith("/") or value.startswith("//") or posixpath.normpath(trimmed) != trimmed:
            raise PillarError(self.key(name), f"must be an absolute, normalised path (no '.', '..' or '//'): {value!r}")
        return trimmed

    def abspath_list(self, name: str) -> tuple[str, ...]:
        """An optional list of :meth:`abspath` values (empty when absent or ``[]``)."""
        if self.data.get(name) is None or self.data.get(name) == []:
            return ()
        return tuple(Node({name: item}, self.path).abspath(name) for item in self.string_list(name))

    def base64(self, name: str) -> str:
        """A base64 secret (a TSIG key): validated, never shown in an error."""
        value = self.string(name, secret=True)
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
        if any(control_character(item) for item in items):
            raise PillarError(self.key(name), "must not contain control characters")
        if len(set(items)) != len(items):
            raise PillarError(self.key(name), "lists an entry twice")
        return items
