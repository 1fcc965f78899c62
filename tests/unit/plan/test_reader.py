"""core.plan.reader: typed reading that names the colon path, refuses control characters, hides secrets."""

from __future__ import annotations

import pytest

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.plan.reader import Node, is_hostname


@pytest.mark.parametrize("name", ["sipxpbx1\n.example.com", "sipxpbx1.example.com\n", "a..b", "-a.b", "a_b.c", ""])
def test_bad_host_names(name):
    assert not is_hostname(name)


def test_good_host_names():
    assert is_hostname("sipxpbx1.example.com") and is_hostname("a") and is_hostname("x-1.y")


@pytest.mark.parametrize("value", ["a\nb", "tab\there", "nul\x00", "esc\x1b[0m", "del\x7f", "c1\x85", "end\n"])
def test_strings_refuse_control_characters(value):
    with pytest.raises(PillarError, match=r"^sipxha:realm: must not contain control characters"):
        Node({"realm": value}).string("realm")


def test_a_key_with_a_control_character_is_shown_escaped():
    with pytest.raises(PillarError) as caught:
        Node({"bad\nkey": 1}).only(["good"])
    assert caught.value.key == "sipxha:bad\\nkey"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("secret", [["c2VjcmV0"], {"x": "c2VjcmV0"}, 42])
def test_a_non_string_secret_is_never_echoed(secret):
    with pytest.raises(PillarError, match="sipxha:secret") as caught:
        Node({"secret": secret}).base64("secret")
    assert "c2VjcmV0" not in str(caught.value) and "42" not in str(caught.value)


def test_a_bad_base64_secret_is_not_echoed():
    with pytest.raises(PillarError) as caught:
        Node({"secret": "not base64 %%%"}).base64("secret")
    assert "%%%" not in str(caught.value)


@pytest.mark.parametrize("name", ["sipxpbx", "kea-dhcp4-server", "sipx@1.service", "isc-dhcp-server"])
def test_plain_service_names(name):
    assert Node({"name": name}).service_name("name") == name


@pytest.mark.parametrize("name", ["sipxpbx\n\nx:\n  cmd.run: []", "a b", "a;b", "'a'", "{{ x }}", "-a", "a/b", "$x"])
def test_service_names_that_are_not_plain_words(name):
    with pytest.raises(PillarError, match="sipxha:name"):
        Node({"name": name}).service_name("name")


@pytest.mark.parametrize("path", ["/etc/sipxpbx", "/etc/sipxpbx/", "/"])
def test_normalised_absolute_paths(path):
    assert Node({"p": path}).abspath("p") == (path.rstrip("/") or "/")


@pytest.mark.parametrize(
    "path", ["etc/sipxpbx", "/etc/../etc/passwd", "/etc/./sipxpbx", "//etc", "/etc//sipxpbx", "/a/.."]
)
def test_paths_that_are_not_normalised(path):
    with pytest.raises(PillarError, match="sipxha:p: must be an absolute, normalised path"):
        Node({"p": path}).abspath("p")


def test_an_address_with_a_control_character():
    with pytest.raises(PillarError, match="sipxha:address: must not contain control characters"):
        Node({"address": "\n192.0.2.1"}).address("address")
