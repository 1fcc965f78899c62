"""Zone-file mode's fragment variant: only the HA records, validated inside the site's own zone by the real
``named-checkzone`` before the live fragment is replaced."""

from __future__ import annotations

import datetime
import shutil

import pytest

from saltext_sipxha.core.dns import fragment
from saltext_sipxha.core.dns.zonefile import apply_zonefile, named_checkzone
from saltext_sipxha.core.errors import DnsError, PillarError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

pytestmark = pytest.mark.skipif(not shutil.which("named-checkzone"), reason="needs bind9-utils")
SITE_ZONE = """$ORIGIN example.com.
$TTL 300
@    IN SOA ns1.example.com. hostmaster.example.com. ( 2024010101 ; serial
          3600 900 1209600 300 )
@    IN NS  ns1.example.com.
ns1  IN A   192.0.2.53
www  IN A   192.0.2.80
$INCLUDE {include}
mail IN A   192.0.2.25
"""


def fleet_for(tmp_path, include="db.sipxha", **zonefile):
    (tmp_path / "db.example.com").write_text(SITE_ZONE.format(include=include), encoding="utf-8")
    settings = {"minion": "ns1", "path": str(tmp_path / "db.sipxha"), "fragment": True}
    settings |= {"including": str(tmp_path / "db.example.com")} | zonefile
    return build_plan(pillars.seed() | {"dns": {"zonefile": settings}})


def test_fragment_holds_only_the_ha_records_with_absolute_names(tmp_path):
    text = fragment.render_fragment(fleet_for(tmp_path))
    lines = [line for line in text.splitlines() if not line.startswith(";")]
    assert [line.split()[3] for line in lines] == ["NAPTR"] * 2 + ["SRV"] * 16 + ["A"] * 2
    assert all(line.split()[0].endswith("example.com.") for line in lines)
    assert not any(line.startswith("$") for line in text.splitlines()) and "SOA" not in text and " NS " not in text


def test_validated_inside_the_including_zone_then_written_idempotently(tmp_path):
    fleet = fleet_for(tmp_path)  # a relative $INCLUDE, resolved against the including zone's folder
    checker = fragment.including_checker(fleet.dns.zonefile, named_checkzone)
    change = fragment.plan_fragment(fleet, fleet.dns.zonefile.path)
    assert change.old is None and change.changed and change.new_serial is None
    assert apply_zonefile(change, checker, None)
    assert (tmp_path / "db.sipxha").read_text(encoding="utf-8") == change.new
    assert not fragment.plan_fragment(fleet, fleet.dns.zonefile.path).changed
    checker("example.com.", str(tmp_path / "db.sipxha"))  # the site's zone loads with the live fragment


def test_a_fragment_the_zone_rejects_is_never_written(tmp_path):
    pillar_fleet = fleet_for(tmp_path)
    (tmp_path / "db.example.com").write_text(
        SITE_ZONE.format(include="db.sipxha") + "_sip._tcp IN CNAME www\n", encoding="utf-8"
    )  # the site's own CNAME clashes with our SRV RRset at _sip._tcp
    checker = fragment.including_checker(pillar_fleet.dns.zonefile, named_checkzone)
    change = fragment.plan_fragment(pillar_fleet, pillar_fleet.dns.zonefile.path)
    with pytest.raises(DnsError, match="named-checkzone rejected"):
        apply_zonefile(change, checker, None)
    assert not (tmp_path / "db.sipxha").exists()


def test_a_zone_that_does_not_include_the_fragment(tmp_path):
    fleet = fleet_for(tmp_path, include="/elsewhere/other.db")
    checker = fragment.including_checker(fleet.dns.zonefile, named_checkzone)
    change = fragment.plan_fragment(fleet, fleet.dns.zonefile.path)
    with pytest.raises(DnsError, match=r"does not \$INCLUDE .*db.sipxha"):
        apply_zonefile(change, checker, None)


def test_pillar_rules_of_fragment_mode():
    with pytest.raises(PillarError, match=r"^sipxha:dns:zonefile:including: is required"):
        build_plan(pillars.seed() | {"dns": {"zonefile": {"minion": "ns1", "path": "/x", "fragment": True}}})
    both = {"minion": "ns1", "path": "/x", "fragment": True, "including": "/y", "include": "/z"}
    with pytest.raises(PillarError, match=r"^sipxha:dns:zonefile:include: is for whole-zone mode"):
        build_plan(pillars.seed() | {"dns": {"zonefile": both}})


def test_plan_zone_picks_the_fragment_in_fragment_mode_and_a_drain_writes_a_fragment(tmp_path):
    """The one zone-file planner of the DNS state and of a rollout's drain (``sipxha_restart.drain_dns``): in
    fragment mode a drained fleet still writes a fragment, validated in the including zone, never a whole zone."""
    fleet = fleet_for(tmp_path).with_drained(["sipxpbx2"])
    change, checker = fragment.plan_zone(fleet, fleet.dns.zonefile.path, datetime.date(2026, 12, 1))
    assert change.new_serial is None and "SOA" not in change.new and change.new.startswith("; sipX High")
    assert "SRV 1 50 5060 sipxpbx2" not in change.new.replace("  ", " ")
    assert apply_zonefile(change, checker, None)
    zonefile = {"minion": "ns1", "path": str(tmp_path / "db.z"), "nameservers": {"ns1.example.com": "192.0.2.53"}}
    whole = build_plan(pillars.seed() | {"dns": {"zonefile": zonefile}})
    change, checker = fragment.plan_zone(whole, str(tmp_path / "db.z"), datetime.date(2026, 12, 1))
    assert change.new_serial == 2026120100 and checker is named_checkzone
