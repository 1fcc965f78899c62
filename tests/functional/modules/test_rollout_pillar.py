"""ext_pillar ``sipxha_rollout`` through Salt's pillar loader and compiler: the drained server in the pillar.

A masterless minion with ``ext_pillar: [{sipxha_rollout: {}}]`` and the rollout state file in its cache
folder (where the master's runner writes it) compiles ``sipxha:rollout:drained`` into its pillar, merged
with the pillar file's ``sipxha:rollout`` keys, and its DNS rendering leaves that server out.
"""

from __future__ import annotations

import datetime

import pytest
import salt.loader
import salt.utils.yaml
from saltfactories.utils.functional import Loaders

from saltext_sipxha.core.rollout.drained import set_drained, state_path
from tests.support import pillars

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
SIPXHA = pillars.fleet(3) | {"rollout": {"drain_wait": 7}}


@pytest.fixture
def master_opts(minion_opts, tmp_path):
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - sipxha\n", encoding="utf-8")
    (pillar_root / "sipxha.sls").write_text(salt.utils.yaml.safe_dump({"sipxha": SIPXHA}), encoding="utf-8")
    return minion_opts | {
        "cachedir": str(tmp_path / "cache"),
        "ext_pillar": [{"sipxha_rollout": {}}],
        "pillar_roots": {"base": [str(pillar_root)]},
    }


@pytest.fixture
def ext_pillar(master_opts, loaders):
    return salt.loader.pillars(master_opts, loaders.modules)["sipxha_rollout"]


def test_nothing_drained_gives_nothing(ext_pillar):
    assert ext_pillar("sipxpbx1", {"sipxha": SIPXHA}) == {}


def test_the_drained_server_reaches_every_fleet_minion_and_no_other(ext_pillar, master_opts):
    set_drained(state_path(master_opts["cachedir"]), "sipxpbx2", NOW)
    wanted = {"sipxha": {"rollout": {"drained": ["sipxpbx2"]}}}
    assert ext_pillar("sipxpbx1", {"sipxha": SIPXHA}) == wanted
    assert ext_pillar("ns1", {"sipxha": SIPXHA}) == wanted  # a zone-file minion outside sipxha:servers
    assert ext_pillar("other", {}) == {}
    two = pillars.fleet(2)  # a pillar whose fleet does not list the drained id: nothing passed on
    set_drained(state_path(master_opts["cachedir"]), "sipxpbx3", NOW)
    assert ext_pillar("sipxpbx1", {"sipxha": two}) == {}


def test_compiled_pillar_merges_it_and_dns_leaves_the_server_out(master_opts):
    minion = Loaders(master_opts, loaded_base_name=f"{__name__}.loaded")  # it empties its cachedir first
    try:
        set_drained(state_path(master_opts["cachedir"]), "sipxpbx2", NOW)
        minion.refresh_pillar()
        assert minion.pillar["sipxha"]["rollout"] == {"drain_wait": 7, "drained": ["sipxpbx2"]}
        records = minion.modules.sipxha.srv_records()
        targets = {r["rdata"].split()[-1] for r in records if r["name"] == "_sip._tcp.example.com."}
        assert targets == {"sipxpbx1.example.com.", "sipxpbx3.example.com."}, records
        assert "sipxpbx2.example.com." not in minion.modules.sipxha.zone(serial=1).split("sipxregistrar3")[0]
    finally:
        minion.reset_state()
