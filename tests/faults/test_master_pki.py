"""The CA on a real Salt master: the master down during re-certification, and CSR abuse at the runner.

This module starts its OWN small master and two minions (``faultpbx1`` MS, ``faultpbx2`` DS) with
salt-factories, module-scoped, because the master is stopped here: stopping the session fleet's master
(``tests/integration``) would break the tests that share it. Same master configuration as that fleet
(``tests.support.fleet``: peer_run for ``sipxha_ca.sign``/``ca_cert``, the reactor, the CA under ``root``).

- Master down: a certificate is due; the master is stopped; ``salt-call state.apply sipxha.pki`` on the
  minion fails (Salt cannot reach the master) and so does the same run with the minion's own pillar and
  no master at all (``--local``: the state itself reports that the master did not answer); the key and
  certificate stay byte for byte; with the master started again, the next run renews.
- CSR abuse: other or extra names, a wildcard, another minion's names, extra arguments trying to sign for
  another id, a replayed CSR, and a forged ``sipxha/cert/expiring`` event claiming another minion.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import stat
import time
from pathlib import Path

import pytest
import salt.utils.yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from saltext_sipxha.core.pki.names import names_of
from saltext_sipxha.core.pki.servercert import build_csr, read_cert
from tests.faults.sandbox import changed_entries, snapshot
from tests.support.fleet import _master_config
from tests.support.sipxtree import write_sipx_tree

MINIONS = {"faultpbx1": ("master", 1, "192.0.2.31"), "faultpbx2": ("distributed", 2, "192.0.2.32")}
REPO = Path(__file__).resolve().parents[2]
REFUSED = "the CA refused this certificate request"
TIMEOUT = 120
CONCURRENT = 5  #: requests at once per minion in the concurrency test


class PkiFleet:
    """The module's master and minions, their sandboxes and CLIs."""

    def __init__(self, master, minions, root: Path):
        self.master, self.minions, self.root = master, minions, root

    def ssl(self, minion_id: str) -> Path:
        return self.root / minion_id / "ssl"

    def pillar(self, **pki) -> dict:
        servers = {
            minion_id: {"role": role, "index": index, "address": address}
            | {"paths": {"etc": str(self.root / minion_id / "etc"), "ssl": str(self.ssl(minion_id))}}
            for minion_id, (role, index, address) in MINIONS.items()
        }
        return {"domain": "example.com", "servers": servers, "service": {"manage": False}, "pki": pki}

    def set_pillar(self, sipxha: dict) -> None:
        self.write_pillar(sipxha)
        assert self.salt("faultpbx*", "saltutil.refresh_pillar", "wait=True").returncode == 0

    def write_pillar(self, sipxha: dict) -> None:
        pillar_root = self.root / "pillar"
        (pillar_root / "top.sls").write_text("base:\n  '*':\n    - sipxha\n", encoding="utf-8")
        with open(pillar_root / "sipxha.sls", "w", encoding="utf-8") as handle:
            salt.utils.yaml.safe_dump({"sipxha": sipxha}, handle)

    def salt(self, target: str, *args: str, timeout: int = TIMEOUT):
        return self.master.salt_cli(timeout=timeout).run(*args, minion_tgt=target)

    def salt_call(self, minion_id: str, *args: str, timeout: int = TIMEOUT):
        return self.minions[minion_id].salt_call_cli(timeout=timeout).run(*args)

    def issued(self, minion_id: str) -> list[dict]:
        status = self.master.salt_run_cli(timeout=TIMEOUT).run("sipxha_ca.status")
        return [entry for entry in status.data["issued"] if entry["minion"] == minion_id]


#: a salt-call whose master is gone gives up after one bounded try instead of waiting for it
BOUNDED_AUTH = {"auth_tries": 1, "auth_timeout": 5, "acceptance_wait_time": 1, "random_reauth_delay": 0}


