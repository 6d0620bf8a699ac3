"""The pieces every actor's payoff is built from: outcomes, the status quo, the clash lottery.

These are the building blocks the equilibrium solver (:mod:`sim.engine.equilibrium`), the engine
(:mod:`sim.engine.model`) and the exported game tree (:mod:`sim.game.crisis`) share, so the three can
never disagree about what an outcome is worth (docs/explanation/model.md, section 6):

* outcome payoffs are present values at the round the outcome happens, discounted by
  ``discount ** (round - 1)`` to the start of the crisis;
* every round that goes on pays each actor the flow ``(1 - discount) * H_i(c)`` of the status quo
  with the coalition's posture ``c``, so a status quo that lasts for ever is worth ``H_i(c)``;
* a clash is a lottery between a limited clash and a major war, ``K_i(c, j)``, whose escalation
  probability depends on the tripwire (troops deployed, ``c``) and the US joining (``j``).
"""

from __future__ import annotations

import numpy as np

from sim.domain.ladder import ACTORS, DEPLOY, LIMITED_CLASH, MAJOR_WAR_OUTCOME
from sim.domain.scenario import Actor, Scenario


def escalation_probability(scenario: Scenario, troops_deployed: bool, us_joined: bool) -> float:
    """P(a clash becomes a major war): tripwire troops and a US backstop each shift the base.

    Parameters
    ----------
    scenario : Scenario
        Its ``escalation`` table gives the base chance and the two shifts.
    troops_deployed : bool
        Whether the coalition's troops are on the ground (the tripwire).
    us_joined : bool
        Whether the US has joined the clash (the backstop).

    Returns
    -------
    float
        ``base + tripwire * troops_deployed + backstop * us_joined``, clipped to [0, 1].

    References
    ----------
    Schelling, T. C. (1966). *Arms and Influence*. Yale University Press.
    """
    esc = scenario.escalation
    q = esc.base + esc.tripwire * troops_deployed + esc.backstop * us_joined
    return float(min(1.0, max(0.0, q)))


def outcome_values(key: str, actor: Actor, resolute: bool, us_joined: bool) -> np.ndarray:
    """An actor's payoff for each outcome (ladder.OUTCOMES order), given its type and the US.

    A resolute type minds a war it fights in less (``war_bonus``). Russia and the coalition are
    in every clash; the US fights only if it has joined.
    """
    values = np.array(actor.payoffs.as_tuple(), dtype=float)
    war = [LIMITED_CLASH, MAJOR_WAR_OUTCOME]
    fights = us_joined if key == "us" else True
    values[war] += actor.war_bonus * (resolute and fights) + actor.backstop_effect * us_joined
    return values


def status_quo_value(actor: Actor, troops_deployed: bool) -> float:
    """``H_i(c)``: the status quo, shifted by the force's presence when troops are deployed."""
    return actor.payoffs.deterrence_holds + actor.force_in_place * troops_deployed


def clash_value(scenario: Scenario, key: str, resolute: bool, troops_deployed: bool, us_joined: bool) -> float:
    """``K_i(c, j)``: a limited clash, or a major war with the escalation probability."""
    q = escalation_probability(scenario, troops_deployed, us_joined)
    values = outcome_values(key, scenario.actor(key), resolute, us_joined)
    return q * values[MAJOR_WAR_OUTCOME] + (1 - q) * values[LIMITED_CLASH]


def commitment(actor: Actor, round_number: int) -> float:
    """``n_i(t)``: public commitment at the start of round ``t`` (1-based).

    The scenario's ``commitment`` is what was staked before the crisis (a declaration, a red line
    stated "more than once"); every round an actor stands firm in public adds one.
    """
    return actor.commitment + (round_number - 1)


def audience_cost(actor: Actor, round_number: int) -> float:
    """Fearon's (1994) audience cost of backing down in round ``t``: ``A_i * n_i(t)``.

    References
    ----------
    Fearon, J. D. (1994). Domestic political audiences and the escalation of international disputes.
    *American Political Science Review* 88(3), 577-592.
    """
    return actor.audience_cost * commitment(actor, round_number)


class PayoffTables:
    """Every number the solver and the engine read, as arrays indexed by actor (``ACTORS`` order).

    ``H[i, c]`` status quo by coalition posture (c: 0 deploy, 1 threaten); ``K[i, type, c, j]``
    clash lottery (j: 1 if the US joins); ``outcome[i, type, j, o]`` outcome payoffs;
    ``cost[i, a]`` action costs; ``q[c, j]`` escalation probabilities.
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        n = len(ACTORS)
        self.H = np.zeros((n, 2))
        self.K = np.zeros((n, 2, 2, 2))
        self.outcome = np.zeros((n, 2, 2, 5))
        self.cost = np.zeros((n, 3))
        self.q = np.zeros((2, 2))
        for c in (0, 1):
            for j in (0, 1):
                self.q[c, j] = escalation_probability(scenario, c == DEPLOY, bool(j))
        for i, key in enumerate(ACTORS):
            actor = scenario.actor(key)
            self.cost[i] = actor.action_costs()
            for c in (0, 1):
                self.H[i, c] = status_quo_value(actor, c == DEPLOY)
            for theta in (0, 1):
                for j in (0, 1):
                    self.outcome[i, theta, j] = outcome_values(key, actor, bool(theta), bool(j))
                    for c in (0, 1):
                        self.K[i, theta, c, j] = clash_value(scenario, key, bool(theta), c == DEPLOY, bool(j))

    def audience(self, round_number: int) -> np.ndarray:
        """Each actor's audience cost of backing down in this round."""
        return np.array([audience_cost(self.scenario.actor(key), round_number) for key in ACTORS])


__all__ = [
    "PayoffTables",
    "audience_cost",
    "clash_value",
    "commitment",
    "escalation_probability",
    "outcome_values",
    "status_quo_value",
]
