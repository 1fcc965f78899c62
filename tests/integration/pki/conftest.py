"""PKI integration fixtures on the shared fleet (see :mod:`tests.support.fleet`).

``ca_dir``        the master's CA folder.
``apply_pki``     ``apply_pki(target="sipxpbx*", *args)``: ``state.apply sipxha.pki``, returns ``{minion: state ret}``.
``csr_for``       ``csr_for(names, key=None)``: a PEM CSR (EC P-256 unless ``key``) for arbitrary names.
``master_log``    the master's log text so far.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from saltext_sipxha.core.pki.servercert import build_csr


@pytest.fixture
def ca_dir(fleet) -> Path:
    return fleet.root / "ca"


@pytest.fixture
def apply_pki(fleet):
    def _apply(target: str = "sipxpbx*", *args: str) -> dict:
        ret = fleet.salt(target, "state.apply", "sipxha.pki", *args)
        assert isinstance(ret.data, dict), ret
        data = ret.data if target not in fleet.minions else {target: ret.data}
        return {minion: next(iter(states.values())) for minion, states in data.items()}

    return _apply


@pytest.fixture
def csr_for():
    def _csr(names, key=None) -> str:
        return build_csr(key or ec.generate_private_key(ec.SECP256R1()), "x.example.com", names)

    return _csr


@pytest.fixture
def master_log(fleet):
    return lambda: Path(fleet.master.config["log_file"]).read_text(encoding="utf-8", errors="replace")
