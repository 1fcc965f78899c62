"""Rollout fixtures: the session fleet, a real BIND in nsupdate mode and per-server SIP responders.

``rollout_env`` is a :class:`tests.support.rollout.RolloutEnv` (shared with the rollout benchmark): each
server on its own loopback address with sipp responders, ``service:restart_command`` the responders'
restart script, reset before each test.
"""

from __future__ import annotations

import shutil

import pytest

from tests.support.rollout import RolloutEnv, wait_for

__all__ = ["wait_for"]

pytestmark = pytest.mark.skipif(
    shutil.which("named") is None or shutil.which("sipp") is None, reason="bind9 or sipp not installed"
)


@pytest.fixture(scope="module")
def rollout_base(sipx_fleet, named, tmp_path_factory):
    env = RolloutEnv.create(sipx_fleet, named, tmp_path_factory.mktemp("responders"))
    try:
        yield env
    finally:
        env.stop_responders()


@pytest.fixture
def rollout_env(rollout_base, fleet):
    rollout_base.reset()
    rollout_base.apply(rollout_base.pillar())
    yield rollout_base
    rollout_base.fleet.salt("sipxpbx*", "sipxha_restart.clear")
