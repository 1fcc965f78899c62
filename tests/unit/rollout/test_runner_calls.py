"""The rollout runner's Salt side: DNS updates from the master (else a minion), markers asked only when needed."""

from __future__ import annotations

import base64
import socket

from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.runners import sipxha as runner
from tests.support import pillars

SECRET = base64.b64encode(b"not-a-real-secret-but-long-enough").decode()


class Client:
    """A stand-in for Salt's LocalClient: records each call, every minion answers ``drain_dns``."""

    def __init__(self):
        self.calls = []

    def cmd(self, tgt, fun, kwarg=None, timeout=None, full_return=False):
        self.calls.append((tgt, fun, kwarg))
        return {tgt: {"ret": {"nsupdate": {"changes": {"a": {}}, "sent": 1}}, "retcode": 0}}


class Bus:
    """A stand-in for the master's event bus: ``events`` sipxha/restart/needed arrive before each look."""

    def __init__(self, *events):
        self.events = list(events)

    def marked(self):
        return bool(self.events) and self.events.pop(0)


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_master_that_cannot_reach_the_dns_server_hands_the_update_to_the_servers_minion_from_then_on():
    tsig = {"name": "sipxha-key", "algorithm": "hmac-sha256", "secret": SECRET}
    nsupdate = {"server": "127.0.0.1", "port": _closed_port(), "zone": "example.com", "tsig": tsig, "timeout": 1}
    fleet = build_plan(pillars.fleet(3) | {"dns": {"nsupdate": nsupdate}})
    client, lines = Client(), []
    calls = runner._Calls(client, fleet, 5, Bus())
    server = fleet.get_server("sipxpbx2")
    first = calls._dns(server, ["sipxpbx2"], lines.append)
    second = calls._dns(server, [], lines.append)
    assert client.calls == [
        ("sipxpbx2", "sipxha_restart.drain_dns", {"drained": ["sipxpbx2"], "nsupdate": True}),
        ("sipxpbx2", "sipxha_restart.drain_dns", {"drained": [], "nsupdate": True}),
    ]
    assert first == second == runner.DnsResult("nsupdate from sipxpbx2: 1 RRset(s) changed", True)
    assert len(lines) == 1 and "the master cannot send the DNS update itself" in lines[0], lines
    assert "refused" in lines[0].lower() and SECRET not in lines[0]


def test_zone_file_mode_writes_the_zone_on_its_minion_only():
    fleet = build_plan(pillars.fleet(3) | {"dns": {"zonefile": {"minion": "ns1", "path": "/var/lib/bind/db.x"}}})
    client = Client()
    client.cmd = lambda tgt, fun, kwarg=None, timeout=None, full_return=False: (
        client.calls.append((tgt, fun, kwarg)) or {tgt: {"ret": {"zonefile": {"changed": True, "serial": 7}}}}
    )
    said = runner._Calls(client, fleet, 5, Bus())._dns(fleet.get_server("sipxpbx2"), ["sipxpbx2"], print)
    assert client.calls == [("ns1", "sipxha_restart.drain_dns", {"drained": ["sipxpbx2"], "nsupdate": False})]
    assert said == runner.DnsResult("zone file: serial 7", True)


def test_markers_are_asked_again_only_after_a_restart_needed_event():
    client = Client()
    answers = iter([{"sipxpbx2": {"since": "x"}, "sipxpbx3": None}, {"sipxpbx2": {"since": "x"}, "sipxpbx3": {}}])
    client.cmd = lambda tgt, fun, **kw: client.calls.append(fun) or next(answers)
    calls = runner._Calls(client, build_plan(pillars.fleet(3)), 5, Bus(False, True))
    assert calls.pending() == ["sipxpbx2"]
    assert calls.pending() == ["sipxpbx2"]  # no event since: the same answer, no minion asked
    assert calls.pending() == ["sipxpbx2", "sipxpbx3"]  # a server said it needs a restart: asked again
    assert client.calls == ["sipxha_restart.pending", "sipxha_restart.pending"]
