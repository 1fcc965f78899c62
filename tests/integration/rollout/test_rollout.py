"""``salt-run sipxha.rollout`` on a real master and three minions, against BIND and per-server SIP responders."""

from __future__ import annotations

import concurrent.futures

import pytest

from saltext_sipxha.core.files.atomic import backup_path, created_marker
from tests.integration.rollout.conftest import wait_for
from tests.support.named import STARTER_ZONE, ZONE

ORDER = ["sipxpbx2", "sipxpbx3", "sipxpbx1"]  # distributed by index, the master last


def assert_one_after_another(events, order):
    """Each server restarted once, in ``order``, never two at once, each out of DNS during its restart."""
    assert [(e[1], e[2]) for e in events] == [(m, step) for m in order for step in ("begin", "end")], events
    assert all(e[3] == "in_dns=False" for e in events if e[2] == "begin"), events
    times = [e[0] for e in events]
    assert times == sorted(times)


def test_a_fleet_wide_change_restarts_every_server_once_one_after_another(rollout_env):
    """state.apply on every server marks it and fires sipxha/restart/needed; the reactor's rollouts restart
    each server exactly once, strictly in turn, drained before and undrained after."""
    ret = rollout_env.fleet.salt("sipxpbx*", "state.apply", "sipxha")
    assert ret.returncode == 0, ret
    for minion_id, states in ret.data.items():
        restart = next(s for key, s in states.items() if key.startswith("sipxha_service_|-sipxha-restart"))
        assert "Marked sipX as needing a restart" in restart["comment"] and "fired" in restart["comment"], minion_id
    wait_for(lambda: len(rollout_env.events()) >= 6 and not rollout_env.pending(), 120, "every server restarted")
    assert_one_after_another(rollout_env.events(), ORDER)
    assert all(rollout_env.in_dns(minion_id) for minion_id in ORDER)
    again = rollout_env.fleet.salt("sipxpbx*", "state.apply", "sipxha")
    assert not any(s["changes"] for states in again.data.values() for s in states.values()), again.data


def test_an_unhealthy_server_stops_the_rollout_and_a_rerun_finishes_it(rollout_env):
    rollout_env.mark_all()
    (rollout_env.state / "sipxpbx3.broken").touch()
    failed = rollout_env.fleet.salt_run("sipxha.rollout")
    summary = failed.data
    assert summary["ok"] is False and summary["restarted"] == ["sipxpbx2"], summary
    assert summary["failed"]["server"] == "sipxpbx3" and summary["failed"]["step"] == "health"
    assert summary["failed"]["check"].startswith("proxy ") and "not healthy within 5 s" in summary["failed"]["reason"]
    assert [e[1] for e in rollout_env.events()] == ["sipxpbx2", "sipxpbx2", "sipxpbx3", "sipxpbx3"]
    assert not rollout_env.in_dns("sipxpbx3") and rollout_env.in_dns("sipxpbx1") and rollout_env.in_dns("sipxpbx2")
    assert rollout_env.pending() == {"sipxpbx3", "sipxpbx1"}  # sipxpbx3's restart took its marker, it got it back
    assert any(line.startswith("sipxpbx2: drained (nsupdate from the master: ") for line in summary["steps"]), summary

    (rollout_env.state / "sipxpbx3.broken").unlink()
    rerun = rollout_env.fleet.salt_run("sipxha.rollout").data
    assert rerun["ok"] is True and rerun["restarted"] == ["sipxpbx3", "sipxpbx1"], rerun
    assert all(rollout_env.in_dns(minion_id) for minion_id in ORDER) and not rollout_env.pending()


def test_a_second_rollout_while_one_runs_is_refused_and_they_do_not_overlap(rollout_env):
    rollout_env.mark_all()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(rollout_env.fleet.salt_run, "sipxha.rollout")
        wait_for(lambda: rollout_env.events() or first.done(), 60, "the first rollout restarting a server")
        second = rollout_env.fleet.master.salt_run_cli(timeout=180).run("sipxha.rollout")  # its own CLI object
        done = first.result(timeout=120)
    assert second.returncode != 0 and "another sipxha rollout is running" in second.stdout + second.stderr, second
    assert done.returncode == 0 and done.data["restarted"] == ORDER, done.stdout[-3000:]
    assert_one_after_another(rollout_env.events(), ORDER)


def test_test_mode_prints_the_plan_and_changes_nothing(rollout_env):
    rollout_env.mark_all()
    serial = rollout_env.named.serial()
    ret = rollout_env.fleet.salt_run("sipxha.rollout", "test=True")
    plan = ret.data
    assert plan["order"] == ORDER and [p["server"] for p in plan["plan"]] == ORDER, plan
    assert "_sip._tcp.example.com. SRV" in plan["plan"][0]["dns_changes"]
    assert any("restart_command" in step for step in plan["plan"][0]["steps"])
    assert rollout_env.events() == [] and rollout_env.pending() == set(ORDER)
    assert rollout_env.named.serial() == serial


