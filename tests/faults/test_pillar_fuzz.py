"""Property-based fuzzing of the pillar parser (issue 13): a malformed pillar is always a :class:`PillarError`.

Each case starts from a complete, valid pillar (every section set) and breaks it at one or more places:
a value replaced by a hostile one (wrong type, out of range, control characters, huge), a key removed, an
unknown key added, a control character put into a key or a string. Whatever comes out:

* :func:`build_plan` either returns a plan or raises :class:`PillarError` naming a ``sipxha`` key; never a
  raw exception (``TypeError``, ``KeyError``, ``ValueError``, ...);
* an accepted plan holds no control character anywhere (names, paths, commands, addresses);
* a pillar with a control character put into any string or key is refused.

A few thousand cases in a bounded time (``settings`` below); ``database=None`` keeps runs independent.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.fleet import build_plan

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
BASE: dict[str, Any] = {
    "domain": "example.com",
    "realm": "example.com",
    "servers": {
        "sipxpbx1": {"role": "master", "index": 1, "address": "192.0.2.11", "fqdn": "sipxpbx1.example.com"},
        "sipxpbx2": {"role": "distributed", "index": 2, "address": "192.0.2.12", "paths": {"etc": "/etc/sipxpbx"}},
        "sipxpbx3.example.com": {"role": "distributed", "index": 3, "address": "192.0.2.13"},
    },
    "ports": {"proxy": 5060, "registrar": 5070, "authproxy": 5080, "registrar_xmlrpc": 5077},
    "srv": {"names": "numbered", "ttl": 3600, "weight": 50, "max_fallbacks": 1, "naptr": True},
    "dns": {
        "zonefile": {
            "minion": "sipxpbx1",
            "path": "/etc/bind/db.example.com",
            "reload": "rndc reload example.com",
            "nameservers": {"ns1.example.com": "192.0.2.53"},
        },
        "nsupdate": {
            "server": "192.0.2.53",
            "port": 53,
            "zone": "example.com.",
            "tsig": {"name": "sipxha-key.", "algorithm": "hmac-sha256", "secret": "c2VjcmV0LXNlY3JldA=="},
        },
    },
    "dhcp": {
        "server": "sipxpbx1",
        "subnet": "192.0.2.0/24",
        "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
        "router": "192.0.2.1",
        "dns_servers": ["192.0.2.53"],
        "ntp_servers": ["192.0.2.1"],
        "tftp_server": "192.0.2.11",
        "interfaces": ["eth0"],
        "config": "/etc/kea/kea-dhcp4.conf",
        "service": "kea-dhcp4-server",
    },
    "ds_processes": ["KeepAlive", "SIPRegistrar", "SIPProxy", "SIPAuthProxy"],
    "pki": {"ca_name": "ca.example.com", "key": {"type": "rsa", "bits": 2048}, "days": 365, "renew_days": 30},
    "paths": {"etc": "/etc/sipxpbx", "ssl": "/etc/sipxpbx/ssl"},
    "service": {"name": "sipxpbx", "manage": True},
}
Path = tuple[Any, ...]


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path into ``value`` (mapping keys and list positions), the root excluded."""
    found: list[Path] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((*prefix, key))
        found += _paths(item, (*prefix, key))
    return found


PATHS = _paths(BASE)
CONTROLS = st.sampled_from(["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\x0b", "\x0c"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=400),
    st.sampled_from(["", " ", "..", "/etc/../etc/passwd", "//x", "a\nb", "0", "-1", "999999", "ec", "master"]),
    st.binary(max_size=10),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=4)
    ),
    max_leaves=8,
)


def _parent(pillar: dict[str, Any], path: Path) -> Any:
    node: Any = pillar
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def broken_pillars(draw: st.DrawFn) -> dict[str, Any]:
    """The base pillar broken at one to three places."""
    pillar = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(pillar) or [("domain",)]))
        try:
            parent, key = _parent(pillar, path), path[-1]
            _ = parent[key]  # an earlier break may have removed this path
        except (KeyError, IndexError, TypeError):
            continue
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(VALUES)
    return pillar


@st.composite
def control_character_pillars(draw: st.DrawFn) -> dict[str, Any]:
    """The base pillar with a control character put into one of its strings or keys."""
    pillar = copy.deepcopy(BASE)
    strings = [path for path in PATHS if isinstance(_parent(pillar, path)[path[-1]], str)]
    keys = [path for path in PATHS if isinstance(path[-1], str) and isinstance(_parent(pillar, path), dict)]
    in_key = draw(st.booleans())
    path = draw(st.sampled_from(keys if in_key else strings))
    parent, key = _parent(pillar, path), path[-1]
    control = draw(CONTROLS)
    if in_key:
        text = parent.pop(key)
        at = draw(st.integers(0, len(key)))
        parent[key[:at] + control + key[at:]] = text
    else:
        at = draw(st.integers(0, len(parent[key])))
        parent[key] = parent[key][:at] + control + parent[key][at:]
    return pillar


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _strings(key) + _strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def _check(pillar: Any) -> bool:
    """True when the plan was accepted; asserts the properties either way."""
    try:
        fleet = build_plan(pillar)
    except PillarError as err:
        assert err.key == "sipxha" or err.key.startswith("sipxha:"), err
        assert not CONTROL.search(str(err)), repr(str(err))
        return False
    leaked = [text for text in _strings(fleet.to_dict()) if CONTROL.search(text)]
    assert not leaked, leaked
    return True


FUZZ = settings(
    max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def test_the_base_pillar_is_valid():
    assert _check(copy.deepcopy(BASE))


@FUZZ
@given(broken_pillars())
def test_a_broken_pillar_is_a_pillar_error_or_a_clean_plan(pillar):
    _check(pillar)


@settings(FUZZ, max_examples=600)
@given(control_character_pillars())
def test_a_control_character_anywhere_is_refused(pillar):
    assert not _check(pillar)


@settings(FUZZ, max_examples=400)
@given(VALUES)
def test_any_value_as_the_whole_pillar(value):
    _check(value)
