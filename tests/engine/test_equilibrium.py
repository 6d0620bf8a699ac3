"""The forward-looking solver (sim/engine/equilibrium/): Bayes, the grid, foresight, members, accidents."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import run_monte_carlo
from sim.domain.ladder import DEPLOY, LIMITED_WAR
from sim.domain.scenario import load_scenario, with_overrides
from sim.engine.equilibrium import bayes, equilibrium_for, log_bayes, solve_crisis

unit = st.floats(0.0, 1.0)
positive = st.floats(1e-6, 1.0)


@given(unit, positive, positive)
def test_bayes_from_log_probabilities_is_bayes(prior, resolute, not_resolute):
    plain = bayes(np.array([prior]), np.array([resolute]), np.array([not_resolute]))[0]
    logged = log_bayes(np.array([prior]), np.log([resolute]), np.log([not_resolute]))[0]
    assert logged == pytest.approx(plain, abs=1e-12)
    assert 0.0 <= plain <= 1.0


def test_the_last_round_does_not_depend_on_the_grid():
    """With one round nothing is interpolated: the solution at the start is the same solved cold
    (no grid round exists yet: homotopy at the one state) and warm-started from a 3- or 9-point
    grid solution of the round."""
    scenario = load_scenario("coalition_2026", {"rounds": 1})
    for points in (3, 9):
        equilibrium = solve_crisis(scenario, points)
        cold = equilibrium.solve_at(1, equilibrium.initial_state())
        equilibrium.grid_round(1)
        warm = equilibrium.solve_at(1, equilibrium.initial_state())
        for name in ("coalition", "russia", "us", "resist", "join", "values"):
            assert np.allclose(getattr(cold, name), getattr(warm, name), atol=1e-7), (points, name)


def test_round_one_is_solved_where_it_is_played_and_on_the_grid_on_demand():
    """Round 1 is played at the prior beliefs only, so the solve leaves its grid round for later;
    asking for the grid (``rounds``, ``features``) solves it, as a fixed point. The start is solved
    from round 2's posteriors either way, so it is the same to the last bit whether or not round 1's
    grid was solved before (a grid shared by scenarios may have been solved for another)."""
    scenario = load_scenario("korea_1953_tripwire", {"rounds": 4})
    equilibrium = solve_crisis(scenario, 5)
    assert equilibrium.solved[0] is None and all(solution is not None for solution in equilibrium.solved[1:])
    start = equilibrium.solve_at(1, equilibrium.initial_state())
    assert equilibrium.solved[0] is None  # solving the start does not need the grid
    first = equilibrium.rounds[0]
    assert equilibrium.solved[0] is first and first.values.shape[0] == 4 * 5**3
    assert first.residual < 1e-6
    again = equilibrium.solve_at(1, equilibrium.initial_state())
    for name in ("coalition", "russia", "us", "values"):
        assert np.array_equal(getattr(start, name), getattr(again, name)), name
    assert equilibrium.features(1).shape[0] == 4 * 5**3


def test_refining_the_grid_converges():
    """Interpolation error (docs/explanation/model.md, "Numerical error"): the start of a 6-round crisis on
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
    """divided_coalition's members weigh Russia's equilibrium strike risk. Take the threat away (a
    coalition sure to resist and a clash Russia finds unthinkable, war payoffs -100) and the chance
    the force collapses in a round falls; with sharp choice (lambda 20) nobody leaves at all.

    The comparison is per round, at the first round's public state: over a whole crisis the calm
    one lasts longer (nobody strikes or backs down), so members have more rounds in which to step
    back by chance, and the cumulative collapse rates are not comparable.
    """
    no_threat = {
        "russia.payoffs.limited_clash": -100,
        "russia.payoffs.major_war": -100,
        "coalition.resolve_prior": 1.0,
        "rounds": 6,
    }

    def first_round(overrides: dict) -> float:
        eq = equilibrium_for(load_scenario("divided_coalition", overrides))
        return float(eq.solve_at(1, eq.initial_state()).collapse[0])

    base, calm = first_round({"rounds": 6}), first_round(no_threat)
    # At the scenario's lambda (1.5), members whose exit costs little (0.3, 0.5) are nearly
    # indifferent once the risk is gone, and some step back by chance: most of the hazard is noise,
    # and the threat adds to it (0.116 against 0.102 when measured).
    assert base > calm + 0.005
    assert first_round({**no_threat, "coalition.lambda": 20}) < 1e-4
    sharp = run_monte_carlo(load_scenario("divided_coalition", {**no_threat, "coalition.lambda": 20}), 10_000, seed=2)
    assert sharp.force_collapsed.mean() < 0.05
    base_run = run_monte_carlo(load_scenario("divided_coalition", {"rounds": 6}), 10_000, seed=2)
    assert base_run.force_collapsed.mean() > 0.2


