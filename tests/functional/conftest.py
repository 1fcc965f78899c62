"""Functional tests: the extension's modules loaded by Salt's own loaders, no daemons.

Fixtures:
``loaders``   saltfactories ``Loaders``: ``loaders.modules.sipxha.plan()``, ``loaders.states.<mod>.<fn>(...)``.
``set_pillar`` ``set_pillar({"domain": ...})`` makes that dict the minion's ``sipxha`` pillar and reloads.
"""

from __future__ import annotations

import pytest
import salt.utils.yaml
from saltfactories.utils import random_string
from saltfactories.utils.functional import Loaders

MINION_ID = "sipxpbx1"


@pytest.fixture(scope="module")
def minion_opts(salt_factories, tmp_path_factory):
    pillar_root = tmp_path_factory.mktemp("pillar")
    state_root = tmp_path_factory.mktemp("state")
    factory = salt_factories.salt_minion_daemon(
        random_string("functional-"),
        defaults={"file_client": "local", "id": MINION_ID},
        overrides={"pillar_roots": {"base": [str(pillar_root)]}, "file_roots": {"base": [str(state_root)]}},
    )
    opts = factory.config.copy()
    opts["id"] = MINION_ID
    return opts


@pytest.fixture(scope="module")
def loaders(minion_opts):
    return Loaders(minion_opts, loaded_base_name=f"{__name__}.loaded")


@pytest.fixture
def set_pillar(loaders, minion_opts):
    """Write a ``sipxha`` pillar for the functional minion and reload the loaders with it."""
    pillar_root = minion_opts["pillar_roots"]["base"][0]

    def _set(sipxha: dict | None) -> None:
        with open(f"{pillar_root}/top.sls", "w", encoding="utf-8") as top:
            top.write("base:\n  '*':\n    - sipxha\n")
        with open(f"{pillar_root}/sipxha.sls", "w", encoding="utf-8") as sls:
            salt.utils.yaml.safe_dump({"sipxha": sipxha} if sipxha is not None else {}, sls)
        loaders.refresh_pillar()
        loaders.reload_all()

    yield _set
    _set(None)