@pytest.fixture(scope="module")
def pki_fleet(salt_factories, tmp_path_factory):
    root = tmp_path_factory.mktemp("faults-fleet")
    (root / "pillar").mkdir()
    (root / "state").mkdir()
    (root / "ca-passphrase").write_text("faults-sandbox-passphrase\n", encoding="utf-8")
    os.chmod(root / "ca-passphrase", 0o600)
    master = salt_factories.salt_master_daemon(
        "faults-master", overrides=_master_config(root, root / "pillar", root / "state")
    )
    overrides = BOUNDED_AUTH | {"file_roots": {"base": [str(REPO / "states")]}, "log_level_logfile": "info"}
    minions = {minion_id: master.salt_minion_daemon(minion_id, overrides=overrides) for minion_id in MINIONS}
    fleet = PkiFleet(master, minions, root)
    for minion_id, (_, _, address) in MINIONS.items():
        write_sipx_tree(root / minion_id / "etc", f"{minion_id}.example.com", address)
    fleet.write_pillar(fleet.pillar())
    with master.started():
        init = master.salt_run_cli(timeout=TIMEOUT).run("sipxha_ca.init")
        assert init.returncode == 0 and isinstance(init.data, dict) and "fingerprint" in str(init.data), init
        try:
            for factory in minions.values():
                factory.start()
            fleet.set_pillar(fleet.pillar())
            yield fleet
        finally:
            for factory in minions.values():
                factory.terminate()


def apply_pki(fleet, minion_id="faultpbx2"):
    ret = fleet.salt(minion_id, "state.apply", "sipxha.pki")
    assert isinstance(ret.data, dict), ret
    return next(iter(ret.data.values()))


def test_master_down_during_recertification_keeps_the_old_pair(pki_fleet):
    fleet, ssl = pki_fleet, pki_fleet.ssl("faultpbx2")
    fleet.set_pillar(fleet.pillar(days=10, renew_days=1))
    first = apply_pki(fleet)
    assert first["result"] is True, first
    before, serial = snapshot(ssl), read_cert(ssl / "ssl.crt").serial_number
    due = fleet.pillar(days=30, renew_days=15)  # the installed 10-day certificate is now due
    fleet.set_pillar(due)
    fleet.master.terminate()
    try:
        started = time.monotonic()
        local = fleet.salt_call(
            "faultpbx2", "--local", "state.apply", "sipxha.pki", f"pillar={json.dumps({'sipxha': due})}", timeout=60
        )
        (state,) = local.data.values()
        assert state["result"] is False and "the master did not return the CA certificate" in state["comment"], state
        assert changed_entries(before, snapshot(ssl)) == []
    finally:
        fleet.master.start()
    renewed = fleet.salt_call("faultpbx2", "state.apply", "sipxha.pki")
    assert renewed.returncode == 0, renewed
    assert read_cert(ssl / "ssl.crt").serial_number != serial
    print(f"master down: the state failed after {time.monotonic() - started:.1f} s; renewed once it was back")


def csr(names, key=None):
    return build_csr(key or ec.generate_private_key(ec.SECP256R1()), "x.example.com", names)


def planned(minion_id):
    return ["URI:sip:example.com", "DNS:example.com", f"DNS:{minion_id}.example.com"]


@pytest.mark.parametrize(
    "names",
    [
        [*planned("faultpbx2"), "DNS:evil.example.com"],
        ["URI:sip:example.com", "DNS:example.com", "DNS:*.example.com"],
        ["DNS:faultpbx2.example.com"],
        planned("faultpbx1"),
        [],
    ],
    ids=["extra-name", "wildcard", "missing-names", "other-minions-names", "no-names"],
)
def test_wrong_names_are_refused(pki_fleet, names):
    before = len(pki_fleet.issued("faultpbx2"))
    ret = pki_fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={csr(names)}")
    assert REFUSED in str(ret.data) + str(ret.stdout), ret
    assert len(pki_fleet.issued("faultpbx2")) == before


def test_extra_arguments_cannot_sign_for_another_minion(pki_fleet):
    """A minion asking the runner directly, with arguments that try to name another caller."""
    before = {m: len(pki_fleet.issued(m)) for m in MINIONS}
    request = csr(planned("faultpbx1"))
    for extra in (["minion=faultpbx1"], ["id=faultpbx1"], ["__opts__={'id': 'faultpbx1'}"]):
        ret = pki_fleet.salt("faultpbx2", "publish.runner", "sipxha_ca.sign", f"arg={json.dumps([request, *extra])}")
        assert "BEGIN CERTIFICATE" not in str(ret.data) + str(ret.stdout), ret
    assert {m: len(pki_fleet.issued(m)) for m in MINIONS} == before


