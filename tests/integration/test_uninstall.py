"""``sipxha.uninstall`` on a real fleet: install (roles, certificates, DHCP), then uninstall leaves every
sipX file byte-identical to the original and no sipxha file behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import pillars
from tests.support.snapshot import tree_snapshot

pytestmark = pytest.mark.integration


#: has sipX's own (weak, gen-ssl-keys era: replaced) key and certificate from before sipxha: both are restored
ORIGINAL_SSL = "sipxpbx2"


def _own_ssl(name: str) -> bool:
    """The key, certificate, CA file and hash links of a server that had none: kept by uninstall (issue 12.10)."""
    return "/ssl/" in name and not name.startswith(f"{ORIGINAL_SSL}/") and not name.endswith((".bak", ".sipxha-new"))


def test_install_then_uninstall_restores_every_file(fleet):
    sandbox = fleet.root / "sandbox"
    (fleet.etc("sipxpbx1") / "kea").mkdir()
    pillar = fleet.default_pillar()
    pillar["dhcp"] = pillars.dhcp("sipxpbx1", str(fleet.etc("sipxpbx1") / "kea" / "kea-dhcp4.conf"))
    fleet.set_pillar(pillar)
    ssl = fleet.ssl(ORIGINAL_SSL)
    ssl.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", str(ssl / "ssl.key"),
         "-out", str(ssl / "ssl.crt"), "-subj", f"/CN={ORIGINAL_SSL}.example.com"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    before = tree_snapshot(sandbox, folders=True)
    assert not any(_own_ssl(name) for name in before)  # no key and certificate before sipxha

    fleet.apply_all("sipxha,sipxha.pki")
    installed = tree_snapshot(sandbox, folders=True)
    assert installed != before
    assert any(name.endswith("ssl/ssl.key") for name in installed)

    dry = fleet.apply_all("sipxha.uninstall", "test=True")
    assert all(s["result"] is None for s in dry["sipxpbx2"].values() if s["changes"])
    assert tree_snapshot(sandbox, folders=True) == installed, "test=True changed files"
    key_diff = next(c["diff"] for p, c in _changes(dry[ORIGINAL_SSL]).items() if p.endswith("ssl/ssl.key"))
    assert key_diff.endswith("<private key: not shown>\n"), key_diff  # the original key is restored, unseen

    done = fleet.apply_all("sipxha.uninstall")
    assert any(s["changes"] for s in done["sipxpbx2"].values())
    after = tree_snapshot(sandbox, folders=True)
    kept = {name: value for name, value in after.items() if _own_ssl(name)}
    assert {name: value for name, value in after.items() if not _own_ssl(name)} == before
    assert kept == {name: value for name, value in installed.items() if _own_ssl(name)}  # sipX can still start
    for minion_id in set(fleet.minions) - {ORIGINAL_SSL}:
        assert {"ssl.key", "ssl.crt"} <= {Path(name).name for name in kept if name.startswith(f"{minion_id}/")}

    again = fleet.apply_all("sipxha.uninstall")
    assert not any(s["changes"] for states in again.values() for s in states.values())
    assert_no_key_material(fleet, [dry, done, again], installed)


def _changes(states: dict) -> dict:
    return {path: change for state in states.values() for path, change in (state["changes"] or {}).items()}


def assert_no_key_material(fleet, returns, installed) -> None:
    """Issue 13.1: no return, no file of the master's job cache and no log line of the master or of a minion
    holds a private key (the PEM header, or any line of the installed keys' base64)."""
    secrets = {b"PRIVATE KEY"}
    for name, (data, _) in installed.items():  # the product's keys, and sipX's original one
        if name.endswith("ssl/ssl.key"):
            secrets |= {line for line in data.splitlines()[1:-1] if len(line) > 40}
    assert len(secrets) > 3, "the keys were not found in the snapshot"
    shown = repr(returns).encode()
    assert not [s for s in secrets if s in shown], "a state return holds key material"
    places = [Path(fleet.master.config["cachedir"]), Path(fleet.master.config["log_file"])]
    for factory in fleet.minions.values():
        places += [Path(factory.config["cachedir"]), Path(factory.config["log_file"])]
    searched, leaks = 0, []
    for place in places:
        for path in [place] if place.is_file() else (p for p in place.rglob("*") if p.is_file()):
            if path.stat().st_size > 50 * 2**20:
                continue
            data = path.read_bytes()
            searched += 1
            leaks += [str(path) for s in secrets if s in data]
    assert searched > 10 and not leaks, leaks


def test_uninstall_sls_stops_dhcp_only_where_enabled_and_removes_dns_records(fleet):
    """With ``service:manage``: DHCP is stopped and disabled on the DHCP server only, sipX restarts (directly,
    not through a rollout) after the files are restored and, in nsupdate mode, after each server removed its
    own SRV records (SLS rendered only; tests/integration/rollout runs it)."""
    nsupdate = {"server": "127.0.0.1", "port": 53, "zone": "example.com", "tsig": {"name": "k", "secret": "c2Vj"}}
    pillar = fleet.default_pillar() | {
        "service": {"name": "sipxpbx", "manage": True},
        "dhcp": pillars.dhcp("sipxpbx2", str(fleet.etc("sipxpbx2") / "kea" / "kea-dhcp4.conf")),
        "dns": {"nsupdate": nsupdate},
    }
    fleet.set_pillar(pillar)
    shown = fleet.salt("sipxpbx*", "state.show_sls", "sipxha.uninstall")
    assert set(shown.data) == set(fleet.minions), shown
    for minion_id, sls in shown.data.items():
        assert "sipxha_dns" in sls["sipxha-uninstall-dns"]
        restart = sls["sipxha-uninstall-service"]["sipxha_service"]  # restart now, after the DNS removal
        assert {"sipxha": "sipxha-uninstall-files"} in _arg(restart, "watch") and _arg(restart, "direct") is True
        assert {"sipxha_dns": "sipxha-uninstall-dns"} in _arg(restart, "require")
        assert ("sipxha-uninstall-dhcp-service" in sls) is (minion_id == "sipxpbx2")
    dhcp_service = shown.data["sipxpbx2"]["sipxha-uninstall-dhcp-service"]["service"]
    assert "dead" in dhcp_service and _arg(dhcp_service, "enable") is False


def _arg(state: list, name: str):
    return next(item[name] for item in state if isinstance(item, dict) and name in item)
