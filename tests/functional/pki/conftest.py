"""Functional PKI fixtures: the functional minion signs with a CA on the same host (``sipxha_pki:local_ca``).

``ca``         a real CA (core) in a temporary directory, known to the minion config.
``pki_pillar`` ``pki_pillar(fqdn=None, **pki)`` sets the seed pillar with this test's ssl folder (``ssl_dir``).
``beacons``    ``beacons()`` is the beacon loader of the functional minion (its current pillar, one context).
"""

from __future__ import annotations

import pytest
import salt.loader

from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.plan.settings import PkiSettings
from tests.support import pillars

PASSPHRASE = "functional-ca-passphrase"


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("local-ca") / "ca"


@pytest.fixture(scope="module")
def minion_opts(minion_opts, ca_dir):
    """The functional minion, configured to sign with the local CA (masterless lab mode)."""
    return minion_opts | {"sipxha_pki": {"local_ca": {"dir": str(ca_dir), "passphrase": PASSPHRASE}}}


@pytest.fixture(scope="module")
def ca(ca_dir):
    authority = CertificateAuthority(ca_dir, PASSPHRASE.encode())
    authority.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
    return authority


@pytest.fixture
def ssl_dir(tmp_path):
    return tmp_path / "ssl"


@pytest.fixture
def pki_pillar(set_pillar, ssl_dir, ca):
    def _set(fqdn=None, **pki):
        pillar = pillars.seed()
        pillar["servers"]["sipxpbx1"]["paths"] = {"ssl": str(ssl_dir), "etc": str(ssl_dir.parent / "etc")}
        if fqdn:
            pillar["servers"]["sipxpbx1"]["fqdn"] = fqdn
        pillar["pki"] = {"ca_name": "ca.example.com", **pki}
        set_pillar(pillar)
        return pillar

    return _set


@pytest.fixture
def beacons(loaders):
    """``beacons()["sipxha_cert.beacon"]``: the beacon loader over the current modules, one context per test."""
    context = {}
    return lambda: salt.loader.beacons(loaders.opts, loaders.modules, context=context)
