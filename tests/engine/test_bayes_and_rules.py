"""Decision rules and Bayesian learning, checked against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from hand_scenarios import bare_scenario

from sim.domain.ladder import BACK_DOWN, DEPLOY, THREATEN
from sim.domain.scenario import Doctrine
from sim.engine.agents import bayes_update, sample
from sim.engine.model import CrisisModel
from sim.engine.rules import BestResponse, FixedDoctrine, LogitResponse


def test_logit_at_lambda_zero_is_uniform():
    utilities = np.array([[3.0, -1.0, 7.0], [0.0, 0.0, 0.0]])
    assert np.allclose(LogitResponse(0.0).probabilities(utilities), 1 / 3)


def test_logit_matches_the_formula_and_tends_to_best_response():
    utilities = np.array([1.0, 2.0, 0.0])
    weights = np.exp(0.7 * utilities)
    assert np.allclose(LogitResponse(0.7).probabilities(utilities), weights / weights.sum())
    assert np.allclose(LogitResponse(200.0).probabilities(utilities), [0, 1, 0])


def test_logit_survives_huge_utilities():
    probabilities = LogitResponse(50.0).probabilities(np.array([1e6, 1e6 - 1, -1e6]))
    assert np.all(np.isfinite(probabilities)) and probabilities.sum() == pytest.approx(1.0)


def test_best_response_splits_exact_ties():
    assert np.allclose(BestResponse().probabilities(np.array([1.0, 1.0, 0.0])), [0.5, 0.5, 0])


def test_doctrine_opens_then_replies():
    rule = FixedDoctrine(Doctrine(opening="threaten", responses={"deploy": "deploy"}))
    utilities = np.zeros((4, 3))
    observed = np.array([-1, DEPLOY, THREATEN, BACK_DOWN])
    chosen = rule.probabilities(utilities, observed).argmax(axis=1)
    assert list(chosen) == [THREATEN, DEPLOY, THREATEN, THREATEN]


def test_bayes_rule_by_hand():
    # prior 0.4; the resolute type takes the action w.p. 0.7, the other w.p. 0.2:
    # posterior = 0.4 * 0.7 / (0.4 * 0.7 + 0.6 * 0.2) = 0.28 / 0.40 = 0.7
    posterior = bayes_update(np.array([0.4]), np.array([0.7]), np.array([0.2]))
    assert posterior[0] == pytest.approx(0.7)


def test_bayes_rule_leaves_impossible_evidence_and_certainty_alone():
    assert bayes_update(np.array([0.0]), np.array([1.0]), np.array([0.0]))[0] == 0.0
    assert bayes_update(np.array([1.0]), np.array([0.0]), np.array([0.5]))[0] == 1.0
    assert bayes_update(np.array([0.5]), np.array([0.3]), np.array([0.3]))[0] == pytest.approx(0.5)


def test_model_updates_beliefs_with_each_types_policy():
    """After round one, the public belief about each actor is the hand-computed posterior."""
    scenario = bare_scenario(**{"russia.war_bonus": 10, "coalition.war_bonus": 8, "us.war_bonus": 6})
    model = CrisisModel(scenario, n_worlds=4_000, seed=3)
    idx = np.arange(model.n_worlds)
    policies = model.policies(1, idx)  # what the first step will play
    priors = {key: actor.belief.copy() for key, actor in model.actors.items()}
    model.step()
    coalition, russia = model.actors["coalition"], model.actors["russia"]
    c = coalition.last_action
    like = policies["coalition"][idx, :, c]
    hand = (
        priors["coalition"] * like[:, 1] / (priors["coalition"] * like[:, 1] + (1 - priors["coalition"]) * like[:, 0])
    )
    assert np.allclose(coalition.belief, hand)
    moved = c != BACK_DOWN
    r = russia.last_action[moved]
    like = policies["russia"][idx[moved], c[moved], :, r]
    prior = priors["russia"][moved]
    hand = prior * like[:, 1] / (prior * like[:, 1] + (1 - prior) * like[:, 0])
    assert np.allclose(russia.belief[moved], hand)
    assert not np.allclose(russia.belief[moved], prior), "the types behave differently, so beliefs move"


def test_doctrine_reveals_nothing():
    doctrine = {"rule": "doctrine", "doctrine": {"opening": "threaten"}}
    scenario = bare_scenario(**{"russia.rule": "doctrine", "russia.doctrine": doctrine["doctrine"]})
    model = CrisisModel(scenario, n_worlds=2_000, seed=1)
    model.step()
    assert np.allclose(model.actors["russia"].belief, scenario.russia.initial_belief)


def test_sampling_follows_the_probabilities():
    from scipy import stats

    rng = np.random.default_rng(0)
    probabilities = np.tile([0.2, 0.5, 0.3], (60_000, 1))
    counts = np.bincount(sample(probabilities, rng.random(60_000)), minlength=3)
    assert stats.chisquare(counts, np.array([0.2, 0.5, 0.3]) * 60_000).pvalue > 1e-3
