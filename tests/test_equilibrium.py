"""The forward-looking solver (sim/equilibrium.py): Bayes, the grid, foresight, members, accidents."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import run_monte_carlo
from sim.equilibrium import bayes, equilibrium_for, log_bayes, solve_crisis
from sim.ladder import DEPLOY, LIMITED_WAR
from sim.scenario import load_scenario, with_overrides

unit = st.floats(0.0, 1.0)
positive = st.floats(1e-6, 1.0)


@given(unit, positive, positive)
def test_bayes_from_log_probabilities_is_bayes(prior, resolute, not_resolute):
    plain = bayes(np.array([prior]), np.array([resolute]), np.array([not_resolute]))[0]
    logged = log_bayes(np.array([prior]), np.log([resolute]), np.log([not_resolute]))[0]
    assert logged == pytest.approx(plain, abs=1e-12)
    assert 0.0 <= plain <= 1.0


def test_the_last_round_does_not_depend_on_the_grid():
    """With one round nothing is interpolated: the solution at the start is the same on any grid."""
    scenario = load_scenario("coalition_2026", {"rounds": 1})
    coarse, fine = solve_crisis(scenario, 3), solve_crisis(scenario, 9)
    a = coarse.solve_at(1, coarse.initial_state())
    b = fine.solve_at(1, fine.initial_state())
    for name in ("coalition", "russia", "us", "resist", "join", "values"):
        assert np.allclose(getattr(a, name), getattr(b, name), atol=1e-7), name


def test_refining_the_grid_converges():
    """Interpolation error (docs/model.md, "Numerical error"): the start of a 6-round crisis on
    5-, 9- and 17-point belief grids. First-round policies move by less than 0.1 between grids,
    and the values move less between the finer pair than between the coarser one."""
    scenario = load_scenario("coalition_2026", {"rounds": 6})
    starts = []
    for points in (5, 9, 17):
        equilibrium = solve_crisis(scenario, points)
        starts.append(equilibrium.solve_at(1, equilibrium.initial_state()))
    for a, b in itertools.pairwise(starts):
        for name in ("coalition", "russia", "us"):
            assert np.abs(getattr(a, name) - getattr(b, name)).max() < 0.1, name
    coarse = np.abs(starts[0].values - starts[1].values).max()
    fine = np.abs(starts[1].values - starts[2].values).max()
    assert fine < coarse


def test_myopic_actors_value_the_future_as_the_status_quo():
    """foresight = "myopic": round one of a long crisis is played as if it were the last round."""
    myopic = {f"{key}.foresight": "myopic" for key in ("coalition", "russia", "us")}
    long = equilibrium_for(load_scenario("coalition_2026", {**myopic, "rounds": 6}))
    one = equilibrium_for(load_scenario("coalition_2026", {**myopic, "rounds": 1}))
    a, b = long.solve_at(1, long.initial_state()), one.solve_at(1, one.initial_state())
    assert np.allclose(a.coalition, b.coalition, atol=1e-7)
    assert np.allclose(a.russia, b.russia, atol=1e-7)
    forward = equilibrium_for(load_scenario("coalition_2026", {"rounds": 6}))
    c = forward.solve_at(1, forward.initial_state())
    assert np.abs(c.coalition - a.coalition).max() > 0.02, "looking ahead must change the first move"


def test_members_answer_russian_threats_not_noise():
    """divided_coalition splits because Russia may strike. Take the threat away (a coalition sure to
    resist and a clash Russia finds unthinkable, war payoffs -100) and members stay, even at a high
    lambda: they leave because of Russia's equilibrium strike risk, not because of logit noise."""
    no_threat = {
        "russia.payoffs.limited_clash": -100,
        "russia.payoffs.major_war": -100,
        "coalition.resolve_prior": 1.0,
        "rounds": 6,
    }
    base = run_monte_carlo(load_scenario("divided_coalition", {"rounds": 6}), 10_000, seed=2)
    calm = run_monte_carlo(load_scenario("divided_coalition", no_threat), 10_000, seed=2)
    assert base.force_collapsed.mean() > 0.2
    # At the scenario's lambda (1.5), members whose exit costs little (0.3, 0.5) are nearly
    # indifferent once the risk is gone, and some step back by chance; with sharp choice none do.
    assert calm.force_collapsed.mean() < base.force_collapsed.mean()
    sharp = run_monte_carlo(load_scenario("divided_coalition", {**no_threat, "coalition.lambda": 20}), 10_000, seed=2)
    assert sharp.force_collapsed.mean() < 0.05


def test_accident_risk_depends_on_both_sides_postures():
    """The accident chance of a continuing round depends on the coalition's posture (troops or
    not, facing Russia's forces on alert) and on the US's (aircraft near them while pledged)."""
    from sim.equilibrium import RoundGame

    scenario = load_scenario("coalition_2026", {"accident.backstop": 0.02})
    game = RoundGame(scenario)
    assert game.a1[0] == scenario.accident.standoff and game.a1[1] == scenario.accident.declared_intent
    # In the engine: a US that always pledges (a doctrine) brings incidents, and clashes, with it.
    quiet = {
        "accident.declared_intent": 0,
        "accident.standoff": 0,
        "accident.backstop": 0,
        "accident.incident": 1.0,
        "rounds": 6,
    }
    pledging = {
        **quiet,
        "us.rule": "doctrine",
        "us.doctrine": {"opening": "deploy", "responses": {"threaten": "deploy"}},
    }
    scenario = load_scenario("coalition_2026", pledging)
    none = run_monte_carlo(scenario, 10_000, seed=3)
    risky = run_monte_carlo(with_overrides(scenario, {"accident.backstop": 0.2}), 10_000, seed=3)
    assert (none.max_rung == 4).mean() == 0.0  # no incident without the US's patrols
    assert (risky.max_rung >= 4).mean() > (none.max_rung >= 4).mean() + 0.05


def test_the_solver_converges_on_short_horizons():
    """The fixed-point residual (docs/model.md section 7): below 1e-6 at all but a few grid states
    (where a move's value swings hard with the belief it creates, the largest residual is reported
    in ``CrisisEquilibrium.residual``, not bounded here)."""
    for name in ("coalition_2026", "korea_1953_tripwire", "us_backstop", "classroom_chicken"):
        equilibrium = equilibrium_for(load_scenario(name, {"rounds": 3}))
        for solution in equilibrium.rounds:
            assert np.mean(solution.state_residual > 1e-6) < 0.02, name


def test_a_resolute_coalition_is_struck_less_in_round_one():
    """The mechanism under the believed-resolve static: Russia's first-round chance of striking
    deployed troops falls as its belief that the coalition is resolute rises."""
    from sim.equilibrium import States

    equilibrium = equilibrium_for(load_scenario("coalition_2026", {"rounds": 6}))
    strike = []
    for belief in (0.1, 0.5, 0.9):
        state = States(np.array([[belief, 0.5, 0.2]]), np.zeros(1, np.int8), np.zeros(1, np.int8))
        russia = equilibrium.solve_at(1, state).russia[0, DEPLOY]  # (type, action)
        strike.append(0.5 * russia[0, DEPLOY] + 0.5 * russia[1, DEPLOY])
    assert strike[0] > strike[1] > strike[2]


def test_struck_crises_reach_the_war_rung():
    results = run_monte_carlo(load_scenario("coalition_2026", {"rounds": 4}), 5_000, seed=1)
    struck = results.max_rung >= LIMITED_WAR
    assert struck.any() and (~struck).any()
