"""The master's record of the server a rollout has drained (what the sipxha_rollout ext_pillar reads)."""

from __future__ import annotations

import datetime
import json

from saltext_sipxha.core.rollout.drained import read_drained, set_drained, state_path

NOW = datetime.datetime(2026, 12, 1, 13, 0, tzinfo=datetime.timezone.utc)


def test_set_read_and_clear(tmp_path):
    path = state_path(tmp_path / "cache")
    assert path == tmp_path / "cache" / "sipxha" / "rollout.json" and read_drained(path) is None
    set_drained(path, "sipxpbx2", NOW)
    assert read_drained(path) == "sipxpbx2" and path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["since"] == "2026-12-01T13:00:00+00:00"
    set_drained(path, None, NOW)
    assert not path.exists() and read_drained(path) is None
    set_drained(path, None, NOW)  # nothing drained already: fine


def test_an_unreadable_or_odd_state_is_no_drained_server(tmp_path):
    path = tmp_path / "rollout.json"
    for text in ("not json", "[]", '{"drained": 3}', '{"drained": ""}'):
        path.write_text(text)
        assert read_drained(path) is None, text
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")
    assert read_drained(path) is None
