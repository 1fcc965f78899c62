"""A real Salt master and three minions on loopback, each with a sandboxed sipX tree.

Used by the integration tests (``tests/integration/conftest.py``) and by the demo (``make demo``).

- ``fleet.master``: the salt-factories master (``interface`` 127.0.0.1, random ports). Its ``file_roots``
  are the repo's ``states/`` (the formula) plus ``sipx_fleet.state_root``; ``pillar_roots`` is
  ``sipx_fleet.pillar_root``; ``peer_run`` allows ``sipxha_ca.sign`` and ``sipxha_ca.ca_cert``; the reactor
  maps ``sipxha/cert/*`` to ``states/sipxha/reactor/cert_expiring.sls`` and ``sipxha/restart/needed`` to
  ``restart_needed.sls`` (``sipxha.rollout``); the ext_pillars are ``sipxha_ca`` and ``sipxha_rollout``;
  ``sipxha_ca`` keeps the CA under ``<root>/ca`` (initialised at start).
- ``fleet.minions``: ``{"sipxpbx1": factory, "sipxpbx2": ..., "sipxpbx3": ...}`` (sipxpbx1 the MS); a
  ``start_fleet(..., count=20, prefix="crowd", light=True)`` fleet has ``crowd1..crowd20`` instead.
- ``fleet.etc(minion_id)`` / ``.ssl(minion_id)``: the minion's sandboxed ``/etc/sipxpbx`` and ssl folder,
  already in the pillar as per-server ``paths`` overrides; ``.reset_trees()`` rewrites every tree from scratch.
- ``fleet.set_pillar(sipxha_dict, extra=None)``: makes ``sipxha_dict`` the ``sipxha`` pillar of every
  minion and of the master (plus ``extra`` top-level pillar keys, e.g. ``beacons``), and refreshes the minions.
  ``fleet.default_pillar()`` gives the three-server pillar with sandbox paths and ``service.manage: false``.
- ``fleet.salt(*args)`` / ``.salt_run(*args)`` / ``.salt_call(minion_id, *args)``: CLI runs, ``.data`` parsed;
  ``fleet.apply_all(mods, *args)``: ``state.apply`` on every minion, none failing, the states per minion.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import salt.utils.yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import pillars
from tests.support.sipxtree import write_tree

REPO = Path(__file__).resolve().parents[2]
MINION_LOG = {"log_level_logfile": "info", "log_level": "critical"}
#: many minions on one small machine: no 20 Hz main loop, jobs in threads, no fqdns grains, and a sign-in that
#: waits for a busy master instead of asking again every 5 s (twenty minions retrying swamp its workers)
LIGHT_MINION = {"loop_interval": 1, "multiprocessing": False, "enable_fqdns_grains": False, "enable_gpu_grains": False,
                "grains_refresh_every": 0, "mine_enabled": False, "auth_timeout": 60,
                "pytest-minion": {"log": {"level": "warning"}}}  # fmt: skip
#: and no DEBUG records sent to pytest's log server by every daemon (salt-factories' default)
LIGHT_MASTER = {"pytest-master": {"log": {"level": "warning"}}}
LIGHT_START = {"max_start_attempts": 1, "start_timeout": 240}  #: a start that retries would double the load
CLI_TIMEOUT = 180
LOOPBACK = "127.0.0.1"


@dataclass
class SipxFleet:
    """The running master and minions, their sandboxes and the pillar they share."""

    master: Any
    minions: dict[str, Any]
    root: Path
    pillar_root: Path
    state_root: Path
    prefix: str = "sipxpbx"
    _clis: dict[str, Any] = field(default_factory=dict)

    def etc(self, minion_id: str) -> Path:
        return self.root / "sandbox" / minion_id / "etc" / "sipxpbx"

    def ssl(self, minion_id: str) -> Path:
        return self.etc(minion_id) / "ssl"

    def reset_trees(self, kind: str = "fixture") -> None:
        """Rewrite every minion's sipX tree as a fresh sipX 3.x install (no HA edits, no backups);
        ``kind`` is one of :data:`~tests.support.sipxtree.TREES` (``interop``, ``stock``: the real files)."""
        plan = pillars.fleet(len(self.minions), prefix=self.prefix)
        for minion_id in self.minions:
            etc = self.etc(minion_id)
            if etc.exists():
                shutil.rmtree(etc)
            etc.mkdir(parents=True)
            server = plan["servers"][minion_id]
            write_tree(etc, kind, f"{minion_id}.{plan['domain']}", server["address"])

    def default_pillar(self) -> dict[str, Any]:
        """Three servers (sipxpbx1 MS), each with its sandbox paths; ``service.manage`` off."""
        pillar = pillars.fleet(len(self.minions), prefix=self.prefix)
        for minion_id, server in pillar["servers"].items():
            server["paths"] = {"etc": str(self.etc(minion_id)), "ssl": str(self.ssl(minion_id))}
        return pillar

    def set_pillar(
        self, sipxha: dict[str, Any] | None, extra: dict[str, Any] | None = None, per_minion: dict | None = None
    ) -> None:
        """Make ``sipxha`` the pillar of the whole fleet (and the master) and refresh every minion."""
        self.write_pillar(sipxha, extra, per_minion)
        ret = self.salt("*", "saltutil.refresh_pillar", "wait=True")
        assert ret.returncode == 0, ret

    def wait_idle(self, timeout: float = 120, settle: float = 2) -> None:
        """Wait (bounded) until no minion runs a job, twice ``settle`` seconds apart: a state run that a
        reactor started for an earlier test must not land in the next test's fresh sandbox."""
        deadline, quiet_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            running = self.salt("*", "saltutil.running").data
            busy = not isinstance(running, dict) or any(jobs for jobs in running.values())
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                return
            time.sleep(0.5)
        raise TimeoutError(f"minions still running jobs after {timeout}s")

    def write_pillar(
        self, sipxha: dict[str, Any] | None, extra: dict[str, Any] | None = None, per_minion: dict | None = None
    ) -> None:
        """Write the pillar files only (the master reads them on the next pillar compile); ``per_minion``
        (``{minion_id: pillar}``) is merged into that minion's pillar only."""
        data = dict(extra or {})
        if sipxha is not None:
            data["sipxha"] = sipxha
        top = "base:\n  '*':\n    - sipxha\n"
        for minion_id, own in (per_minion or {}).items():
            top += f"  '{minion_id}':\n    - own_{minion_id}\n"
            with open(self.pillar_root / f"own_{minion_id}.sls", "w", encoding="utf-8") as handle:
                salt.utils.yaml.safe_dump(own, handle, default_flow_style=False)
        (self.pillar_root / "top.sls").write_text(top, encoding="utf-8")
        with open(self.pillar_root / "sipxha.sls", "w", encoding="utf-8") as handle:
            salt.utils.yaml.safe_dump(data, handle, default_flow_style=False)

    def _cli(self, name: str, factory: Any, make: str) -> Any:
        if name not in self._clis:
            self._clis[name] = getattr(factory, make)(timeout=CLI_TIMEOUT)
        return self._clis[name]

    def salt(self, target: str, *args: str, **kwargs: Any) -> Any:
        return self._cli("salt", self.master, "salt_cli").run(*args, minion_tgt=target, **kwargs)

    def apply_all(self, mods: str, *args: str) -> dict[str, dict[str, Any]]:
        """``state.apply mods *args`` on every minion: each answers with states and none failed."""
        ret = self.salt(f"{self.prefix}*", "state.apply", mods, *args)
        assert set(ret.data) == set(self.minions), ret
        for minion_id, states in ret.data.items():
            assert isinstance(states, dict), (minion_id, states)
            failed = {sid: s["comment"] for sid, s in states.items() if s["result"] is False}
            assert not failed, (minion_id, failed)
        return ret.data

    def salt_run(self, *args: str, **kwargs: Any) -> Any:
        return self._cli("salt-run", self.master, "salt_run_cli").run(*args, **kwargs)

    def salt_call(self, minion_id: str, *args: str, **kwargs: Any) -> Any:
        return self._cli(f"call-{minion_id}", self.minions[minion_id], "salt_call_cli").run(*args, **kwargs)


