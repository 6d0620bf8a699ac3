"""What the app shows of a solved round, read from the engine's equilibrium in the app's terms.

The whole multi-round crisis is solved as an agent logit QRE over public beliefs
(:mod:`sim.engine.equilibrium`); this module reads it off at round 1 for each type, at each decision
point of the round, and averages the public beliefs over the rounds of a short simulation. The app's
Game page draws these; it never reads the solver's array layout itself.

Round 1 is :meth:`CrisisEquilibrium.solve_at` at the scenario's initial public state (``played``) and
at the beliefs the one-round game assumes (``with_game_beliefs``: every type known, Russia's prior if
its resolve is private). Both come from the same solved equilibrium: its policies are defined at any
public beliefs, so the second costs no new solve. The chance that the coalition's force collapses
before it moves (``RoundOne.collapse``) and each member's chance of staying in come from the same
solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.domain.ladder import ACTIONS, ACTORS, DEPLOY, THREATEN
from sim.domain.scenario import Scenario
from sim.engine.equilibrium import RESPONSES, RoundSolution, States, equilibrium_for
from sim.engine.model import CrisisModel
from sim.engine.rules import rule_for

Point = tuple[str, tuple[str, ...]]
"""A decision point of a round: the mover and the moves made before it in the round (``ACTORS`` order,
then the answers after a strike), as the game tree's decision moves name them."""

MOVERS_BEFORE = ("coalition", "russia", "coalition", "us")
"""Who made each move before a decision point, in order: the coalition's move, Russia's, then after a
strike the coalition's answer."""

BELIEF_RUNS = 2_000
"""Simulated crises behind the belief paths: enough for smooth averages, quick once the crisis is solved."""


@dataclass(frozen=True)
class Choice:
    """One type at one decision point of round 1: each move's probability, what it is worth in all
    (``utility``) and the part of that which is the discounted rest of the crisis (``later``)."""

    probability: dict[str, float]
    utility: dict[str, float]
    later: dict[str, float]

    @property
    def actions(self) -> tuple[str, ...]:
        """The moves open at this decision point, in the order of ``probability``."""
        return tuple(self.probability)

    def now(self, action: str) -> float:
        """What the move is worth this round: ``utility - later``."""
        return self.utility[action] - self.later[action]

    def best(self) -> str:
        """The move worth the most in all (the first of them if several tie)."""
        return max(self.utility, key=lambda a: self.utility[a])

    def likeliest(self) -> str:
        """The move most likely to be chosen (the first of them if several tie)."""
        return max(self.probability, key=lambda a: self.probability[a])


@dataclass(frozen=True)
class RoundOne:
    """Round 1 of the whole crisis for both types at every decision point, as played with the scenario's
    public beliefs (``played``, ``beliefs``) and with the beliefs the one-round game assumes
    (``with_game_beliefs``, ``game_beliefs``); each member's chance of keeping its troops in and the chance
    the force collapses before the coalition moves."""

    played: dict[tuple[Point, bool], Choice]
    with_game_beliefs: dict[tuple[Point, bool], Choice]
    beliefs: dict[str, float]
    game_beliefs: dict[str, float]
    stay: dict[str, float]
    collapse: float
    rules: dict[str, str]
    lambdas: dict[str, float]
    descriptions: dict[str, str]

    @property
    def points(self) -> list[Point]:
        """The decision points in the order they come in a round."""
        return list(dict.fromkeys(point for point, _ in self.played))

    def choice(
        self,
        actor: str,
        before: Sequence[str],
        resolute: bool,
        actions: Sequence[str] | None = None,
        known: bool = False,
    ) -> Choice | None:
        """The type's choice after the moves ``before``, or None where round 1 of the whole crisis has no
        such decision (or, given ``actions``, one with other moves)."""
        table = self.with_game_beliefs if known else self.played
        found = table.get(((actor, tuple(before)), bool(resolute)))
        if found is None or (actions is not None and set(actions) != set(found.actions)):
            return None
        return found


def _choice(probability: np.ndarray, utility: np.ndarray, later: np.ndarray | None, names: Sequence[str]) -> Choice:
    zero = np.zeros(len(names)) if later is None else later
    return Choice(
        *(dict(zip(names, (float(x) for x in values), strict=True)) for values in (probability, utility, zero))
    )


