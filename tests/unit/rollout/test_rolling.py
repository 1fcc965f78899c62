"""The rolling restart's order, steps and failure paths, with fake effects and a fake clock."""

from __future__ import annotations

import dataclasses
import datetime
import threading

import pytest

from saltext_sipxha.core.errors import RolloutError
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.rollout import marker
from saltext_sipxha.core.rollout.lock import RolloutBusy, rollout_lock
from saltext_sipxha.core.rollout.rolling import DnsResult, Effects, drain_changes, plan_steps, roll, rollout_order
from tests.support import pillars


class World:
    """A fake fleet: DNS drains, restarts and probes are logged; ``down`` servers never answer."""

    def __init__(self, down=(), broken=(), dead=()):
        self.now, self.log, self.drained = 0.0, [], frozenset()
        self.down, self.broken = set(down), set(broken)
        self.dead = set(dead)  #: (minion id, role, transport) that never answers while the rest of the server does
        self.put_back = 0  #: times a DNS run puts the drained server back before the drain is checked

    def effects(self):
        return Effects(
            drain=self.drain, restart=self.restart, probe=self.probe, remark=self.remark,
            sleep=self.sleep, clock=lambda: self.now, progress=lambda line: None,
        )  # fmt: skip

    def remark(self, server, reason):
        self.log.append(f"remark {server.minion_id}: {reason}")

    def drain(self, server, ids):
        assert ids <= {server.minion_id}
        assert len(ids) <= 1, "never two servers drained at once"
        changed = ids != self.drained or self.put_back > 0
        if ids == self.drained and self.put_back:
            self.put_back -= 1  # a DNS run with an older pillar had put it back
        self.drained = ids
        self.log.append(f"drain {','.join(sorted(ids)) or '-'}")
        return DnsResult("ok", changed)

    def restart(self, server):
        if server.minion_id in self.broken:
            raise RolloutError(f"restart of {server.minion_id} exited 1")
        self.log.append(f"restart {server.minion_id}")
        self.now += 3
        return "restart_command"

    def probe(self, server, check, timeout):
        self.now += 0.01
        if server.minion_id in self.down or (server.minion_id, check.role, check.transport) in self.dead:
            self.now += timeout
            return "no answer"
        return None

    def sleep(self, seconds):
        self.now += seconds


FLEET = pillars.fleet(3) | {"rollout": {"drain_wait": 2, "health_timeout": 5}}


def test_order_is_distributed_by_index_then_the_master():
    fleet = build_plan(FLEET)
    assert [s.minion_id for s in rollout_order(fleet, ["sipxpbx1", "sipxpbx3", "sipxpbx2"])] == [
        "sipxpbx2",
        "sipxpbx3",
        "sipxpbx1",
    ]


def test_every_server_once_strictly_one_after_another_drained_around_its_restart():
    world, fleet = World(), build_plan(FLEET)
    outcome = roll(fleet, lambda: ["sipxpbx1", "sipxpbx2", "sipxpbx3"], world.effects())
    assert outcome.ok and outcome.done == ["sipxpbx2", "sipxpbx3", "sipxpbx1"]
    per_server = [["drain sipxpbx{0}", "drain sipxpbx{0}", "restart sipxpbx{0}", "drain -"] for _ in range(3)]
    assert world.log == [step.format(i) for i, steps in zip((2, 3, 1), per_server, strict=True) for step in steps]
    assert outcome.timings["sipxpbx2"]["total"] >= 2 + 3
    assert any(line.startswith("sipxpbx2: healthy after") for line in outcome.lines)


def test_an_unhealthy_server_stops_the_rollout_drained_with_the_check_named():
    world, fleet = World(down={"sipxpbx3"}), build_plan(FLEET)
    outcome = roll(fleet, lambda: ["sipxpbx1", "sipxpbx2", "sipxpbx3"], world.effects())
    assert outcome.done == ["sipxpbx2"]
    assert outcome.failed["server"] == "sipxpbx3" and outcome.failed["step"] == "health"
    assert outcome.failed["check"] == "proxy 5060/tcp" and "within 5 s" in outcome.failed["reason"]
    assert world.drained == {"sipxpbx3"} and "restart sipxpbx1" not in world.log
    assert world.log[-1] == "remark sipxpbx3: rollout: health failed"  # the restart took its marker


