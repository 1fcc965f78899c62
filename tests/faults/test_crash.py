"""A crash at every write step of the role apply, the PKI install and renewal, and the uninstall.

For each operation the same work first runs here counting its write steps (K); then, for k = 1..K, a
fresh copy of the starting tree is handed to a forked child that SIGKILLs itself just before its k-th
write step (:mod:`tests.faults.crash`). After each crash:

- every file is either its old or its new content (bytes and mode), never partial; the role's XML
  files parse with the product's safe parser; a key or certificate is a whole PEM;
- the next run (the same work, no crash) converges to what an uninterrupted run gives, and the run
  after that has nothing left to do; the ``.bak`` originals are the stock files.

Leftover ``.<name>.<random>.tmp`` files of a killed atomic write are counted (never under a live name).
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.files.xmlsafe import parse
from saltext_sipxha.core.pki import renewal
from saltext_sipxha.core.pki.policy import plan_for
from saltext_sipxha.core.pki.servercert import SslLayout, issued_by, read_key
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx.role import plan_role
from saltext_sipxha.core.uninstall import apply_uninstall, plan_uninstall
from tests.faults.crash import count_steps, paused, run_killed_at
from tests.faults.sandbox import MINION_ID, XML_FILES, make_server, pillar_for, snapshot

TEMP = re.compile(r"(^|/)\.[^/]+\.tmp$")
RSA = {"ca_name": "ca.example.com", "key": {"type": "rsa", "bits": 2048}}
EC = {"ca_name": "ca.example.com", "key": {"type": "ec", "curve": "secp256r1"}}


def live(snap):
    """A snapshot without the temporary files a killed atomic write leaves behind."""
    return {name: entry for name, entry in snap.items() if not TEMP.search(name)}


def role_work(pillar):
    return lambda: apply_changes(plan_role(build_plan(pillar), MINION_ID).changes)


def pki_work(pillar, ca):
    def work():
        fleet = build_plan(pillar)
        found = renewal.assess(fleet, MINION_ID, ca.certificate_pem(), datetime.datetime.now(datetime.timezone.utc))

        def signer(csr):
            with paused():  # the CA is on the Salt master: its writes are not this server's
                cert = ca.sign(csr, MINION_ID, *plan_for(fleet, MINION_ID))
            return cert.public_bytes(serialization.Encoding.PEM).decode(), ca.certificate_pem()

        renewal.apply(found, fleet, signer)

    return work


def uninstall_work(pillar):
    return lambda: apply_uninstall(plan_uninstall(build_plan(pillar), MINION_ID))


class Scenario:
    """A starting tree under ``root/start``, copied to ``root/live`` (where the pillar points) for each run."""

    def __init__(self, root: Path):
        self.start, self.live = root / "start", root / "live"
        self.etc, self.ssl = make_server(self.start)
        shutil.move(self.start, self.live)
        self.etc, self.ssl = self.live / "etc" / "sipxpbx", self.live / "etc" / "sipxpbx" / "ssl"

    def freeze(self):
        """The live tree as it is now becomes the starting tree."""
        if self.start.exists():
            shutil.rmtree(self.start)
        shutil.copytree(self.live, self.start, symlinks=True)

    def reset(self):
        shutil.rmtree(self.live)
        shutil.copytree(self.start, self.live, symlinks=True)


def crash_everywhere(scenario: Scenario, work, check_entry, exact: bool = True) -> dict[str, int]:
    """Kill ``work`` at each of its steps; check every file after the crash and after the next run.

    ``exact``: the next run gives byte for byte what the uninterrupted run gave (False for new keys).
    """
    old = snapshot(scenario.live)
    steps = count_steps(work)
    new = live(snapshot(scenario.live))
    assert steps > 0 and new != old
    leftovers = 0
    for kill_at in range(1, steps + 1):
        scenario.reset()
        assert run_killed_at(work, kill_at) == "killed", kill_at
        after = snapshot(scenario.live)
        leftovers += len(after) - len(live(after))
        for name, entry in live(after).items():
            assert entry in (old.get(name), new.get(name)) or check_entry(name, entry), (kill_at, name)
        for name in XML_FILES:
            path = scenario.etc / name
            if path.exists():
                parse(path.read_bytes(), str(path))
        work()  # the next run
        recovered = live(snapshot(scenario.live))
        assert (recovered == new) if exact else (recovered.keys() == new.keys()), kill_at
        work()  # and the one after it changes nothing
        assert live(snapshot(scenario.live)) == recovered, kill_at
    return {"steps": steps, "leftover_temp_files": leftovers}


def no_other_version(name, entry):
    return False


@pytest.fixture
def scenario(tmp_path):
    return Scenario(tmp_path)


def test_crash_at_every_step_of_the_role_apply(scenario):
    pillar = pillar_for(scenario.etc)
    stock = snapshot(scenario.etc)
    scenario.freeze()
    work = role_work(pillar)
    found = crash_everywhere(scenario, work, no_other_version)
    converged = snapshot(scenario.etc)
    for name, (data, mode) in stock.items():
        if f"{name}.bak" in converged:
            assert converged[f"{name}.bak"] == (data, mode), name
    assert not plan_role(build_plan(pillar), MINION_ID).changed
    print(f"role apply: {found}")


def pem_entry(kind):
    def check(name, entry):
        data, _ = entry
        if name.endswith("ssl.key"):
            return read_key_bytes(data) is not None
        if name.endswith(("ssl.crt", ".crt")):
            return x509.load_pem_x509_certificate(data) is not None
        return kind == "any-link" and isinstance(data, str)

    return check


def read_key_bytes(data):
    return serialization.load_pem_private_key(data, None)


def assert_certificate_converged(scenario, pillar, ca):
    layout = SslLayout(scenario.ssl, "ca.example.com")
    cert = x509.load_pem_x509_certificate(layout.cert.read_bytes())
    key = read_key(layout.key)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert issued_by(cert, ca.certificate)
    assert layout.key.stat().st_mode & 0o777 == 0o600
    found = renewal.assess(
        build_plan(pillar), MINION_ID, ca.certificate_pem(), datetime.datetime.now(datetime.timezone.utc)
    )
    assert found.up_to_date, found.summary()


@pytest.mark.parametrize("case", ["install", "renew-with-new-key"])
def test_crash_at_every_step_of_the_pki_install(scenario, ca, case):
    pillar = pillar_for(scenario.etc, pki=EC)
    if case == "renew-with-new-key":
        pki_work(pillar_for(scenario.etc, pki=RSA), ca)()  # an installed RSA pair; the pillar now wants EC
    scenario.freeze()
    found = crash_everywhere(scenario, pki_work(pillar, ca), pem_entry("any-link"), exact=False)
    assert_certificate_converged(scenario, pillar, ca)
    print(f"pki {case}: {found}")


def test_crash_at_every_step_of_the_uninstall(scenario, ca):
    pillar = pillar_for(scenario.etc)
    stock = snapshot(scenario.live)
    role_work(pillar)()
    pki_work(pillar, ca)()
    own_ssl = {n: e for n, e in snapshot(scenario.live).items() if "ssl/" in n and not n.endswith((".bak", "-new"))}
    scenario.freeze()
    found = crash_everywhere(scenario, uninstall_work(pillar), no_other_version)
    # the stock tree had no key and certificate: this server's own stay, so that sipX still starts
    assert live(snapshot(scenario.live)) == stock | own_ssl
    assert not plan_uninstall(build_plan(pillar), MINION_ID).pending
    print(f"uninstall: {found}")


def test_the_harness_catches_a_torn_write(scenario):
    """The checks above can fail: a writer that rewrites a file in place is caught half-way."""
    target = scenario.etc / "config.defs"
    data = target.read_bytes().replace(b"SIPX_CORELIMIT=unlimited", b"SIPX_CORELIMIT=0")
    scenario.freeze()

    def torn():
        with open(target, "r+b") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.fsync(handle.fileno())
            handle.write(data[len(data) // 2 :])
            handle.truncate()
            os.fsync(handle.fileno())

    with pytest.raises(AssertionError):
        crash_everywhere(scenario, torn, no_other_version)
