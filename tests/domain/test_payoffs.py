"""The payoff pieces and the classroom game, solved by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_monte_carlo
from sim.domain.ladder import BACK_DOWN, DEPLOY, THREATEN
from sim.domain.payoffs import PayoffTables, audience_cost, clash_value, escalation_probability
from sim.domain.scenario import load_scenario, with_overrides
from sim.engine.equilibrium import equilibrium_for


def test_escalation_probability_is_clipped():
    scenario = with_overrides(load_scenario("coalition_2026"), {"escalation.base": 0.9, "escalation.tripwire": 0.5})
    assert escalation_probability(scenario, True, True) == 1.0
    scenario = with_overrides(scenario, {"escalation.base": 0.0, "escalation.tripwire": -0.5})
    assert escalation_probability(scenario, True, False) == 0.0


def test_clash_lottery_by_hand():
    """coalition_2026: q = 0.1 + 0.15 (troops) = 0.25 without the US; the coalition's lottery is
    0.25 * -25 + 0.75 * -8 = -12.25, and +10 for its resolute type (the scenario's comments)."""
    scenario = load_scenario("coalition_2026")
    assert clash_value(scenario, "coalition", False, True, False) == pytest.approx(-12.25)
    assert clash_value(scenario, "coalition", True, True, False) == pytest.approx(-2.25)
    # A resolute US joins (q = 0.4: -15 - 4 + 8 and -2 - 4 + 8) rather than stay out (-5.25).
    assert clash_value(scenario, "us", True, True, True) == pytest.approx(-3.2)
    assert clash_value(scenario, "us", True, True, False) == pytest.approx(-5.25)


def test_audience_cost_grows_with_public_commitment():
    """A_i * (commitment + rounds stood firm): Russia's red line, stated twice, costs 2 then 3."""
    russia = load_scenario("coalition_2026").russia
    assert audience_cost(russia, 1) == pytest.approx(2.0)
    assert audience_cost(russia, 2) == pytest.approx(3.0)
    tables = PayoffTables(load_scenario("coalition_2026"))
    assert tables.audience(1) == pytest.approx([0.8, 2.0, 0.0])


def test_classroom_answer_is_the_backward_induction_answer():
    """docs/how-to/teaching.md's worked answer. Struck, the coalition resists (-6 beats conceding at
    -2 - 5 = -7), so Russia threatens either way and the coalition deploys: deterrence holds with
    troops in place. A resolute Russia would strike deployed troops, so the coalition keeps its
    guarantee on paper. Without the audience cost, conceding is better than resisting: Russia
    strikes and the coalition concedes whatever it does."""
    results = run_monte_carlo("classroom_chicken", 500, seed=1)
    assert results.probabilities()["deterrence_holds"] == 1.0
    assert results.troops_deployed_at_end.all()
    resolute = run_monte_carlo("classroom_chicken", 500, seed=1, **{"russia.resolve_prior": 1.0})
    assert resolute.probabilities()["deterrence_holds"] == 1.0
    assert not resolute.troops_deployed_at_end.any()
    no_cost = run_monte_carlo("classroom_chicken", 500, seed=1, **{"coalition.audience_cost": 0.0})
    assert no_cost.probabilities()["coalition_backs_down"] == 1.0


def test_classroom_policies_by_hand():
    scenario = load_scenario("classroom_chicken")
    equilibrium = equilibrium_for(scenario)
    first = equilibrium.solve_at(1, equilibrium.initial_state())
    not_resolute = 0
    assert first.resist[0, 0, not_resolute, 0] == pytest.approx(1.0)  # resists when struck
    assert first.russia[0, 0, not_resolute, THREATEN] == pytest.approx(1.0)  # facing troops
    assert first.russia[0, 1, not_resolute, THREATEN] == pytest.approx(1.0)  # facing words
    assert first.coalition[0, not_resolute, DEPLOY] == pytest.approx(1.0)
    assert first.coalition[0, not_resolute, BACK_DOWN] == pytest.approx(0.0)
    # The utilities the choice answers: deploy 3, threaten -3, back down -7.
    assert first.coalition_utility[0, not_resolute] == pytest.approx([3.0, -3.0, -7.0])
    assert np.isclose(first.russia_utility[0, 0, not_resolute], [-5.0, -3.0, -4.0]).all()


def test_us_backstop_deters_more_than_the_seed_case():
    """The counterfactual scenario must matter: deterrence holds more often with a likely backstop."""
    base = run_monte_carlo("coalition_2026", 20_000, seed=5).probabilities()
    backstop = run_monte_carlo("us_backstop", 20_000, seed=5).probabilities()
    assert backstop["deterrence_holds"] > base["deterrence_holds"] + 0.05


def test_divided_coalition_splits_more_often():
    base = run_monte_carlo("coalition_2026", 20_000, seed=5)
    divided = run_monte_carlo("divided_coalition", 20_000, seed=5)
    assert divided.force_collapsed.mean() > base.force_collapsed.mean() + 0.1
    assert divided.probabilities()["coalition_backs_down"] > base.probabilities()["coalition_backs_down"]
