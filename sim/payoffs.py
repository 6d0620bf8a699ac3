"""The one-round crisis game: what each actor gets from each joint action.

Within a round the coalition moves, then Russia, then the United States. For every joint action
``(c, r, u)`` this module gives each actor's expected utility, as a tensor indexed
``[actor type, incident flag, c, r, u]`` (type 1 = resolute; the incident flag says whether the
round started just after an incident). The engine adds only the world-specific audience costs.

The values are exact for the last round and a documented one-step look-ahead before it
(docs/model.md, "Expected utility"):

* coalition backs down        -> ``CB``
* Russia backs down           -> ``RB``
* Russia uses force           -> clash lottery ``K(c, u) = q MW + (1 - q) LC``
* Russia threatens            -> status quo ``H`` (plus ``force_in_place`` if c = deploy) unless
                                 an accident turns it into an incident, and an incident into a clash:
                                 ``V = (1 - a1) H + a1 ((1 - a2) H + a2 K)``; after an incident,
                                 ``V = (1 - a2) H + a2 K``
plus each actor's own cost of the action it took.
"""

from __future__ import annotations

import numpy as np

from sim.ladder import (
    ACTORS,
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DEPLOY,
    LIMITED_CLASH,
    MAJOR_WAR_OUTCOME,
    RUNGS,
    RUSSIA_BACKS_DOWN,
    continuing_rung,
)
from sim.scenario import Actor, Scenario

N_ACTIONS = 3


def escalation_probability(scenario: Scenario, troops_deployed: bool, us_committed: bool) -> float:
    """P(a clash becomes a major war): tripwire troops and a US backstop each shift the base."""
    esc = scenario.escalation
    q = esc.base + esc.tripwire * troops_deployed + esc.backstop * us_committed
    return float(min(1.0, max(0.0, q)))


def outcome_values(key: str, actor: Actor, resolute: bool, us_committed: bool) -> np.ndarray:
    """An actor's payoff for each outcome (ladder.OUTCOMES order), given its type and the US.

    A resolute type minds a war it fights in less (``war_bonus``). Russia and the coalition are
    in every clash; the US fights only if it has committed its backstop.
    """
    values = np.array(actor.payoffs.as_tuple(), dtype=float)
    war = [LIMITED_CLASH, MAJOR_WAR_OUTCOME]
    fights = us_committed if key == "us" else True
    values[war] += actor.war_bonus * (resolute and fights) + actor.backstop_effect * us_committed
    return values


def status_quo_value(actor: Actor, troops_deployed: bool) -> float:
    """Deterrence holds: with the force on the ground its presence shifts every actor's payoff."""
    return actor.payoffs.deterrence_holds + actor.force_in_place * troops_deployed


def continuation_value(
    hold: float, clash: float, first_accident: float, incident_accident: float, after_incident: bool
) -> float:
    """Status quo unless accidents intervene: one accident makes an incident, the next a clash."""
    if after_incident:
        return (1 - incident_accident) * hold + incident_accident * clash
    reached_incident = (1 - incident_accident) * hold + incident_accident * clash
    return (1 - first_accident) * hold + first_accident * reached_incident


def round_payoffs(scenario: Scenario) -> dict[str, np.ndarray]:
    """Each actor's value of every joint action: arrays of shape (2, 2, 3, 3, 3)."""
    accident = scenario.accident.by_rung()
    tensors = {}
    for key in ACTORS:
        actor = scenario.actor(key)
        own_position = ACTORS.index(key)
        costs = actor.action_costs()
        table = np.zeros((2, 2, N_ACTIONS, N_ACTIONS, N_ACTIONS))
        for resolute, after_incident, c, r, u in np.ndindex(table.shape):
            moves = _moves_made(c, r, u)
            own_cost = costs[moves[own_position]] if moves[own_position] is not None else 0.0
            if c == BACK_DOWN:
                value = outcome_values(key, actor, bool(resolute), False)[COALITION_BACKS_DOWN]
            elif r == BACK_DOWN:
                value = outcome_values(key, actor, bool(resolute), False)[RUSSIA_BACKS_DOWN]
            else:
                clash = clash_value(scenario, key, bool(resolute), c, u)
                if r == DEPLOY:
                    value = clash
                else:
                    hold = status_quo_value(actor, troops_deployed=c == DEPLOY)
                    first_accident = accident[RUNGS[int(continuing_rung(c))]]
                    value = continuation_value(hold, clash, first_accident, accident["incident"], bool(after_incident))
            table[resolute, after_incident, c, r, u] = value - own_cost
        tensors[key] = table
    return tensors


def clash_value(scenario: Scenario, key: str, resolute: bool, c: int, u: int) -> float:
    """Expected payoff of a clash: limited, or major war with the escalation probability."""
    us_committed = u == DEPLOY
    q = escalation_probability(scenario, c == DEPLOY, us_committed)
    values = outcome_values(key, scenario.actor(key), resolute, us_committed)
    return q * values[MAJOR_WAR_OUTCOME] + (1 - q) * values[LIMITED_CLASH]


def _moves_made(c: int, r: int, u: int) -> tuple[int | None, int | None, int | None]:
    """Who actually moves: a back-down ends the round before the later movers act."""
    if c == BACK_DOWN:
        return (c, None, None)
    if r == BACK_DOWN:
        return (c, r, None)
    return (c, r, u)


__all__ = [
    "clash_value",
    "continuation_value",
    "escalation_probability",
    "outcome_values",
    "round_payoffs",
    "status_quo_value",
]
