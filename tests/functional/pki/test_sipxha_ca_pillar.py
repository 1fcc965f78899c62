"""ext_pillar ``sipxha_ca`` through Salt's own pillar loader and pillar compiler, with a real CA on disk.

``sipxha_ca.ext_pillar`` is found by ``salt.loader.pillars`` in the extension's ``pillar/`` folder (the
package-form entry point); a masterless minion with ``ext_pillar: [{sipxha_ca: {}}]`` compiles the CA
certificate into its own pillar, and ``sipxha_pki.ca_cert`` returns it without asking any master.
"""

from __future__ import annotations

import logging

import pytest
import salt.loader
import salt.pillar
import salt.utils.yaml
from saltfactories.utils.functional import Loaders

from tests.support import pillars
from tests.unit.pki.support import new_ca

LISTED = {"sipxha": pillars.seed()}  # sipxpbx1 and sipxpbx2 are under sipxha:servers


@pytest.fixture
def master_opts(minion_opts, tmp_path):
    """Opts as the master passes them to its ext_pillar (CA folder under this test's tmp_path, none yet)."""
    opts = {key: value for key, value in minion_opts.items() if key != "sipxha_pki"}
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - sipxha\n", encoding="utf-8")
    (pillar_root / "sipxha.sls").write_text(salt.utils.yaml.safe_dump(LISTED), encoding="utf-8")
    return opts | {
        "pki_dir": str(tmp_path / "pki"),
        "sipxha_ca": {"dir": str(tmp_path / "ca")},
        "ext_pillar": [{"sipxha_ca": {}}],
        "pillar_roots": {"base": [str(pillar_root)]},
    }


@pytest.fixture
def ext_pillar(master_opts, loaders):
    return salt.loader.pillars(master_opts, loaders.modules)["sipxha_ca"]


def test_no_ca_yet_gives_nothing(ext_pillar):
    assert ext_pillar("sipxpbx1", LISTED) == {}


def test_a_listed_minion_gets_the_ca_certificate_and_nothing_secret(ext_pillar, tmp_path):
    ca = new_ca(tmp_path)
    ret = ext_pillar("sipxpbx2", LISTED, **{})
    assert ret == {"sipxha_ca": {"cert": (tmp_path / "ca" / "ca.crt").read_text(encoding="ascii")}}
    assert ret["sipxha_ca"]["cert"] == ca.certificate_pem()
    assert "PRIVATE KEY" in (tmp_path / "ca" / "ca.key").read_text(encoding="ascii")  # the key is right there
    assert "PRIVATE KEY" not in repr(ret)


@pytest.mark.parametrize(
    "pillar",
    [
        {},
        {"sipxha": {"servers": {"sipxpbx1": {}}}},
        LISTED | {"sipxha": {**LISTED["sipxha"], "servers": {}}},
        {"sipxha": "not a mapping"},
        {"sipxha": {"servers": ["sipxpbx9"]}},
    ],
    ids=["no-sipxha", "other-minion", "no-servers", "bad-sipxha", "servers-not-a-mapping"],
)
def test_an_unlisted_minion_gets_nothing(ext_pillar, tmp_path, pillar):
    new_ca(tmp_path)
    assert ext_pillar("sipxpbx9", pillar) == {}


def test_default_ca_folder_is_under_pki_dir(master_opts, loaders, tmp_path):
    new_ca(tmp_path / "pki" / "x")  # a CA in <pki_dir>/x/ca: move it to <pki_dir>/sipxha_ca
    (tmp_path / "pki" / "x" / "ca").rename(tmp_path / "pki" / "sipxha_ca")
    opts = master_opts | {"sipxha_ca": {"passphrase": "unused here"}}
    ret = salt.loader.pillars(opts, loaders.modules)["sipxha_ca"]("sipxpbx1", LISTED)
    assert ret["sipxha_ca"]["cert"] == (tmp_path / "pki" / "sipxha_ca" / "ca.crt").read_text(encoding="ascii")


def test_an_unreadable_ca_certificate_is_logged_and_gives_nothing(ext_pillar, tmp_path, caplog):
    new_ca(tmp_path)
    (tmp_path / "ca" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\ngarbage\n", encoding="ascii")
    with caplog.at_level(logging.ERROR):
        assert ext_pillar("sipxpbx1", LISTED) == {}
    assert "not a PEM certificate" in caplog.text and str(tmp_path / "ca" / "ca.crt") in caplog.text


def test_compiled_pillar_carries_it_and_sipxha_pki_uses_it_without_a_master(master_opts, tmp_path):
    ca = new_ca(tmp_path)
    minion = Loaders(master_opts, loaded_base_name=f"{__name__}.loaded")
    try:
        assert minion.pillar["sipxha_ca"] == {"cert": ca.certificate_pem()}
        assert minion.pillar["sipxha"] == LISTED["sipxha"]
        # no master and no local_ca: publish.runner could not answer, so the certificate came from the pillar
        assert minion.modules.sipxha_pki.ca_cert() == ca.certificate_pem()
    finally:
        minion.reset_state()
