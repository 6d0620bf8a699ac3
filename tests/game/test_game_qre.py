"""Logit QRE: closed forms, path continuation, game trees (agent QRE), and properties on random games."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from strategies import SMALL_PAYOFF, SMALL_SHAPES, Information, game_trees, generic_games

from sim.game.normal import NormalFormGame
from sim.game.qre import (
    Homotopy,
    NormalAgentForm,
    QREResult,
    Settings,
    TreeAgentForm,
    agent_form,
    logit_backward_induction,
    logit_qre,
    qre_path,
    qre_residual,
)
from sim.game.tree import ExtensiveFormGame, Node

T, D = Node.terminal, Node.decision


def bimatrix(row, column) -> NormalFormGame:
    return NormalFormGame.from_arrays(np.array(row, dtype=float), np.array(column, dtype=float))


ASYMMETRIC_PENNIES = bimatrix([[9, 0], [0, 1]], [[0, 1], [1, 0]])  # Nash: row (1/2, 1/2), column (1/10, 9/10)

# A 2x2x2 game whose principal branch bends back in lam (found by scanning random integer games).
FOLDING = NormalFormGame(
    ("a", "b", "c"),
    (("1", "2"),) * 3,
    np.array(
        [
            [[[4, -5], [1, -1]], [[0, 4], [3, -4]]],
            [[[0, -5], [-4, 0]], [[-1, -1], [0, -1]]],
            [[[-4, -3], [-4, 2]], [[3, 4], [2, -1]]],
        ],
        dtype=float,
    ),
)


def perfect_information_tree() -> ExtensiveFormGame:
    """Chance picks one of two short games of alternating moves."""
    a = D(0, {"L": T((1, 0)), "R": D(1, {"l": T((0, 2)), "r": D(0, {"x": T((3, 1)), "y": T((2, 3))})})})
    b = D(1, {"a": T((1, 1)), "b": D(0, {"c": T((0, 0)), "d": T((2, -1))})})
    return ExtensiveFormGame(("P0", "P1"), Node.chance([("A", 0.3, a), ("B", 0.7, b)]))


def beer_quiche(p_strong: float = 0.9) -> ExtensiveFormGame:
    """Cho and Kreps' signalling game: the sender's type is chance's move; the receiver sees only
    the breakfast (two information sets with a node per type)."""

    def receiver(breakfast: str, strong: bool, preferred: bool):
        bonus = 1.0 if preferred else 0.0
        return D(
            1,
            {"duel": T((bonus, 0.0 if strong else 1.0)), "walk": T((bonus + 2, 1.0 if strong else 0.0))},
            infoset=breakfast,
        )

    def sender(kind: str, strong: bool):
        return D(
            0,
            {"beer": receiver("beer", strong, strong), "quiche": receiver("quiche", strong, not strong)},
            infoset=kind,
        )

    root = Node.chance([("strong", p_strong, sender("strong", True)), ("weak", 1 - p_strong, sender("weak", False))])
    return ExtensiveFormGame(("Sender", "Receiver"), root)


def shadowed_game() -> ExtensiveFormGame:
    """Three moves (P0, then P1 blind to it, then P0 again) played after a chance move, once on a
    branch of probability 1 and once on a branch of probability 0 sharing the information sets:
    the second copy's nodes have reach 0 (log reach -inf) three levels down."""

    def moves(scale: float) -> Node:
        def last(first: str, second: str) -> Node:
            base = {"L": 1.0, "R": -1.0}[first] * {"l": 1.0, "r": 2.0}[second]
            return D(0, {"x": T((scale * base, -base)), "y": T((-scale * base, 2 * base))}, infoset=f"again {first}")

        def blind(first: str) -> Node:
            return D(1, {"l": last(first, "l"), "r": last(first, "r")}, infoset="blind")

        return D(0, {"L": blind("L"), "R": blind("R")}, infoset="first")

    return ExtensiveFormGame(("P0", "P1"), Node.chance([("real", 1.0, moves(1.0)), ("never", 0.0, moves(3.0))]))


