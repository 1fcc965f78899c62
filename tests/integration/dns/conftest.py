"""DNS integration fixtures: real ``named`` servers next to the session's Salt fleet.

- ``named``: a dynamic ``example.com`` (nsupdate mode), key :data:`tests.support.named.TSIG_NAME`.
- ``zone_named``: ``example.com`` served from a file that zone-file mode writes and ``rndc`` reloads.
- ``apply_dns(minion_id, *args)``: ``salt-call state.apply sipxha.dns`` on that minion, returning
  ``(ret, states)`` with ``states`` the per-state results keyed by state id prefix (``sipxha-dns-...``).
"""

from __future__ import annotations

import shutil

import pytest

from tests.support.named import running_named

pytestmark = pytest.mark.skipif(shutil.which("named") is None, reason="bind9 not installed")


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    with running_named(tmp_path_factory.mktemp("named")) as server:
        yield server


@pytest.fixture(scope="module")
def zone_named(tmp_path_factory):
    root = tmp_path_factory.mktemp("named-zonefile")
    with running_named(root, zone_file=root / "db.sipxha.example.com") as server:
        yield server


@pytest.fixture
def apply_dns(fleet):
    def _apply(minion_id: str, *args: str):
        ret = fleet.salt_call(minion_id, "state.apply", "sipxha.dns", *args)
        data = ret.data if isinstance(ret.data, dict) else {}
        states = {key.split("_|-")[1]: value for key, value in data.items() if "_|-" in key}
        return ret, states

    return _apply
