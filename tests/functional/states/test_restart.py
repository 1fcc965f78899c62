"""``sipxha_service.restart`` through Salt's real loaders: what a watched change does per service:restart.

This functional minion is masterless (``file_client: local``), so ``rolling`` acts as ``immediate``.
"""

from __future__ import annotations

import datetime

import pytest

from saltext_sipxha.core.rollout import marker
from tests.support import pillars


@pytest.fixture
def restart_log(tmp_path):
    return tmp_path / "restarts.log"


def _pillar(mode, log):
    return pillars.fleet(2) | {"service": {"manage": True, "restart": mode, "restart_command": f"echo x >> {log}"}}


@pytest.fixture
def marker_file(loaders):
    path = marker.marker_path(loaders.opts["cachedir"])
    marker.clear(path)
    yield path
    marker.clear(path)


def test_never_only_marks(loaders, set_pillar, restart_log, marker_file):
    set_pillar(_pillar("never", restart_log))
    ret = loaders.states.sipxha_service.mod_watch(name="sipx")
    assert ret.result is True and "Marked sipX as needing a restart" in ret.comment
    assert not restart_log.exists()
    assert marker.read_marker(marker_file)["reasons"] == ["sipX files or certificate changed"]
    plain = loaders.states.sipxha_service.restart(name="sipx")
    assert plain.result is True and not plain.changes and "restart pending since" in plain.comment


@pytest.mark.parametrize("mode", ["immediate", "rolling"])
def test_immediate_and_masterless_rolling_restart_now(loaders, set_pillar, restart_log, marker_file, mode):
    set_pillar(_pillar(mode, restart_log))
    marker.mark(marker_file, ["earlier"], datetime.datetime(2026, 1, 1))
    ret = loaders.states.sipxha_service.mod_watch(name="sipx")
    assert ret.result is True and "Restarted sipX by restart_command" in ret.comment, ret
    assert ("masterless" in ret.comment) == (mode == "rolling")
    assert restart_log.read_text() == "x\n" and marker.read_marker(marker_file) is None


def test_test_mode_changes_nothing(loaders, set_pillar, restart_log, marker_file):
    set_pillar(_pillar("never", restart_log))
    ret = loaders.states.sipxha_service.mod_watch(name="sipx", test=True)
    assert ret.result is None and ret.changes and not restart_log.exists()
    assert marker.read_marker(marker_file) is None


def test_a_failing_restart_command_fails_the_state(loaders, set_pillar, marker_file):
    set_pillar(pillars.fleet(2) | {"service": {"manage": True, "restart": "immediate", "restart_command": "exit 3"}})
    ret = loaders.states.sipxha_service.mod_watch(name="sipx")
    assert ret.result is False and "restart_command exited 3" in ret.comment


@pytest.mark.parametrize("mode", ["rolling", "immediate"])
def test_uninstall_restarts_directly_and_leaves_no_marker(loaders, set_pillar, restart_log, marker_file, mode):
    """``direct: True`` (sipxha.uninstall): restarted now, never handed to a rollout, a pending marker cleared."""
    set_pillar(_pillar(mode, restart_log))
    marker.mark(marker_file, ["earlier"], datetime.datetime(2026, 1, 1))
    ret = loaders.states.sipxha_service.mod_watch(name="sipx", direct=True)
    assert ret.result is True and "Restarted sipX by restart_command" in ret.comment, ret
    assert "leaves HA, so no rollout" in ret.comment and "masterless" not in ret.comment
    assert restart_log.read_text() == "x\n" and marker.read_marker(marker_file) is None


def test_uninstall_with_never_does_not_restart_and_clears_the_marker(loaders, set_pillar, restart_log, marker_file):
    set_pillar(_pillar("never", restart_log))
    marker.mark(marker_file, ["earlier"], datetime.datetime(2026, 1, 1))
    dry = loaders.states.sipxha_service.mod_watch(name="sipx", direct=True, test=True)
    assert marker.read_marker(marker_file) is not None and "restart it yourself" in dry.comment
    ret = loaders.states.sipxha_service.mod_watch(name="sipx", direct=True)
    assert ret.result is True and not ret.changes and "restart it yourself" in ret.comment, ret
    assert "marker is cleared" in ret.comment
    assert not restart_log.exists() and marker.read_marker(marker_file) is None


def test_uninstall_test_mode_changes_nothing(loaders, set_pillar, restart_log, marker_file):
    set_pillar(_pillar("rolling", restart_log))
    ret = loaders.states.sipxha_service.mod_watch(name="sipx", direct=True, test=True)
    assert ret.result is None and ret.changes and "Would restart sipX" in ret.comment, ret
    assert not restart_log.exists()


def test_the_restart_takes_the_marker_as_it_begins(loaders, set_pillar, tmp_path, marker_file):
    """A change marked while the restart runs (here: by the restart command itself) is not lost with the
    marker the restart took: the server still needs a restart for it."""
    script = tmp_path / "mark-during-restart"
    during = tmp_path / "marker-gone-during-restart"
    script.write_text(f"#!/bin/sh\ntest ! -e {marker_file} && touch {during}\n")
    script.chmod(0o755)
    set_pillar(pillars.fleet(2) | {"service": {"manage": True, "restart_command": str(script)}})
    marker.mark(marker_file, ["sipX files"], datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    assert loaders.modules.sipxha_restart.restart() == "restart_command"
    assert marker.read_marker(marker_file) is None
    assert during.exists()  # the marker was gone before the command ran
    marker.mark(marker_file, ["sipX files"], datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    script.write_text(f'#!/bin/sh\necho \'{{"since": null, "reasons": ["certificate"]}}\' > {marker_file}\n')
    loaders.modules.sipxha_restart.restart()
    assert marker.read_marker(marker_file)["reasons"] == ["certificate"]


def test_a_failed_restart_puts_the_marker_back(loaders, set_pillar, marker_file):
    set_pillar(pillars.fleet(2) | {"service": {"manage": True, "restart_command": "exit 4"}})
    taken = marker.mark(marker_file, ["sipX files"], datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    with pytest.raises(Exception, match="restart_command exited 4"):
        loaders.modules.sipxha_restart.restart()
    assert marker.read_marker(marker_file) == taken
