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
    return shell.unquote(word, _expansion(env, fqdn))


def heredoc(template: str, env: Env, fqdn: str) -> str | None:
    """``template`` expanded as an unquoted here-document with ``env``; None when something is unknown."""
    return shell.expand_text(template, _expansion(env, fqdn), shell.HEREDOC)


def _expansion(env: Env, fqdn: str) -> shell.Expansion:
    """The :data:`.shell.Expansion` of sipX's start: ``$VAR``/``${VAR}`` from ``env`` (unset: empty), the
    ``hostname`` substitutions, a lone ``$`` as itself; anything else (``${VAR:-x}``, other commands) unknown."""

    def value(text: str) -> str | None:
        match = _VAR.fullmatch(text)
        if match:
            return env.get(match.group("braced") or match.group("plain"), "")
        if text.startswith("$("):
            return _command(text[2:-1], fqdn)
        if text.startswith("`"):
            return _command(text[1:-1], fqdn)
        return "$" if text == "$" else None

    return value


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
