"""One careful editor for sipX's two key/value formats.

* ``KEY=value`` — ``config.defs``, sourced by the sipX shell scripts (:data:`SHELL`). It is edited
  the way the shell reads it (:mod:`.shell`): an assignment is a logical line, so a value continued
  with a backslash, or quoted across lines, is replaced whole. Literal values are quoted where the
  shell would change them; a :class:`Raw` value is written as the shell word it is (``${MY_IP_ADDR}``).
  An assignment the editor cannot rewrite safely (``export KEY=...``, ``KEY=x; cmd``) and values that
  cannot be written safely (newlines) raise :class:`UnsafeFileError` naming the file and the key.
* ``KEY : value`` — ``registrar-config``, ``proxy-config`` and their ``.in`` templates (:data:`COLON`):
  one physical line per key. In a template (``template=True``, expanded by sipX as a here-document)
  literal ``$``, backquotes and backslashes are refused.

Comments, blank lines, order and line endings stay as they are. Setting a key rewrites its active
assignment(s) whose value differs (``same`` decides; by default the literal value after quote removal);
when there is none, the last commented-out assignment (``#SIP_REGISTRAR_NAME : ...``, as
``registrar-config.in`` ships the HA keys) is uncommented; otherwise the line is appended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from saltext_sipxha.core.errors import SipxhaError, UnsafeFileError
from saltext_sipxha.core.files import shell

#: same(key, current value as written, wanted value) -> whether the key is converged
Same = Callable[[str, str, str], bool]


class Raw(str):
    """A config.defs value written as this shell word, verbatim (it may expand: ``${MY_IP_ADDR}``)."""


@dataclass(frozen=True)
class Format:
    """How a key/value line of one file type looks."""

    name: str
    separator: str  #: as written by the editor
    pattern: str  #: regex of the separator when reading


SHELL = Format("config.defs", "=", r"=")
COLON = Format("key : value", " : ", r"[ \t]*:")


def _active(key: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(key)}{COLON.pattern}(?P<value>[^\r\n]*)(?=\r?\n|\Z)", re.M)


def _commented(key: str, fmt: Format) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*#[ \t]*{re.escape(key)}{fmt.pattern}[^\r\n]*(?=\r?\n|\Z)", re.M)


def _commands(text: str, path: str) -> list[shell.Command]:
    try:
        return shell.commands(text)
    except shell.ShellSyntaxError as err:
        raise UnsafeFileError(path, f"is not shell the editor can read safely: it {err}") from None


def _assignments(text: str, key: str, path: str) -> list[shell.Word]:
    """The value words of every ``key=...`` assignment; refuses ``key`` set in any other form."""
    found = []
    for command in _commands(text, path):
        assignment = command.assignment()
        if assignment is not None:
            if assignment[0] == key:
                found.append(assignment[1])
        elif any(word.text.startswith(f"{key}=") for word in command.words):
            line = text[command.start : command.end].strip()
            raise UnsafeFileError(path, f"sets {key} in a form the editor cannot rewrite safely: {line[:80]!r}")
    return found


def raw(text: str, key: str, path: str = "config.defs") -> str | None:
    """The config.defs value of ``key`` as written (the last assignment wins), None when unset."""
    words = _assignments(text, key, path)
    return words[-1].text if words else None


def get(text: str, key: str, fmt: Format) -> str | None:
    """The effective value of ``key``, None when unset.

    config.defs: the value after quote removal, or as written when it expands (``${MY_IP_ADDR}``).
    """
    if fmt is SHELL:
        word = raw(text, key)
        if word is None:
            return None
        value = shell.unquote(word)
        if value is not None:
            return value
        return word[1:-1] if len(word) > 1 and word[0] == word[-1] == '"' else word
    matches = list(_active(key).finditer(text))
    return matches[-1].group("value").strip() if matches else None


def set_values(
    text: str,
    values: Mapping[str, str],
    fmt: Format,
    *,
    path: str = "<text>",
    same: Same | None = None,
    template: bool = False,
) -> str:
    """``text`` with every key of ``values`` set; the same text when every value is already right."""
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][\w.]*", key) or (fmt is SHELL and "." in key):
            raise SipxhaError(f"not a valid {fmt.name} key: {key!r}")
        if fmt is SHELL:
            text = _set_shell(text, key, value, path, same)
        else:
            text = _set_colon(text, key, value, path, same=same, template=template)
    return text


def _shell_word(key: str, value: str, path: str) -> str:
    if isinstance(value, Raw):
        if not value or "\n" in value or shell.word_end(value, 0) != len(value):
            raise UnsafeFileError(path, f"{key}: {value!r} is not one shell word")
        return str(value)
    try:
        return shell.quote(value)
    except shell.ShellSyntaxError as err:
        raise UnsafeFileError(path, f"{key}: {err}") from None


def _default_same(key: str, current: str, wanted: str) -> bool:
    return current == wanted if isinstance(wanted, Raw) else shell.unquote(current) == wanted


def _set_shell(text: str, key: str, value: str, path: str, same: Same | None) -> str:
    same = same or _default_same
    word = _shell_word(key, value, path)
    found = _assignments(text, key, path)
    if found:
        for current in reversed(found):
            if not same(key, current.text, value):
                text = text[: current.start] + word + text[current.end :]
        return text
    return _uncomment_or_append(text, key, f"{key}={word}", SHELL, path)


def _set_colon(text: str, key: str, value: str, path: str, *, same: Same | None, template: bool) -> str:
    if re.search(r"[\r\n\x00]", value):
        raise UnsafeFileError(path, f"{key}: a value with a line break cannot be written safely")
    if template and not isinstance(value, Raw) and re.search(r"[$`\\]", value):
        raise UnsafeFileError(path, f"{key}: {value!r} would be changed by sipX's template expansion")
    wanted = f"{key}{COLON.separator}{value}".rstrip()
    active = list(_active(key).finditer(text))
    if active:
        for match in reversed(active):
            current = match.group("value").strip()
            if not (current == value or (same is not None and same(key, current, value))):
                text = text[: match.start()] + wanted + text[match.end() :]
        return text
    return _uncomment_or_append(text, key, wanted, COLON, path)


def _uncomment_or_append(text: str, key: str, line: str, fmt: Format, path: str) -> str:
    commented = list(_commented(key, fmt).finditer(text))
    if fmt is SHELL and commented:
        inside = [w for c in _commands(text, path) for w in c.words]
        commented = [m for m in commented if not any(w.start <= m.start() < w.end for w in inside)]
    if commented:
        match = commented[-1]
        return text[: match.start()] + line + text[match.end() :]
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + line + newline
