"""Shared fixtures: built-in scenarios and small, hand-checkable variants."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hand_scenarios import bare_scenario
from hypothesis import settings

from sim.domain.scenario import Scenario, load_scenario

# No hypothesis test has a deadline: a timing is not a test, and an example's first call may load or
# compile numba's kernels (0.4 s and more on a busy machine), which a deadline of 200 ms would fail.
settings.register_profile("sim", deadline=None)
settings.load_profile("sim")


def pytest_configure(config: pytest.Config) -> None:
    """Solved equilibria are cached on disk in a fresh folder for the session (subprocesses too),
    never in the user's cache: the tests neither read stale solutions nor leave files behind."""
    os.environ["SIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="sim-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("SIM_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture(scope="session")
def coalition() -> Scenario:
    return load_scenario("coalition_2026")


@pytest.fixture
def bare() -> Scenario:
    return bare_scenario()
