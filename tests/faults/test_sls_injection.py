"""SLS injection (issue 13, item 4): a pillar value can never add a state to the formula.

Every value the SLS files render comes from ``sipxha.sls_context`` (the validated plan), is quoted with
``yaml_dquote``, and a service name must be a plain word; a YAML-breaking name fails naming its key.
"""

from __future__ import annotations

import pytest

from tests.faults.sandbox import changed_entries, pillar_for, snapshot

SLS_FILES = ("sipxha", "sipxha.dhcp", "sipxha.uninstall", "sipxha.dns")


def _payload(marker) -> str:
    return f"sipxpbx\n\nx:\n  cmd.run:\n    - name: touch {marker}\n"


def _injected(etc, where: str, value: str) -> dict:
    pillar = pillar_for(etc, "master", service={"manage": True})
    if where == "service":
        pillar["service"]["name"] = value
    else:
        pillar["dhcp"] = {"server": "external", "service": value}
    return pillar


@pytest.mark.parametrize("sls", SLS_FILES)
@pytest.mark.parametrize("where", ["service", "dhcp"])
def test_a_service_name_cannot_inject_a_state(loaders, apply_sls, server, sls, where):
    etc, _ = server
    marker = server[0].parent / "PWNED"
    pillar = _injected(etc, where, _payload(marker))
    shown = loaders.modules.state.show_sls(sls, pillar={"sipxha": pillar})
    assert set(shown) <= {"sipxha-plan", "sipxha-dhcp-plan", "sipxha-uninstall-plan", "sipxha-dns-plan"}, shown
    before = snapshot(etc.parent)
    results = apply_sls(pillar, sls)
    assert results and all(r["result"] is False for r in results.values()), results
    assert all(f"sipxha:{where}:" in r["comment"] for r in results.values()), results
    assert not marker.exists()
    assert changed_entries(before, snapshot(etc.parent)) == []


@pytest.mark.parametrize("name", ["sipxpbx\n", "sipx pbx", "sipxpbx; reboot", "'sipxpbx'", "{{ 1 }}", "-x"])
def test_service_names_are_plain_words(apply_sls, server, name):
    etc, _ = server
    results = apply_sls(_injected(etc, "service", name))
    assert list(results) == ["sipxha-plan"], results
    assert "sipxha:service:name" in results["sipxha-plan"]["comment"]


def test_rendered_values_are_quoted(loaders, server):
    """A legal name with YAML-significant characters reaches the service state unchanged."""
    etc, _ = server
    pillar = _injected(etc, "service", "sipx:pbx@1")
    pillar["dhcp"] = {"server": "external", "service": "kea:dhcp4"}
    shown = loaders.modules.state.show_sls("sipxha", pillar={"sipxha": pillar})
    service = shown["sipxha-service"]["service"]
    assert {"name": "sipx:pbx@1"} in service, service
    dhcp = shown["sipxha-dhcp-service"]["service"]
    assert {"name": "kea:dhcp4"} in dhcp and "dead" in dhcp, dhcp
