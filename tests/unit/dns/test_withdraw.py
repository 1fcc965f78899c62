"""Uninstall in zone-file mode (core/dns/withdraw.py): the original back with a newer serial, or the zone
without the HA records; nothing when sipxha left no backup or marker."""

from __future__ import annotations

import datetime
import shutil

import dns.name
import dns.zone
import pytest

from saltext_sipxha.core.dns.withdraw import WITHDRAWN_FRAGMENT, forget, plan_withdraw
from saltext_sipxha.core.dns.zonefile import named_checkzone
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


REST = "@ IN NS ns1.example.com.\nns1 IN A 192.0.2.53\n"
SOA_FORMS = {  # valid BIND SOA records; SERIAL is the serial token, every other byte must stay
    "ttl with a unit": "@ 1h IN SOA ns1.example.com. hostmaster.example.com. SERIAL 3600 900 1209600 300\n",
    "units, no class": "@ 1D SOA ns1 hostmaster SERIAL 1h 15m 2w 5m\n",
    "class before ttl": "@ IN 3600 SOA ns1.example.com. hostmaster.example.com. SERIAL 3600 900 1209600 300\n",
    "lower case, tabs": "@\t1W2d\tin\tsoa\tns1 hostmaster\tSERIAL\t3600 900 1209600 300\n",
    "fqdn owner, crlf": "example.com. 300 IN SOA ns1 hostmaster SERIAL 3600 900 1209600 300\r\n",
    "multi-line, comments": (
        "; was: @ IN SOA ns1 hostmaster 2024010101 3600 900 1209600 300 (a comment, not the record)\n"
        "@\tIN\tSOA\tns1.example.com. hostmaster.example.com. (\t; primary; (contact)\n"
        "\t\t\tSERIAL\t; serial 2024010101 (YYYYMMDDnn)\n"
        "\t\t\t3h ; refresh\n\n\t\t\t15M\t; retry\n\t\t\t2w\t; expire\n\t\t\t5m )\t; minimum )\n"
        "\t\t\t\t; still a comment\n"
    ),
    "parenthesis first": "@ 3600 IN SOA ( ns1 hostmaster\n SERIAL 3600 900\n 1209600 300 )\n",
    "owner omitted": "@ IN NS ns1\n   IN SOA ns1 hostmaster SERIAL 3600 900 1209600 300\n",  # the owner before: @
}


def soa_zone(form: str, serial: str) -> str:
    head = '$ORIGIN example.com.\n$TTL 300\ntxt IN TXT "@ IN SOA a b 2024010101 ( ;" \\"\n'
    return head + SOA_FORMS[form].replace("SERIAL", serial) + REST


@pytest.mark.skipif(not shutil.which("named-checkzone"), reason="needs bind9-utils")
@pytest.mark.parametrize("form", SOA_FORMS)
def test_with_serial_rewrites_every_bind_soa_form_byte_for_byte(tmp_path, form):
    origin = dns.name.from_text("example.com.")
    original, expected = soa_zone(form, "2024010101"), soa_zone(form, "2026120106")
    path = tmp_path / "db.example.com"
    path.write_bytes(original.encode())
    named_checkzone("example.com", str(path))  # the original is valid BIND
    assert soa_serial(original, origin) == 2024010101
    rewritten = with_serial(original, 2026120106, origin)
    assert rewritten == expected  # only the serial token changed: comments, blanks, parentheses kept
    path.write_bytes(rewritten.encode())
    named_checkzone("example.com", str(path))
    assert dns.zone.from_file(str(path), origin=origin, relativize=False).get_soa().serial == 2026120106


def test_with_serial_leaves_an_soa_it_cannot_place_alone():
    origin = dns.name.from_text("example.com.")
    included = "$ORIGIN example.com.\n$INCLUDE /etc/bind/soa.example.com\n" + REST
    assert with_serial(included, 7, origin) is None
    below = "$ORIGIN example.com.\n" + REST + "www IN A 192.0.2.80\n  IN SOA ns1 hostmaster 5 1 1 1 1\n"
    assert with_serial(below, 7, origin) is None  # an SOA at www, not at the zone's apex
    unbalanced = "@ IN SOA ns1 hostmaster ) 5 1 1 1 1\n" + REST
    assert with_serial(unbalanced, 7, origin) is None


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


def test_an_original_with_a_ttl_unit_comes_back_with_a_serial_past_the_live_one(tmp_path):
    """It was refused: the serial rewrite knew only a TTL in seconds."""
    path, original = tmp_path / "db.example.com", SITE.replace("@    IN SOA", "@ 1h IN SOA")
    path.write_text(original)
    backup_once(path)
    path.write_text(SITE.replace("2024010101", "2026120105"))
    fleet = fleet_for(path)
    assert plan_withdraw(fleet, fleet.dns.zonefile, TODAY).new == original.replace("2024010101", "2026120106")


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