def simultaneous_tree(game: NormalFormGame) -> ExtensiveFormGame:
    """A 2-player normal form as a tree: the second mover cannot see the first move."""
    A, B = game.payoffs
    rows, columns = game.strategies
    second = {
        r: D(1, {c: T((A[i, j], B[i, j])) for j, c in enumerate(columns)}, infoset="column") for i, r in enumerate(rows)
    }
    return ExtensiveFormGame(game.players, D(0, second, infoset="row"))


def fixed_point_error(result: QREResult, values) -> float:
    return max(float(np.abs(p - softmax(result.lam * v)).max()) for p, v in zip(result.profile, values))


# ---------------------------------------------------------------------------------- normal forms


def test_agent_values_of_a_normal_form_are_strategy_values():
    form = NormalAgentForm(FOLDING)
    profile = [np.array([0.2, 0.8]), np.array([0.7, 0.3]), np.array([0.4, 0.6])]
    for mine, theirs in zip(form.values(profile), FOLDING.strategy_values(profile)):
        np.testing.assert_allclose(mine, theirs)


def test_lam_zero_is_uniform_and_symmetric_pennies_stay_uniform():
    pennies = bimatrix([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])
    for lam in (0.0, 0.7, 30.0):
        for p in logit_qre(pennies, lam).profile:
            np.testing.assert_allclose(p, [0.5, 0.5], atol=1e-10)


def test_asymmetric_pennies_approach_nash_from_the_own_payoff_side():
    """McKelvey and Palfrey (1995): raising the row player's payoff in one cell makes the row
    player favour that row at every finite lam, while the column player moves towards its Nash mix
    (1/10 on the left); both converge to the Nash equilibrium as lam grows."""
    previous_row, previous_column = None, 0.5
    for lam in (0.5, 2.0, 5.0, 20.0, 100.0, 1000.0):
        row, column = logit_qre(ASYMMETRIC_PENNIES, lam).profile
        assert row[0] > 0.5 and 0.1 < column[0] < previous_column
        if lam >= 2.0:  # past the row player's peak, its lean towards the rich row shrinks
            assert previous_row is None or row[0] < previous_row
            previous_row = row[0]
        previous_column = column[0]
    np.testing.assert_allclose(row, [0.5, 0.5], atol=2e-3)
    np.testing.assert_allclose(column, [0.1, 0.9], atol=1e-4)


def test_chicken_qre_converges_to_the_mixed_equilibrium():
    chicken = bimatrix([[0, -1], [1, -10]], [[0, 1], [-1, -10]])
    for p in logit_qre(chicken, 1000.0).profile:
        np.testing.assert_allclose(p, [0.9, 0.1], atol=1e-3)


def test_large_lam_does_not_overflow_and_reaches_strict_equilibrium():
    dilemma = bimatrix([[-1, -3], [0, -2]], [[-1, 0], [-3, -2]])
    result = logit_qre(dilemma, 1000.0)
    for p, logs in zip(result.profile, result.log_profile):
        assert np.all(np.isfinite(logs)) and p[1] == pytest.approx(1.0)
        assert logs[0] == pytest.approx(-1000.0, rel=1e-9)  # defection gains exactly 1 against either move
    assert qre_residual(dilemma, result) < 1e-12


def test_path_bends_back_and_stays_continuous():
    path = qre_path(FOLDING, 20.0, max_prob_step=0.05)
    lams = np.array([point.lam for point in path])
    assert lams[0] == 0.0 and lams[-1] == 20.0
    assert np.any(np.diff(lams) < 0), "this game's principal branch has a fold"
    for before, after in itertools.pairwise(path):
        assert max(np.abs(p - q).max() for p, q in zip(before.profile, after.profile)) <= 0.05 + 1e-9
    form = agent_form(FOLDING)
    for point in path:
        assert qre_residual(FOLDING, QREResult(point.lam, point.profile, form.agents)) < 1e-8


