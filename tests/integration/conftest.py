"""Integration harness: one real fleet (see :mod:`tests.support.fleet`) serves the whole session.

Fixtures: ``sipx_fleet`` (session: the running master and minions) and ``fleet`` (per test: fresh sipX
trees and the default pillar). The :class:`~tests.support.fleet.SipxFleet` docstring lists what it offers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fleet import SipxFleet, start_fleet


@pytest.fixture(scope="session")
def sipx_fleet(salt_factories, tmp_path_factory) -> Iterator[SipxFleet]:
    """Start the master and the three minions once for the integration session."""
    with start_fleet(salt_factories, tmp_path_factory.mktemp("fleet")) as running:
        yield running


@pytest.fixture
def fleet(sipx_fleet) -> Iterator[SipxFleet]:
    """The session fleet, idle, with the default pillar (no beacons) and fresh sipX trees."""
    sipx_fleet.set_pillar(sipx_fleet.default_pillar())
    sipx_fleet.wait_idle()
    sipx_fleet.reset_trees()
    yield sipx_fleet
