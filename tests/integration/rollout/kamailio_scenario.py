"""The kamailio scenario's inner half: runs only inside :func:`tests.support.kamailio.run_isolated`.

``test_kamailio.py`` starts a pytest on this file in private namespaces, where BIND answers on
127.0.0.1:53 (the namespace's resolver) and kamailio, an RFC 3263 client nobody here wrote, relays a
steady ``sipp`` OPTIONS load to the fleet's SRV names while a fleet-wide change is applied. The file is
not named ``test_*``: the normal session does not collect it.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.rollout.test_rollout import ORDER, assert_one_after_another
from tests.support import kamailio
from tests.support.named import free_port, running_named
from tests.support.rollout import wait_for

pytestmark = pytest.mark.skipif(not kamailio.isolated(), reason="runs inside run_isolated (see test_kamailio.py)")

DOWN = 6.0  #: seconds each restart keeps a server's responders down, in both cases
RATE = 20  #: OPTIONS per second per target
TARGETS = {  # what sipX's clients resolve: the domain (NAPTR: TCP, then UDP) and the numbered TCP names
    "domain": "sip:example.com",
    "registrar1": "sip:sipxregistrar1.example.com;transport=tcp",
    "authproxy2": "sip:sipxauthproxy2.example.com;transport=tcp",
}


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """BIND on 127.0.0.1:53, the namespace's resolver (kamailio asks port 53); overrides the session's."""
    with running_named(tmp_path_factory.mktemp("named"), port=53) as server:
        yield server


@pytest.fixture
def env(rollout_base, fleet):
    """``rollout_env`` without its DNS apply (each test applies its pillar once); restarts last DOWN s."""
    rollout_base.reset()
    rollout_base.down = DOWN
    yield rollout_base
    rollout_base.fleet.salt("sipxpbx*", "sipxha_restart.clear")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    with kamailio.running_kamailio(tmp_path_factory.mktemp("kamailio"), free_port()) as running:
        yield running


def change_under_load(env, proxy, tmp_path, pillar, done):
    """Apply ``sipxha`` on every server (fresh trees: every server's files change) while sipp sends OPTIONS
    through kamailio; wait (bounded) for ``done()``, then a little more; the per-target results."""
    env.apply(pillar | {"dns": {"nsupdate": env.named.nsupdate_pillar(addresses=True)}})  # SRV targets' A too
    with kamailio.options_load(tmp_path / "load", proxy.port, TARGETS, rate=RATE) as load:
        time.sleep(2)
        ret = env.fleet.salt("sipxpbx*", "state.apply", "sipxha")
        assert ret.returncode == 0, ret
        wait_for(done, 300, "every server restarted")
        time.sleep(2)
        return load.stop()


def test_rolling_change_under_load_fails_no_request(env, proxy, tmp_path):
    pillar = env.pillar(rollout={"drain_wait": 2, "health_timeout": 15})  # drain_wait >= TTL + cache
    results = change_under_load(env, proxy, tmp_path, pillar, lambda: len(env.events()) >= 6 and not env.pending())
    events = env.events()
    assert_one_after_another(events, ORDER)
    report = {name: (r.sent, r.failed, r.longest_gap) for name, r in results.items()}
    print("rolling: target -> (sent, failed, longest gap s):", report)
    for name, result in results.items():
        assert result.failed == 0 and result.successful == result.sent, (name, report)
        assert result.answered[0] < events[0][0] and result.answered[-1] > events[-1][0], (name, "load spans it")
        assert result.sent >= RATE * (events[-1][0] - events[0][0]) * 0.5, (name, report)


def test_immediate_change_under_load_fails_requests(env, proxy, tmp_path):
    """The baseline (every server restarts in its own state run, at about the same moment): the same load
    sees failures, so the test above can fail."""
    pillar = env.pillar(service={"manage": True, "restart": "immediate"})
    results = change_under_load(env, proxy, tmp_path, pillar, lambda: len(env.events()) >= 6)
    events = env.events()
    begins = [e[0] for e in events if e[2] == "begin"]
    ends = [e[0] for e in events if e[2] == "end"]
    report = {name: (r.sent, r.failed, r.longest_gap) for name, r in results.items()}
    print("immediate: target -> (sent, failed, longest gap s):", report)
    assert max(begins) < min(ends), ("all three down together", events)
    assert results["registrar1"].failed > 0 and results["authproxy2"].failed > 0, report
