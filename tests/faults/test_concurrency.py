"""Two state runs at once on one minion end converged: files equal the role's, ``.bak`` the originals.

Two levels, both real:

- two ``salt-call --local state.apply sipxha`` processes started together on the same sandbox (Salt's own
  "already running" guard may turn one away; with ``concurrent=True`` it lets both through, as an
  administrator can), and
- two forked processes that plan together (a barrier after reading every file) and then write at the
  same moment through the core, many rounds, so that their writes interleave file by file.

Both runs succeed (a file the other run already wrote as wanted is skipped, not refused), the tree
afterwards is exactly what one uninterrupted run gives (``.bak`` = the stock file) and a further run has
nothing to change.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.files import atomic
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.role import plan_role
from tests.faults.sandbox import MINION_ID, make_server, pillar_for, snapshot

SALT_CALL = str(Path(sys.executable).with_name("salt-call"))
CALL_TIMEOUT = 120
ROUNDS = 25


@pytest.fixture
def converged(tmp_path):
    """``(etc, stock, expected)``: a fresh stock tree, its snapshot, and the snapshot one run gives (same path)."""
    etc, _ = make_server(tmp_path)
    stock = snapshot(etc)
    apply_changes(plan_role(build_plan(pillar_for(etc)), MINION_ID).changes)
    expected = snapshot(etc)
    shutil.rmtree(etc)
    make_server(tmp_path)
    assert snapshot(etc) == stock
    return etc, stock, expected


def salt_call(minion_opts, pillar, *args):
    argv = [SALT_CALL, "-c", os.path.dirname(minion_opts["conf_file"]), "--local", "--out=json", f"--id={MINION_ID}"]
    argv += ["state.apply", "sipxha", f"pillar={json.dumps({'sipxha': pillar})}", *args]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def role_outcome(proc) -> str:
    out, err = proc.communicate(timeout=CALL_TIMEOUT)
    data = json.loads(out or "{}").get("local")
    if isinstance(data, list):  # Salt turned the run away: another state run is going on
        assert any("is running as PID" in line for line in data), data
        return "turned away by Salt"
    assert isinstance(data, dict), (out, err)
    role = next(ret for key, ret in data.items() if "sipxha-role" in key)
    assert role["result"] is True, role
    return "converged"


@pytest.mark.parametrize("concurrent", [False, True], ids=["salt-guard", "concurrent=True"])
def test_two_salt_call_runs_at_once(minion_opts, converged, tmp_path, concurrent):
    etc, _, expected = converged
    pillar = pillar_for(etc, ssl=tmp_path / "ssl")
    extra = ("concurrent=True",) if concurrent else ()
    procs = [salt_call(minion_opts, pillar, *extra) for _ in range(2)]
    outcomes = [role_outcome(proc) for proc in procs]
    assert "converged" in outcomes, outcomes
    assert snapshot(etc) == expected, outcomes
    again = salt_call(minion_opts, pillar)
    out, _ = again.communicate(timeout=CALL_TIMEOUT)
    assert all(not ret["changes"] for ret in json.loads(out)["local"].values()), out
    print(f"salt-call x2 ({'concurrent' if concurrent else 'guarded'}): {outcomes}")


def _racer(etc: str, barrier, results) -> None:
    plan = plan_role(build_plan(pillar_for(Path(etc))), MINION_ID)
    barrier.wait(timeout=30)
    try:
        apply_changes(plan.changes)
        results.put("converged")
    except SipxhaError as err:
        results.put(f"refused: {err}")


def test_two_processes_writing_at_the_same_moment(converged, tmp_path):
    etc, stock, expected = converged
    fork = multiprocessing.get_context("fork")
    seen = {}
    for _ in range(ROUNDS):
        shutil.rmtree(etc)
        make_server(etc.parent.parent)
        assert snapshot(etc) == stock
        barrier, results = fork.Barrier(2), fork.Queue()
        racers = [fork.Process(target=_racer, args=(str(etc), barrier, results)) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=60)
            assert racer.exitcode == 0
        outcomes = sorted(results.get(timeout=5) for _ in racers)
        seen[tuple(outcomes)] = seen.get(tuple(outcomes), 0) + 1
        assert outcomes == ["converged", "converged"]
        assert snapshot(etc) == expected, outcomes
        assert not plan_role(build_plan(pillar_for(etc)), MINION_ID).changed
    print(f"two racing processes, {ROUNDS} rounds: {seen}")


def test_a_backup_made_meanwhile_by_another_run_is_never_replaced(tmp_path, monkeypatch):
    """The narrowest race of two runs: the other one backs up and rewrites the file while this one starts its copy.

    Replayed deterministically: the other run's steps are done (with the product's own functions) at the
    moment this run reads the original, i.e. after it saw no backup and before it opened the file.
    """
    target = tmp_path / "WatchDog.xml"
    target.write_bytes(b"<watchdog>original</watchdog>\n")
    real_read, fired = atomic.read_at, []

    def other_run_meanwhile(*args, **kwargs):
        if not fired:
            fired.append(True)
            atomic.backup_once(target)  # the other run: its backup of the original ...
            atomic.atomic_write(target, b"<watchdog>new</watchdog>\n")  # ... and its new text
        return real_read(*args, **kwargs)

    monkeypatch.setattr(atomic, "read_at", other_run_meanwhile)
    atomic.backup_once(target)
    monkeypatch.undo()
    assert fired
    assert atomic.backup_path(target).read_bytes() == b"<watchdog>original</watchdog>\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
