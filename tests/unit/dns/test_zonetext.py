"""Zone rendering (golden file for the seed), serials, and zone-file mode with a real named-checkzone."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import dns.name
import dns.zone
import pytest

from saltext_sipxha.core.dns.zonefile import apply_zonefile, named_checkzone, plan_zonefile, validate
from saltext_sipxha.core.dns.zonetext import next_serial, render_zone, soa_serial
from saltext_sipxha.core.errors import DnsError, PillarError, UnsafeFileError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

GOLDEN = Path(__file__).parent / "golden"
TODAY = datetime.date(2024, 5, 17)
needs_checkzone = pytest.mark.skipif(shutil.which("named-checkzone") is None, reason="bind9-utils not installed")


def seed_fleet(**zonefile):
    pillar = pillars.seed()
    settings = {"minion": "ns1", "path": "/unused", "nameservers": {"ns1.example.com": "192.0.2.53"}} | zonefile
    pillar["dns"] = {"zonefile": settings}
    return build_plan(pillar)


def test_seed_zone_matches_the_golden_file():
    fleet = seed_fleet()
    text = render_zone(fleet, 2024051700, fleet.dns.zonefile)
    assert text == (GOLDEN / "seed.zone").read_text(encoding="utf-8")


def test_rendering_is_deterministic_and_parses_back_to_the_same_records():
    fleet = build_plan(pillars.fleet(4, srv={"naptr": True}))
    first, second = render_zone(fleet, 7), render_zone(build_plan(pillars.fleet(4, srv={"naptr": True})), 7)
    assert first == second
    zone = dns.zone.from_text(first, origin="example.com.", relativize=False)
    srv_count = sum(len(rdataset) for _, rdataset in zone.iterate_rdatasets("SRV"))
    assert srv_count == 2 * 4 + 3 * 16
    assert zone.get_soa().serial == 7


def test_default_nameserver_is_the_zonefile_minion_when_it_is_a_server():
    pillar = pillars.seed()
    pillar["dns"] = {"zonefile": {"minion": "sipxpbx1", "path": "/x"}}
    fleet = build_plan(pillar)
    text = render_zone(fleet, 1, fleet.dns.zonefile)
    assert "@        3600 IN NS    sipxpbx1.example.com.\n" in text.replace("                ", "")


def test_in_zone_nameserver_without_address_is_refused():
    pillar = pillars.seed()
    pillar["dns"] = {"zonefile": {"minion": "ns1", "path": "/x"}}
    fleet = build_plan(pillar)
    with pytest.raises(PillarError, match="sipxha:dns:zonefile:nameservers"):
        render_zone(fleet, 1, fleet.dns.zonefile)


def test_serials():
    assert next_serial(None, TODAY) == 2024051700
    assert next_serial(2024051700, TODAY) == 2024051701
    assert next_serial(2023010105, TODAY) == 2024051700
    assert next_serial(2**32 - 1, TODAY) == 0
    origin = dns.name.from_text("example.com.")
    assert soa_serial("@ 60 IN SOA a. b. 42 1 2 3 4\n", origin) == 42
    assert soa_serial("no soa here", origin) is None
    assert soa_serial("www 60 IN A 192.0.2.1\n", origin) is None


def test_the_serial_is_read_by_dnspython_in_any_master_file_form(tmp_path):
    """Issue 10.5: multi-line SOA with comments, a ``$TTL`` and an ``$INCLUDE`` (not followed) all read."""
    origin = dns.name.from_text("example.com.")
    text = (
        "$TTL 300\n$ORIGIN example.com.\n@ IN SOA ns1 hostmaster (\n    2024051703 ; serial\n    1 2 3 4 )\n"
        f"$INCLUDE {tmp_path / 'missing.zone'}\n"
    )
    assert soa_serial(text, origin) == 2024051703
    fleet = seed_fleet(include="/etc/bind/local.zone")
    assert soa_serial(render_zone(fleet, 2024051799, fleet.dns.zonefile), origin) == 2024051799


@needs_checkzone
def test_zonefile_mode_writes_validates_and_bumps_only_on_change(tmp_path):
    path = str(tmp_path / "db.example.com")
    fleet = seed_fleet(path=path)
    reloads = []
    first = plan_zonefile(fleet, path, fleet.dns.zonefile, TODAY)
    assert first.changed and first.old is None and first.new_serial == 2024051700
    assert apply_zonefile(first, named_checkzone, lambda: reloads.append(1))
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    again = plan_zonefile(fleet, path, fleet.dns.zonefile, TODAY + datetime.timedelta(days=3))
    assert not again.changed and again.diff() == ""
    assert not apply_zonefile(again, named_checkzone, lambda: reloads.append(1))
    assert reloads == [1]
    zonefile = {"minion": "ns1", "path": path, "nameservers": {"ns1.example.com": "192.0.2.53"}}
    bigger = build_plan(pillars.fleet(3) | {"dns": {"zonefile": zonefile}})
    third = plan_zonefile(bigger, path, bigger.dns.zonefile, TODAY)
    assert third.changed and third.new_serial == 2024051701
    assert "+_sip._tcp.sipxregistrar3" in third.diff()


@needs_checkzone
def test_a_zone_failing_named_checkzone_never_replaces_the_live_file(tmp_path):
    include = tmp_path / "local.zone"
    include.write_text("www IN CNAME nowhere\nwww IN A 192.0.2.80\n", encoding="utf-8")
    path = tmp_path / "db.example.com"
    path.write_text("; the administrator's zone\n", encoding="utf-8")
    fleet = seed_fleet(path=str(path), include=str(include))
    change = plan_zonefile(fleet, str(path), fleet.dns.zonefile, TODAY)
    with pytest.raises(DnsError, match=r"named-checkzone rejected the zone example\.com"):
        apply_zonefile(change, named_checkzone, None)
    assert path.read_text(encoding="utf-8") == "; the administrator's zone\n"
    include.write_text("www IN A 192.0.2.80\n", encoding="utf-8")
    fixed = plan_zonefile(fleet, str(path), fleet.dns.zonefile, TODAY)
    validate(fixed, named_checkzone)
    assert apply_zonefile(fixed, named_checkzone, None)
    assert (tmp_path / "db.example.com.bak").read_text(encoding="utf-8") == "; the administrator's zone\n"


@needs_checkzone
def test_editing_the_include_bumps_the_serial(tmp_path):
    include = tmp_path / "local.zone"
    include.write_text("www IN A 192.0.2.80\n", encoding="utf-8")
    path = str(tmp_path / "db")
    fleet = seed_fleet(path=path, include=str(include))
    apply_zonefile(plan_zonefile(fleet, path, fleet.dns.zonefile, TODAY), named_checkzone, None)
    include.write_text("www IN A 192.0.2.81\n", encoding="utf-8")
    change = plan_zonefile(fleet, path, fleet.dns.zonefile, TODAY)
    assert change.changed and change.new_serial == change.old_serial + 1


def test_missing_folder_is_refused(tmp_path):
    fleet = seed_fleet()
    with pytest.raises(UnsafeFileError, match="folder does not exist"):
        plan_zonefile(fleet, str(tmp_path / "nope" / "db"), fleet.dns.zonefile, TODAY)


def test_planning_a_changed_zone_renders_it_once(tmp_path, monkeypatch):
    """Issue 10.5: the live serial's text and the new serial's come from one rendering."""
    from saltext_sipxha.core.dns import zonetext

    path = tmp_path / "db.example.com"
    fleet = seed_fleet(path=str(path))
    path.write_text(render_zone(seed_fleet(path=str(path), nameservers={"ns2.example.com": "192.0.2.54"}), 5))
    calls, records = [], zonetext.zone_records
    monkeypatch.setattr(zonetext, "zone_records", lambda *args, **kwargs: calls.append(1) or records(*args, **kwargs))
    change = plan_zonefile(fleet, str(path), fleet.dns.zonefile, TODAY)
    assert change.changed and (change.old_serial, change.new_serial) == (5, 2024051700)
    assert calls == [1]
