"""DNS integration fixtures: real ``named`` servers next to the session's Salt fleet.

- ``named`` / ``zone_named`` (from ``tests/conftest.py``): BIND for nsupdate mode / zone-file mode.
- ``apply_dns(minion_id, *args)``: ``salt-call state.apply sipxha.dns`` on that minion, returning
  ``(ret, states)`` with ``states`` the per-state results keyed by state id prefix (``sipxha-dns-...``).
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.skipif(shutil.which("named") is None, reason="bind9 not installed")


@pytest.fixture
def apply_dns(fleet):
    def _apply(minion_id: str, *args: str):
        ret = fleet.salt_call(minion_id, "state.apply", "sipxha.dns", *args)
        data = ret.data if isinstance(ret.data, dict) else {}
        states = {key.split("_|-")[1]: value for key, value in data.items() if "_|-" in key}
        return ret, states

    return _apply