def _master_config(root: Path, pillar_root: Path, state_root: Path) -> dict[str, Any]:
    return {
        "interface": "127.0.0.1",
        "file_roots": {"base": [str(REPO / "states"), str(state_root)]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "peer_run": {".*": ["sipxha_ca.sign", "sipxha_ca.ca_cert"]},
        "ext_pillar": [{"sipxha_ca": {}}, {"sipxha_rollout": {}}],
        "reactor": [
            {"sipxha/cert/*": [str(REPO / "states" / "sipxha" / "reactor" / "cert_expiring.sls")]},
            {"sipxha/restart/needed": [str(REPO / "states" / "sipxha" / "reactor" / "restart_needed.sls")]},
        ],
        "sipxha_ca": {"dir": str(root / "ca"), "passphrase_file": str(root / "ca-passphrase")},
        "open_mode": False,
        "log_level_logfile": "info",
        "log_level": "critical",
    }


@contextmanager
def start_fleet(
    factories: Any,
    root: Path,
    *,
    count: int = 3,
    prefix: str = "sipxpbx",
    master_id: str = "sipxha-master",
    light: bool = False,
) -> Iterator[SipxFleet]:
    """Start a master and ``count`` minions ``<prefix>1..N`` (in parallel, their keys accepted beforehand)
    under ``root``; stop them all when the block ends. ``light``: :data:`LIGHT_MINION` settings."""
    pillar_root, state_root = root / "pillar", root / "state"
    pillar_root.mkdir(parents=True, exist_ok=True)
    state_root.mkdir(parents=True, exist_ok=True)
    (root / "ca-passphrase").write_text("sipxha-sandbox-passphrase\n", encoding="utf-8")
    os.chmod(root / "ca-passphrase", 0o600)
    config = _master_config(root, pillar_root, state_root) | (LIGHT_MASTER if light else {})
    master = factories.salt_master_daemon(master_id, overrides=config)
    overrides = MINION_LOG | (LIGHT_MINION if light else {})
    minions = {
        f"{prefix}{i}": master.salt_minion_daemon(f"{prefix}{i}", overrides=overrides) for i in range(1, count + 1)
    }
    for factory in minions.values():
        accept_key(master, factory)
    fleet = SipxFleet(master, minions, root, pillar_root, state_root, prefix=prefix)
    fleet.reset_trees()
    fleet.write_pillar(fleet.default_pillar())
    with master.started(), concurrent.futures.ThreadPoolExecutor(min(count, 20)) as pool:
        try:
            ca = fleet.salt_run("sipxha_ca.init")  # the CA that sipxha.pki (part of the sipxha SLS) signs with
            assert ca.returncode == 0, ca
            list(pool.map(lambda factory: factory.start(**(LIGHT_START if light else {})), minions.values()))
            yield fleet
        finally:
            list(pool.map(lambda factory: factory.terminate(), minions.values()))


def accept_key(master: Any, minion: Any) -> None:
    """Give ``minion`` its Salt key pair and put the public key among the master's accepted ones, as
    ``salt-key --accept`` would (instead of one ``salt-key`` process per minion at its first start). The
    minion still authenticates with its key on every connection."""
    pki = Path(minion.config["pki_dir"])
    if (pki / "minion.pem").exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())  # fmt: skip
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pki.mkdir(parents=True, exist_ok=True)
    accepted = Path(master.config["pki_dir"]) / "minions"
    accepted.mkdir(parents=True, exist_ok=True)
    (pki / "minion.pub").write_bytes(pub)
    (pki / "minion.pem").write_bytes(pem)
    os.chmod(pki / "minion.pem", 0o400)
    (accepted / minion.id).write_bytes(pub)


@contextmanager
def standalone_fleet(root: Path, log_level: str = "critical") -> Iterator[SipxFleet]:
    """:func:`start_fleet` outside pytest (demo, benchmarks): salt-factories' log server and event listener
    on 127.0.0.1, every daemon's files under ``root``; everything stopped when the block ends."""
    from saltfactories.manager import FactoriesManager
    from saltfactories.plugins.event_listener import EventListener
    from saltfactories.plugins.log_server import LogServer

    root.mkdir(parents=True, exist_ok=True)
    log_server = LogServer(log_host=LOOPBACK, log_level=log_level)
    listener = EventListener()
    listener.host, listener.address = LOOPBACK, f"tcp://{LOOPBACK}:{listener.port}"
    with contextlib.ExitStack() as stack:
        log_server.start()
        stack.callback(log_server.stop)
        stack.enter_context(listener)
        factories = FactoriesManager(
            root_dir=root / "salt",
            log_server_host=LOOPBACK,
            log_server_port=log_server.log_port,
            log_server_level=log_level,
            event_listener=listener,
            start_timeout=120,
        )
        yield stack.enter_context(start_fleet(factories, root / "fleet"))
