"""Just enough of the POSIX shell grammar to edit ``config.defs`` the way ``sh`` reads it.

sipX sources ``config.defs`` with ``.``; one assignment may span several physical lines (a
backslash-newline, a quoted value with newlines, a multi-line command substitution). :func:`commands`
splits a text into its logical command lines, each a list of words with their spans, so an editor
replaces whole values and never leaves a continuation line behind. :func:`quote` writes a literal
value as a word the shell reads back unchanged; :func:`unquote` is quote removal for words without
expansions. Nothing here runs anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from saltext_sipxha.core.errors import SipxhaError

_BARE = re.compile(r"[\w.:/@%+,=-]*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_OPERATORS = ";&|<>()"


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


def unquote(word: str) -> str | None:
    """Quote removal of ``word``; None when it holds an expansion (``$``, backquote) outside single quotes."""
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c in "$`":
            return None
        if c == "\\":
            if word[i + 1 : i + 2] != "\n":
                out.append(word[i + 1 : i + 2])
            i += 2
        elif c == "'":
            end = word.index("'", i + 1)
            out.append(word[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            while word[i] != '"':
                if word[i] in "$`":
                    return None
                if word[i] == "\\" and word[i + 1] in '$`"\\\n':
                    out.append("" if word[i + 1] == "\n" else word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)