def test_accident_risk_depends_on_both_sides_postures():
    """The accident chance of a continuing round depends on the coalition's posture (troops or
    not, facing Russia's forces on alert) and on the US's (aircraft near them while pledged)."""
    from sim.engine.equilibrium import RoundGame

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
    """The fixed-point residual (docs/explanation/model.md section 7): below 1e-6 at all but a few grid states
    (where a move's value swings hard with the belief it creates, the largest residual is reported
    in ``CrisisEquilibrium.residual``, not bounded here)."""
    for name in ("coalition_2026", "korea_1953_tripwire", "us_backstop", "classroom_chicken"):
        equilibrium = equilibrium_for(load_scenario(name, {"rounds": 3}))
        for solution in equilibrium.rounds:
            assert np.mean(solution.state_residual > 1e-6) < 0.02, name


def test_a_resolute_coalition_is_struck_less_in_round_one():
    """The mechanism under the believed-resolve static: Russia's first-round chance of striking
    deployed troops falls as its belief that the coalition is resolute rises."""
    from sim.engine.equilibrium import States

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


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("coalition_2026", {"rounds": 3}),
        ("korea_1953_tripwire", {"rounds": 3}),
        ("classroom_chicken", {"rounds": 3}),  # the US follows a doctrine: fixed one-hot policies
        ("divided_coalition", {"rounds": 2, "russia.foresight": "myopic", "coalition.rule": "best_response"}),
    ],
)
def test_the_compiled_fixed_point_map_matches_the_numpy_reference(monkeypatch, name, overrides):
    """The solver iterates the compiled map (``_damped_kernel`` and ``_posterior_kernel``); the
    numpy pass ``_backward`` is its reference. At every fixed point of a real solve (every round,
    homotopy step and retry), both maps give the same posteriors where the iteration starts and
    where it ends."""
    from sim.engine.equilibrium import RoundGame

    solve = RoundGame._fixed_point
    worst = []

    def compare(self, sub, continuation, posteriors, lam, audience):
        n = len(sub["incident"])
        fast = self._posterior_map(sub, continuation, posteriors, lam, audience)
        reference = self._backward(1, sub, continuation, posteriors, lam, audience)["posteriors"]
        reference = np.concatenate([p.reshape(n, -1) for p in reference], axis=1)
        worst.append(float(np.abs(fast - reference).max()))

    def both(self, round_number, sub, continuation, posteriors, lam, audience):
        compare(self, sub, continuation, posteriors, lam, audience)
        residual = solve(self, round_number, sub, continuation, posteriors, lam, audience)
        compare(self, sub, continuation, posteriors, lam, audience)
        return residual

    monkeypatch.setattr(RoundGame, "_fixed_point", both)
    solve_crisis(load_scenario(name, overrides), 5)
    assert len(worst) >= 4 and max(worst) < 1e-12


