"""The one-round payoff tensor and the classroom game, solved by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_monte_carlo
from sim.ladder import BACK_DOWN, DEPLOY, THREATEN
from sim.payoffs import continuation_value, escalation_probability, round_payoffs
from sim.scenario import load_scenario, with_overrides


def test_continuation_value_by_hand():
    # 0.9 * 1 + 0.1 * (0.5 * 1 + 0.5 * -5) = 0.9 - 0.2 = 0.7
    assert continuation_value(1.0, -5.0, 0.1, 0.5, after_incident=False) == pytest.approx(0.7)
    # after an incident: 0.5 * 1 + 0.5 * -5 = -2
    assert continuation_value(1.0, -5.0, 0.1, 0.5, after_incident=True) == pytest.approx(-2.0)


def test_escalation_probability_is_clipped():
    scenario = with_overrides(load_scenario("coalition_2026"), {"escalation.base": 0.9, "escalation.tripwire": 0.5})
    assert escalation_probability(scenario, True, True) == 1.0
    scenario = with_overrides(scenario, {"escalation.base": 0.0, "escalation.tripwire": -0.5})
    assert escalation_probability(scenario, True, False) == 0.0


def test_classroom_tensor_entries_by_hand():
    tables = round_payoffs(load_scenario("classroom_chicken"))
    russia, coalition = tables["russia"], tables["coalition"]
    not_resolute, resolute, calm = 0, 1, 0
    # Russia facing deployed troops: strike -5 (resolute -1), threaten 1 - 4 = -3, back down -4
    assert russia[not_resolute, calm, DEPLOY, DEPLOY, THREATEN] == -5
    assert russia[resolute, calm, DEPLOY, DEPLOY, THREATEN] == -1
    assert russia[not_resolute, calm, DEPLOY, THREATEN, THREATEN] == -3
    assert russia[not_resolute, calm, DEPLOY, BACK_DOWN, THREATEN] == -4
    # facing words only: the status quo without troops is worth 1
    assert russia[not_resolute, calm, THREATEN, THREATEN, THREATEN] == 1
    # the coalition: -3 + 6 with troops, -3 without, -2 for backing down, whatever follows
    assert coalition[not_resolute, calm, DEPLOY, THREATEN, THREATEN] == 3
    assert coalition[not_resolute, calm, THREATEN, THREATEN, THREATEN] == -3
    assert np.all(coalition[:, :, BACK_DOWN] == -2)


def test_classroom_answer_is_the_backward_induction_answer():
    """Russia threatens either way, so the coalition deploys: deterrence holds with troops in place.
    A resolute Russia would strike deployed troops and accept words, so the coalition backs down."""
    results = run_monte_carlo("classroom_chicken", 500, seed=1)
    assert results.probabilities()["deterrence_holds"] == 1.0
    assert results.troops_deployed_at_end.all()
    resolute = run_monte_carlo("classroom_chicken", 500, seed=1, **{"russia.resolve_prior": 1.0})
    assert resolute.probabilities()["coalition_backs_down"] == 1.0


def test_us_backstop_deters_a_resolute_russia_more_than_the_seed_case():
    """The counterfactual scenario must matter: fewer clashes when the US is likely to commit."""
    base = run_monte_carlo("coalition_2026", 20_000, seed=5).probabilities()
    backstop = run_monte_carlo("us_backstop", 20_000, seed=5).probabilities()
    assert backstop["limited_clash"] + backstop["major_war"] < base["limited_clash"] + base["major_war"] - 0.1


def test_divided_coalition_splits_more_often():
    base = run_monte_carlo("coalition_2026", 20_000, seed=5).probabilities()
    divided = run_monte_carlo("divided_coalition", 20_000, seed=5)
    assert divided.probabilities()["coalition_backs_down"] > base["coalition_backs_down"] + 0.2
    assert divided.force_collapsed.mean() > 0.2
