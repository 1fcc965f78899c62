"""Rollout fixtures: the session fleet, a real BIND in nsupdate mode and per-server SIP responders.

``rollout_env`` is a :class:`tests.support.rollout.RolloutEnv` (shared with the rollout benchmark): each
server on its own loopback address with sipp responders, ``service:restart_command`` the responders'
restart script, reset before each test. In nsupdate mode; a test parametrized indirectly with
``rollout_env="zonefile"`` gets the same fleet and responders in zone-file mode (sipxpbx1 writes the zone file of
``zone_named``, a real BIND that loads it on ``rndc reload``).
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
def rollout_env(request, rollout_base, fleet):
    env = rollout_base
    if getattr(request, "param", "nsupdate") == "zonefile":
        env = rollout_base.in_zonefile(request.getfixturevalue("zone_named"), "sipxpbx1")
    env.reset()
    env.apply(env.pillar())
    yield env
    env.fleet.salt("sipxpbx*", "sipxha_restart.clear")