def test_a_failed_restart_stops_it_and_a_rerun_resumes_with_that_server():
    world, fleet = World(broken={"sipxpbx2"}), build_plan(FLEET)
    pending = {"sipxpbx1", "sipxpbx2", "sipxpbx3"}
    first = roll(fleet, lambda: pending, world.effects())
    assert first.failed["step"] == "restart" and "exited 1" in first.failed["reason"]
    assert world.drained == {"sipxpbx2"}
    assert world.log == ["drain sipxpbx2", "drain sipxpbx2", "remark sipxpbx2: rollout: restart failed"]
    world.broken.clear()
    second = roll(fleet, lambda: pending - set(first.done), world.effects(), first="sipxpbx2")
    assert second.ok and second.done == ["sipxpbx2", "sipxpbx3", "sipxpbx1"] and world.drained == frozenset()


def test_a_server_marked_during_the_rollout_is_restarted_by_it():
    world, fleet = World(), build_plan(FLEET)
    answers = iter([["sipxpbx2"], ["sipxpbx2", "sipxpbx3"], ["sipxpbx2", "sipxpbx3"]])
    outcome = roll(fleet, lambda: next(answers), world.effects())
    assert outcome.done == ["sipxpbx2", "sipxpbx3"]


def test_a_server_whose_peers_are_all_down_is_not_drained_and_says_so():
    world, fleet = World(down={"sipxpbx1", "sipxpbx3"}), build_plan(FLEET)
    outcome = roll(fleet, lambda: ["sipxpbx2"], world.effects())
    assert outcome.ok and "drain sipxpbx2" not in world.log and "drain -" not in world.log
    assert any("NOT drained: none of its peers answers" in line for line in outcome.lines)


def test_a_server_is_not_drained_when_its_peers_answer_the_proxy_but_not_its_auth_proxy():
    dead = {(peer, "authproxy", "tcp") for peer in ("sipxpbx1", "sipxpbx3")}
    world, fleet = World(dead=dead), build_plan(FLEET)
    outcome = roll(fleet, lambda: ["sipxpbx2"], world.effects())
    assert outcome.ok and "drain sipxpbx2" not in world.log
    said = "none of its peers answers SIP OPTIONS on authproxy"
    assert any(said in line and "/tcp" in line for line in outcome.lines)


def test_one_peer_answering_each_check_is_enough_to_drain():
    dead = {("sipxpbx1", "authproxy", "tcp"), ("sipxpbx3", "registrar", "tcp")}
    world, fleet = World(dead=dead), build_plan(FLEET)
    outcome = roll(fleet, lambda: ["sipxpbx2"], world.effects())
    assert outcome.ok and world.log[0] == "drain sipxpbx2"


def test_a_server_in_maintenance_is_restarted_but_not_drained_again_nor_undrained():
    pillar = pillars.fleet(3) | {"rollout": {"drain_wait": 2}}
    pillar["servers"]["sipxpbx2"]["maintenance"] = True
    world = World()
    outcome = roll(build_plan(pillar), lambda: ["sipxpbx2"], world.effects())
    assert outcome.ok and world.log == ["restart sipxpbx2"]


def test_nothing_pending_does_nothing():
    world = World()
    outcome = roll(build_plan(FLEET), lambda: [], world.effects())
    assert outcome.ok and outcome.done == [] and world.log == []


def test_plan_steps_show_order_steps_and_dns_changes():
    fleet = build_plan(FLEET | {"service": {"manage": True, "restart_command": "/usr/local/bin/restart-sipx"}})
    plan = plan_steps(fleet, rollout_order(fleet, ["sipxpbx1", "sipxpbx2"]))
    assert [p["server"] for p in plan] == ["sipxpbx2", "sipxpbx1"]
    assert "restart sipX (service:restart_command; takes its restart marker)" in plan[0]["steps"]
    changes = drain_changes(fleet, "sipxpbx2")
    assert changes["_sip._tcp.example.com. SRV"] == ["SRV 1 50 5060 sipxpbx2.example.com."]
    assert changes["_sip._tcp.sipxregistrar2.example.com. SRV"] == ["SRV 1 50 5070 sipxpbx2.example.com."]
    assert plan[0]["dns_changes"] == changes


