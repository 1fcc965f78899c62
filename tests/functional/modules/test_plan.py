"""``sipxha.plan`` through Salt's loader."""

from __future__ import annotations

import pytest
from salt.exceptions import CommandExecutionError

from tests.support import pillars


def test_plan_whole_fleet(loaders, set_pillar):
    set_pillar(pillars.seed())
    plan = loaders.modules.sipxha.plan()
    assert plan["master"] == "sipxpbx1"
    assert set(plan["servers"]) == {"sipxpbx1", "sipxpbx2"}
    assert plan["servers"]["sipxpbx2"]["registrar_name"] == "sipxregistrar2.example.com"


def test_plan_own_part(loaders, set_pillar):
    set_pillar(pillars.seed())
    own = loaders.modules.sipxha.plan(own=True)
    assert own["minion_id"] == "sipxpbx1"
    assert own["role"] == "master"
    assert own["fallbacks"] == ["sipxpbx2"]


def test_plan_bad_pillar_names_the_key(loaders, set_pillar):
    pillar = pillars.seed()
    pillar["servers"]["sipxpbx2"]["index"] = 0
    set_pillar(pillar)
    with pytest.raises(CommandExecutionError, match=r"sipxha:servers:sipxpbx2:index"):
        loaders.modules.sipxha.plan()