def test_logit_qre_returns_the_first_crossing_of_a_folded_branch():
    """At lam = 0.8 the branch passes three times; the first passage is the one reached from lam = 0
    without turning."""
    result = logit_qre(FOLDING, 0.8)
    first = [np.array([0.368, 0.632]), np.array([0.3469, 0.6531]), np.array([0.3916, 0.6084])]
    for p, q in zip(result.profile, first):
        np.testing.assert_allclose(p, q, atol=1e-3)
    assert qre_residual(FOLDING, result) < 1e-10


def test_a_finer_path_lands_on_the_same_branch():
    coarse = logit_qre(FOLDING, 50.0)
    fine = logit_qre(FOLDING, 50.0, settings=Settings(max_prob_step=0.01, target_angle=0.01, max_angle=0.03))
    for p, q in zip(coarse.profile, fine.profile):
        np.testing.assert_allclose(p, q, atol=1e-9)


def test_negative_lam_is_rejected():
    with pytest.raises(ValueError):
        logit_qre(ASYMMETRIC_PENNIES, -1.0)


# ---------------------------------------------------------------------------------- trees


def test_agent_qre_of_a_perfect_information_tree_is_logit_backward_induction():
    tree = perfect_information_tree()
    for lam in (0.3, 2.0, 15.0, 1000.0):
        homotopy = logit_qre(tree, lam)
        backward = logit_backward_induction(tree, lam)
        assert [a.key for a in homotopy.agents] == [a.key for a in backward.agents]
        for p, q in zip(homotopy.profile, backward.profile):
            np.testing.assert_allclose(p, q, atol=1e-9)
        assert qre_residual(tree, homotopy) < 1e-9
    auto = logit_qre(tree, 2.0, method="auto")  # picks backward induction for perfect information
    for p, q in zip(auto.profile, logit_backward_induction(tree, 2.0).profile):
        np.testing.assert_array_equal(p, q)


def test_signalling_game_fixed_point_equations_hold():
    game = beer_quiche()
    form = TreeAgentForm(game)
    assert [(a.player, a.key) for a in form.agents] == [(0, "strong"), (1, "beer"), (1, "quiche"), (0, "weak")]
    for lam in (0.5, 3.0, 12.0, 1000.0):
        result = logit_qre(game, lam)
        assert qre_residual(game, result) < 1e-8
        if lam < 100:  # below that, probabilities are representable and the plain check agrees
            assert fixed_point_error(result, form.values(result.profile)) < 1e-8
        for p in result.profile:
            assert np.all(p > 0) or lam > 100
            assert p.sum() == pytest.approx(1.0)
    grouped = result.by_player()
    assert len(grouped[0]) == 2 and len(grouped[1]) == 2
    assert np.isfinite(game.behaviour_value(result.behaviour())).all()


def test_tree_action_values_match_expected_payoff_differences():
    """v(h, a) - v(h, b) = (E[u | h plays a] - E[u | h plays b]) / P(h is reached), from behaviour_value."""
    game = beer_quiche(0.6)
    form = TreeAgentForm(game)
    rng = np.random.default_rng(3)
    behaviour = [rng.dirichlet(np.ones(len(agent.actions))) for agent in form.agents]
    values = form.values(behaviour)
    sender = {"strong": 0.6, "weak": 0.4}
    reach = {"strong": 0.6, "weak": 0.4}
    reach["beer"] = sum(sender[t] * behaviour[k][0] for t, k in (("strong", 0), ("weak", 3)))
    reach["quiche"] = sum(sender[t] * behaviour[k][1] for t, k in (("strong", 0), ("weak", 3)))
    for h, agent in enumerate(form.agents):
        payoffs = []
        for a in range(2):
            changed = {(ag.player, ag.key): p for ag, p in zip(form.agents, behaviour)}
            changed[(agent.player, agent.key)] = np.eye(2)[a]
            payoffs.append(game.behaviour_value(changed)[agent.player])
        assert values[h][0] - values[h][1] == pytest.approx((payoffs[0] - payoffs[1]) / reach[agent.key])


