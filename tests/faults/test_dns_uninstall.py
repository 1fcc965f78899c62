"""``sipxha.uninstall`` on the ``dns:zonefile:minion`` (issue 12 item 10): a real BIND ``named`` serves the zone
without the HA records afterwards; ``test=True`` changes nothing; a second uninstall changes nothing.

- the zone file existed before sipxha: its original comes back (SOA serial moved past the live one);
- sipxha created the zone file: the zone stays, without the HA records (the include's records kept);
- zone-fragment mode: the fragment sipxha created becomes comments only, the site's zone loads without HA records;
- the zone-file minion is no sipX server (it used to fail with a pillar error): only its zone is undone;
- an original in another BIND SOA form (TTL with a unit, multi-line, comments) comes back, only its serial moved;
- an original whose SOA serial sipxha cannot move past the live one ($INCLUDEd) is refused, nothing changed,
  until the administrator sets the serial the error names in the ``.bak``.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import dns.name
import pytest

from saltext_sipxha.core.dns.zonetext import next_serial, soa_serial
from saltext_sipxha.core.files.atomic import backup_path, created_marker
from tests.faults.sandbox import snapshot
from tests.faults.test_dns_faults import Ret
from tests.support import pillars
from tests.support.named import STARTER_ZONE, ZONE, running_named

pytestmark = pytest.mark.skipif(not shutil.which("named"), reason="bind9 not installed")
SRV = "_sip._tcp.sipxregistrar2.example.com"
ORIGIN = dns.name.from_text("example.com.")


@pytest.fixture
def zone_named(tmp_path):
    root = tmp_path / "named"
    with running_named(root, zone_file=root / "db.example.com") as server:
        yield server


def zone_pillar(named, servers=None, **settings) -> dict:
    zonefile = {"minion": "sipxpbx1", "path": str(named.zone_file), "reload": named.reload_command()}
    zonefile |= {"nameservers": {"ns1.example.com": "127.0.0.1"}} | settings
    pillar = pillars.seed() if servers is None else servers
    return pillar | {"dns": {"zonefile": zonefile}}


def one(results: dict, part: str) -> Ret:
    (ret,) = [Ret(ret) for state_id, ret in results.items() if part in state_id]
    return ret


def install(apply_sls, named, pillar) -> None:
    done = one(apply_sls(pillar, "sipxha.dns"), "sipxha-dns-zonefile")
    assert done.result is True and done.changes, done.comment
    assert named.query(SRV).answer


def uninstall(apply_sls, named, pillar) -> Ret:
    """test=True (nothing changes, the candidate is checked), then the real run, then a run that changes nothing."""
    folder, serial = named.zone_file.parent, named.serial()
    before = snapshot(folder)
    dry = one(apply_sls(pillar, "sipxha.uninstall", test=True), "sipxha-uninstall-zonefile")
    assert dry.result is None and "diff" in dry.changes, dry
    assert snapshot(folder) == before and named.serial() == serial
    done = one(apply_sls(pillar, "sipxha.uninstall"), "sipxha-uninstall-zonefile")
    assert done.result is True and "ran 'rndc" in done.comment, done.comment
    assert not named.query(SRV).answer, "named still serves the HA records"
    again = one(apply_sls(pillar, "sipxha.uninstall"), "sipxha-uninstall-zonefile")
    assert again.result is True and again.changes == {}, again
    assert not backup_path(named.zone_file).exists() and not created_marker(named.zone_file).exists()
    return done


def named_checkzone(path: Path) -> None:
    result = subprocess.run(
        ["named-checkzone", "-k", "fail", "-n", "fail", ZONE, str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def round_trip(apply_sls, named) -> tuple[str, int]:
    """Install then uninstall on the zone file as it is: (the restored text, its serial, past the installed one)."""
    pillar = zone_pillar(named)
    install(apply_sls, named, pillar)
    installed = named.serial()
    uninstall(apply_sls, named, pillar)
    restored = named.zone_file.read_text()
    serial = soa_serial(restored, ORIGIN)
    assert named.serial() == serial > installed  # secondaries would transfer it
    return restored, serial


def test_an_original_zone_comes_back_with_a_newer_serial(apply_sls, zone_named):
    original = zone_named.zone_file.read_text()
    restored, serial = round_trip(apply_sls, zone_named)
    assert restored == original.replace(" 1 3600 ", f" {serial} 3600 ")
    assert str(zone_named.query("www.example.com", "A").answer[0][0]) == "192.0.2.80"
    named_checkzone(zone_named.zone_file)


def test_a_zone_sipxha_created_stays_without_the_ha_records(apply_sls, zone_named, tmp_path):
    include = tmp_path / "named" / "site.records"
    include.write_text("www IN A 192.0.2.80\n")
    zone_named.zone_file.unlink()  # named keeps serving its copy; sipxha creates the file
    pillar = zone_pillar(zone_named, include=str(include))
    install(apply_sls, zone_named, pillar)
    assert created_marker(zone_named.zone_file).exists()
    installed = zone_named.serial()
    uninstall(apply_sls, zone_named, pillar)
    text = zone_named.zone_file.read_text()
    assert "SRV" not in text and "NAPTR" not in text and "sipxpbx" not in text, text
    assert zone_named.serial() > installed
    assert str(zone_named.query("www.example.com", "A").answer[0][0]) == "192.0.2.80"
    assert str(zone_named.query("ns1.example.com", "A").answer[0][0]) == "127.0.0.1"
    named_checkzone(zone_named.zone_file)


def test_a_fragment_sipxha_created_becomes_comments_only(apply_sls, zone_named):
    fragment = zone_named.zone_file.with_name("sipxha.fragment")
    site = STARTER_ZONE.format(zone=ZONE).replace("$GENERATE 1-20 sipxpbx$ A 192.0.2.${10}\n", "")
    zone_named.zone_file.write_text(f"{site}$INCLUDE {fragment}\n")
    pillar = zone_pillar(zone_named, path=str(fragment), fragment=True, including=str(zone_named.zone_file))
    install(apply_sls, zone_named, pillar)
    uninstall(apply_sls, zone_named, pillar)
    assert all(line.startswith(";") for line in fragment.read_text().splitlines())
    assert str(zone_named.query("www.example.com", "A").answer[0][0]) == "192.0.2.80"
    named_checkzone(zone_named.zone_file)


def test_a_zone_file_minion_that_is_no_sipx_server(apply_sls, zone_named):
    """It used to fail with ``sipxha:servers:sipxpbx1: this minion is not listed``; only the zone is undone here."""
    servers = pillars.fleet(3)
    del servers["servers"]["sipxpbx1"]
    servers["servers"]["sipxpbx2"]["role"] = "master"
    servers["service"] = {"manage": True}  # a sipX restart would fail here: none may be rendered
    pillar = zone_pillar(zone_named, servers)
    install(apply_sls, zone_named, pillar)
    results = apply_sls(pillar, "sipxha.uninstall", test=True)
    assert [state_id for state_id in results if "sipxha-uninstall" in state_id] == [
        next(state_id for state_id in results if "sipxha-uninstall-zonefile" in state_id)
    ], results
    uninstall(apply_sls, zone_named, pillar)


def test_an_original_in_another_bind_soa_form_comes_back_with_a_newer_serial(apply_sls, zone_named):
    """A TTL with a unit, the class after it, a multi-line SOA with comments: only its serial token changes."""
    soa = "@ 1h IN SOA ns1 hostmaster ( ; primary, contact\n\t1\t; serial\n\t1h 15m 2w ; timers\n\t5m )\n"
    original = zone_named.zone_file.read_text().replace(
        f"@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 900 1209600 300\n", soa
    )
    assert original != zone_named.zone_file.read_text()
    zone_named.zone_file.write_text(original)
    restored, serial = round_trip(apply_sls, zone_named)
    assert restored == original.replace("\t1\t; serial", f"\t{serial}\t; serial")
    named_checkzone(zone_named.zone_file)


def test_an_original_whose_serial_cannot_be_moved_is_refused(apply_sls, zone_named):
    """Its SOA is $INCLUDEd: it used to be restored with its old serial 1, named served it, secondaries would
    have kept the HA records."""
    soa = f"@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 900 1209600 300\n"
    records = zone_named.zone_file.with_name("soa.records")
    records.write_text(soa)
    original = zone_named.zone_file.read_text().replace(soa, f"$INCLUDE {records}\n")
    zone_named.zone_file.write_text(original)
    named_checkzone(zone_named.zone_file)
    pillar = zone_pillar(zone_named)
    install(apply_sls, zone_named, pillar)
    bak, installed = backup_path(zone_named.zone_file), zone_named.serial()
    needed = next_serial(installed, datetime.date.today())
    before = snapshot(zone_named.zone_file.parent)
    for test in (True, False):
        ret = one(apply_sls(pillar, "sipxha.uninstall", test=test), "sipxha-uninstall-zonefile")
        assert ret.result is False and not ret.changes, ret
        assert f"{bak}: the original of {zone_named.zone_file} has no SOA record" in ret.comment, ret.comment
        assert f"Set the SOA serial in this file to {needed} or more" in ret.comment, ret.comment
        assert snapshot(zone_named.zone_file.parent) == before and zone_named.serial() == installed
        assert zone_named.query(SRV).answer
    edited = original.replace(f"$INCLUDE {records}\n", soa.replace(" 1 3600 ", f" {needed} 3600 "))
    bak.write_text(edited)  # what the error says to do
    uninstall(apply_sls, zone_named, pillar)
    assert zone_named.zone_file.read_text() == edited and zone_named.serial() == needed
    named_checkzone(zone_named.zone_file)
