"""
Beacon ``sipxha_cert``: tell the master when this sipX server's certificate is due for renewal.

Fires the event ``sipxha/cert/expiring`` to the master when ``<ssl>/ssl.crt`` is missing, within
``sipxha:pki:renew_days`` of expiry, or not signed by the installed ``authorities/<ca_name>.crt``.
It fires on a change of that condition (and again every ``repeat`` seconds while it lasts), not
on every interval. The shipped reactor ``sipxha/reactor/cert_expiring.sls`` answers with
``state.apply sipxha`` on the minion the event came from.

Event data (``data['data']`` in a reactor; ``data['id']`` is the sending minion):

.. code-block:: yaml

    minion: sipxpbx2
    cert: /etc/sipxpbx/ssl/ssl.crt
    kinds: [expiring]            # any of: missing, expiring, wrong_ca
    reasons: ["expires within 30 days (on 2026-01-01T00:00:00+00:00)"]
    not_after: "2026-01-01T00:00:00+00:00"   # null when there is no certificate
    days_left: 12.5
    serial: 4f1c...

Configuration (minion config or pillar), paths and days come from the ``sipxha`` pillar:

.. code-block:: yaml

    beacons:
      sipxha_cert:
        - interval: 3600        # seconds between checks
        - repeat: 86400         # re-fire while still due (0: only on change)
        - renew_days: 30        # optional override of sipxha:pki:renew_days
"""

from __future__ import annotations

import datetime
import logging
import time

import salt.utils.beacons

from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.pki.servercert import SslLayout, read_cert, watch_reasons
from saltext_sipxha.saltbridge import fleet_from

log = logging.getLogger(__name__)

__virtualname__ = "sipxha_cert"
TAG = "sipxha/cert/expiring"
OPTIONS = {"interval", "repeat", "renew_days", "disable_during_state_run"}
DEFAULT_REPEAT = 86400
_LAST = "sipxha_cert.last"


def __virtual__():
    return __virtualname__


def validate(config):
    """Check the beacon configuration: a list of single-key mappings among the known options."""
    if not isinstance(config, list):
        return False, "Configuration for sipxha_cert beacon must be a list of mappings, e.g. [{interval: 3600}]"
    if not all(isinstance(item, dict) for item in config):
        return False, "Each item of the sipxha_cert beacon configuration must be a mapping, e.g. - renew_days: 30"
    merged = salt.utils.beacons.list_to_dict(config)
    unknown = sorted(set(merged) - OPTIONS)
    if unknown:
        known = ", ".join(sorted(OPTIONS))
        return False, f"Unknown sipxha_cert beacon option(s): {', '.join(unknown)} (known: {known})"
    for option in ("repeat", "renew_days"):
        value = merged.get(option)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return False, f"sipxha_cert beacon option {option} must be a non-negative integer, got {value!r}"
    return True, "Valid beacon configuration"


def beacon(config):
    """Check the certificate; send ``sipxha/cert/expiring`` when its condition changes (see module doc)."""
    options = salt.utils.beacons.list_to_dict(config)
    try:
        fleet = fleet_from(__pillar__, __context__)
        server = fleet.find_server(__opts__["id"])
        layout = SslLayout.of(fleet, server)
        renew_days = options.get("renew_days", fleet.pki.renew_days)
        now = datetime.datetime.now(datetime.timezone.utc)
        found = watch_reasons(layout, renew_days, now)
    except SipxhaError as err:
        log.warning("sipxha_cert beacon: cannot check the certificate: %s", err)
        return []
    kinds = tuple(sorted(found))
    last_kinds, last_time = __context__.get(_LAST, ((), 0.0))
    repeat = options.get("repeat", DEFAULT_REPEAT)
    if not kinds:
        __context__[_LAST] = ((), 0.0)
        return []
    if kinds == last_kinds and (not repeat or time.time() - last_time < repeat):
        return []
    __context__[_LAST] = (kinds, time.time())
    payload = _payload(layout, found, now)
    log.info("sipxha_cert beacon: %s (%s)", TAG, "; ".join(payload["reasons"]))
    __salt__["event.send"](TAG, payload)
    return []


def _payload(layout: SslLayout, found: dict[str, str], now: datetime.datetime) -> dict:
    cert = read_cert(layout.cert)
    return {
        "minion": __opts__["id"],
        "cert": str(layout.cert),
        "kinds": sorted(found),
        "reasons": [found[kind] for kind in sorted(found)],
        "not_after": cert.not_valid_after_utc.isoformat() if cert else None,
        "days_left": round((cert.not_valid_after_utc - now).total_seconds() / 86400, 3) if cert else None,
        "serial": f"{cert.serial_number:x}" if cert else None,
    }
