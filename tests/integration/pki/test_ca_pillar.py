"""The ``sipxha_ca`` ext_pillar on the real fleet: the CA certificate reaches the minions with their pillar,
so a converged ``state.apply sipxha.pki`` asks the master nothing through ``peer_run``, and a CA replaced on
the master is still noticed by the next run."""

from __future__ import annotations

import shutil
import time

import pytest

from saltext_sipxha.core.pki.servercert import issued_by, read_cert
from tests.unit.pki.support import PASSPHRASE, new_ca

pytestmark = pytest.mark.integration
CA_CERT_RUN = "runner.sipxha_ca.ca_cert"


def test_listed_minion_has_the_ca_certificate_in_its_pillar(fleet, ca_dir):
    ret = fleet.salt("sipxpbx2", "pillar.get", "sipxha_ca:cert", "unmask=True")  # Salt 3008 masks pillar output
    assert ret.returncode == 0, ret
    assert ret.data == (ca_dir / "ca.crt").read_text(encoding="ascii")
    everything = str(fleet.salt("sipxpbx2", "pillar.items", "unmask=True").data)
    assert "BEGIN CERTIFICATE" in everything and "PRIVATE KEY" not in everything


def runner_calls(event_listener, fleet, since: float) -> list:
    """``sipxha_ca.ca_cert`` runner runs started on the master since ``since`` (their ``salt/run/*/new`` events)."""
    events = event_listener.get_events([(fleet.master.id, "salt/run/*/new")], after_time=since)
    return [event for event in events if event.data.get("fun") == CA_CERT_RUN]


def test_converged_run_makes_no_peer_run_call(fleet, apply_pki, event_listener):
    assert apply_pki("sipxpbx2")["sipxpbx2"]["result"] is True
    # the counter works: the fallback path (publish.runner, as without the ext_pillar) shows up
    started = time.time()
    assert "BEGIN CERTIFICATE" in str(fleet.salt_call("sipxpbx2", "publish.runner", "sipxha_ca.ca_cert").data)
    assert event_listener.wait_for_events([(fleet.master.id, "salt/run/*/new")], timeout=30, after_time=started)
    assert len(runner_calls(event_listener, fleet, started)) == 1
    started = time.time()
    again = apply_pki("sipxpbx2")["sipxpbx2"]
    assert again["result"] is True and not again["changes"], again
    time.sleep(2)  # let any event of that run reach the listener
    assert runner_calls(event_listener, fleet, started) == []


@pytest.fixture
def replace_ca(fleet, ca_dir, tmp_path):
    """``replace_ca()`` imports a new CA on the master (force=True) and returns it; the session's CA folder
    is put back afterwards (the other tests share it)."""
    saved = tmp_path / "saved-ca"
    shutil.copytree(ca_dir, saved)

    def _replace():
        new = new_ca(tmp_path)
        ret = fleet.salt_run(
            "sipxha_ca.import", f"cert={new.cert_path}", f"key={new.key_path}",
            f"key_passphrase={PASSPHRASE.decode()}", "force=True",
        )  # fmt: skip
        assert ret.returncode == 0 and ret.data["imported"] is True, ret
        return new

    yield _replace
    shutil.rmtree(ca_dir)
    shutil.copytree(saved, ca_dir)


def test_a_replaced_ca_is_noticed_by_the_next_run(fleet, apply_pki, event_listener, ca_dir, replace_ca):
    assert apply_pki("sipxpbx2")["sipxpbx2"]["result"] is True
    old = read_cert(ca_dir / "ca.crt")
    assert issued_by(read_cert(fleet.ssl("sipxpbx2") / "ssl.crt"), old)
    new = replace_ca()
    started = time.time()
    ret = apply_pki("sipxpbx2")["sipxpbx2"]
    assert ret["result"] is True and "CA changed" in ret["comment"], ret
    cert = read_cert(fleet.ssl("sipxpbx2") / "ssl.crt")
    assert issued_by(cert, new.certificate) and not issued_by(cert, old)
    assert read_cert(fleet.ssl("sipxpbx2") / "authorities" / "ca.example.com.crt") == new.certificate
    time.sleep(2)  # let any event of that run reach the listener
    assert runner_calls(event_listener, fleet, started) == []  # the new CA came with the pillar