def test_marker_survives_and_merges(tmp_path):
    path = marker.marker_path(tmp_path)
    assert marker.read_marker(path) is None
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)
    marker.mark(path, ["sipX files"], now)
    later = marker.mark(path, ["certificate", "sipX files"], now + datetime.timedelta(hours=1))
    assert later == {"since": "2026-12-01T12:00:00+00:00", "reasons": ["sipX files", "certificate"]}
    assert marker.read_marker(path) == later
    path.write_text("garbage")
    assert marker.read_marker(path)["reasons"] == ["unreadable marker"]
    assert marker.clear(path) and not marker.clear(path)


def test_a_marker_put_back_keeps_its_reasons_and_since_merged_with_a_new_one(tmp_path):
    path = marker.marker_path(tmp_path)
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)
    taken = marker.mark(path, ["sipX files"], now)
    marker.clear(path)
    assert marker.put_back(path, taken) == taken
    marker.clear(path)
    marker.mark(path, ["certificate"], now + datetime.timedelta(minutes=5))  # written while the restart ran
    assert marker.put_back(path, taken)["reasons"] == ["certificate", "sipX files"]
    assert marker.put_back(path, {"since": "garbage"})["reasons"][-1] == "restart failed"


def test_a_second_rollout_is_refused_while_one_holds_the_lock(tmp_path):
    lock = tmp_path / "rollout.lock"
    entered, release = threading.Event(), threading.Event()

    def first():
        with rollout_lock(lock, {"jid": "1"}):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(5)
    with pytest.raises(RolloutBusy, match='"jid": "1"'), rollout_lock(lock, {"jid": "2"}):
        pass
    release.set()
    thread.join(5)
    with rollout_lock(lock, {"jid": "3"}):
        pass


def test_a_server_left_drained_but_no_longer_pending_is_undrained():
    world, fleet = World(), build_plan(FLEET)
    world.drained = frozenset({"sipxpbx3"})
    outcome = roll(fleet, lambda: [], world.effects(), first="sipxpbx3")
    assert outcome.ok and world.log == ["drain -"] and world.drained == frozenset()
    assert "undrained once it is healthy" in outcome.lines[0]


def test_a_server_left_drained_and_still_down_stays_drained():
    world, fleet = World(down={"sipxpbx3"}), build_plan(FLEET)
    world.drained = frozenset({"sipxpbx3"})
    outcome = roll(fleet, lambda: ["sipxpbx2"], world.effects(), first="sipxpbx3")
    assert outcome.failed["server"] == "sipxpbx3" and outcome.failed["step"] == "health" and outcome.failed["drained"]
    assert world.log == [] and world.drained == {"sipxpbx3"}  # not undrained, sipxpbx2 not touched


def test_a_marker_that_cannot_be_set_again_is_named_in_the_failure():
    world, fleet = World(down={"sipxpbx2"}), build_plan(FLEET)

    def remark(server, reason):
        raise RolloutError("sipxpbx2 did not answer sipxha_restart.mark within 5 s")

    effects = dataclasses.replace(world.effects(), remark=remark)
    outcome = roll(fleet, lambda: ["sipxpbx2"], effects)
    assert "its restart marker could not be set again: sipxpbx2 did not answer" in outcome.failed["reason"]


def test_a_drain_a_dns_run_put_back_is_redone_and_waited_for_again():
    world, fleet = World(), build_plan(FLEET)
    world.put_back = 1
    outcome = roll(fleet, lambda: ["sipxpbx2"], world.effects())
    assert outcome.ok and world.log == ["drain sipxpbx2"] * 3 + ["restart sipxpbx2", "drain -"]
    assert sum(line.endswith("(drain_wait)") for line in outcome.lines) == 2
    assert any("was put back into DNS" in line for line in outcome.lines)


def test_a_drain_that_keeps_being_put_back_stops_the_rollout_before_the_restart():
    world, fleet = World(), build_plan(FLEET)
    world.put_back = 99
    outcome = roll(fleet, lambda: ["sipxpbx2", "sipxpbx3"], world.effects())
    assert outcome.failed["server"] == "sipxpbx2" and outcome.failed["step"] == "drain" and outcome.failed["drained"]
    assert "4 times" in outcome.failed["reason"] and not any(line.startswith("restart") for line in world.log)
    assert world.drained == {"sipxpbx2"}
