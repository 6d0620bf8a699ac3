"""Shared fixtures: built-in scenarios and small, hand-checkable variants."""

from __future__ import annotations

import pytest
from hand_scenarios import bare_scenario

from sim.domain.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def coalition() -> Scenario:
    return load_scenario("coalition_2026")


@pytest.fixture
def bare() -> Scenario:
    return bare_scenario()