def test_maintenance_drains_a_server_for_as_long_as_it_is_set(rollout_env):
    pillar = rollout_env.pillar()
    pillar["servers"]["sipxpbx2"]["maintenance"] = True
    rollout_env.apply(pillar)
    assert not rollout_env.in_dns("sipxpbx2") and rollout_env.in_dns("sipxpbx1")
    registrar2 = rollout_env.named.query("_sip._tcp.sipxregistrar2.example.com").answer
    targets = {rdata.target.to_text() for rrset in registrar2 for rdata in rrset}
    assert targets == {"sipxpbx1.example.com.", "sipxpbx3.example.com."}
    report = rollout_env.fleet.salt("sipxpbx2", "sipxha.verify", "parts=files").data
    assert report["maintenance"] is True
    rollout_env.apply(rollout_env.pillar())
    assert rollout_env.in_dns("sipxpbx2")


@pytest.mark.parametrize("rollout_env", ["nsupdate", "zonefile"], indirect=True)
def test_a_dns_run_during_a_rollout_keeps_the_drained_server_out(rollout_env):
    """While sipxpbx2 restarts slowly, the master's sipxha_rollout ext_pillar gives every minion
    ``sipxha:rollout:drained: [sipxpbx2]``: a sipxha.dns run meanwhile (minion daemon and salt-call alike)
    changes nothing and keeps it out of every SRV RRset; after the rollout it is back, and a DNS run then
    changes nothing either. Zone-file mode: the runs are on the zone-file minion (sipxpbx1, the only one whose
    sipxha.dns touches DNS); the zone file stays byte for byte what the drain wrote and named serves it."""
    env = rollout_env
    hold = env.state / "sipxpbx2.hold"  # sipxpbx2 stays down until the checks are done
    hold.touch()
    ret = env.fleet.salt("sipxpbx2", "sipxha_restart.mark", "reasons=test", "fire=False")
    assert ret.returncode == 0, ret
    caller = env.zonefile_minion or "sipxpbx3"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        rollout = pool.submit(env.fleet.salt_run, "sipxha.rollout")
        try:
            wait_for(lambda: env.events() or rollout.done(), 60, "sipxpbx2's restart begun")
            assert not rollout.done(), rollout.result().stdout[-3000:]
            drained = _dns_now(env)
            during = env.fleet.salt(env.dns_minion, "state.apply", "sipxha.dns")
            called = env.fleet.salt_call(caller, "state.apply", "sipxha.dns")
            pillar = _drained_in_pillar(env)
            still = _dns_now(env)
            restarting = [e[2] for e in env.events()] == ["begin"]
        finally:
            hold.unlink()
        done = rollout.result(timeout=120)
    assert restarting, env.events()  # every check above ran while sipxpbx2 was down
    assert during.returncode == 0 and called.returncode == 0, (during, called)
    for states in (during.data, called.data):
        dns = next(s for key, s in states.items() if f"sipxha-dns-{env.dns_mode}" in key)
        assert dns["changes"] == {} and "up to date" in dns["comment"], dns
    assert pillar == ["sipxpbx2"], pillar
    assert still == drained, (drained, still)  # same serial, same answers, same zone file bytes
    targets = still["targets"]
    assert still.get("file_targets", targets) == targets, still
    assert all(targets.values()) and not any(SIPXPBX2 in t for t in targets.values()), targets
    assert targets["_sip._tcp.sipxregistrar2.example.com."] == {"sipxpbx1.example.com.", "sipxpbx3.example.com."}
    assert done.returncode == 0 and done.data["restarted"] == ["sipxpbx2"], done.stdout[-3000:]
    back = _dns_now(env)
    assert SIPXPBX2 in back["targets"]["_sip._tcp.example.com."] and back["serial"] > drained["serial"]
    assert back.get("file_targets", back["targets"]) == back["targets"], back
    after = env.fleet.salt(env.dns_minion, "state.apply", "sipxha.dns")
    assert not any(s["changes"] for s in after.data.values()), after.data
    assert _dns_now(env) == back
    assert _drained_in_pillar(env) is None


SIPXPBX2 = "sipxpbx2.example.com."


def _dns_now(env):
    """What DNS says now: named's SOA serial and SRV targets; zone-file mode: the zone file too (its bytes, and
    its SRV targets, which must be what named answers)."""
    now = {"serial": env.named.serial(), "targets": env.srv_targets()}
    if env.zonefile_minion is not None:
        now |= {"file": env.named.zone_file.read_bytes(), "file_targets": env.zone_file_targets()}
    return now