def choices_at(solution: RoundSolution, state: int) -> dict[tuple[Point, bool], Choice]:
    """Every decision point of a solved round at one state, in the order they come, for both types."""
    s = solution
    strike, threaten, resist = ACTIONS[DEPLOY], ACTIONS[THREATEN], RESPONSES["coalition"][0]
    moves = {c: ACTIONS[c] for c in (DEPLOY, THREATEN)}  # the coalition moves that Russia answers
    # (point, move names, probabilities, utilities, later), each array indexed [type, move].
    rows: list[tuple[Point, Sequence[str], Any, Any, Any]] = [
        (("coalition", ()), ACTIONS, s.coalition[state], s.coalition_utility[state], s.coalition_later[state])
    ]
    rows += [
        (("russia", (m,)), ACTIONS, s.russia[state, c], s.russia_utility[state, c], s.russia_later[state, c])
        for c, m in moves.items()
    ]
    rows += [
        (("us", (m, threaten)), ACTIONS, s.us[state, c], s.us_utility[state, c], s.us_later[state, c])
        for c, m in moves.items()
    ]
    rows += [
        (("coalition", (m, strike)), RESPONSES["coalition"], s.resist[state, c], s.resist_utility[state, c], None)
        for c, m in moves.items()
    ]
    rows += [
        (("us", (m, strike, resist)), RESPONSES["us"], s.join[state, c], s.join_utility[state, c], None)
        for c, m in moves.items()
    ]
    return {
        (point, theta): _choice(p[int(theta)], u[int(theta)], None if later is None else later[int(theta)], names)
        for point, names, p, u, later in rows
        for theta in (False, True)
    }


def game_beliefs(scenario: Scenario, types: Sequence[bool], private: bool) -> np.ndarray:
    """The public beliefs the one-round game assumes: each type known, Russia's prior if its resolve is private."""
    beliefs = np.array([float(t) for t in types])
    if private:
        beliefs[ACTORS.index("russia")] = scenario.russia.resolve_prior
    return beliefs


def agents_round_one(scenario: Scenario, types: Sequence[bool], private: bool) -> RoundOne:
    """Round 1 of the solved crisis at the scenario's public state and at the game's beliefs (one solve of
    the round at the two states)."""
    equilibrium = equilibrium_for(scenario)
    start = equilibrium.initial_state()
    states = States(
        np.vstack([start.beliefs, game_beliefs(scenario, types, private)]),
        np.repeat(start.incident, 2),
        np.repeat(start.pledged, 2),
    )
    solution = equilibrium.solve_at(1, states)
    members = scenario.coalition.members
    return RoundOne(
        choices_at(solution, 0),
        choices_at(solution, 1),
        {actor: float(b) for actor, b in zip(ACTORS, states.beliefs[0], strict=True)},
        {actor: float(b) for actor, b in zip(ACTORS, states.beliefs[1], strict=True)},
        {member.name: float(p) for member, p in zip(members, solution.stay[0], strict=True)},
        float(solution.collapse[0]),
        {actor: scenario.actor(actor).rule for actor in ACTORS},
        {actor: scenario.actor(actor).rationality for actor in ACTORS},
        {actor: rule_for(scenario.actor(actor)).describe() for actor in ACTORS},
    )


# ---------------------------------------------------------------------------------------------
# Beliefs over the rounds


@dataclass(frozen=True)
class BeliefPaths:
    """The public belief that each actor is resolute after each round (0 = the start), averaged over the
    simulated crises that played that round, separately for the crises in which the actor truly is
    resolute and in which it is not (NaN where there are none); ``playing`` is the share of crises that
    played each round."""

    rounds: list[int]
    mean: dict[str, dict[bool, list[float]]]
    playing: list[float]
    runs: int


def belief_paths(scenario: Scenario, runs: int = BELIEF_RUNS, seed: int = 0) -> BeliefPaths:
    """Simulate ``runs`` crises of the solved equilibrium and average the public beliefs round by round."""
    model = CrisisModel(scenario, n_worlds=runs, seed=seed)
    everyone = np.ones(runs, dtype=bool)
    mean = {key: {theta: [_mean(model, key, everyone, theta)] for theta in (True, False)} for key in ACTORS}
    playing = [1.0]
    while model.running:
        played = model.active.copy()
        model.step()
        playing.append(float(played.mean()))
        for key in ACTORS:
            for theta in (True, False):
                mean[key][theta].append(_mean(model, key, played, theta))
    model.release()
    return BeliefPaths(list(range(len(playing))), mean, playing, runs)


def _mean(model: CrisisModel, key: str, worlds: np.ndarray, resolute: bool) -> float:
    actor = model.actors[key]
    chosen = worlds & (actor.resolute == resolute)
    return float(actor.belief[chosen].mean()) if chosen.any() else float("nan")
