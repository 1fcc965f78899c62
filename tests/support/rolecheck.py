"""Check that one server's sipX files say what its role in a ``sipxha`` pillar wants (unit and integration tests)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from lxml import etree

from saltext_sipxha.core.files import keyvalue
from saltext_sipxha.core.plan.fleet import DEFAULT_DS_PROCESSES, build_plan
from saltext_sipxha.core.sipx import expand, processdefs, watchdog
from tests.support import sipxstart
from tests.support.sipxtree import PROCESSES


def check_role(pillar: dict[str, Any], minion_id: str) -> None:
    """Every file of ``minion_id`` says what its role in ``pillar`` wants."""
    fleet = build_plan(pillar)
    server = fleet.find_server(minion_id)
    etc = Path(pillar["servers"][minion_id]["paths"]["etc"])
    enabled, _ = watchdog.read((etc / "WatchDog.xml").read_bytes(), "w")
    assert enabled == (list(PROCESSES) if server.is_master else list(DEFAULT_DS_PROCESSES))
    controls = processdefs.start_controls((etc / "ProcessDefinitions.xml").read_bytes(), "p")
    assert (controls["SIPStatus"] == "true") is server.is_master
    defs = (etc / "config.defs").read_text()
    with tempfile.TemporaryDirectory() as tmp:  # the values as sipX's shell reads them
        values = sipxstart.source(defs, sipxstart.shims(Path(tmp), server.fqdn, server.address))
    for key, value in server.config_defs.items():
        assert values[key] == value, key
    master = fleet.master
    assert values["MEDIA_SERVER_ADDR"] == (master.fqdn if not server.is_master else server.address)
    for name in ("registrar-config", "registrar-config.in"):
        text = (etc / name).read_text()

        def value(key: str, text=text, name=name) -> str | None:
            found = keyvalue.get(text, key, keyvalue.COLON)
            return expand.heredoc(found, values, server.fqdn) if found and name.endswith(".in") else found

        assert value("SIP_REGISTRAR_SYNC_WITH") == ", ".join(s.fqdn for s in fleet.servers)
        assert value("SIP_REGISTRAR_NAME") == server.fqdn
    proxy = keyvalue.get((etc / "proxy-config").read_text(), "SIP_PROXY_AUTH_SERVER", keyvalue.COLON)
    assert proxy == f"<sip:{server.authproxy_name};transport=tcp>"
    routes = [el.text for el in etree.parse(str(etc / "forwardingrules.xml")).iter("routeTo")]
    assert routes[1:] == [f"<{server.registrar_name};transport=tcp>"] * 2
    hosts = [
        el.text.split("/")[2].split(":")[0] for el in etree.parse(str(etc / "topology.xml")).iter("replication_url")
    ]
    assert sorted(hosts) == (sorted(s.fqdn for s in fleet.servers) if server.is_master else [server.fqdn])
