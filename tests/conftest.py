"""Shared fixtures: built-in scenarios and small, hand-checkable variants."""

from __future__ import annotations

import pytest

from sim.scenario import Scenario, load_scenario, scenario_from_dict


@pytest.fixture(scope="session")
def coalition() -> Scenario:
    return load_scenario("coalition_2026")


def bare_scenario(**changes) -> Scenario:
    """No members, no accidents, three rounds: small enough to solve by hand."""
    raw = {
        "name": "bare",
        "rounds": 3,
        "accident": {"declared_intent": 0.0, "standoff": 0.0, "incident": 0.0},
        "escalation": {"base": 0.1, "tripwire": 0.2, "backstop": 0.3},
        "coalition": {},
        "russia": {},
        "us": {},
    }
    return scenario_from_dict(raw, "bare", changes)


@pytest.fixture
def bare() -> Scenario:
    return bare_scenario()
