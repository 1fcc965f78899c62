"""``make demo``: a real Salt master and three minions on loopback converge a sandboxed sipX HA fleet.

Everything lives under one temporary folder (``.tmp/demo-*``) and every process is stopped at the end:
a salt-master and three salt-minions (sipxpbx1 the master server, sipxpbx2/3 distributed servers), each
minion with its own sandboxed ``/etc/sipxpbx``; a BIND ``named`` on a free loopback port (nsupdate mode);
``sipp`` SIP responders standing in for the sipX proxies, registrars and auth proxies. Nothing binds
outside 127.0.0.0/8, no DHCP server and no sipX service is started (``service: {manage: false}``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from demo import show
from demo.sandbox import demo_pillar, sandbox_daemons, sip_services

REPO = Path(__file__).resolve().parents[1]
TOP = "base:\n  'sipxpbx*':\n    - sipxha\n  'sipxpbx1':\n    - sipxha.dns\n"


def run(root: Path) -> bool:
    """The demo itself; True when the fleet verified OK."""
    show.plan_of(REPO / "pillar.example")
    with sandbox_daemons(root) as (fleet, named):
        pillar = demo_pillar(fleet, named)
        fleet.set_pillar(pillar)
        (fleet.state_root / "top.sls").write_text(TOP, encoding="utf-8")
        show.step("1. highstate across the fleet: each server converges to its role, DNS and certificates")
        show.highstate(fleet, "state.apply")
        show.srv_records(named, pillar)
        show.roles(fleet)
        show.certificates(fleet)
        with sip_services(pillar) as services:
            show.step("2. failover verification: SIP OPTIONS to every SRV target, as clients would")
            ok = show.verification(fleet, named)
            services["sipxpbx2"].close()
            show.step("3. sipxpbx2 stops answering SIP: where do clients go now?")
            show.verification(fleet, named)
        show.step("4. role change in pillar: sipxpbx2 becomes the master, sipxpbx1 a distributed server")
        swapped = demo_pillar(fleet, named, master="sipxpbx2")
        fleet.set_pillar(swapped)
        show.highstate(fleet, "state.apply")
        show.roles(fleet)
        show.step("5. a second highstate: nothing left to change")
        show.highstate(fleet, "state.apply")
        show.step("6. uninstall: every sipX file back as it was, certificates and DNS records removed")
        show.uninstall(fleet, named)
    return ok


def quiet_daemon_logs() -> None:
    """Daemons' forwarded log records stay out of the demo's output (they are in each daemon's log file)."""
    from salt._logging.impl import shutdown_temp_handler

    shutdown_temp_handler()
    logging.getLogger().addHandler(logging.NullHandler())


def main() -> int:
    quiet_daemon_logs()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the sandbox folder for inspection")
    args = parser.parse_args()
    (REPO / ".tmp").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="demo-", dir=REPO / ".tmp"))
    started = time.monotonic()
    try:
        ok = run(root)
    finally:
        if args.keep:
            print(f"\nSandbox kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nDemo finished in {time.monotonic() - started:.0f}s; every process it started is stopped.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