def test_a_replayed_csr_is_rate_limited(pki_fleet):
    """Issue 13.14: the same CSR again from its minion gets no second certificate (its current one is valid,
    not due, for the same key and names) until the admin allows one on the master; the same CSR from
    another minion is refused; every serial issued stays revocable."""
    fleet, request = pki_fleet, csr(planned("faultpbx2"))
    requested_key = x509.load_pem_x509_csr(request.encode()).public_key().public_numbers()
    first = fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={request}")
    cert = x509.load_pem_x509_certificate(first.data["certificate"].encode())
    assert names_of(cert) == set(planned("faultpbx2")) and cert.public_key().public_numbers() == requested_key
    count = len(fleet.issued("faultpbx2"))
    for _ in range(3):
        again = fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={request}")
        assert REFUSED in str(again.data) + str(again.stdout), again
    assert len(fleet.issued("faultpbx2")) == count
    stolen = fleet.salt("faultpbx1", "sipxha_pki.sign", f"csr={request}")
    assert REFUSED in str(stolen.data) + str(stolen.stdout), stolen
    allowed = fleet.master.salt_run_cli(timeout=TIMEOUT).run("sipxha_ca.allow", "minion=faultpbx2")
    assert allowed.returncode == 0 and allowed.data == {"allowed": "faultpbx2"}, allowed
    second = fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={request}")
    assert x509.load_pem_x509_certificate(second.data["certificate"].encode()).serial_number != cert.serial_number
    assert REFUSED in str(fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={request}").data)  # one, not more
    revoked = fleet.master.salt_run_cli(timeout=TIMEOUT).run("sipxha_ca.revoke", "minion=faultpbx2")
    assert {f"{cert.serial_number:x}"} < {entry["serial"] for entry in revoked.data["revoked"]}, revoked


def test_concurrent_requests_through_the_master_are_all_served(pki_fleet):
    """Requests at once through the real master (CONCURRENT from each of this fleet's two minions, each with
    its own key): several at once from the same minion. Twenty distinct minions at once are in
    tests/integration/pki/test_crowd.py; the CA's own concurrency (24 signers at once) in tests/unit/pki. All
    are signed, every serial is distinct, and the CA's index lists exactly what was issued."""
    fleet = pki_fleet
    before = {entry["serial"] for minion_id in MINIONS for entry in fleet.issued(minion_id)}
    requests = [(minion_id, csr(planned(minion_id))) for minion_id in MINIONS for _ in range(CONCURRENT)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
        rets = list(pool.map(lambda r: fleet.salt(r[0], "sipxha_pki.sign", f"csr={r[1]}", timeout=300), requests))
    elapsed = time.monotonic() - started
    serials = set()
    for (minion_id, _), ret in zip(requests, rets, strict=True):
        assert isinstance(ret.data, dict) and "certificate" in ret.data, ret
        cert = x509.load_pem_x509_certificate(ret.data["certificate"].encode())
        assert names_of(cert) == set(planned(minion_id))
        serials.add(f"{cert.serial_number:x}")
    assert len(serials) == len(requests)
    after = {entry["serial"] for minion_id in MINIONS for entry in fleet.issued(minion_id)}
    assert after == before | serials
    records = {path.stem for path in (fleet.root / "ca" / "issued").glob("*.json")}
    assert records == after
    print(f"{len(requests)} concurrent requests through the master: all served in {elapsed:.1f} s")


def test_export_over_a_readable_file_is_0600(pki_fleet, tmp_path):
    """Issue 13.12: ``salt-run sipxha_ca.export`` over an existing 0644 file leaves a 0600 archive."""
    archive = tmp_path / "ca.p12"
    archive.write_bytes(b"an older, world-readable export")
    os.chmod(archive, 0o644)
    ret = pki_fleet.master.salt_run_cli(timeout=TIMEOUT).run("sipxha_ca.export", str(archive), "passphrase=offline")
    assert ret.returncode == 0 and "fingerprint" in ret.data, ret
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in str(ret.data) + ret.stdout


GRAIN_FQDN = "fqdn: \"{{ grains.get('sipxha_fqdn', 'faultpbx2.example.com') }}\""


def test_grains_do_not_steer_the_names_the_ca_grants(pki_fleet):
    """Issue 13.5: a pillar whose fqdn comes from a grain; the minion sets that grain to another name.

    Its own pillar then plans ``voicemail.example.com`` (shown), but the CA authorises against the pillar
    the master compiles without the minion's grains: the voicemail names are refused, the planned ones
    are still signed."""
    fleet, pillar = pki_fleet, pki_fleet.pillar()
    pillar["servers"]["faultpbx2"]["fqdn"] = "__FQDN__"
    text = salt.utils.yaml.safe_dump({"sipxha": pillar}, default_flow_style=False).replace("fqdn: __FQDN__", GRAIN_FQDN)
    (fleet.root / "pillar" / "sipxha.sls").write_text(text, encoding="utf-8")
    assert fleet.salt("faultpbx2", "grains.setval", "sipxha_fqdn", "voicemail.example.com").returncode == 0
    try:
        assert fleet.salt("faultpbx2", "saltutil.refresh_pillar", "wait=True").returncode == 0
        own = fleet.salt("faultpbx2", "sipxha.plan", "own=True")
        assert "voicemail.example.com" in str(own.data), own  # the minion's own pillar does follow its grain
        before = len(fleet.issued("faultpbx2"))
        steered = ["URI:sip:example.com", "DNS:example.com", "DNS:voicemail.example.com"]
        ret = fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={csr(steered)}")
        assert REFUSED in str(ret.data) + str(ret.stdout), ret
        assert len(fleet.issued("faultpbx2")) == before
        granted = fleet.salt("faultpbx2", "sipxha_pki.sign", f"csr={csr(planned('faultpbx2'))}")
        cert = x509.load_pem_x509_certificate(granted.data["certificate"].encode())
        assert names_of(cert) == set(planned("faultpbx2"))
    finally:
        fleet.salt("faultpbx2", "grains.delkey", "sipxha_fqdn")
        fleet.set_pillar(fleet.pillar())


def test_a_forged_expiry_event_only_triggers_a_state_run(pki_fleet, event_listener):
    """faultpbx2 fires sipxha/cert/expiring claiming to be faultpbx1 (in the data, and as the sender id).

    The reactor may only run ``state.apply sipxha`` on a minion; that run asks the CA with the minion's own
    authenticated id. Both certificates are current, so no certificate may be issued at all."""
    for minion_id in MINIONS:
        apply_pki(pki_fleet, minion_id)
    before = {m: len(pki_fleet.issued(m)) for m in MINIONS}
    started = time.time()
    data = json.dumps({"minion": "faultpbx1", "id": "faultpbx1", "kinds": ["expiring"]})
    sent = pki_fleet.salt_call(
        "faultpbx2", "event.send", "sipxha/cert/expiring", f"data={data}", 'preload={"id": "faultpbx1"}'
    )
    assert sent.returncode == 0, sent
    jobs = wait_for_jobs(event_listener, pki_fleet.master.id, started)
    assert jobs, "the reactor never ran"
    assert all(job["fun"] == "state.apply" for job in jobs), jobs
    for job in jobs:  # the triggered runs have finished (and asked the CA, if they needed to)
        assert wait_for_events(event_listener, pki_fleet.master.id, f"salt/job/{job['jid']}/ret/*", started), job
    assert {m: len(pki_fleet.issued(m)) for m in MINIONS} == before
    print(f"forged event -> reactor jobs: {[(job['fun'], job['tgt']) for job in jobs]}")


def wait_for_jobs(event_listener, master_id, after):
    """The jobs the master published after ``after`` (``salt/job/*/new``), other than pillar refreshes."""
    events = wait_for_events(event_listener, master_id, "salt/job/*/new", after, skip="saltutil.refresh_pillar")
    return [event.data for event in events]


def wait_for_events(event_listener, master_id, tag, after, *, skip=None, timeout=60.0):
    """The master's events matching ``tag`` after ``after``, waiting (at most ``timeout`` s) for at least one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = event_listener.get_events([(master_id, tag)], after_time=after)
        events = [event for event in events if skip is None or event.data.get("fun") != skip]
        if events:
            return events
        time.sleep(0.5)
    return []
