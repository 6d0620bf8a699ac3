"""What the simulated agents do in round 1, read from the engine's own backward induction over the
round (``CrisisModel.round_policies``) rather than sampled, with the scenario's beliefs and with the
beliefs the game assumes; and the chance that coalition members break up the force first."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

from sim.ladder import ACTIONS, ACTORS, DEPLOY
from sim.model import CrisisModel, RoundPolicies
from sim.scenario import Scenario, with_overrides


@dataclass(frozen=True)
class RoundOne:
    """The simulated agents' first round, from the engine's own backward induction over the round
    (``CrisisModel.round_policies``): each type's choice probabilities and expected utilities at
    every decision node, as played with the scenario's beliefs (``played``) and as they would be with
    the game's beliefs (``with_game_beliefs``: every type known, Russia's prior if it is private);
    the public beliefs; and the chance that the force collapses before the coalition moves."""

    played: dict[str, np.ndarray]
    utility: dict[str, np.ndarray]
    with_game_beliefs: dict[str, np.ndarray]
    beliefs: dict[str, float]
    collapse: float
    rules: dict[str, str]
    lambdas: dict[str, float]
    descriptions: dict[str, str]

    def at(self, table: Mapping[str, np.ndarray], actor: str, resolute: bool, before: Sequence[str]) -> np.ndarray:
        """Probabilities (or utilities) of ``actor``'s three moves after the decisions ``before``."""
        index = (int(resolute), *(ACTIONS.index(action) for action in before))
        return np.asarray(table[actor][index], dtype=float)


def _policies(scenario: Scenario) -> tuple[CrisisModel, RoundPolicies]:
    """One world's round-1 policies (after an incident if the scenario starts at one)."""
    model = CrisisModel(scenario, n_worlds=1, seed=0)
    return model, model.round_policies(np.array([0]), int(scenario.start_rung == "incident"))


def _tables(policies: RoundPolicies) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per actor, [type, (coalition move), (Russia's move), action] probabilities and utilities."""
    us_row = policies.us_row[0]
    played = {"coalition": policies.coalition[0], "russia": policies.russia[0], "us": policies.us[us_row]}
    utility = {
        "coalition": policies.coalition_utility[0],
        "russia": policies.russia_utility[0],
        "us": policies.us_utility[us_row],
    }
    return ({k: np.array(v) for k, v in played.items()}, {k: np.array(v) for k, v in utility.items()})


def game_belief_overrides(scenario: Scenario, types: Sequence[bool], private: bool) -> dict[str, float]:
    """The beliefs the game assumes: each type known, except Russia's prior when its resolve is private."""
    overrides = {f"{actor}.believed_resolve": float(t) for actor, t in zip(ACTORS, types, strict=True)}
    if private:
        overrides["russia.believed_resolve"] = scenario.russia.resolve_prior
    return overrides


def member_stay_chances(model: CrisisModel, policies: RoundPolicies) -> list[float]:
    """Each member's chance of staying as the coalition's first move comes: certain if resolute; if not,
    by its rule weighing the risk of a strike (the others' forecast that Russia strikes deployed troops)
    against the cost of leaving, exactly as the engine decides (``MemberState.stay_probability``)."""
    risk = np.array([policies.russia_expected[0, 0, DEPLOY]], dtype=float)
    stays = []
    for member in model.members:
        prior = member.config.resolve_prior
        stays.append(prior + (1 - prior) * float(member.stay_probability(risk)[0]))
    return stays


def collapse_probability(model: CrisisModel, policies: RoundPolicies) -> float:
    """P(the members still in hold fewer troops than the threshold) as the coalition's first move
    comes; members decide independently (``member_stay_chances``)."""
    if not model.members:
        return 0.0
    stays = member_stay_chances(model, policies)
    collapse = 0.0
    for staying in product((False, True), repeat=len(stays)):
        troops = sum(m.config.troops for m, s in zip(model.members, staying, strict=True) if s)
        if troops < model.scenario.coalition.min_troops:
            collapse += math.prod(p if s else 1 - p for p, s in zip(stays, staying, strict=True))
    return collapse


def agents_round_one(scenario: Scenario, types: Sequence[bool], private: bool) -> RoundOne:
    """Round 1 as the agents play it and as they would with the game's beliefs (``game_belief_overrides``)."""
    model, policies = _policies(scenario)
    played, utility = _tables(policies)
    _, counterfactual = _policies(with_overrides(scenario, game_belief_overrides(scenario, types, private)))
    with_game_beliefs, _ = _tables(counterfactual)
    return RoundOne(
        played,
        utility,
        with_game_beliefs,
        {actor: scenario.actor(actor).initial_belief for actor in ACTORS},
        collapse_probability(model, policies),
        {actor: scenario.actor(actor).rule for actor in ACTORS},
        {actor: scenario.actor(actor).rationality for actor in ACTORS},
        {actor: model.actors[actor].rule.describe() for actor in ACTORS},
    )
