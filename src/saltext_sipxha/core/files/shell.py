"""Just enough of the POSIX shell grammar to edit ``config.defs`` the way ``sh`` reads it.

sipX sources ``config.defs`` with ``.``; one assignment may span several physical lines (a
backslash-newline, a quoted value with newlines, a multi-line command substitution). :func:`commands`
splits a text into its logical command lines, each a list of words with their spans, so an editor
replaces whole values and never leaves a continuation line behind. :func:`quote` writes a literal
value as a word the shell reads back unchanged; :func:`unquote` is quote removal, with the expansions
left to a caller's :data:`Expansion` (:mod:`..sipx.expand` answers sipX's; by default none is known). Nothing here
runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from saltext_sipxha.core.errors import SipxhaError

_BARE = re.compile(r"[\w.:/@%+,=-]*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_OPERATORS = ";&|<>()"
DOUBLE_QUOTED = '$`"\\\n'  #: what a backslash escapes inside double quotes
HEREDOC = "$`\\\n"  #: what a backslash escapes in an unquoted here-document

Expansion = Callable[[str], "str | None"]
"""The value of one expansion's text (``$NAME``, ``${...}``, ``$(...)``, a backquoted command), None: unknown."""


class ShellSyntaxError(SipxhaError):
    """The text is not shell this module can read safely (unterminated quote, here-document)."""


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Command:
    """One logical command line: its words (``simple`` when nothing but words and a comment)."""

    start: int
    end: int
    words: tuple[Word, ...]
    simple: bool

    def assignment(self) -> tuple[str, Word] | None:
        """(name, value word) when the line is exactly ``NAME=value``; the word's span is the value's."""
        if not self.simple or len(self.words) != 1:
            return None
        word = self.words[0]
        name, eq, _ = word.text.partition("=")
        if not eq or not _NAME.fullmatch(name):
            return None
        start = word.start + len(name) + 1
        return name, Word(start, word.end, word.text[len(name) + 1 :])


def commands(text: str) -> list[Command]:
    """Every logical command line of ``text`` (blank and comment-only lines have no words)."""
    found, i, n = [], 0, len(text)
    while i < n:
        start, words, simple = i, [], True
        while i < n:
            c = text[i]
            if c in " \t\r":
                i += 1
            elif text.startswith("\\\n", i):
                i += 2
            elif c == "\n":
                break
            elif c == "#":
                i = _line_end(text, i)
            elif c in _OPERATORS:
                if text.startswith("<<", i):
                    raise ShellSyntaxError("has a here-document: not edited")
                simple = False
                i += 1
            else:
                end = word_end(text, i)
                words.append(Word(i, end, text[i:end]))
                i = end
        found.append(Command(start, i, tuple(words), simple))
        i += 1
    return found


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def word_end(text: str, i: int) -> int:
    """Where the shell word starting at ``i`` ends."""
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n" or c in _OPERATORS:
            return i
        i = skip(text, i)
    return n


def skip(text: str, i: int) -> int:
    """The index after the quoted part, escape, expansion or character at ``i``."""
    c = text[i]
    if c == "\\":
        return min(i + 2, len(text))
    if c == "'":
        end = text.find("'", i + 1)
        if end < 0:
            raise ShellSyntaxError("has an unterminated single quote")
        return end + 1
    if c == '"':
        return until(text, i + 1, '"', "double quote")
    if c == "`":
        return until(text, i + 1, "`", "backquote")
    if text.startswith("$(", i):
        return nested(text, i + 2, "(", ")")
    if text.startswith("${", i):
        return nested(text, i + 2, "{", "}")
    return i + 1


def until(text: str, i: int, close: str, what: str) -> int:
    while i < len(text):
        if text[i] == close:
            return i + 1
        if text[i] == "\\":
            i += 2
        elif close == '"' and (text[i] == "`" or text.startswith(("$(", "${"), i)):
            i = skip(text, i)
        else:
            i += 1
    raise ShellSyntaxError(f"has an unterminated {what}")


def nested(text: str, i: int, open_: str, close: str) -> int:
    depth = 1
    while i < len(text):
        c = text[i]
        if c == close:
            depth -= 1
            if depth == 0:
                return i + 1
            i += 1
        elif c == open_:
            depth += 1
            i += 1
        else:
            i = skip(text, i)
    raise ShellSyntaxError(f"has an unterminated ${open_}")


def quote(value: str) -> str:
    """``value`` as one shell word that reads back as exactly ``value``; no newlines or control characters."""
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        raise ShellSyntaxError("a value with a newline or control character cannot be written safely")
    if _BARE.fullmatch(value) and value:
        return value
    if not re.search(r'["$`\\!]', value):
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + re.sub(r'(["$`\\])', r"\\\1", value) + '"'


def no_expansion(text: str) -> None:
    """The :data:`Expansion` that knows none: :func:`unquote` with it is plain quote removal."""
    return None


def expansion_end(text: str, i: int) -> int:
    """Where the expansion at ``i`` (``$NAME``, ``${...}``, ``$(...)``, a backquoted command, a lone ``$``) ends."""
    name = _NAME.match(text, i + 1) if text[i] == "$" else None
    return name.end() if name else skip(text, i)


def unquote(word: str, expand: Expansion = no_expansion) -> str | None:
    """Quote removal of ``word``, each expansion outside single quotes replaced by ``expand``'s value.

    None when ``expand`` does not know an expansion: with the default, whenever the word holds one
    (``$``, a backquote) outside single quotes.
    """
    return _read(word, expand, None)


def expand_text(text: str, expand: Expansion, escapable: str) -> str | None:
    """``text`` as the shell reads it inside double quotes (``escapable`` :data:`DOUBLE_QUOTED`) or an unquoted
    here-document (:data:`HEREDOC`): a backslash before one of ``escapable`` goes (with a newline, both go), each
    expansion becomes ``expand``'s value; None when ``expand`` does not know one."""
    return _read(text, expand, escapable)


def _read(text: str, expand: Expansion, escapable: str | None) -> str | None:
    """The one reading loop: a word (``escapable`` None: quotes count and a backslash escapes anything) or
    the inside of double quotes / a here-document (no quotes; a backslash escapes only ``escapable``)."""
    out, i = [], 0
    while i < len(text):
        c, following = text[i], text[i + 1 : i + 2]
        part: str | None
        if c == "\\" and (escapable is None or (following and following in escapable)):
            part, end = ("" if following == "\n" else following), i + 2
        elif c in "$`":
            end = expansion_end(text, i)
            part = expand(text[i:end])
        elif escapable is None and c == "'":
            end = text.index("'", i + 1) + 1
            part = text[i + 1 : end - 1]
        elif escapable is None and c == '"':
            end = until(text, i + 1, '"', "double quote")
            part = _read(text[i + 1 : end - 1], expand, DOUBLE_QUOTED)
        else:
            part, end = c, i + 1
        if part is None:
            return None
        out.append(part)
        i = end
    return "".join(out)
