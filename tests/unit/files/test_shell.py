"""core.files.shell: one quote-removal loop for plain words (no expansion known) and for sipX's expansions."""

from __future__ import annotations

import subprocess

import pytest

from saltext_sipxha.core.files import shell

WORDS = ["plain", "'single $x'", '"dq \\$x \\" \\\\ \\a"', "a\\ b", '"multi\nline"', "'a'\"b\"c", '"a\\\nb"', "x\\\ny"]


def _bash(word: str) -> str:
    """What bash assigns for ``V=word`` (no expansion in these words)."""
    script = f'V={word}\nprintf %s "$V"'
    return subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("word", WORDS)
def test_unquote_is_quote_removal_as_bash_does_it(word):
    assert shell.unquote(word) == _bash(word)


@pytest.mark.parametrize("word", ["$x", "${x}", '"a $x"', "`id`", '"$(id)"', "a$", "$(echo ')')"])
def test_unquote_without_an_expander_knows_no_expansion(word):
    assert shell.unquote(word) is None


def test_unquote_hands_each_expansion_to_the_expander_outside_single_quotes():
    seen: list[str] = []

    def expand(text: str) -> str | None:
        seen.append(text)
        return None if text == "$UNKNOWN" else f"<{text}>"

    assert shell.unquote("a$B'$C'\"${D}-`e f`\"$(g)\\$h", expand) == "a<$B>$C<${D}>-<`e f`><$(g)>$h"
    assert seen == ["$B", "${D}", "`e f`", "$(g)"]
    assert shell.unquote('"x $UNKNOWN"', expand) is None


def test_expand_text_escapes_only_what_the_context_escapes():
    assert shell.expand_text('a \\" \\$ \\q', shell.no_expansion, shell.DOUBLE_QUOTED) == 'a " $ \\q'
    assert shell.expand_text('a \\" \\$ \\\nb', shell.no_expansion, shell.HEREDOC) == 'a \\" $ b'
    assert shell.expand_text("n $x", lambda text: "1", shell.HEREDOC) == "n 1"
