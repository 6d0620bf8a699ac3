"""The vectorised Monte Carlo engine: reproducibility, exact distributions, agreement with N=1 runs."""

from __future__ import annotations

import numpy as np
import pytest
from hand_scenarios import bare_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim.runs.montecarlo as montecarlo
from sim import OUTCOMES, RUNGS, run_monte_carlo
from sim.domain.ladder import LIMITED_WAR, MAJOR_WAR
from sim.domain.scenario import load_scenario, with_overrides
from sim.engine.model import CrisisModel
from sim.runs.montecarlo import run_one_world_at_a_time
from sim.runs.results import wilson_interval

UNIFORM = {"coalition.lambda": 0, "russia.lambda": 0, "us.lambda": 0}


def test_same_seed_same_numbers(coalition):
    first, second = run_monte_carlo(coalition, 5_000, seed=11), run_monte_carlo(coalition, 5_000, seed=11)
    assert first.summary() == second.summary()
    assert np.array_equal(first.outcome, second.outcome)
    for actor in first.payoff:
        assert np.array_equal(first.payoff[actor], second.payoff[actor])


def test_different_seeds_differ(coalition):
    assert not np.array_equal(
        run_monte_carlo(coalition, 5_000, seed=1).outcome, run_monte_carlo(coalition, 5_000, seed=2).outcome
    )


def test_lambda_zero_matches_the_uniform_choice_distribution():
    """With lambda = 0 every actor picks uniformly; the outcome law follows by hand.

    Each round the coalition backs down w.p. 1/3; otherwise Russia backs down, strikes or
    threatens w.p. 1/3 each. After a strike the coalition concedes w.p. 1/2, else the US joins
    w.p. 1/2. So a round ends in CB w.p. 1/3 + 2/3 * 1/3 * 1/2 = 4/9, in RB w.p. 2/9, in a clash
    w.p. 1/9, and goes on w.p. 2/9. A clash becomes a major war w.p. E[q] = 0.1 + 0.2/2 + 0.3/2
    = 0.35 (troops deployed and the US joining each half the time).
    """
    scenario = bare_scenario(**UNIFORM)
    rounds, go_on = scenario.rounds, 2 / 9
    reach = sum(go_on**k for k in range(rounds))
    clash = 1 / 9 * reach
    expected = {
        "deterrence_holds": go_on**rounds,
        "coalition_backs_down": 4 / 9 * reach,
        "russia_backs_down": 2 / 9 * reach,
        "limited_clash": 0.65 * clash,
        "major_war": 0.35 * clash,
    }
    assert sum(expected.values()) == pytest.approx(1.0)
    runs = 200_000
    results = run_monte_carlo(scenario, runs, seed=3)
    observed = np.array([results.outcome_counts()[o] for o in OUTCOMES])
    test = stats.chisquare(observed, np.array([expected[o] for o in OUTCOMES]) * runs)
    assert test.pvalue > 1e-3, (observed / runs, expected)


def test_vectorised_engine_matches_one_world_at_a_time(coalition):
    """The N-world model and N=1 models run in a loop draw from the same outcome distribution."""
    scenario = with_overrides(coalition, {"rounds": 4})
    loop = np.bincount(run_one_world_at_a_time(scenario, 1_500, seed=5), minlength=len(OUTCOMES))
    vectorised = np.bincount(run_monte_carlo(scenario, 30_000, seed=6).outcome, minlength=len(OUTCOMES))
    table = np.array([loop, vectorised])
    table = table[:, table.sum(axis=0) > 0]
    _chi2, pvalue, _, _ = stats.chi2_contingency(table)
    assert pvalue > 1e-3, table


def test_batches_pool_correctly_and_stay_reproducible(monkeypatch, coalition):
    monkeypatch.setattr(montecarlo, "BATCH_WORLDS", 1_000)
    first = run_monte_carlo(coalition, 2_500, seed=4)
    second = run_monte_carlo(coalition, 2_500, seed=4)
    assert first.runs == 2_500
    assert np.array_equal(first.outcome, second.outcome)
    assert np.allclose(first.ladder.sum(axis=1), 1.0)


@pytest.mark.parametrize("name", ["coalition_2026", "divided_coalition", "korea_1953_tripwire"])
def test_every_run_ends_in_exactly_one_consistent_outcome(name):
    results = run_monte_carlo(name, 3_000, seed=9)
    assert np.all((results.outcome >= 0) & (results.outcome < len(OUTCOMES)))
    assert np.all((results.rounds_played >= 1) & (results.rounds_played <= results.scenario.rounds))
    clash = np.isin(results.outcome, [OUTCOMES.index("limited_clash"), OUTCOMES.index("major_war")])
    calm = np.isin(results.outcome, [OUTCOMES.index("deterrence_holds"), OUTCOMES.index("russia_backs_down")])
    assert np.all(results.max_rung[clash] >= LIMITED_WAR)
    assert np.all(results.max_rung[calm] < LIMITED_WAR)  # a coalition that concedes under fire was struck
    assert np.all(results.final_rung[results.outcome == OUTCOMES.index("major_war")] == MAJOR_WAR)
    assert np.all(results.max_rung >= results.final_rung)


def test_summary_schema_and_intervals(coalition):
    summary = run_monte_carlo(coalition, 4_000, seed=2).summary()
    assert set(summary) == {
        "scenario", "scenario_sha256", "version", "runs", "seed", "rounds",
        "outcomes", "mean_rounds", "max_rung", "mean_payoff",
    }  # fmt: skip
    assert set(summary["outcomes"]) == set(OUTCOMES)
    assert sum(entry["p"] for entry in summary["outcomes"].values()) == pytest.approx(1.0)
    for entry in summary["outcomes"].values():
        low, high = entry["ci95"]
        assert 0 <= low <= entry["p"] <= high <= 1
    assert set(summary["max_rung"]) == set(RUNGS)
    assert sum(summary["max_rung"].values()) == pytest.approx(1.0)
    assert set(summary["mean_payoff"]) == {"coalition", "russia", "us"}


