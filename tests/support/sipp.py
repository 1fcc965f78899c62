"""Real SIP responders for tests: Debian's ``sipp -sn uas -aa`` on a loopback address and port."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from saltext_sipxha.core.verify.sipprobe import probe

START_TIMEOUT = 10.0


@contextlib.contextmanager
def sip_responder(address: str, port: int, transport: str = "udp") -> Iterator[subprocess.Popen]:
    """Run ``sipp`` answering OPTIONS on ``address:port`` until the block ends; waits until it answers."""
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("sipp (Debian sip-tester) is not installed")
    cmd = [
        sipp,
        "-sn",
        "uas",
        "-aa",
        "-i",
        address,
        "-p",
        str(port),
        "-nostdin",
        "-t",
        "t1" if transport == "tcp" else "u1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not probe(address, port, transport, timeout=0.5).reachable:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sipp did not start on {address}:{port}/{transport}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
