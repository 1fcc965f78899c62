"""``sipxha.srv_records`` and ``sipxha.zone`` through Salt's loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support import pillars
from tests.unit.dns.test_records import seed_listing

GOLDEN = Path(__file__).resolve().parents[2] / "unit" / "dns" / "golden" / "seed.zone"


def test_srv_records_of_the_seed_equal_the_seed_listing(loaders, set_pillar):
    set_pillar(pillars.seed())
    records = loaders.modules.sipxha.srv_records()
    srv = [f"{r['name']} {r['ttl']} IN {r['type']} {r['rdata']}" for r in records if r["type"] == "SRV"]
    assert srv == seed_listing()
    assert [r["type"] for r in records[:2]] == ["NAPTR", "NAPTR"]


def test_zone_of_the_seed_matches_the_golden_file(loaders, set_pillar):
    pillar = pillars.seed()
    pillar["dns"] = {"zonefile": {"minion": "ns1", "path": "/x", "nameservers": {"ns1.example.com": "192.0.2.53"}}}
    set_pillar(pillar)
    assert loaders.modules.sipxha.zone(serial=2024051700) == GOLDEN.read_text(encoding="utf-8")
    assert "$ORIGIN example.com.\n" in loaders.modules.sipxha.zone()


def test_bad_pillar_names_the_key(loaders, set_pillar):
    pillar = pillars.seed()
    pillar["srv"] = {"weight": -1}
    set_pillar(pillar)
    with pytest.raises(CommandExecutionError, match="sipxha:srv:weight"):
        loaders.modules.sipxha.srv_records()


def test_verify_refuses_unknown_parts(loaders, set_pillar):
    set_pillar(pillars.seed())
    with pytest.raises(SaltInvocationError, match="unknown verify part"):
        loaders.modules.sipxha.verify(parts="dns,bogus")
