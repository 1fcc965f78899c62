"""The SIP OPTIONS probe against a real ``sipp`` TCP responder: probes that give up just as the answer arrives
never reset a connection, so the responder (which exits on a reset) keeps answering.

Debian's sipp 3.6 ``-sn uas`` over TCP exits on a peer's reset that came before the peer's FIN (no sipp option
avoids it: ``-max_reconnect`` makes it try to reconnect the accepted socket, and fail). Before the probe ended
its connections gently (:mod:`saltext_sipxha.core.verify.tcpclose`), such a burst killed it within a second.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from saltext_sipxha.core.verify.sipprobe import probe
from saltext_sipxha.core.verify.tcpclose import CLOSER, LINGER
from tests.support import kamailio
from tests.support.named import free_port
from tests.support.probeburst import burst
from tests.support.sipp import sip_responder

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (Debian sip-tester) is not installed")


def test_probes_given_up_at_the_answer_time_leave_sipp_answering():
    port = free_port()
    with sip_responder("127.0.0.1", port, "tcp") as sipp:
        counts = burst("127.0.0.1", port, seconds=3, threads=4)
        assert CLOSER.wait(LINGER + 1), "a probe's connection stayed open after sipp closed it"
        assert sipp.poll() is None, f"sipp exited (status {sipp.returncode}) during the burst: {counts}"
        assert probe("127.0.0.1", port, "tcp", timeout=2).reachable
    assert counts["given up"] > 0, counts  # the burst gave up on some (on a loaded machine: on most)


@pytest.mark.timeout(120)
def test_probes_never_send_a_reset(tmp_path):
    """In a network namespace of its own (both ends of loopback, nobody else's traffic), count the resets."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip")
    argv = [sys.executable, "-m", "tests.support.probeburst", "3", "4"]
    done = kamailio.run_isolated(argv, tmp_path / "ns", timeout=90, cwd=REPO)
    if done.returncode != 0 and "unshare" in done.stdout:
        pytest.skip(f"unshare --net does not work here: {done.stdout[-300:]}")
    assert done.returncode == 0, done.stdout[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["counts"].get("given up", 0) > 0, seen
    assert seen | {"counts": None} == {"counts": None, "resets": 0, "closed": True, "alive": True, "answers": True}