def test_wilson_interval_covers_the_truth_about_95_percent_of_the_time():
    """Coverage of the reported interval, checked on a known proportion (binomial test)."""
    from sim.runs.results import wilson_interval

    rng = np.random.default_rng(0)
    truth, trials, repeats = 0.3, 400, 1_000
    hits = sum(
        lo <= truth <= hi for lo, hi in (wilson_interval(rng.binomial(trials, truth), trials) for _ in range(repeats))
    )
    assert stats.binomtest(hits, repeats, 0.95).pvalue > 1e-3


def test_ladder_is_a_distribution_each_round(coalition):
    ladder = run_monte_carlo(coalition, 3_000, seed=8).ladder
    assert np.allclose(ladder.sum(axis=1), 1.0)
    assert ladder.iloc[0][f"rung:{coalition.start_rung}"] == 1.0
    ended = ladder.filter(like="ended:").sum(axis=1)
    assert ended.is_monotonic_increasing and ended.iloc[-1] == pytest.approx(1.0)


def test_data_collector_records_every_round(coalition):
    model = CrisisModel(coalition, n_worlds=500, seed=1).run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.steps, "one row per round played, as Mesa's batch_run expects"
    assert not model.running


def test_last_round_expected_utilities_match_realised_payoffs(coalition):
    """In the last round the look-ahead is exact: what an actor expects from an action is, on
    average, what it gets. Checked per coalition type and action, one round, no members."""
    scenario = with_overrides(coalition, {"rounds": 1, "coalition.members": [], "coalition.min_troops": 0})
    model = CrisisModel(scenario, n_worlds=200_000, seed=21)
    idx = np.arange(model.n_worlds)
    expected = model.equilibrium.solve_at(1, model.states(idx[:1])).coalition_utility[0]  # (type, action)
    model.run()
    coalition = model.actors["coalition"]
    for resolute in (0, 1):
        for action in range(3):
            chosen = (coalition.resolute == resolute) & (coalition.last_action == action)
            if chosen.sum() < 2_000:
                continue
            realised = coalition.payoff[chosen]
            error = 4 * realised.std() / np.sqrt(chosen.sum()) + 1e-9
            assert realised.mean() == pytest.approx(expected[resolute, action], abs=error)


@pytest.mark.parametrize("name", ["coalition_2026", "korea_1953_tripwire"])
def test_simulated_payoffs_average_to_the_equilibrium_value(name):
    """The engine plays the solved equilibrium: each actor's mean realised payoff (flows, costs,
    audience costs, discounted outcomes) matches the value the solver assigns to the start of the
    crisis, averaged over its type. Checked over 8 rounds, within 4 standard errors plus the
    grid's interpolation error (0.3 utils: values move by 0.26 between 9- and 13-point grids,
    docs/explanation/model.md section 7)."""
    from sim.domain.ladder import ACTORS

    scenario = with_overrides(load_scenario(name), {"rounds": 8})
    model = CrisisModel(scenario, n_worlds=200_000, seed=4)
    value = model.equilibrium.value()  # (actor, type)
    model.run()
    for i, key in enumerate(ACTORS):
        prior = scenario.actor(key).resolve_prior
        expected = prior * value[i, 1] + (1 - prior) * value[i, 0]
        realised = model.actors[key].payoff
        error = 4 * realised.std() / np.sqrt(realised.size) + 0.3
        assert realised.mean() == pytest.approx(expected, abs=error), key


def test_model_runs_under_mesa_batch_run(coalition):
    """The one-world baseline of the benchmark: Mesa's own batch runner drives the model."""
    import inspect

    import mesa

    scenario = with_overrides(coalition, {"rounds": 3})
    parameters = {"scenario": [scenario], "n_worlds": 1}
    options = {"number_processes": 1, "max_steps": 3, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        rows = mesa.batch_run(CrisisModel, parameters=parameters, rng=[1, 2, 3], **options)
    else:
        rows = mesa.batch_run(CrisisModel, parameters={**parameters, "seed": [1, 2, 3]}, iterations=1, **options)
    assert len(rows) == 3
    for row in rows:
        assert sum(row[f"ended:{outcome}"] for outcome in OUTCOMES) == pytest.approx(1.0)


def test_seed_and_rng_are_the_same_argument(coalition):
    by_seed = CrisisModel(coalition, n_worlds=100, seed=5).run().outcome
    by_rng = CrisisModel(coalition, n_worlds=100, rng=5).run().outcome
    assert np.array_equal(by_seed, by_rng)
    with pytest.raises(ValueError, match="not both"):
        CrisisModel(coalition, seed=1, rng=1)


def test_finished_models_can_be_freed(coalition):
    """Mesa 3.3 registers every model in a class-level dict; release() lets it go."""
    import gc
    import weakref

    model = CrisisModel(coalition, n_worlds=10, seed=1).run()
    model.release()
    reference = weakref.ref(model)
    del model
    gc.collect()
    assert reference() is None


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**6), st.floats(0, 1), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_the_closed_form_wilson_interval_is_scipys(trials, fraction, confidence):
    """The closed form in sim.runs.results (no scipy.stats on the run path) against scipy's Wilson interval."""
    from scipy.stats import binomtest

    successes = round(fraction * trials)
    expected = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    assert wilson_interval(successes, trials, confidence) == pytest.approx((expected.low, expected.high), abs=1e-12)
