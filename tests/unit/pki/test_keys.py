"""Private keys: the default type (RSA 2048), the strength policy, and keys of the other type kept."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from saltext_sipxha.core.errors import PkiError
from saltext_sipxha.core.pki.keys import generate_key, key_to_pem, load_key, matches_spec, public_der, weakness
from saltext_sipxha.core.pki.servercert import key_reason
from saltext_sipxha.core.plan.reader import Node
from saltext_sipxha.core.plan.settings import read_pki

PASS = b"a passphrase"


def pki(spec=None):
    return read_pki(Node({"key": spec} if spec is not None else {}, "sipxha:pki"), "example.com")


def test_the_default_is_rsa_2048():
    key = generate_key(pki())
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048


def test_ec_stays_an_option():
    key = generate_key(pki({"type": "ec", "curve": "secp384r1"}))
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"


def test_a_key_of_the_other_type_is_kept_unless_the_pillar_asks_for_a_type():
    """An EC key from before RSA became the default stays (no re-key, no restart on upgrade)."""
    old_ec, rsa_3072 = ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 3072)
    assert matches_spec(old_ec, pki()) and key_reason(old_ec, pki()) is None
    assert matches_spec(rsa_3072, pki())
    assert key_reason(old_ec, pki({"type": "rsa"})) == "the key is not of the pillar's pki:key type"
    assert not matches_spec(rsa_3072, pki({"type": "rsa", "bits": 2048}))
    assert matches_spec(old_ec, pki({"type": "ec"}))


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (rsa.generate_private_key(65537, 1024), "RSA key of 1024 bits (at least 2048 required)"),
        (ec.generate_private_key(ec.SECP224R1()), "EC curve secp224r1"),
        (rsa.generate_private_key(65537, 2048), None),
    ],
    ids=["rsa-1024", "p-224", "rsa-2048"],
)
def test_weakness(key, problem):
    found = weakness(key.public_key())
    assert found == problem if problem is None else found.startswith(problem)
    assert (key_reason(key, pki()) is None) == (problem is None)


def test_pem_round_trip_encrypted_and_plain():
    key = generate_key(pki())
    assert public_der(load_key(key_to_pem(key, PASS), PASS)) == public_der(key)
    assert public_der(load_key(key_to_pem(key))) == public_der(key)
    with pytest.raises(PkiError, match="ca key: cannot be read"):
        load_key(key_to_pem(key, PASS), b"wrong", "ca key")
    with pytest.raises(PkiError, match="ca key: "):
        load_key(key_to_pem(key, PASS), None, "ca key")


def test_private_keys_are_redacted_from_any_text():
    """Issue 13.1: a diff, comment or log line never shows key material."""
    from saltext_sipxha.core.files.change import unified_diff
    from saltext_sipxha.core.pki.keys import REDACTED, redact_keys

    key = generate_key(pki())
    plain, encrypted = key_to_pem(key).decode(), key_to_pem(key, PASS).decode()
    traditional = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
    for pem in (plain, encrypted, traditional, plain[:200]):  # the last one cut off mid-key
        shown = redact_keys(f"before\n{pem}after")
        assert "PRIVATE KEY" not in shown and REDACTED in shown and shown.startswith("before\n")
    for old, new in ((plain.encode(), None), (None, plain.encode()), (b"old\n", encrypted.encode())):
        diff = unified_diff("/etc/sipxpbx/ssl/ssl.key", old, new)
        assert diff == f"/etc/sipxpbx/ssl/ssl.key: {REDACTED}\n"
    assert "PRIVATE" not in unified_diff("x", b"a\n", b"b\n") and "+b" in unified_diff("x", b"a\n", b"b\n")
