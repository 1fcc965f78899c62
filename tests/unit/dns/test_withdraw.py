"""Uninstall in zone-file mode (core/dns/withdraw.py): the original back with a newer serial, or the zone
without the HA records; nothing when sipxha left no backup or marker."""

from __future__ import annotations

import datetime

import dns.name
import pytest

from saltext_sipxha.core.dns.withdraw import WITHDRAWN_FRAGMENT, forget, plan_withdraw
from saltext_sipxha.core.dns.zonetext import soa_serial, with_serial
from saltext_sipxha.core.errors import UnsafeFileError
from saltext_sipxha.core.files.atomic import backup_once, backup_path, created_marker
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

TODAY = datetime.date(2026, 12, 1)
SITE = """$ORIGIN example.com.
@    IN SOA ns1.example.com. hostmaster.example.com. ( 2024010101 ; serial
          3600 900 1209600 300 )
@    IN NS  ns1.example.com.
ns1  IN A   192.0.2.53
"""


def fleet_for(path, **settings):
    zonefile = {"minion": "ns1", "path": str(path), "nameservers": {"ns1.example.com": "192.0.2.53"}} | settings
    return build_plan(pillars.seed() | {"dns": {"zonefile": zonefile}})


def test_with_serial_changes_only_the_serial_of_a_multi_line_soa():
    origin = dns.name.from_text("example.com.")
    assert with_serial(SITE, 7, origin) == SITE.replace("2024010101", "7")
    assert with_serial("www IN A 192.0.2.1\n", 7, origin) is None


def test_the_original_comes_back_with_a_serial_past_the_live_one(tmp_path):
    path = tmp_path / "db.example.com"
    path.write_text(SITE)
    backup_once(path)
    path.write_text(SITE.replace("2024010101", "2026120105") + "_sip._tcp IN SRV 1 50 5060 sipxpbx1\n")
    fleet = fleet_for(path)
    change = plan_withdraw(fleet, fleet.dns.zonefile, TODAY)
    assert change.new == SITE.replace("2024010101", "2026120106")
    assert (change.old_serial, change.new_serial) == (2026120105, 2026120106)
    assert change.file.mode == path.stat().st_mode & 0o7777 and not change.file.backup


def test_an_original_already_ahead_keeps_its_serial(tmp_path):
    path = tmp_path / "db.example.com"
    path.write_text(SITE.replace("2024010101", "2030010100"))
    backup_once(path)
    path.write_text(SITE)
    fleet = fleet_for(path)
    assert plan_withdraw(fleet, fleet.dns.zonefile, TODAY).new_serial == 2030010100


def test_a_zone_sipxha_created_keeps_soa_ns_and_name_server_address_only(tmp_path):
    path = tmp_path / "db.example.com"
    backup_once(path)
    path.write_text(SITE)
    fleet = fleet_for(path)
    change = plan_withdraw(fleet, fleet.dns.zonefile, TODAY)
    types = [line.split()[3] for line in change.new.splitlines() if line and line[0] not in ";$"]
    assert types == ["SOA", "NS", "A"] and "ns1" in change.new
    assert (
        soa_serial(change.new, dns.name.from_text("example.com.")) == 2026120100
        and "no longer managed by salt" in change.new.lower()
    )


def test_a_fragment_sipxha_created_becomes_comments_only(tmp_path):
    path, site = tmp_path / "db.sipxha", tmp_path / "db.example.com"
    backup_once(path)
    path.write_text("_sip._tcp.example.com. 3600 IN SRV 1 50 5060 sipxpbx1.example.com.\n")
    fleet = fleet_for(path, fragment=True, including=str(site))
    change = plan_withdraw(fleet, fleet.dns.zonefile, TODAY)
    assert change.new == WITHDRAWN_FRAGMENT.format(origin="example.com.") and change.new_serial is None


def test_nothing_without_a_backup_or_marker_and_forget_drops_them(tmp_path):
    path = tmp_path / "db.example.com"
    path.write_text(SITE)
    fleet = fleet_for(path)
    assert plan_withdraw(fleet, fleet.dns.zonefile, TODAY) is None
    backup_once(path)
    assert backup_path(path).exists()
    forget(fleet.dns.zonefile)
    assert not backup_path(path).exists() and not created_marker(path).exists()
    assert plan_withdraw(fleet, fleet.dns.zonefile, TODAY) is None


@pytest.mark.parametrize(
    ("original", "says"),
    [
        (SITE.replace("@    IN SOA", "@ 1h IN SOA"), "has the SOA serial 2024010101, not past the live 2026120105"),
        ("$INCLUDE /etc/bind/soa.example.com\n" + SITE.split("\n", 3)[3], "has no SOA record sipxha can read"),
    ],
)
def test_an_original_whose_serial_cannot_be_moved_is_refused(tmp_path, original, says):
    path = tmp_path / "db.example.com"
    path.write_text(original)
    backup_once(path)
    path.write_text(SITE.replace("2024010101", "2026120105"))
    fleet = fleet_for(path)
    with pytest.raises(UnsafeFileError) as err:
        plan_withdraw(fleet, fleet.dns.zonefile, TODAY)
    assert err.value.path == str(backup_path(path)) and says in err.value.reason
    assert "Nothing was changed. Set the SOA serial in this file to 2026120106 or more" in err.value.reason
    assert backup_path(path).read_text() == original
