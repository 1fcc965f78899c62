"""core.sipx.expand: config.defs values and templates as sipX's shell expands them, checked against real bash."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from saltext_sipxha.core.sipx import expand
from tests.support import sipxstart
from tests.support.sipxtree import real_file

FQDN = "sipxpbx2.example.com"


def _bash(text: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        return sipxstart.source(text, sipxstart.shims(Path(tmp), FQDN, "192.0.2.12"))


@pytest.mark.parametrize(
    "source", ["config.defs__legacy-sipxecs_interop.pingtel.com", "config.defs.in__sipXtapi_3854821"]
)
def test_environment_matches_bash_wherever_it_knows(source):
    text = real_file(source).read_text()
    env, real = expand.environment(text, FQDN), _bash(text)
    known = {name: value for name, value in env.items() if value is not None}
    assert {name: real[name] for name in known} == known
    assert env["MY_IP_ADDR"] is None and env["PROXY_SERVER_ADDR"] is None  # get_def_addr is not run
    assert env["MY_FULL_HOSTNAME"] == FQDN


def test_forms_sipx_uses():
    text = (
        "A=`hostname -f`\nB=$(hostname -d)\nC=\"x ${A}\"\nD='${A}'\nE=rr.$A\nF=${NOPE}z\n"
        'G=`reboot`\nH=${A:-x}\nI=a\\ b\nJ="multi\nline"\nK="con\\\ntinued $A"\nL=\\$A"$"\n'
    )
    env = expand.environment(text, FQDN)
    assert env == {
        "A": FQDN,
        "B": "example.com",
        "C": f"x {FQDN}",
        "D": "${A}",
        "E": f"rr.{FQDN}",
        "F": "z",
        "G": None,
        "H": None,
        "I": "a b",
        "J": "multi\nline",
        "K": f"continued {FQDN}",  # a backslash-newline inside double quotes goes, as outside them
        "L": "$A$",
    }
    real = _bash(text.replace("`reboot`", "unknown"))
    assert {k: v for k, v in env.items() if v is not None} == {k: real[k] for k in env if env[k] is not None}


def test_same_and_heredoc():
    env = expand.environment("MY_FULL_HOSTNAME=`hostname -f`\n", FQDN)
    assert expand.same("rr.${MY_FULL_HOSTNAME}", f"rr.{FQDN}", env, FQDN)
    assert not expand.same("rr.${MY_FULL_HOSTNAME}", "rr.other.example.com", env, FQDN)
    assert expand.same('"5070"', "5070", {}, FQDN)
    assert expand.heredoc("N : ${MY_FULL_HOSTNAME} \\$x 'q'", env, FQDN) == f"N : {FQDN} $x 'q'"
    assert expand.heredoc("N : $(whoami)", env, FQDN) is None
