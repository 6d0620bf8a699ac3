"""Invariants on random scenarios (hypothesis): probabilities, seeds and payoff transformations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios

from sim import run_monte_carlo
from sim.domain.scenario import Scenario, scenario_from_dict
from sim.engine.model import CrisisModel

# 20 examples: each one solves a new game (about a second), and the invariants hold for any game.
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """Every utility-valued number times ``factor``, every lambda divided by it."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    for key in ("coalition", "russia", "us"):
        actor = raw[key]
        actor["lambda"] /= factor
        for field in ("war_bonus", "force_in_place", "backstop_effect", "audience_cost", "deploy_cost",
                      "threaten_cost", "back_down_cost"):  # fmt: skip
            actor[field] *= factor
        actor["payoffs"] = {outcome: value * factor for outcome, value in actor["payoffs"].items()}
    raw["coalition"]["tripwire_cost"] *= factor
    for member in raw["coalition"]["members"]:
        member["war_cost"] *= factor
        member["exit_cost"] *= factor
        member["mission_value"] *= factor
    return scenario_from_dict(raw, "scaled")


@SETTINGS
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_outcome_probabilities_form_a_distribution(scenario, seed):
    results = run_monte_carlo(scenario, 300, seed=seed)
    summary = results.summary()
    assert sum(entry["p"] for entry in summary["outcomes"].values()) == pytest.approx(1.0)
    assert np.allclose(results.ladder.sum(axis=1), 1.0)
    assert np.all(results.rounds_played <= scenario.rounds)


@SETTINGS
@given(scenarios())
def test_every_policy_is_a_probability_distribution(scenario):
    from sim.engine.equilibrium import equilibrium_for, grid_states

    equilibrium = equilibrium_for(scenario, grid_points=3)
    states = grid_states(3)
    for round_number in range(1, scenario.rounds + 1):
        solution = equilibrium.solve_at(round_number, states)
        for policy in (solution.coalition, solution.russia, solution.us, solution.resist, solution.join):
            assert np.all(policy >= -1e-12) and np.allclose(policy.sum(axis=-1), 1.0)
        assert np.all((solution.collapse >= 0) & (solution.collapse <= 1 + 1e-12))


@SETTINGS
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_same_seed_same_numbers(scenario, seed):
    first, second = run_monte_carlo(scenario, 200, seed=seed), run_monte_carlo(scenario, 200, seed=seed)
    assert np.array_equal(first.outcome, second.outcome)
    assert np.array_equal(first.payoff["russia"], second.payoff["russia"])


@SETTINGS
@given(scenarios(), st.sampled_from([0.5, 2.0, 4.0]), st.integers(0, 2**32 - 1))
def test_rescaling_utilities_and_lambda_together_changes_nothing(scenario, factor, seed):
    """Logit choice depends on lambda * utility only: scaling utilities by a power of two and
    lambda by its inverse is exact in floating point, so every run is bit-for-bit the same."""
    original = run_monte_carlo(scenario, 300, seed=seed)
    rescaled = run_monte_carlo(scaled(scenario, factor), 300, seed=seed)
    assert np.array_equal(original.outcome, rescaled.outcome)
    assert np.allclose(rescaled.payoff["coalition"], factor * original.payoff["coalition"])


@SETTINGS
@given(scenarios(), st.sampled_from(["coalition", "russia", "us"]), st.floats(-50, 50))
def test_adding_a_constant_to_an_actors_outcome_payoffs_leaves_its_choices_alone(scenario, key, shift):
    """Every action leads to a lottery over outcomes, so a common shift moves all utilities alike."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw[key]["payoffs"] = {outcome: value + shift for outcome, value in raw[key]["payoffs"].items()}
    shifted = scenario_from_dict(raw, "shifted")
    before = CrisisModel(scenario, n_worlds=3, seed=0)
    after = CrisisModel(shifted, n_worlds=3, seed=0)
    first, second = before.policies(1, np.arange(3)), after.policies(1, np.arange(3))
    for name in ("coalition", "russia", "us", "resist", "join"):
        assert np.allclose(first[name], second[name], atol=1e-6), name
