"""DNS failures met by the ``sipxha_dns`` states, and recovery on the next run, against a real BIND ``named``.

The failures themselves (BADSIG, REFUSED, timeouts, unreachable server, named-checkzone) are covered in
``tests/functional/modules/test_dns_states.py`` and ``tests/integration/dns/``; here each failure is
followed by the administrator's next run once the cause is gone: the live DNS must then be the plan.

- a wrong TSIG key, then the right one;
- the DNS server down (named stopped), then up again on the same address;
- zone-file mode whose reload fails (rndc cannot reach named): the next run must still get named to load
  the new zone, although the file on disk is already what the plan wants.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from tests.faults.sandbox import pillar_for
from tests.support import pillars
from tests.support.named import _wait_ready, free_port, new_secret, running_named

pytestmark = pytest.mark.skipif(not shutil.which("named"), reason="bind9 not installed")
RECORD = "_sip._tcp.sipxregistrar3.example.com"


@pytest.fixture
def named(tmp_path):
    with running_named(tmp_path / "named") as server:
        yield server


def restart(named):
    """Start ``named`` again with the same configuration (same port, keys and zone data)."""
    named.stop()
    binary = shutil.which("named") or "/usr/sbin/named"
    with open(named.root / "named.log", "ab") as log:
        process = subprocess.Popen([binary, "-g", "-4", "-c", str(named.root / "named.conf")], stdout=log, stderr=log)
    started = dataclasses.replace(named, process=process)
    try:
        _wait_ready(started)
    except BaseException:
        started.stop()
        raise
    return started


class Ret(dict):
    """One state's return, with attribute access."""

    __getattr__ = dict.__getitem__


def run_dns(apply_sls, pillar, test=False) -> Ret:
    """``state.sls sipxha.dns`` with ``pillar``: the return of its one DNS state."""
    results = apply_sls(pillar, "sipxha.dns", test=test)
    (ret,) = [Ret(ret) for state_id, ret in results.items() if "sipxha-dns-" in state_id]
    return ret


def fleet_pillar(tmp_path, **nsupdate_settings):
    pillar = pillar_for(tmp_path / "etc", "master")
    pillar["dns"] = {"nsupdate": nsupdate_settings}
    return pillar


def test_wrong_tsig_key_then_the_right_one(apply_sls, named, tmp_path):
    serial = named.serial()
    bad = run_dns(apply_sls, fleet_pillar(tmp_path, **named.nsupdate_pillar(secret=new_secret())))
    assert bad.result is False and "BADSIG" in bad.comment and not bad.changes
    assert named.serial() == serial and not named.query(RECORD).answer
    good = run_dns(apply_sls, fleet_pillar(tmp_path, **named.nsupdate_pillar()))
    assert good.result is True and good.changes, good.comment
    assert named.query(RECORD).answer


def test_dns_server_down_then_up(apply_sls, named, tmp_path):
    pillar = fleet_pillar(tmp_path, **named.nsupdate_pillar(timeout=2))
    named.stop()
    down = run_dns(apply_sls, pillar)
    assert down.result is False and "cannot reach the server" in down.comment and not down.changes, down.comment
    named = restart(named)
    try:
        assert not named.query(RECORD).answer  # nothing was half-applied while it was down
        up = run_dns(apply_sls, pillar)
        assert up.result is True and up.changes, up.comment
        assert named.query(RECORD).answer
        assert run_dns(apply_sls, pillar).changes == {}
    finally:
        named.stop()


@pytest.fixture
def zone_named(tmp_path):
    root = tmp_path / "named-zonefile"
    with running_named(root, zone_file=root / "db.sipxha.example.com") as server:
        yield server


def zonefile(apply_sls, named, reload, test=False):
    settings = {"minion": "sipxpbx1", "path": str(named.zone_file), "reload": reload}
    settings["nameservers"] = {"ns1.example.com": "127.0.0.1"}
    pillar = pillars.seed() | {"dns": {"zonefile": settings}}
    return run_dns(apply_sls, pillar, test)


def test_zonefile_reload_failure_is_retried_on_the_next_run(apply_sls, zone_named):
    serial = zone_named.serial()
    broken = zone_named.reload_command().replace(f"-p {zone_named.control_port}", f"-p {free_port()}")
    failed = zonefile(apply_sls, zone_named, broken)
    assert failed.result is False and "reload command" in failed.comment, failed.comment
    assert zone_named.serial() == serial  # live DNS as it was
    dry = zonefile(apply_sls, zone_named, zone_named.reload_command(), test=True)
    assert dry.result is None and "Would run" in dry.comment and zone_named.serial() == serial, dry
    again = zonefile(apply_sls, zone_named, zone_named.reload_command())
    assert again.result is True, again.comment
    assert zone_named.serial() != serial, "the new zone was written but never loaded"
    assert zone_named.query("_sip._tcp.sipxregistrar2.example.com").answer
    assert zonefile(apply_sls, zone_named, zone_named.reload_command()).changes == {}
