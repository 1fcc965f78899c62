"""Fixtures of the role integration tests (the fleet itself comes from ``tests/integration/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def apply_sipxha(fleet):
    """``state.apply sipxha`` on every sipX minion; returns ``{minion: {state id: result}}`` after checking it ran."""

    def _apply(*args: str) -> dict:
        ret = fleet.salt("sipxpbx*", "state.apply", "sipxha", *args)
        assert isinstance(ret.data, dict) and set(ret.data) == set(fleet.minions), ret
        for minion_id, states in ret.data.items():
            assert isinstance(states, dict), f"{minion_id}: {states}"
        return ret.data

    return _apply
