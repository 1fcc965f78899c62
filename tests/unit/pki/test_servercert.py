"""The minion side: why a server needs a new certificate, and sipX's layout after installing one."""

from __future__ import annotations

import datetime
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from saltext_sipxha.core.pki import servercert
from saltext_sipxha.core.pki.names import subject_hashes
from saltext_sipxha.core.plan.settings import PkiSettings

from .support import allowed, ca_of, new_ca, openssl, pem

NAMES = allowed("sipxpbx2")
PKI = PkiSettings(ca_name="ca.example.com")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return new_ca(tmp_path_factory.mktemp("servercert"))


@pytest.fixture
def key():
    return ec.generate_private_key(ec.SECP256R1())


def signed(ca, key, names=NAMES, days=365):
    return ca.sign(servercert.build_csr(key, "sipxpbx2.example.com", names), "sipxpbx2", names, "sipxpbx2", days)


def reasons(cert, key, ca_cert, *, names=NAMES, renew_days=30, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return servercert.renewal_reasons(cert, key, ca_cert, names=names, renew_days=renew_days, now=now)


def test_up_to_date(ca, key):
    assert reasons(signed(ca, key), key, ca.certificate) == []


def test_each_reason(ca, key, tmp_path):
    cert = signed(ca, key)
    assert reasons(None, key, ca.certificate) == ["no certificate installed"]
    other = ec.generate_private_key(ec.SECP256R1())
    assert reasons(cert, other, ca.certificate) == ["the certificate does not match the private key (key changed)"]
    moved = (*NAMES[:2], "DNS:pbx-b.example.com")
    assert reasons(cert, key, ca.certificate, names=moved) == [
        "names no longer match the pillar (+DNS:pbx-b.example.com, -DNS:sipxpbx2.example.com)"
    ]
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=340)
    assert reasons(cert, key, ca.certificate, now=later)[0].startswith("expires within 30 days")
    new = new_ca(tmp_path)
    assert reasons(cert, key, new.certificate) == ["not signed by the current CA (CA changed)"]


def test_key_reason():
    assert servercert.key_reason(None, PKI) == "no private key"
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert servercert.key_reason(weak, PKI).startswith("weak key: RSA key of 1024 bits")
    p256 = PkiSettings(ca_name="ca.example.com", key_type="ec", key_set=True)
    assert servercert.key_reason(ec.generate_private_key(ec.SECP384R1()), p256) is not None
    assert servercert.key_reason(ec.generate_private_key(ec.SECP256R1()), p256) is None


def test_install_layout_modes_and_hash_link(ca, key, tmp_path):
    layout = servercert.SslLayout(tmp_path / "ssl", "ca.example.com")
    layout.ssl_dir.mkdir()
    layout.cert.write_text("sipX's original certificate\n")
    cert = signed(ca, key)
    changed = servercert.install(layout, key, pem(cert).decode(), ca_of(ca))
    assert stat.S_IMODE(layout.key.stat().st_mode) == 0o600
    assert (tmp_path / "ssl" / "ssl.crt.bak").read_text() == "sipX's original certificate\n"
    hashes = openssl("x509", "-noout", "-hash", "-subject_hash_old", "-in", str(ca.cert_path)).stdout.decode().split()
    for value in hashes:  # OpenSSL >= 1.0 and 0.9.x (issue 12.2)
        link = layout.authorities / f"{value}.0"
        assert os.readlink(link) == "ca.example.com.crt"
        assert str(link) in changed
    assert str(layout.key) in changed
    verify = openssl("verify", "-CApath", str(layout.authorities), str(layout.cert))
    assert verify.returncode == 0, verify.stderr
    assert servercert.read_key(layout.key).public_key() == key.public_key()
    assert servercert.install(layout, None, pem(cert).decode(), ca_of(ca)) == []


def test_new_ca_replaces_the_stale_link(ca, key, tmp_path):
    layout = servercert.SslLayout(tmp_path / "ssl", "ca.example.com")
    servercert.install(layout, key, pem(signed(ca, key)).decode(), ca_of(ca))
    other = new_ca(tmp_path / "o")
    servercert.install(layout, None, pem(signed(other, key)).decode(), ca_of(other))
    links = sorted(p.name for p in layout.authorities.iterdir() if p.is_symlink())
    assert links == sorted(f"{value}.0" for value in subject_hashes(other.certificate))
    verify = openssl("verify", "-CApath", str(layout.authorities), str(layout.cert))
    assert verify.returncode == 0, verify.stderr


def rehash(layout):
    """What sipX's ca_rehash does at every start: every hash link deleted and made anew."""
    done = openssl("rehash", "-compat", str(layout.authorities))
    assert done.returncode == 0, done.stderr


def test_ca_rehash_between_two_runs_is_converged(ca, key, tmp_path):
    """Issue 12.2: after ``openssl rehash -compat`` (links deleted and recreated, maybe in other slots
    next to another CA of the same subject) the links are as the product wants them: no change."""
    layout = servercert.SslLayout(tmp_path / "ssl", "ca.example.com")
    cert = pem(signed(ca, key)).decode()
    servercert.install(layout, key, cert, ca_of(ca))
    rehash(layout)
    assert servercert.hash_link_reason(layout, ca.certificate) is None
    assert servercert.install(layout, None, cert, ca_of(ca)) == []
    twin = new_ca(tmp_path / "twin")  # sipX's own CA, same subject: rehash may give ours the .1 slots
    (layout.authorities / "aaa-sipx-own.crt").write_bytes(pem(twin.certificate))
    rehash(layout)
    assert servercert.hash_link_reason(layout, ca.certificate) is None
    assert servercert.install(layout, None, cert, ca_of(ca)) == []
    verify = openssl("verify", "-CApath", str(layout.authorities), str(layout.cert))
    assert verify.returncode == 0, verify.stderr


def test_a_missing_old_hash_link_or_a_stale_one_is_a_reason(ca, key, tmp_path):
    layout = servercert.SslLayout(tmp_path / "ssl", "ca.example.com")
    servercert.install(layout, key, pem(signed(ca, key)).decode(), ca_of(ca))
    new, old = subject_hashes(ca.certificate)
    (layout.authorities / f"{old}.0").unlink()
    assert servercert.hash_link_reason(layout, ca.certificate) == f"hash link {old}.0 missing"
    assert servercert.link_ca(layout, ca.certificate) == [str(layout.authorities / f"{old}.0")]
    (layout.authorities / "0badc0de.0").symlink_to("ca.example.com.crt")
    assert servercert.hash_link_reason(layout, ca.certificate) == "stale hash link 0badc0de.0"
    assert servercert.link_ca(layout, ca.certificate) == [str(layout.authorities / "0badc0de.0")]
    assert sorted(p.name for p in layout.authorities.iterdir() if p.is_symlink()) == sorted([f"{new}.0", f"{old}.0"])
