"""``sipxha.plan`` on every minion of a real fleet: each sees its own role and the same fleet."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_each_minion_sees_its_role_and_the_same_fleet(fleet):
    whole = fleet.salt("sipxpbx*", "sipxha.plan")
    assert whole.returncode == 0, whole
    assert set(whole.data) == set(fleet.minions)
    plans = list(whole.data.values())
    assert all(plan == plans[0] for plan in plans)
    assert plans[0]["master"] == "sipxpbx1"

    own = fleet.salt("sipxpbx*", "sipxha.plan", "own=True")
    assert own.returncode == 0, own
    roles = {minion_id: part["role"] for minion_id, part in own.data.items()}
    assert roles == {"sipxpbx1": "master", "sipxpbx2": "distributed", "sipxpbx3": "distributed"}
    for minion_id, part in own.data.items():
        assert part["minion_id"] == minion_id
        assert part["paths"]["etc"] == str(fleet.etc(minion_id))


def test_bad_pillar_fails_naming_the_key(fleet):
    pillar = fleet.default_pillar()
    pillar["servers"]["sipxpbx3"]["index"] = 2
    fleet.set_pillar(pillar)
    ret = fleet.salt_call("sipxpbx3", "sipxha.plan")
    assert ret.returncode != 0
    assert "sipxha:servers:sipxpbx3:index" in ret.stdout + ret.stderr
