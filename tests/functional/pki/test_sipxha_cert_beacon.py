"""The ``sipxha_cert`` beacon through Salt's beacon loader: validation and firing on transitions only."""

from __future__ import annotations

import logging
import time

import pytest

FIRED = "sipxha_cert beacon: sipxha/cert/expiring"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"interval": 5}, "must be a list of mappings"),
        (["interval"], "must be a mapping"),
        ([{"interval": 5}, {"renew_dayz": 3}], "Unknown sipxha_cert beacon option(s): renew_dayz"),
        ([{"repeat": -1}], "option repeat must be a non-negative integer, got -1"),
        ([{"renew_days": "soon"}], "option renew_days must be a non-negative integer, got 'soon'"),
    ],
)
def test_validate_explains(beacons, config, message):
    valid, text = beacons()["sipxha_cert.validate"](config)
    assert valid is False
    assert message in text


def test_validate_accepts(beacons):
    assert beacons()["sipxha_cert.validate"]([{"interval": 60}, {"repeat": 0}, {"renew_days": 10}]) == (
        True,
        "Valid beacon configuration",
    )


def fired(caplog) -> list[str]:
    found = [r.getMessage() for r in caplog.records if r.getMessage().startswith(FIRED)]
    caplog.clear()
    return found


def test_fires_on_transitions_only(loaders, beacons, pki_pillar, caplog):
    pki_pillar(days=40, renew_days=10)
    caplog.set_level(logging.INFO)
    config = [{"interval": 1}, {"repeat": 0}]
    assert beacons()["sipxha_cert.beacon"](config) == []
    messages = fired(caplog)
    assert len(messages) == 1 and "(no certificate at " in messages[0]
    beacons()["sipxha_cert.beacon"](config)
    assert fired(caplog) == []  # same condition: no event again
    assert loaders.states.sipxha_pki.certificate(name="cert").result is True
    beacons()["sipxha_cert.beacon"](config)
    assert fired(caplog) == []  # healthy now
    beacons()["sipxha_cert.beacon"]([*config, {"renew_days": 41}])
    messages = fired(caplog)
    assert len(messages) == 1 and "expires within 41 days" in messages[0]
    beacons()["sipxha_cert.beacon"]([*config, {"renew_days": 41}])
    assert fired(caplog) == []


def test_repeat_refires_only_after_the_period(beacons, pki_pillar, caplog):
    pki_pillar()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        beacons()["sipxha_cert.beacon"]([{"repeat": 600}])
    assert len(fired(caplog)) == 1
    started = time.monotonic()
    while not fired(caplog) and time.monotonic() - started < 10:  # bounded: repeat 1 s re-fires soon
        beacons()["sipxha_cert.beacon"]([{"repeat": 1}])
        time.sleep(0.2)
    assert time.monotonic() - started < 10
