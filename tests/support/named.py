"""A real BIND 9 ``named`` for tests: loopback only, a free high port, a temporary config, stopped afterwards.

:func:`start_named` runs ``named -g -c <tmp>/named.conf`` as a foreground child. It listens on
``127.0.0.1:<port>`` only (never IPv6; port 53 only when asked, in a private namespace), has its control
channel on another free loopback port with its own rndc key, and serves:

- ``example.com``: primary zone, updatable and transferable with the TSIG key :data:`TSIG_NAME`
  (dynamic zones need ``allow-transfer`` for the key too: nsupdate mode reads the zone by AXFR);
- ``locked.test``: a primary zone that allows no update (updates are REFUSED).

``zone_file=`` serves ``example.com`` from that path as a static zone instead (zone-file mode writes it,
``rndc reload`` loads it). Every wait is bounded; :meth:`Named.stop` terminates (then kills) the child.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

HOST = "127.0.0.1"
ZONE = "example.com"
LOCKED_ZONE = "locked.test"
TSIG_NAME = "sipxha-key."
TSIG_ALGORITHM = "hmac-sha256"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

CONF = """\
key "{tsig_name}" {{ algorithm {algorithm}; secret "{tsig_secret}"; }};
key "rndc-key" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};
controls {{ inet {host} port {control_port} allow {{ {host}; }} keys {{ "rndc-key"; }}; }};
options {{
    directory "{root}";
    pid-file "{root}/named.pid";
    session-keyfile "{root}/session.key";
    managed-keys-directory "{root}";
    listen-on port {port} {{ {host}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ {host}; }};
}};
zone "{zone}" {{ type primary; file "{zone_file}"; {update} }};
zone "{locked}" {{ type primary; file "{root}/locked.zone"; }};
"""
DYNAMIC = 'allow-update {{ key "{tsig_name}"; }}; allow-transfer {{ key "{tsig_name}"; }};'
STARTER_ZONE = """\
$ORIGIN {zone}.
$TTL 300
@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 900 1209600 300
@ IN NS ns1.{zone}.
ns1 IN A 127.0.0.1
www IN A 192.0.2.80
_ldap._tcp IN SRV 0 0 389 www.{zone}.
$GENERATE 1-20 sipxpbx$ A 192.0.2.${{10}}
"""


def free_port() -> int:
    """A port free on loopback for both TCP and UDP right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port found")


def new_secret() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class Named:
    """A running ``named`` and what a test needs to talk to it."""

    root: Path
    port: int
    control_port: int
    tsig_secret: str
    zone_file: Path
    process: subprocess.Popen

    @property
    def rndc_key(self) -> Path:
        return self.root / "rndc.key"

    def reload_command(self, zone: str = ZONE) -> str:
        """The ``rndc reload`` command line for this server (what ``dns:zonefile:reload`` holds)."""
        return f"rndc -s {HOST} -p {self.control_port} -k {self.rndc_key} reload {zone}"

    def nsupdate_pillar(self, zone: str = ZONE, secret: str | None = None, **extra) -> dict:
        """The ``dns:nsupdate`` pillar that reaches this server with its key."""
        tsig = {"name": TSIG_NAME, "algorithm": TSIG_ALGORITHM, "secret": secret or self.tsig_secret}
        return {"server": HOST, "port": self.port, "zone": zone, "tsig": tsig, "timeout": 5} | extra

    def query(self, name: str, rdtype: str = "SRV") -> dns.message.Message:
        request = dns.message.make_query(name, rdtype)
        request.flags &= ~dns.flags.RD
        return dns.query.tcp(request, HOST, port=self.port, timeout=5)

    def serial(self, zone: str = ZONE) -> int:
        return self.query(zone, "SOA").answer[0][0].serial

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)

    def log(self) -> str:
        path = self.root / "named.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def start_named(root: Path, zone_file: Path | None = None, port: int | None = None) -> Named:
    """Write a config under ``root`` and start ``named`` on it (on ``port``, else a free one); waits (bounded)
    until it answers."""
    binary = shutil.which("named") or "/usr/sbin/named"
    root.mkdir(parents=True, exist_ok=True)
    port, control_port = port or free_port(), free_port()
    tsig_secret, rndc_secret = new_secret(), new_secret()
    dynamic = zone_file is None
    zone_path = root / "example.com.zone" if dynamic else Path(zone_file)
    if dynamic or not zone_path.exists():
        zone_path.write_text(STARTER_ZONE.format(zone=ZONE), encoding="utf-8")
    (root / "locked.zone").write_text(STARTER_ZONE.format(zone=LOCKED_ZONE), encoding="utf-8")
    (root / "rndc.key").write_text(f'key "rndc-key" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};\n')
    names = {"tsig_name": TSIG_NAME, "algorithm": TSIG_ALGORITHM, "tsig_secret": tsig_secret, "host": HOST}
    update = DYNAMIC.format(**names) if dynamic else ""
    conf = CONF.format(
        **names, rndc_secret=rndc_secret, control_port=control_port, root=root, port=port, zone=ZONE,
        zone_file=zone_path, update=update, locked=LOCKED_ZONE,
    )  # fmt: skip
    (root / "named.conf").write_text(conf, encoding="utf-8")
    with open(root / "named.log", "wb") as log:
        process = subprocess.Popen([binary, "-g", "-4", "-c", str(root / "named.conf")], stdout=log, stderr=log)
    named = Named(root, port, control_port, tsig_secret, zone_path, process)
    try:
        _wait_ready(named)
    except BaseException:
        named.stop()
        raise
    return named


@contextmanager
def running_named(root: Path, zone_file: Path | None = None, port: int | None = None) -> Iterator[Named]:
    named = start_named(root, zone_file, port)
    try:
        yield named
    finally:
        named.stop()


def _wait_ready(named: Named) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if named.process.poll() is not None:
            raise RuntimeError(f"named exited with {named.process.returncode}:\n{named.log()[-3000:]}")
        try:
            if named.query(ZONE, "SOA").rcode() == dns.rcode.NOERROR:
                return
        except (OSError, dns.exception.DNSException):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"named did not answer within {START_TIMEOUT}s:\n{named.log()[-3000:]}")


@contextmanager
def silent_tcp_port() -> Iterator[int]:
    """A loopback TCP port that accepts connections and never answers (for timeout tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind((HOST, 0))
        server.listen(8)
        yield server.getsockname()[1]
