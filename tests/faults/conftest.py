"""Fault and bad-input tests (issue 7, part 2): the product met at the level a user meets it.

The functional minion here (id ``sipxpbx1``, Salt's real loaders, no daemons) has the repository's
formula as its ``file_roots`` and signs with a CA on the same host (``sipxha_pki:local_ca``), so
``state.sls sipxha`` runs the whole SLS (role, DHCP, PKI) against a sandboxed sipX tree. The pillar is
passed per run (``pillar=`` override, like ``salt-call state.apply sipxha pillar=...``).

Fixtures:
``loaders``   saltfactories ``Loaders`` of that minion.
``ca``        the local CA (:class:`~saltext_sipxha.core.pki.ca.CertificateAuthority`).
``server``    ``(etc, ssl)`` of a fresh stock sipX tree for this test.
``apply_sls`` ``apply_sls(pillar, sls="sipxha", test=False)`` -> ``{state id: {result, comment, changes}}``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from saltfactories.utils import random_string
from saltfactories.utils.functional import Loaders

from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.plan.settings import PkiSettings
from tests.faults.sandbox import MINION_ID, make_server

REPO = Path(__file__).resolve().parents[2]
CA_PASSPHRASE = "faults-ca-passphrase"


@pytest.fixture(scope="package")
def faults_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="package")
def ca(faults_root) -> CertificateAuthority:
    authority = CertificateAuthority(faults_root / "ca", CA_PASSPHRASE.encode())
    authority.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
    return authority


@pytest.fixture(scope="package")
def minion_opts(salt_factories, faults_root, ca) -> dict[str, Any]:
    pillar_root = faults_root / "pillar"
    pillar_root.mkdir(exist_ok=True)
    factory = salt_factories.salt_minion_daemon(
        random_string("faults-"),
        defaults={"file_client": "local", "id": MINION_ID},
        overrides={
            "pillar_roots": {"base": [str(pillar_root)]},
            "file_roots": {"base": [str(REPO / "states")]},
            "sipxha_pki": {"local_ca": {"dir": str(ca.dir), "passphrase": CA_PASSPHRASE}},
        },
    )
    opts = factory.config.copy()
    opts["id"] = MINION_ID
    return opts


@pytest.fixture(scope="package")
def loaders(minion_opts) -> Loaders:
    return Loaders(minion_opts, loaded_base_name=f"{__name__}.loaded")


@pytest.fixture
def server(tmp_path) -> tuple[Path, Path]:
    return make_server(tmp_path)


@pytest.fixture
def apply_sls(loaders):
    """Run an SLS of the formula with ``pillar`` as the ``sipxha`` pillar; state id -> its return."""

    def _apply(pillar: Any, sls: str = "sipxha", test: bool = False) -> dict[str, dict[str, Any]]:
        ret = loaders.modules.state.sls(sls, pillar={"sipxha": pillar}, test=test)
        assert not ret.failed, ret.raw  # a render error: the SLS itself did not run
        return {run.id: {"result": run.result, "comment": run.comment, "changes": run.changes} for run in ret}

    return _apply


@pytest.fixture(scope="package", autouse=True)
def quiet_salt_logs():
    """Salt's DEBUG records (hundreds per state run) cost more than the runs here; warnings still show."""
    logger = logging.getLogger("salt")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)
