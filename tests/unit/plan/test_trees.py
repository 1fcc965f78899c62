"""Issue 13 item 15: a managed path inside a system folder must lie in its key's expected trees (core/plan/trees.py),
unless ``sipxha:paths:allow_outside`` lists its folder; paths outside system folders (sandboxes) are accepted."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import build_plan
from tests.support import pillars

REFUSED = [
    ("sipxha:dhcp:config", {"dhcp": {"server": "external", "config": "/etc/passwd"}}),
    ("sipxha:dhcp:config", {"dhcp": {"server": "external", "config": "/etc/kea"}}),
    ("sipxha:paths:etc", {"paths": {"etc": "/etc"}}),
    ("sipxha:paths:etc", {"paths": {"etc": "/usr/lib/systemd"}}),
    ("sipxha:paths:ssl", {"paths": {"ssl": "/etc/ssl/private"}}),
    ("sipxha:paths:etc", {"paths": {"etc": "/"}}),
    ("sipxha:paths:etc", {"paths": {"etc": "/proc/sys/kernel"}}),
    ("sipxha:servers:sipxpbx2:paths:etc", {"servers": {"sipxpbx2": {"paths": {"etc": "/root"}}}}),
    ("sipxha:dns:zonefile:path", {"dns": {"zonefile": {"minion": "ns1", "path": "/etc/shadow"}}}),
    ("sipxha:dns:zonefile:include", {"dns": {"zonefile": {"minion": "ns1", "path": "/etc/bind/db.x",
                                                          "include": "/var/lib/dpkg/status"}}}),
    ("sipxha:paths:allow_outside", {"paths": {"allow_outside": ["etc"]}}),
    ("sipxha:paths:allow_outside", {"paths": {"allow_outside": "/etc"}}),
]  # fmt: skip
ACCEPTED = [
    {},
    {"paths": {"etc": "/usr/local/sipx/etc/sipxpbx", "ssl": "/usr/local/sipx/etc/sipxpbx/ssl"}},
    {"paths": {"etc": "/opt/sipx/etc/sipxpbx"}},
    {"dhcp": {"server": "external", "config": "/etc/dhcp/dhcpd.conf"}},
    {"dns": {"zonefile": {"minion": "ns1", "path": "/var/named/db.example.com"}}},
    {"dns": {"zonefile": {"minion": "ns1", "path": "/var/cache/bind/db.x", "include": "/etc/bind/site.records"}}},
    {"paths": {"etc": "/tmp/sandbox/etc"}, "dhcp": {"server": "external", "config": "/srv/kea.conf"}},
    {"paths": {"etc": "/etc/pbx", "allow_outside": ["/etc/pbx"]}},
    {"paths": {"allow_outside": []}},  # pillar.example's
    {"dhcp": {"server": "external", "config": "/etc/router/dhcp.conf"}, "paths": {"allow_outside": ["/etc/router"]}},
]


def _pillar(extra: dict) -> dict:
    pillar = pillars.seed()
    for key, value in extra.items():
        if key == "servers":
            for minion_id, entry in value.items():
                pillar["servers"][minion_id] |= entry
        else:
            pillar[key] = value
    return pillar


@pytest.mark.parametrize(("key", "extra"), REFUSED, ids=[f"{k}-{i}" for i, (k, _) in enumerate(REFUSED)])
def test_a_path_outside_its_trees_is_refused_naming_the_key(key, extra):
    with pytest.raises(PillarError) as caught:
        build_plan(_pillar(extra))
    assert caught.value.key == key, caught.value


@pytest.mark.parametrize("extra", ACCEPTED)
def test_expected_trees_sandboxes_and_allowed_folders_are_accepted(extra):
    build_plan(_pillar(extra))
