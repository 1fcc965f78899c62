"""core.dhcp: the Kea configuration for the one DHCP server, checked by ``kea-dhcp4 -t``."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from saltext_sipxha.core.errors import NotInstalledError, PillarError, UnsafeFileError
from saltext_sipxha.core.plan.fleet import build_plan
from saltext_sipxha.core.sipx import dhcp
from tests.support import pillars

KEA = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
DHCPD = shutil.which("dhcpd") or "/usr/sbin/dhcpd"
DHCP = {
    "server": "sipxpbx2",
    "subnet": "192.0.2.0/24",
    "pool": {"start": "192.0.2.100", "end": "192.0.2.199"},
    "router": "192.0.2.1",
    "dns_servers": ["192.0.2.53", "192.0.2.54"],
    "ntp_servers": ["192.0.2.1"],
}


def _check(tmp_path, data: bytes) -> subprocess.CompletedProcess:
    if not shutil.which(KEA):
        pytest.skip("kea-dhcp4 is not installed (make deps installs kea-dhcp4-server)")
    path = tmp_path / "kea-dhcp4.conf"
    path.write_bytes(data)
    return subprocess.run([KEA, "-t", str(path)], capture_output=True, text=True, timeout=60, check=False)


def test_rendered_config_passes_kea_check(tmp_path):
    fleet = build_plan(pillars.fleet(3, dhcp=DHCP))
    data = dhcp.render(fleet)
    check = _check(tmp_path, data)
    assert check.returncode == 0, check.stdout + check.stderr
    body = json.loads(data.decode().split("\n", 1)[1])["Dhcp4"]
    options = {o.get("name", o.get("code")): o["data"] for o in body["subnet4"][0]["option-data"]}
    assert options == {
        "routers": "192.0.2.1",
        "domain-name-servers": "192.0.2.53, 192.0.2.54",
        "ntp-servers": "192.0.2.1",
        "tftp-server-name": "192.0.2.11",  # option 66: the master
        120: "00076578616D706C6503636F6D00",  # RFC 3361: enc 0, example.com in DNS wire format
    }
    assert body["option-data"] == [{"name": "domain-name", "data": "example.com"}]
    assert body["subnet4"][0]["pools"] == [{"pool": "192.0.2.100 - 192.0.2.199"}]


def test_kea_check_catches_a_broken_config(tmp_path):
    """The check the tests rely on does fail on a bad file (so the test above can fail)."""
    data = dhcp.render(build_plan(pillars.fleet(2, dhcp=DHCP))).replace(b'"192.0.2.0/24"', b'"192.0.2.0/99"')
    assert _check(tmp_path, data).returncode != 0


def test_only_the_named_server():
    fleet = build_plan(pillars.fleet(3, dhcp=DHCP))
    assert [s.minion_id for s in fleet.servers if dhcp.is_dhcp_server(fleet, s.minion_id)] == ["sipxpbx2"]
    external = build_plan(pillars.fleet(3))
    assert not any(dhcp.is_dhcp_server(external, s.minion_id) for s in external.servers)
    assert dhcp.plan_dhcp(external, "sipxpbx1") is None


@pytest.mark.parametrize("key", ["subnet", "pool", "router", "dns_servers"])
def test_missing_network_keys_fail_the_plan(key):
    """Every server's plan fails, not only the DHCP server's render (validated before anything is written)."""
    with pytest.raises(PillarError, match=f"sipxha:dhcp:{key}: is required"):
        build_plan(pillars.fleet(2, dhcp={k: v for k, v in DHCP.items() if k != key}))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"subnet": "192.0.2.7/24"}, "sipxha:dhcp:subnet"),
        ({"router": "198.51.100.1"}, "sipxha:dhcp:router"),
        ({"pool": {"start": "192.0.2.100", "end": "192.0.2.300"}}, "sipxha:dhcp:pool:end"),
        ({"pool": {"start": "192.0.2.200", "end": "192.0.2.100"}}, "sipxha:dhcp:pool:end"),
        ({"dns_servers": ["not-an-ip"]}, "sipxha:dhcp:dns_servers"),
        ({"lease_time": 5}, "sipxha:dhcp:lease_time"),
        ({"config": "relative.conf"}, "sipxha:dhcp:config"),
        ({"bogus": 1}, "sipxha:dhcp:bogus"),
    ],
)
def test_bad_dhcp_pillar(change, key):
    with pytest.raises(PillarError, match=key):
        build_plan(pillars.fleet(2, dhcp=DHCP | change))


def test_a_missing_kea_folder_says_kea_is_not_installed(tmp_path):
    """Not an "unsafe file": the folder of dhcp:config is missing because the DHCP server is not installed."""
    fleet = build_plan(pillars.fleet(2, dhcp=DHCP | {"config": str(tmp_path / "kea" / "kea-dhcp4.conf")}))
    with pytest.raises(NotInstalledError, match="is kea-dhcp4-server installed"):
        dhcp.plan_dhcp(fleet, "sipxpbx2")


def _dhcpd(tmp_path, data: bytes) -> subprocess.CompletedProcess:
    if not shutil.which(DHCPD):
        pytest.skip("dhcpd is not installed (make deps installs isc-dhcp-server)")
    path = tmp_path / "dhcpd.conf"
    path.write_bytes(data)
    return subprocess.run([DHCPD, "-t", "-cf", str(path)], capture_output=True, text=True, timeout=60, check=False)


def test_isc_dhcpd_config_passes_dhcpd_check(tmp_path):
    fleet = build_plan(pillars.fleet(3, dhcp=DHCP | {"software": "isc"}))
    assert (fleet.dhcp.config, fleet.dhcp.service) == ("/etc/dhcp/dhcpd.conf", "isc-dhcp-server")
    data = dhcp.render(fleet)
    check = _dhcpd(tmp_path, data)
    assert check.returncode == 0, check.stdout + check.stderr
    text = data.decode()
    for line in (
        "  option routers 192.0.2.1;",  # 3
        "  option domain-name-servers 192.0.2.53, 192.0.2.54;",  # 6
        '  option domain-name "example.com";',  # 15
        "  option ntp-servers 192.0.2.1;",  # 42
        '  option tftp-server-name "192.0.2.11";',  # 66: the master
        "  option sip-servers 00:07:65:78:61:6d:70:6c:65:03:63:6f:6d:00;",  # 120: RFC 3361, the domain
        "subnet 192.0.2.0 netmask 255.255.255.0 {",
        "  range 192.0.2.100 192.0.2.199;",
    ):
        assert line + "\n" in text, line
    dhcp.check_config("isc", data)  # the product's own check agrees


def test_dhcpd_check_catches_a_broken_config(tmp_path):
    data = dhcp.render(build_plan(pillars.fleet(2, dhcp=DHCP | {"software": "isc"})))
    broken = data.replace(b"range 192.0.2.100", b"range 198.51.100.100")  # outside the subnet
    assert _dhcpd(tmp_path, broken).returncode != 0
    with pytest.raises(UnsafeFileError, match="dhcpd: rejects the rendered DHCP configuration"):
        dhcp.check_config("isc", broken)
    with pytest.raises(UnsafeFileError, match="kea-dhcp4: rejects"):
        dhcp.check_config("kea", data)  # dhcpd syntax is not Kea's


def test_option_120_from_sip_servers_addresses_in_both_renderers():
    fleet = build_plan(pillars.fleet(2, dhcp=DHCP | {"sip_servers": ["192.0.2.11", "192.0.2.12"]}))
    options = dhcp.kea_config(fleet)["Dhcp4"]["subnet4"][0]["option-data"]
    assert {"code": 120, "csv-format": False, "data": "01C000020BC000020C"} in options
    assert "option sip-servers 01:c0:00:02:0b:c0:00:02:0c;" in dhcp.isc_config(fleet)


def test_a_dhcp_server_that_is_not_a_sipx_server():
    fleet = build_plan(pillars.fleet(2, dhcp=DHCP | {"server": "router1"}))
    assert dhcp.is_dhcp_server(fleet, "router1")
    assert not any(dhcp.is_dhcp_server(fleet, s.minion_id) for s in fleet.servers)
    assert dhcp.DHCP_SERVICES == ("kea-dhcp4-server", "isc-dhcp-server")
