"""A real RFC 3263 client under steady load sees 0 failed requests while a fleet-wide change rolls out.

Kamailio reads the system resolver, so the scenario (``kamailio_scenario.py``: its own master and three
minions, BIND on 127.0.0.1:53, the per-server responders, kamailio and the sipp load) runs in a pytest
of its own inside private network, mount and pid namespaces (:func:`tests.support.kamailio.run_isolated`).
It checks both sides: ``restart: rolling`` fails no request, ``restart: immediate`` fails some.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.support import kamailio

SCENARIO = Path(__file__).with_name("kamailio_scenario.py")
REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 900  #: a bound for a loaded machine; on an idle one the whole scenario takes about 2 minutes


@pytest.mark.skipif(kamailio.isolated(), reason="the outer half: starts the namespace")
@pytest.mark.timeout(TIMEOUT + 30)
def test_an_rfc3263_client_under_load_sees_no_failed_request_during_a_rolling_change(tmp_path_factory):
    reason = kamailio.unavailable()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("kam")  # short: the inner Salt daemons' unix sockets live under it
    argv = [sys.executable, "-m", "pytest", str(SCENARIO), "-x", "-q", "-s", "--basetemp", str(root / "t"),
            "-o", f"timeout={TIMEOUT - 60}", "--show-capture=no", "--tb=short"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | {"PYTHONUNBUFFERED": "1"}
    done = kamailio.run_isolated(argv, root / "ns", TIMEOUT, cwd=REPO, env=env)
    summaries = re.findall(r"^=*\s*(\S.*?) in [\d.]+s", done.stdout, re.MULTILINE)  # pytest's last line
    print(done.stdout[-4000:])
    assert done.returncode == 0 and summaries and summaries[-1] == "2 passed", done.stdout[-8000:]
