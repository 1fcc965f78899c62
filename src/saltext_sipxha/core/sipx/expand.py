"""What sipX makes of ``config.defs`` values and ``*.in`` templates, without running anything.

sipX's start script sources ``config.defs`` and expands each template as a here-document. This
evaluator covers the forms sipX files use: ``${VAR}``, ``$VAR``, quotes, backslashes, and the
command substitutions ``hostname -f`` / ``-d`` / ``-s`` (answered from the server's fqdn, as
``hostname -f`` gives it once the administrator has set it up). Anything else (another command,
``${VAR:-x}``) is unknown: the value is ``None`` and callers compare text literally instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from saltext_sipxha.core.files import shell

Env = Mapping[str, "str | None"]
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)\}|(?P<plain>[A-Za-z_]\w*))")
_HOSTNAME = re.compile(r"\s*hostname\s+(-[fds])\s*")


def environment(text: str, fqdn: str) -> dict[str, str | None]:
    """The variables ``config.defs`` ``text`` sets, in the order the shell runs it (None: unknown)."""
    env: dict[str, str | None] = {}
    for command in shell.commands(text):
        assignment = command.assignment()
        if assignment is not None:
            name, word = assignment
            env[name] = word_value(word.text, env, fqdn)
    return env


def word_value(word: str, env: Env, fqdn: str) -> str | None:
    """The value the shell assigns for ``NAME=word``, or None when it needs more than this evaluator knows."""
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c == "\\":
            out.append("" if word[i + 1 : i + 2] == "\n" else word[i + 1 : i + 2])
            i += 2
        elif c == "'":
            end = word.index("'", i + 1)
            out.append(word[i + 1 : end])
            i = end + 1
        elif c == '"':
            end = shell.until(word, i + 1, '"', "double quote")
            part = _expand(word[i + 1 : end - 1], env, fqdn, '$`"\\')
            if part is None:
                return None
            out.append(part)
            i = end
        else:
            match = _VAR.match(word, i)
            end = match.end() if match else shell.skip(word, i)
            part = _expand(word[i:end], env, fqdn, None) if c in "$`" else c
            if part is None:
                return None
            out.append(part)
            i = end
    return "".join(out)


def heredoc(template: str, env: Env, fqdn: str) -> str | None:
    """``template`` expanded as an unquoted here-document with ``env``; None when something is unknown."""
    return _expand(template, env, fqdn, "$`\\\n")


def _expand(text: str, env: Env, fqdn: str, escapable: str | None) -> str | None:
    """Expand ``$VAR``, ``${VAR}`` and hostname substitutions in ``text`` (``escapable``: what ``\\`` escapes)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and escapable is not None and text[i + 1 : i + 2] in tuple(escapable):
            out.append("" if text[i + 1] == "\n" else text[i + 1])
            i += 2
        elif c == "$":
            match = _VAR.match(text, i)
            if match:
                value = env.get(match.group("braced") or match.group("plain"), "")
                if value is None:
                    return None
                out.append(value)
                i = match.end()
            elif text.startswith("$(", i):
                end = shell.nested(text, i + 2, "(", ")")
                value = _command(text[i + 2 : end - 1], fqdn)
                if value is None:
                    return None
                out.append(value)
                i = end
            elif text.startswith("${", i):
                return None
            else:
                out.append(c)
                i += 1
        elif c == "`":
            end = shell.until(text, i + 1, "`", "backquote")
            value = _command(text[i + 1 : end - 1], fqdn)
            if value is None:
                return None
            out.append(value)
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _command(command: str, fqdn: str) -> str | None:
    match = _HOSTNAME.fullmatch(command)
    if not match:
        return None
    short, _, domain = fqdn.partition(".")
    return {"-f": fqdn, "-d": domain, "-s": short}[match.group(1)]


def same(current: str, wanted: str, env: Env, fqdn: str) -> bool:
    """Whether shell word ``current`` and literal ``wanted`` give sipX the same value."""
    if shell.unquote(current) == wanted:
        return True
    value = word_value(current, env, fqdn)
    return value is not None and value == wanted
