"""Run inside a private mount namespace (see ``test_full_disk.py``): break a small tmpfs holding a sipX tree
(full, out of inodes, read-only), run the product's write path on it, then give the room back and run
again; print what happened as JSON.

``python -m tests.faults.fulldisk <mount point> <scenario> [arg]``; the mount point is an empty folder,
each case mounts a fresh tmpfs there (the namespace's own: the host's mounts are never touched).
Scenarios: ``fraction F`` (room for F of the role's temporary files), ``sweep`` (every free page count
from 0 to room for everything), ``inodes``, ``readonly``, ``pki-full``, ``pki-readonly``.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.errors import SipxhaError
from saltext_sipxha.core.files.change import apply_changes
from saltext_sipxha.core.pki import renewal
from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.pki.policy import plan_for
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.plan.settings import PkiSettings
from saltext_sipxha.core.sipx.role import plan_role
from tests.faults.sandbox import MINION_ID, changed_entries, make_server, pillar_for, snapshot

PAGE = 4096
TEMP = re.compile(r"(^|/)\.[^/]+\.tmp$")
CA_PASSPHRASE = "fulldisk-ca-passphrase"
RSA = {"ca_name": "ca.example.com", "key": {"type": "rsa", "bits": 2048}}
EC = {"ca_name": "ca.example.com", "key": {"type": "ec", "curve": "secp256r1"}}
STALE = (".WatchDog.xml.0badc0de.tmp", ".config.defs.0badc0de.tmp")  #: what a killed write left long ago


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, timeout=20, capture_output=True)


def fresh(mount: Path, options: str = "size=1m") -> Path:
    """A new, empty tmpfs at ``mount`` (the previous one unmounted)."""
    if os.path.ismount(mount):
        sh("umount", str(mount))
    sh("mount", "-t", "tmpfs", "-o", options, "sipxha-full", str(mount))
    return mount


def fill(root: Path, leave: int) -> Path:
    """Fill the file system of ``root`` and free ``leave`` bytes again; returns the filler."""
    filler = root / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(1 << 20):  # bounded: at most 4 GiB
            if not os.write(fd, b"\0" * PAGE):
                break
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def fill_inodes(root: Path) -> Path:
    """Use every free inode of ``root``'s file system (empty files in ``root/inodes``)."""
    folder = root / "inodes"
    folder.mkdir()
    try:
        for n in range(1000):
            os.close(os.open(folder / str(n), os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        pass
    return folder


def role(pillar: dict[str, Any]) -> Callable[[], object]:
    return lambda: apply_changes(plan_role(build_plan(pillar), MINION_ID).changes)


def attempt(work: Callable[[], object]) -> str | None:
    """Run ``work``; None when it succeeded, else its error (a non-product error marked ``UNCLEAR``)."""
    try:
        work()
    except SipxhaError as err:
        return str(err)
    except Exception as err:  # reported as UNCLEAR: the test fails on it
        return f"UNCLEAR {type(err).__name__}: {err}"
    return None


def damage(before: dict, after: dict) -> dict[str, list[str]]:
    """What a failed run left: originals changed, temporary files, and new entries that are no faithful backup."""
    changed = changed_entries(before, after)
    temps = [n for n in changed if TEMP.search(n)]
    bad = []
    for name in changed:
        if name in temps:
            continue
        if name in before:
            bad.append(name)  # an original changed or vanished
        elif name.endswith(".bak") and after[name] == before.get(name[: -len(".bak")]):
            continue  # a backup taken before the failure: the original, byte for byte and mode
        elif name.endswith(".sipxha-new") and after[name][0] == b"" and name[: -len(".sipxha-new")] not in after:
            continue  # the marker of a file that still does not exist
        else:
            bad.append(name)
    return {"changed": changed, "temps": temps, "bad": bad}


def role_case(
    mount: Path, converged: dict, breaker: Callable[[Path], Callable[[], None]], options: str = "size=1m"
) -> dict[str, Any]:
    """A stock tree on a fresh tmpfs, broken by ``breaker`` (returns its repair), the role applied; then
    repaired, applied again (must give ``converged``) and once more (must change nothing)."""
    fresh(mount, options)
    etc, _ = make_server(mount)
    pillar = pillar_for(etc)
    repair = breaker(mount)
    before = snapshot(etc)
    error = attempt(role(pillar))
    found: dict[str, Any] = {"error": error, **damage(before, snapshot(etc))}
    repair()
    found["recovery_error"] = attempt(role(pillar))
    found["recovered"] = snapshot(etc) == converged
    found["second_run_changes"] = len(plan_role(build_plan(pillar), MINION_ID).changed)
    return found


def converged_role(mount: Path) -> tuple[dict, int, int]:
    """The converged tree, and the pages the role's temporary files and backups need."""
    fresh(mount)
    etc, _ = make_server(mount)
    pillar = pillar_for(etc)
    changes = plan_role(build_plan(pillar), MINION_ID).changed
    temps = sum(-(-len(c.new or b"") // PAGE) for c in changes)
    backups = sum(-(-len(c.old or b"") // PAGE) for c in changes)
    role(pillar)()
    return snapshot(etc), temps, backups


def full_with(pages: int) -> Callable[[Path], Callable[[], None]]:
    def breaker(mount: Path) -> Callable[[], None]:
        filler = fill(mount, pages * PAGE)
        return filler.unlink

    return breaker


def no_inodes(mount: Path) -> Callable[[], None]:
    folder = fill_inodes(mount)
    return lambda: shutil.rmtree(folder)


def read_only(stale: bool) -> Callable[[Path], Callable[[], None]]:
    def breaker(mount: Path) -> Callable[[], None]:
        if stale:
            for name in STALE:
                leftover = mount / "etc" / "sipxpbx" / name
                leftover.write_bytes(b"half a file")
                os.utime(leftover, (0, 0))
        sh("mount", "-o", "remount,ro", str(mount))
        return lambda: sh("mount", "-o", "remount,rw", str(mount))

    return breaker


def scenario_role(mount: Path, name: str, arg: str | None) -> dict[str, Any]:
    converged, temps, backups = converged_role(mount)
    found: dict[str, Any] = {"files": len([n for n in converged if n.endswith(".bak")]), "temp_pages": temps}
    if name == "fraction":
        found["cases"] = [role_case(mount, converged, full_with(int(temps * float(arg or 0.5))))]
    elif name == "sweep":
        found["cases"] = [
            {"free_pages": k, **role_case(mount, converged, full_with(k))} for k in range(temps + backups + 2)
        ]
    elif name == "inodes":
        found["cases"] = [role_case(mount, converged, no_inodes, "size=1m,nr_inodes=200")]
    else:
        found["cases"] = [role_case(mount, converged, read_only(stale)) for stale in (False, True)]
    return found


def scenario_pki(mount: Path, name: str, ca_dir: Path) -> dict[str, Any]:
    """Renewal of an installed RSA pair to a new EC key with the disk full or read-only; then with room."""
    ca = CertificateAuthority(ca_dir, CA_PASSPHRASE.encode())
    ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))

    def pki(pki_pillar: dict) -> Callable[[], object]:
        def work() -> object:
            fleet = build_plan(pillar_for(etc, pki=pki_pillar))
            now = datetime.datetime.now(datetime.timezone.utc)
            found = renewal.assess(fleet, MINION_ID, ca.certificate_pem(), now)

            def signer(csr: Any) -> tuple[str, str]:
                cert = ca.sign(csr, MINION_ID, *plan_for(fleet, MINION_ID))
                return cert.public_bytes(serialization.Encoding.PEM).decode(), ca.certificate_pem()

            return renewal.apply(found, fleet, signer)

        return work

    cases = []
    breakers = [full_with(k) for k in range(4)] if name == "pki-full" else [read_only(False)]
    for install_first in (False, True):
        for breaker in breakers:
            fresh(mount)
            etc, ssl = make_server(mount)
            secrets = ["-----BEGIN", "PRIVATE KEY", CA_PASSPHRASE]
            if install_first:
                pki(RSA)()
                secrets += (ssl / "ssl.key").read_text().splitlines()[1:-1]  # the old key's base64 lines
            repair = breaker(mount)
            before = snapshot(etc)
            error = attempt(pki(EC))
            case: dict[str, Any] = {"installed_before": install_first, "error": error, **damage(before, snapshot(etc))}
            case["secret_in_error"] = any(secret in (error or "") for secret in secrets)
            repair()
            case["recovery_error"] = attempt(pki(EC))
            now = datetime.datetime.now(datetime.timezone.utc)
            fleet = build_plan(pillar_for(etc, pki=EC))
            case["up_to_date"] = renewal.assess(fleet, MINION_ID, ca.certificate_pem(), now).up_to_date
            case["temps_after_recovery"] = [n for n in snapshot(etc) if TEMP.search(n)]
            cases.append(case)
    return {"cases": cases}


def main(mount: Path, name: str, arg: str | None) -> dict[str, Any]:
    try:
        if name.startswith("pki"):
            return scenario_pki(mount, name, Path(arg or mount.parent / "ca"))
        return scenario_role(mount, name, arg)
    finally:
        if os.path.ismount(mount):
            sh("umount", str(mount))


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)))
