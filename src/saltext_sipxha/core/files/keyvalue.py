"""One careful line editor for sipX's two key/value formats.

* ``KEY=value`` — ``config.defs``, sourced by the sipX shell scripts (:data:`SHELL`).
* ``KEY : value`` — ``registrar-config``, ``proxy-config`` and their ``.in`` templates (:data:`COLON`).

Comments, blank lines, order and line endings stay as they are. Setting a key rewrites its active
line(s); when there is none, the last commented-out assignment (``#SIP_REGISTRAR_NAME : ...``, as
``registrar-config.in`` ships the HA keys) is uncommented; otherwise the line is appended.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from saltext_sipxha.core.errors import SipxhaError


@dataclass(frozen=True)
class Format:
    """How a key/value line of one file type looks."""

    name: str
    separator: str  #: as written by the editor
    pattern: str  #: regex of the separator when reading

    def line(self, key: str, value: str) -> str:
        return f"{key}{self.separator}{self.quote(value)}".rstrip() if self is COLON else f"{key}={self.quote(value)}"

    def quote(self, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise SipxhaError(f"a {self.name} value cannot span lines: {value!r}")
        if self is COLON or re.fullmatch(r"[\w.:/@%+,=${}-]*", value):
            return value
        if re.search(r'["`\\]|\$\(', value):
            raise SipxhaError(f"a config.defs value cannot contain quotes, backticks or backslashes: {value!r}")
        return f'"{value}"'


SHELL = Format("config.defs", "=", r"=")
COLON = Format("key : value", " : ", r"[ \t]*:")


def _active(key: str, fmt: Format) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(key)}{fmt.pattern}(?P<value>[^\r\n]*)(?=\r?\n|\Z)", re.M)


def _commented(key: str, fmt: Format) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*#[ \t]*{re.escape(key)}{fmt.pattern}[^\r\n]*(?=\r?\n|\Z)", re.M)


def _unquote(value: str, fmt: Format) -> str:
    value = value.strip()
    if fmt is SHELL and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def get(text: str, key: str, fmt: Format) -> str | None:
    """The effective value of ``key`` (the last active line wins, as in the shell), None when unset."""
    matches = list(_active(key, fmt).finditer(text))
    return _unquote(matches[-1].group("value"), fmt) if matches else None


def set_values(text: str, values: Mapping[str, str], fmt: Format) -> str:
    """``text`` with every key of ``values`` set; unchanged text when every value is already right."""
    for key, value in values.items():
        text = _set_one(text, key, value, fmt)
    return text


def _set_one(text: str, key: str, value: str, fmt: Format) -> str:
    if not re.fullmatch(r"[A-Za-z_][\w.]*", key):
        raise SipxhaError(f"not a valid {fmt.name} key: {key!r}")
    wanted = fmt.line(key, value)
    active = list(_active(key, fmt).finditer(text))
    if active:
        for match in reversed(active):
            if _unquote(match.group("value"), fmt) != value:
                text = text[: match.start()] + wanted + text[match.end() :]
        return text
    commented = list(_commented(key, fmt).finditer(text))
    if commented:
        match = commented[-1]
        return text[: match.start()] + wanted + text[match.end() :]
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + wanted + newline