def test_a_drain_a_dns_run_with_an_older_pillar_put_back_is_redone_before_the_restart(rollout_env):
    """A DNS run whose pillar predates the drain (here: sipxha_dns.nsupdate with no server drained, sent
    from sipxpbx1 during drain_wait) puts sipxpbx2 back; the rollout finds that after drain_wait, drains it
    again and waits again, so it is out of DNS when it restarts."""
    rollout_env.apply(rollout_env.pillar(rollout={"drain_wait": 4, "health_timeout": 5}))
    ret = rollout_env.fleet.salt("sipxpbx2", "sipxha_restart.mark", "reasons=test", "fire=False")
    assert ret.returncode == 0, ret
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        rollout = pool.submit(rollout_env.fleet.salt_run, "sipxha.rollout")
        wait_for(lambda: not rollout_env.in_dns("sipxpbx2") or rollout.done(), 60, "sipxpbx2 drained")
        stale = rollout_env.fleet.salt("sipxpbx1", "sipxha_dns.nsupdate", "drained=")
        back = rollout_env.in_dns("sipxpbx2")
        done = rollout.result(timeout=120)
    assert stale.returncode == 0 and stale.data["changes"], stale
    assert back and rollout_env.events() and done.returncode == 0, done.stdout[-3000:]
    steps = done.data["steps"]
    assert any(line.startswith("sipxpbx2: was put back into DNS") for line in steps), steps
    assert sum(line.endswith("(drain_wait)") for line in steps) == 2, steps
    assert_one_after_another(rollout_env.events(), ["sipxpbx2"])  # out of DNS when its restart began
    assert rollout_env.in_dns("sipxpbx2")


def _drained_in_pillar(env):
    """``sipxha:rollout:drained`` of a pillar the master compiles now (``pillar.items`` asks it afresh)."""
    return env.fleet.salt("sipxpbx1", "pillar.items", "unmask=True").data["sipxha"]["rollout"].get("drained")


def test_uninstall_restarts_the_server_directly_after_its_dns_records_are_gone(rollout_env):
    """sipxha.uninstall with ``restart: rolling``: sipX restarts in the state run (once its SRV records are
    removed), not through a rollout, and no restart marker is left for one."""
    rollout_env.apply(rollout_env.pillar(service={"manage": True, "restart": "never"}))
    installed = rollout_env.fleet.salt("sipxpbx3", "state.apply", "sipxha")
    assert installed.returncode == 0 and rollout_env.pending() == {"sipxpbx3"}, installed
    rollout_env.apply(rollout_env.pillar())  # back to rolling
    ret = rollout_env.fleet.salt("sipxpbx3", "state.apply", "sipxha.uninstall")
    assert ret.returncode == 0, ret
    restart = next(s for key, s in ret.data.items() if "sipxha-uninstall-service" in key)
    assert "Restarted sipX by restart_command" in restart["comment"] and "no rollout" in restart["comment"]
    assert [e[1:] for e in rollout_env.events()] == [("sipxpbx3", "begin", "in_dns=False"), ("sipxpbx3", "end", "")]
    assert not rollout_env.pending() and not rollout_env.in_dns("sipxpbx3")


@pytest.mark.parametrize("rollout_env", ["zonefile"], indirect=True)
def test_uninstall_in_zone_file_mode_puts_the_original_zone_back(rollout_env):
    """The fleet converged in zone-file mode (sipX files, certificates, the zone on sipxpbx1), then sipxha.uninstall
    on every server, sipxpbx1 being the zone-file minion too (issue 12.10): named answers none of the HA SRV names,
    the zone file is the original from before sipxha, byte for byte but its SOA serial (moved past the live one,
    so secondaries transfer it), and a second run changes nothing. Last of the module: the zone is not sipxha's
    any more."""
    env, zone_file = rollout_env, rollout_env.named.zone_file
    env.set_pillar(env.pillar(service={"manage": False}))
    env.fleet.apply_all("sipxha,sipxha.dns")
    installed = env.named.serial()
    assert all(env.srv_targets().values()) and backup_path(zone_file).exists()

    done = env.fleet.apply_all("sipxha.uninstall")
    zone = next(s for key, s in done["sipxpbx1"].items() if "sipxha-uninstall-zonefile" in key)
    assert zone["changes"]["serial"]["old"] == installed and "ran 'rndc" in zone["comment"], zone
    assert not any("zonefile" in key for m in ("sipxpbx2", "sipxpbx3") for key in done[m]), done
    assert not any(env.srv_targets().values()), "named still answers HA SRV records"
    serial = env.named.serial()
    original = STARTER_ZONE.format(zone=ZONE)  # what the zone file held before sipxha (tests/support/named.py)
    assert zone_file.read_text(encoding="utf-8") == original.replace(" 1 3600 ", f" {serial} 3600 ")
    assert serial == zone["changes"]["serial"]["new"] > installed
    assert not backup_path(zone_file).exists() and not created_marker(zone_file).exists()
    assert str(env.named.query("www.example.com", "A").answer[0][0]) == "192.0.2.80"

    again = env.fleet.apply_all("sipxha.uninstall")
    assert not any(s["changes"] for states in again.values() for s in states.values()), again
    assert env.named.serial() == serial
