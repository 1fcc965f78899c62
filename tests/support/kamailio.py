"""A real RFC 3263 client under load: Debian's ``kamailio`` as a stateful forwarder, driven by ``sipp``.

Kamailio resolves a request's host the RFC 3263 way (NAPTR, SRV, A; ``dns_naptr_ignore_rfc=no`` so the
NAPTR order decides TCP before UDP), load-balances over an SRV RRset by weight, fails over to the next
target when one refuses, times out (tm ``fr_timer``) or answers 503,
and caches DNS for at most ``dns_cache_max_ttl`` seconds; when no target is left it answers with an error
(477, 408), which sipp counts as a failed request. It reads the system resolver (``/etc/resolv.conf``, port 53), so the
scenario runs in a private namespace (:func:`run_isolated`) where a BIND on 127.0.0.1:53 is the resolver.

- :func:`unavailable`: why this harness cannot run here (None when it can).
- :func:`run_isolated`: run a command in new network, mount and pid namespaces: ``lo`` up, this
  namespace's own ``/etc/resolv.conf`` (127.0.0.1), every process in it killed when the command ends.
- :func:`running_kamailio`: kamailio on ``127.0.0.1:<port>`` (UDP and TCP); it relays every request to
  its Request-URI and answers OPTIONS for itself (a readiness probe).
- :func:`options_load`: one ``sipp`` client per target URI, each sending OPTIONS through kamailio at a
  steady rate; :meth:`Load.stop` ends them and returns a :class:`LoadResult` per target (sent, failed,
  answered at which epoch times, the longest gap without an answer).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from saltext_sipxha.core.verify.sipprobe import probe

HOST = "127.0.0.1"
KAMAILIO = "/usr/sbin/kamailio"
SIPP = "/usr/bin/sipp"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
FR_TIMER_MS = 1000  #: kamailio gives up on a silent target after this and fails over to the next one
CLIENT_TIMEOUT_MS = 8000  #: a sipp request without a 200 within this counts as failed
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n"

CONFIG = """\
#!KAMAILIO
debug=1
log_stderror=yes
children=2
tcp_children=2
listen=udp:{host}:{port}
listen=tcp:{host}:{port}
auto_aliases=no
alias={host}:{port}
mpath="{modules}"
dns_try_naptr=yes
dns_naptr_ignore_rfc=no
dns_srv_lb=yes
use_dns_failover=yes
use_dns_cache=yes
dns_cache_max_ttl={max_ttl}
dns_cache_negative_ttl=1
dns_try_ipv6=no
dns_retr_time=1
dns_retr_no=1
use_dst_blocklist=no
loadmodule "tm.so"
loadmodule "sl.so"
modparam("tm", "fr_timer", {fr_timer})
request_route {{
    if (uri == myself && method == "OPTIONS") {{ sl_send_reply("200", "OK"); exit; }}
    if (!t_relay()) {{ sl_reply_error(); }}
    exit;
}}
"""

# One OPTIONS per call to [ruri] through kamailio (the remote host); a 200 logs the epoch time it came.
SCENARIO = """\
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
  <send retrans="500">
    <![CDATA[
      OPTIONS [ruri] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:load@[local_ip]:[local_port]>;tag=[pid]load[call_number]
      To: <[ruri]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Contact: <sip:load@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" timeout="{timeout}">
    <action>
      <gettimeofday assign_to="s,us"/>
      <log message="ok [$s] [$us]"/>
    </action>
  </recv>
</scenario>
"""


def unavailable() -> str | None:
    """Why the kamailio scenario cannot run on this machine, or None."""
    for tool in (KAMAILIO, SIPP, shutil.which("named"), shutil.which("unshare"), shutil.which("ip")):
        if tool is None or not os.access(tool, os.X_OK):
            return f"{tool or 'named/unshare/ip'} is not installed (make setup installs kamailio, bind9, sip-tester)"
    try:
        done = subprocess.run(_unshare(["true"]), capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare does not work here: {exc}"
    if done.returncode != 0:
        return f"unshare --net --mount --pid does not work here (needs root): {done.stderr.decode()[-300:]}"
    return None


def _unshare(argv: Sequence[str]) -> list[str]:
    return ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--", *argv]


def run_isolated(
    argv: Sequence[str], root: Path, timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``argv`` in private network, mount and pid namespaces, with ``lo`` up and ``/etc/resolv.conf``
    bind-mounted from ``root/resolv.conf`` (nameserver 127.0.0.1). The pid namespace ends with ``argv``:
    the kernel kills every process left in it. Past ``timeout`` seconds the whole group is killed. Its
    output (stdout and stderr, also in ``root/output.log`` while it runs) is the result's ``stdout``."""
    root.mkdir(parents=True, exist_ok=True)
    resolv = root / "resolv.conf"
    resolv.write_text(RESOLV_CONF, encoding="utf-8")
    script = 'ip link set lo up && mount --bind "$0" /etc/resolv.conf && exec "$@"'
    cmd = _unshare(["sh", "-c", script, str(resolv), *argv])
    output = root / "output.log"
    with open(output, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT)
        with open(output, "a", encoding="utf-8") as out:
            out.write(f"\n[killed after {timeout} s]\n")
    text = output.read_text(encoding="utf-8", errors="replace")
    return subprocess.CompletedProcess(cmd, proc.returncode, text, "")


def isolated() -> bool:
    """True inside :func:`run_isolated` (this namespace's resolv.conf is the one it wrote)."""
    try:
        return Path("/etc/resolv.conf").read_text(encoding="utf-8") == RESOLV_CONF
    except OSError:
        return False


@dataclass
class Kamailio:
    """A running kamailio forwarder."""

    root: Path
    port: int
    process: subprocess.Popen

    def stop(self) -> None:
        _terminate(self.process)

    def log(self) -> str:
        path = self.root / "kamailio.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@contextlib.contextmanager
def running_kamailio(root: Path, port: int, max_ttl: int = 1, fr_timer_ms: int = FR_TIMER_MS) -> Iterator[Kamailio]:
    """Kamailio on ``127.0.0.1:port`` (UDP, TCP) until the block ends; waits (bounded) until it answers."""
    root.mkdir(parents=True, exist_ok=True)
    conf = CONFIG.format(host=HOST, port=port, modules=MODULES, max_ttl=max_ttl, fr_timer=fr_timer_ms)
    (root / "kamailio.cfg").write_text(conf, encoding="utf-8")
    argv = [KAMAILIO, "-DD", "-E", "-f", str(root / "kamailio.cfg"), "-Y", str(root), "-P", str(root / "kamailio.pid"),
            "-w", str(root), "-m", "64", "-M", "8"]  # fmt: skip
    with open(root / "kamailio.log", "wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=root)
    kamailio = Kamailio(root, port, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not probe(HOST, port, "udp", timeout=0.5).reachable:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"kamailio did not start on {HOST}:{port}:\n{kamailio.log()[-3000:]}")
        yield kamailio
    finally:
        kamailio.stop()


@dataclass
class LoadResult:
    """What one sipp client saw: ``sent`` requests, ``failed`` (no 200 within the client's timeout, or an
    error response), the epoch times of the 200s, ``longest_gap`` seconds without one (from start to stop)."""

    target: str
    sent: int
    successful: int
    failed: int
    answered: list[float] = field(repr=False)
    longest_gap: float


@dataclass
class _Client:
    target: str
    root: Path
    process: subprocess.Popen
    started: float


class Load:
    """Steady OPTIONS load through kamailio, one sipp per target; :meth:`stop` returns the results."""

    def __init__(self, clients: list[_Client]) -> None:
        self.clients = clients
        self.results: dict[str, LoadResult] | None = None

    def stop(self) -> dict[str, LoadResult]:
        """Stop sending, let requests in flight end (bounded), and read each client's counts."""
        if self.results is None:
            stopped = time.time()
            for client in self.clients:
                with contextlib.suppress(ProcessLookupError):
                    client.process.send_signal(signal.SIGUSR1)  # sipp: no new calls, finish, exit
            for client in self.clients:
                _wait_or_kill(client.process, CLIENT_TIMEOUT_MS / 1000 + STOP_TIMEOUT)
            self.results = {c.target: _result(c, stopped) for c in self.clients}
        return self.results


@contextlib.contextmanager
def options_load(root: Path, kamailio_port: int, targets: dict[str, str], rate: int = 20) -> Iterator[Load]:
    """``rate`` OPTIONS per second to each of ``targets`` ({name: Request-URI}) through kamailio, over UDP,
    from the block's start; stopped (if the block did not call :meth:`Load.stop`) when it ends."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "options.xml").write_text(SCENARIO.format(timeout=CLIENT_TIMEOUT_MS), encoding="utf-8")
    clients = []
    try:
        for name, uri in targets.items():
            folder = root / name
            folder.mkdir(exist_ok=True)
            argv = [SIPP, "-sf", str(root / "options.xml"), "-key", "ruri", uri, "-i", HOST, "-t", "u1",
                    "-r", str(rate), "-l", str(rate * 10), "-nostdin", "-timeout", "900s",
                    "-default_behaviors", "all,-bye",  # an error response fails the request (no BYE after it)
                    "-trace_stat", "-stf", str(folder / "stat.csv"), "-fd", "1",
                    "-trace_logs", "-log_file", str(folder / "answers.log"),
                    "-trace_err", "-error_file", str(folder / "errors.log"),
                    f"{HOST}:{kamailio_port}"]  # fmt: skip
            with open(folder / "sipp.out", "wb") as out:
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=folder)
            clients.append(_Client(name, folder, process, time.time()))
        load = Load(clients)
        yield load
    finally:
        for client in clients:
            _terminate(client.process)


def _result(client: _Client, stopped: float) -> LoadResult:
    rows = _stat_rows(client.root / "stat.csv")
    last = rows[-1] if rows else {}
    successful, failed = int(last.get("SuccessfulCall(C)", 0)), int(last.get("FailedCall(C)", 0))
    answered = sorted(_answers(client.root / "answers.log"))
    edges = [client.started, *answered, stopped]
    gap = max((b - a for a, b in itertools.pairwise(edges)), default=stopped - client.started)
    sent = int(last.get("TotalCallCreated", 0))
    return LoadResult(client.target, sent, successful, failed, answered, round(gap, 3))


def _stat_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    lines = [line.rstrip(";").split(";") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [dict(zip(lines[0], row, strict=False)) for row in lines[1:]] if lines else []


def _answers(path: Path) -> list[float]:
    if not path.exists():
        return []
    times = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "ok":
            times.append(int(float(parts[1])) + int(float(parts[2])) / 1e6)
    return times


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        _wait_or_kill(process, STOP_TIMEOUT)


def _wait_or_kill(process: subprocess.Popen, grace: float) -> None:
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)
