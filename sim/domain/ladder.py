"""The fixed vocabulary of the crisis: actions, the escalation ladder and terminal outcomes.

Integer codes index numpy arrays throughout the engine, so the order of each tuple is part of
the model: ``ACTIONS[0]`` is always *deploy*, ``RUNGS[-1]`` always *major war*.
"""

from __future__ import annotations

import numpy as np

ACTORS: tuple[str, ...] = ("coalition", "russia", "us")
"""The three strategic actors, in the order they move within a round."""

ACTIONS: tuple[str, ...] = ("deploy", "threaten", "back_down")
DEPLOY, THREATEN, BACK_DOWN = 0, 1, 2

ACTION_MEANING: dict[str, dict[str, str]] = {
    "coalition": {
        "deploy": "keep the multinational force on the ground in Ukraine",
        "threaten": "restate the guarantee but keep troops out of Ukraine",
        "back_down": "abandon the force",
    },
    "russia": {
        "deploy": "use force (against the deployed troops if they are there)",
        "threaten": "restate the red line and keep forces on alert",
        "back_down": "drop the objection and accept the arrangement",
    },
    "us": {
        "deploy": "commit an air and intelligence backstop",
        "threaten": "offer political support only",
        "back_down": "distance itself from the guarantee",
    },
}

RUNGS: tuple[str, ...] = (
    "ceasefire",
    "declared_intent",
    "deployed",
    "standoff",
    "incident",
    "limited_war",
    "major_war",
)
CEASEFIRE, DECLARED_INTENT, DEPLOYED, STANDOFF, INCIDENT, LIMITED_WAR, MAJOR_WAR = range(7)

MID_HOSTILITY: dict[str, int] = {
    "ceasefire": 1,
    "declared_intent": 2,
    "deployed": 3,
    "standoff": 3,
    "incident": 4,
    "limited_war": 4,
    "major_war": 5,
}
"""Correlates of War MID hostility level of each rung (1 none ... 5 war), for the docs and tables."""

START_RUNGS: tuple[str, ...] = RUNGS[:5]
"""A crisis may start on any rung below open war."""

ACCIDENT_RUNGS: tuple[str, ...] = ("declared_intent", "standoff", "incident")
"""Rungs a continuing round can end on, each with its own chance of an unintended incident.

A round that goes on has Russia threatening, so troops on the ground always mean a standoff;
``deployed`` is only the moment between the coalition's move and Russia's answer.
"""

OUTCOMES: tuple[str, ...] = (
    "deterrence_holds",
    "coalition_backs_down",
    "russia_backs_down",
    "limited_clash",
    "major_war",
)
HOLDS, COALITION_BACKS_DOWN, RUSSIA_BACKS_DOWN, LIMITED_CLASH, MAJOR_WAR_OUTCOME = range(5)

OUTCOME_MEANING: dict[str, str] = {
    "deterrence_holds": "the horizon is reached with no war and nobody backing down",
    "coalition_backs_down": "the coalition abandons the force, or its members split below the threshold",
    "russia_backs_down": "Russia drops its red line",
    "limited_clash": "force is used but the fighting stays limited",
    "major_war": "the clash escalates to a wider war",
}


def continuing_rung(coalition_move: np.ndarray | int) -> np.ndarray:
    """The rung a round that goes on ends on: Russia threatens, so troops mean a standoff."""
    return np.where(np.asarray(coalition_move) == DEPLOY, STANDOFF, DECLARED_INTENT)
