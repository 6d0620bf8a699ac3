"""Small scenarios that can be checked by hand, shared by the tests (imported by name, as
``apptest`` and ``hostile_cli`` are: tests never import from one another or from ``conftest``)."""

from __future__ import annotations

from sim.domain.scenario import Scenario, scenario_from_dict


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
