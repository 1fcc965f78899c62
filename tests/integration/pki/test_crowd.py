"""Twenty minions asking the CA at once through a real master (issue 13.14): all served, the index consistent.

This module starts its own master and twenty salt-minion daemons ``crowd1..crowd20`` (the session fleet's
three are not enough, and adding twenty to it would slow every ``salt '*'`` of the other tests); the
minions use :data:`tests.support.fleet.LIGHT_MINION` settings and are started in parallel. Each one is its
own Salt identity with its own key: ``sipxha_pki.renew`` (what the ``sipxha.pki`` state runs, without the
state compiler's cost twenty times over) makes its key and CSR and asks the master's ``sipxha_ca.sign``
through ``publish.runner`` (``peer_run``), which signs for the authenticated caller only.
"""

from __future__ import annotations

import re
import time

import pytest

from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.pki.names import names_of
from saltext_sipxha.core.pki.servercert import read_cert
from tests.support.fleet import start_fleet
from tests.unit.pki.support import openssl

pytestmark = pytest.mark.integration

CROWD = 20
SIGNED = re.compile(r"sipxha_ca: signed serial ([0-9a-f]+) for minion (crowd\d+)")


@pytest.fixture(scope="module")
def crowd(salt_factories, tmp_path_factory):
    started = time.monotonic()
    with start_fleet(
        salt_factories, tmp_path_factory.mktemp("crowd"), count=CROWD, prefix="crowd", master_id="crowd-master",
        light=True,
    ) as fleet:  # fmt: skip
        print(f"master + {CROWD} minions started in {time.monotonic() - started:.1f} s")
        yield fleet


@pytest.mark.timeout(600)  # twenty daemons starting on a shared 2-core machine: minutes when it is busy
def test_twenty_minions_at_once_are_all_served_and_the_index_stays_consistent(crowd):
    ca_dir = crowd.root / "ca"
    started = time.monotonic()
    ret = crowd.salt("crowd*", "sipxha_pki.renew")  # one publish: every minion asks at the same moment
    elapsed = time.monotonic() - started
    assert isinstance(ret.data, dict) and set(ret.data) == set(crowd.minions), ret
    serials = {}
    for minion_id, renewed in ret.data.items():
        assert isinstance(renewed, dict) and renewed.get("action") == "issue", (minion_id, renewed)
        ssl = crowd.ssl(minion_id)
        verify = openssl("verify", "-CAfile", str(ca_dir / "ca.crt"), "-purpose", "sslserver", str(ssl / "ssl.crt"))
        assert verify.returncode == 0, verify.stderr
        cert = read_cert(ssl / "ssl.crt")
        assert f"DNS:{minion_id}.example.com" in names_of(cert)  # signed for its own authenticated id
        serials[minion_id] = f"{cert.serial_number:x}"
    assert len(set(serials.values())) == CROWD

    # The index: one record per serial, each minion's log naming exactly its certificate, as the master logged.
    ca = CertificateAuthority(ca_dir, (crowd.root / "ca-passphrase").read_bytes().rstrip(b"\n"))
    assert {path.stem for path in ca.index.records.glob("*.json")} == set(serials.values())
    for minion_id, serial in serials.items():
        assert [entry.serial for entry in ca.index.of_minion(minion_id)] == [serial], minion_id
    log = crowd.master.config["log_file"]
    with open(log, encoding="utf-8", errors="replace") as handle:
        signed = {minion: serial for serial, minion in SIGNED.findall(handle.read())}
    assert signed == serials
    status = crowd.salt_run("sipxha_ca.status")
    assert {e["serial"]: (e["minion"], e["state"]) for e in status.data["issued"]} == {
        serial: (minion_id, "valid") for minion_id, serial in serials.items()
    }

    # Every serial can still be revoked: one through the master's runner, the others through the CA core.
    first, *others = serials.items()
    revoked = crowd.salt_run("sipxha_ca.revoke", f"serial={first[1]}")
    assert [entry["serial"] for entry in revoked.data["revoked"]] == [first[1]], revoked
    for _, serial in others:
        assert [entry.serial for entry in ca.revoke(serial=serial)] == [serial]
    crl = openssl("crl", "-in", str(ca_dir / "crl.pem"), "-noout", "-text", "-CAfile", str(ca_dir / "ca.crt"))
    assert crl.returncode == 0, crl.stderr
    listed = set(re.findall(r"Serial Number: ([0-9A-F]+)", crl.stdout.decode()))
    assert {int(serial, 16) for serial in listed} == {int(serial, 16) for serial in serials.values()}
    print(f"{CROWD} minions asking at once through the master: all served in {elapsed:.1f} s")