@pytest.mark.parametrize("name", ["coalition_2026", "korea_1953_tripwire", "classroom_chicken"])
def test_the_compiled_solver_reaches_the_numpy_solvers_equilibrium(name):
    """The whole solve with the compiled kernels and with the numpy reference loop: the same
    values and posteriors at every grid state of every round, to within what the fixed point's
    tolerance (1e-8 on the posteriors) leaves open. The two take the same steps but not bit for
    bit (the compiled Bayes' rule takes the plain ratio where it can, its Levenberg-Marquardt
    step another LAPACK), so a tighter bound would test rounding, not the solver."""
    scenario = load_scenario(name, {"rounds": 3})
    fast, reference = solve_crisis(scenario, 5), solve_crisis(scenario, 5, compiled=False)
    for a, b in zip(fast.rounds, reference.rounds):
        assert np.abs(a.values - b.values).max() < 1e-7
        assert max(np.abs(p - q).max() for p, q in zip(a.posteriors, b.posteriors)) < 1e-7


def test_the_solution_does_not_depend_on_the_solver_threads(monkeypatch):
    """The damped iteration splits the grid states over threads; the states are independent, so
    one thread and three give the same numbers, bit for bit."""
    import sim.engine.equilibrium.threads as threads_module

    scenario = load_scenario("us_backstop", {"rounds": 2})
    solutions = []
    for threads in (1, 3):
        monkeypatch.setattr(threads_module, "SOLVER_THREADS", threads)
        monkeypatch.setattr(threads_module, "_POOL", None)
        solutions.append(solve_crisis(scenario, 7))
    for a, b in zip(*(solution.rounds for solution in solutions)):
        assert np.array_equal(a.values, b.values) and np.array_equal(a.russia, b.russia)


@given(
    risk=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
    members=st.lists(
        st.tuples(
            st.floats(0.5, 10.0), st.floats(0.0, 1.0), st.floats(0.0, 20.0), st.floats(0.0, 5.0), st.floats(-2, 2)
        ),
        min_size=1,
        max_size=5,
    ),
    lam=st.floats(0.1, 20.0),
)
def test_the_cohesion_game_is_a_fixed_point_and_collapse_sums_the_failing_subsets(risk, members, lam):
    """Independent check of the compiled cohesion game: every member's stay chance answers the
    others' (its logit best reply to the diluted risk), and the collapse chance is the total
    probability of the subsets of members whose troops fall below the threshold."""
    from sim.engine.equilibrium import RoundGame

    troops = np.array([m[0] for m in members])
    threshold = 0.6 * troops.sum()
    table = [
        {
            "name": f"m{k}",
            "troops": m[0],
            "resolve_prior": m[1],
            "war_cost": m[2],
            "exit_cost": m[3],
            "mission_value": m[4],
        }
        for k, m in enumerate(members)
    ]
    scenario = with_overrides(
        load_scenario("coalition_2026"),
        {"coalition.members": table, "coalition.min_troops": threshold, "coalition.lambda": lam},
    )
    game = RoundGame(scenario)
    strike = np.array(risk)
    pi, collapse = game.cohesion(strike)
    for s, r in enumerate(strike):
        for k, (size, resolve, war_cost, exit_cost, value) in enumerate(members):
            others = (pi[s] * troops).sum() - pi[s, k] * size
            stay = value - r * war_cost * troops.sum() / (size + others)
            with np.errstate(over="ignore"):  # exp overflows to inf for a sure leaver: the reply is then 0
                best_reply = resolve + (1 - resolve) / (1 + np.exp(lam * (-exit_cost - stay)))
            assert abs(pi[s, k] - best_reply) < 1e-6
        expected = 0.0
        for inside in itertools.product((0, 1), repeat=len(members)):
            if np.dot(inside, troops) < threshold:
                expected += np.prod([pi[s, k] if i else 1 - pi[s, k] for k, i in enumerate(inside)])
        assert collapse[s] == pytest.approx(expected, abs=1e-12)