def test_zero_probability_chance_branches_weight_nodes_equally():
    game = beer_quiche(1.0)  # the weak type never occurs
    form = TreeAgentForm(game)
    behaviour = [np.array([0.3, 0.7])] * 4
    values = dict(zip((a.key for a in form.agents), form.values(behaviour)))
    np.testing.assert_allclose(values["weak"], [0.3 * 0 + 0.7 * 2, 1 + 0.7 * 2])  # its only node, weight 1
    np.testing.assert_allclose(values["beer"], [0.0, 1.0])  # only the strong node is reachable
    result = logit_qre(game, 5.0)
    assert qre_residual(game, result) < 1e-10
    shadowed = shadowed_game()
    assert qre_residual(shadowed, logit_qre(shadowed, 30.0)) < 1e-9


def test_two_copies_of_a_subtree_are_two_places_in_the_tree():
    def follower() -> Node:
        return D(1, {"l": T((1, 0)), "r": T((0, 1))})  # unnamed: one information set per place

    tree = ExtensiveFormGame(("a", "b"), D(0, {"L": follower(), "R": follower()}))
    form = TreeAgentForm(tree)
    assert [a.key for a in form.agents] == [i.key for i in tree.infosets()] == ["#0", "#1", "#4"]
    root, *_ = form.values([np.array([0.5, 0.5]), np.array([1.0, 0.0]), np.array([0.0, 1.0])])
    np.testing.assert_allclose(root, [1.0, 0.0])  # after L the follower plays l, after R it plays r


def test_one_infoset_per_player_tree_has_the_normal_form_qre():
    tree = simultaneous_tree(ASYMMETRIC_PENNIES)
    for lam in (0.5, 4.0, 60.0):
        for p, q in zip(logit_qre(tree, lam).profile, logit_qre(ASYMMETRIC_PENNIES, lam).profile):
            np.testing.assert_allclose(p, q, atol=1e-9)


@pytest.mark.parametrize(
    "game",
    [FOLDING, perfect_information_tree(), beer_quiche(0.7), beer_quiche(1.0), shadowed_game()],
    ids=["normal form", "perfect information", "signalling", "zero-probability chance", "deep zero reach"],
)
def test_complex_step_jacobian_matches_finite_differences(game):
    """The continuation's Jacobian dv/dx (complex step) against central differences, including
    below a zero-probability chance branch, where reach is -inf in logs."""
    form = agent_form(game)
    rng = np.random.default_rng(7)
    x = np.log(np.concatenate([rng.dirichlet(np.ones(size)) for size in form.sizes]))
    exact = Homotopy(form).value_derivatives(x)
    step = 1e-6
    differences = [
        (form.flat_values(x + step * e) - form.flat_values(x - step * e)) / (2 * step) for e in np.eye(len(x))
    ]
    np.testing.assert_allclose(exact, np.column_stack(differences), atol=1e-7)


def test_backward_induction_needs_perfect_information():
    with pytest.raises(ValueError):
        logit_backward_induction(beer_quiche(), 1.0)


# ---------------------------------------------------------------------------------- properties


games = generic_games(SMALL_SHAPES)


@settings(max_examples=40, deadline=None)
@given(games)
def test_qre_is_interior_normalised_and_solves_the_fixed_point(game):
    assert all(np.allclose(p, 1 / len(p)) for p in logit_qre(game, 0.0).profile)
    for lam in (0.5, 5.0):
        result = logit_qre(game, lam)
        assert all(np.all(p > 0) and p.sum() == pytest.approx(1.0, abs=1e-12) for p in result.profile)
        assert fixed_point_error(result, game.strategy_values(result.profile)) < 1e-8


