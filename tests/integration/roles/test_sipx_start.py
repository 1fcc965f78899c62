"""sipX's own start-up (emulated: :mod:`tests.support.sipxstart`) accepts what a real fleet wrote.

On the real interop ``/etc/sipxpbx`` and on the stock sipXtapi templates, with 2 and 3 servers:
after convergence, after a role swap and after uninstall, every server's ``config.defs`` sources
cleanly in bash, every template expands as a here-document into what the contract says, and the
certificate passes sipX's start-up checks; the sipX user reads ``ssl.key``, and after uninstall a server
that had no key and certificate before still has what sipX needs to start.
"""

from __future__ import annotations

import copy

import pytest

from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import sipxstart

pytestmark = pytest.mark.integration

CASES = [("interop", 2), ("stock", 3), ("interop", 3), ("stock", 2)]


def _setup(fleet, kind: str, count: int) -> dict:
    fleet.reset_trees(kind)
    pillar = fleet.default_pillar()
    pillar["servers"] = {m: s for m, s in pillar["servers"].items() if int(m[-1]) <= count}
    if kind == "interop":  # config.defs there: SIPXCHANGE_REALM=${SIPXCHANGE_DOMAIN_NAME}, the master's fqdn
        pillar["realm"] = "sipxpbx1.example.com"
    fleet.set_pillar(pillar)
    return pillar


def _apply(fleet, pillar: dict, mods: str) -> dict[str, dict]:
    target = "sipxpbx[12]" if len(pillar["servers"]) == 2 else "sipxpbx*"
    ret = fleet.salt(target, "state.apply", mods)
    assert isinstance(ret.data, dict) and set(ret.data) == set(pillar["servers"]), ret
    for minion_id, states in ret.data.items():
        assert isinstance(states, dict), (minion_id, states)
        failed = {sid: s["comment"] for sid, s in states.items() if s["result"] is not True}
        assert not failed, (minion_id, failed)
    return ret.data


def _changes(result: dict[str, dict]) -> dict[str, list[str]]:
    return {m: [sid for sid, s in states.items() if s["changes"]] for m, states in result.items()}


def _start(fleet, pillar: dict, minion_id: str, phase: str) -> sipxstart.Started:
    fqdn, address = f"{minion_id}.{pillar['domain']}", pillar["servers"][minion_id]["address"]
    return sipxstart.start(fleet.etc(minion_id), fqdn, address, fleet.root / "started" / phase / minion_id)


def _converge_and_check(fleet, pillar: dict, phase: str) -> None:
    _apply(fleet, pillar, "sipxha,sipxha.pki")
    assert _changes(_apply(fleet, pillar, "sipxha,sipxha.pki")) == {m: [] for m in pillar["servers"]}
    plan = build_plan(pillar)
    for minion_id in pillar["servers"]:
        started = _start(fleet, pillar, minion_id, phase)
        sipxstart.check_contract(started, plan, minion_id)
        sipxstart.check_certificate(fleet.ssl(minion_id), started.env)


@pytest.mark.parametrize(("kind", "count"), CASES)
def test_sipx_starts_after_converge_swap_and_uninstall(fleet, kind, count):
    pillar = _setup(fleet, kind, count)
    _converge_and_check(fleet, pillar, f"{kind}{count}-converged")

    swapped = _swap(pillar)
    fleet.set_pillar(swapped)
    _converge_and_check(fleet, swapped, f"{kind}{count}-swapped")

    _apply(fleet, swapped, "sipxha.uninstall")
    for minion_id in swapped["servers"]:
        assert not list(fleet.etc(minion_id).glob("*.bak")), minion_id
        started = _start(fleet, swapped, minion_id, f"{kind}{count}-uninstalled")
        sipxstart.check_not_ha(started, f"{minion_id}.{swapped['domain']}")


def test_ssl_key_readable_by_the_sipx_user(fleet):
    """sipX's daemons run as ``sipxchange`` and must read ``ssl.key`` (the user is created when missing)."""
    pillar = _setup(fleet, "stock", 3)
    _apply(fleet, pillar, "sipxha,sipxha.pki")
    for minion_id in pillar["servers"]:
        sipxstart.check_key_readable(fleet.ssl(minion_id), fleet.etc(minion_id))


def test_sipx_certificate_checks_pass_after_uninstall(fleet):
    """A server that had no key and certificate before sipxha can still start after uninstall."""
    pillar = _setup(fleet, "interop", 2)
    _apply(fleet, pillar, "sipxha,sipxha.pki")
    _apply(fleet, pillar, "sipxha.uninstall")
    for minion_id in pillar["servers"]:
        started = _start(fleet, pillar, minion_id, "uninstalled-cert")
        sipxstart.check_certificate(fleet.ssl(minion_id), started.env)


def _swap(pillar: dict) -> dict:
    swapped = copy.deepcopy(pillar)
    swapped["servers"]["sipxpbx1"]["role"], swapped["servers"]["sipxpbx2"]["role"] = "distributed", "master"
    return swapped
