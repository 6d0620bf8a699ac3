"""Shared fixtures: built-in scenarios and small, hand-checkable variants."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hand_scenarios import bare_scenario

from sim.domain.scenario import Scenario, load_scenario


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