@settings(max_examples=30, deadline=None)
@given(games)
def test_regret_vanishes_as_lam_grows(game):
    """A logit response loses at most log(m) / lam against the best reply (entropy bound)."""
    low, high = game.regret(logit_qre(game, 1.0).profile), game.regret(logit_qre(game, 200.0).profile)
    bound = np.log(max(game.shape)) / 200.0
    assert high <= bound + 1e-12
    if low > bound:
        assert high < low


@settings(max_examples=30, deadline=None)
@given(games, st.floats(0.2, 5.0), st.lists(st.floats(-10, 10), min_size=3, max_size=3), st.floats(0.5, 10.0))
def test_common_rescaling_with_lam_divided_keeps_the_qre(game, scale, shifts, lam):
    """Shifting any player's payoffs changes nothing; multiplying all of them by a > 0 is undone by lam / a.
    (Rescaling one player only would change its responsiveness relative to the others.)"""
    offsets = np.array(shifts[: game.n_players]).reshape(-1, *[1] * game.n_players)
    transformed = NormalFormGame.from_arrays(*(scale * game.payoffs + offsets))
    for p, q in zip(logit_qre(game, lam).profile, logit_qre(transformed, lam / scale).profile):
        np.testing.assert_allclose(p, q, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(games)
def test_path_is_continuous_and_every_point_is_a_qre(game):
    path = qre_path(game, 30.0, max_prob_step=0.1)
    form = agent_form(game)
    assert path[0].lam == 0.0 and path[-1].lam == 30.0
    for before, after in itertools.pairwise(path):
        assert max(np.abs(p - q).max() for p, q in zip(before.profile, after.profile)) <= 0.1 + 1e-9
    for point in path[:: max(1, len(path) // 5)]:
        assert qre_residual(game, QREResult(point.lam, point.profile, form.agents)) < 1e-8


def qre_trees(information: Information) -> st.SearchStrategy[ExtensiveFormGame]:
    """Two or three players, four levels of moves (no end in the first two), two or three actions
    at each node, payoffs on the solvers' scale."""
    return game_trees(
        players=st.integers(2, 3),
        depth=st.just(4),
        min_depth=2,
        actions=st.integers(2, 3),
        payoffs=SMALL_PAYOFF,
        information=information,
    )


@settings(max_examples=25, deadline=None)
@given(qre_trees("recall"), st.sampled_from([0.5, 4.0, 40.0]))
def test_agent_qre_of_random_trees_solves_the_fixed_point(tree, lam):
    assert qre_residual(tree, logit_qre(tree, lam)) < 1e-8


@settings(max_examples=25, deadline=None)
@given(qre_trees("perfect"), st.sampled_from([0.5, 4.0, 40.0]))
def test_agent_qre_of_random_perfect_information_trees_is_backward_induction(tree, lam):
    for p, q in zip(logit_qre(tree, lam).profile, logit_backward_induction(tree, lam).profile):
        np.testing.assert_allclose(p, q, atol=1e-9)


def test_a_one_player_normal_form_is_a_softmax_of_its_payoffs():
    """One player has no one to average over: its QRE at lam is softmax(lam * payoffs), by hand
    (a crash in the agent form's einsum until it was special-cased)."""
    from sim.game.normal import NormalFormGame
    from sim.game.qre import logit_qre

    payoffs = np.array([1.0, 0.0, 2.0])
    game = NormalFormGame(("alone",), (("x", "y", "z"),), payoffs[None, :])
    for lam in (0.0, 0.7, 3.0):
        expected = np.exp(lam * payoffs) / np.exp(lam * payoffs).sum()
        assert logit_qre(game, lam).profile[0] == pytest.approx(expected, abs=1e-8)
