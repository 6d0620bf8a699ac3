"""Nash equilibria: textbook games with closed forms, degenerate games, and properties on random games."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import BIMATRIX, INTEGER_PAYOFF, generic_games, normal_forms

from sim.game.nash import nash_equilibria, pure_nash, support_enumeration
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, Node

try:
    import pygambit  # noqa: F401

    HAS_PYGAMBIT = True
except ImportError:
    HAS_PYGAMBIT = False


def bimatrix(row, column) -> NormalFormGame:
    return NormalFormGame.from_arrays(np.array(row, dtype=float), np.array(column, dtype=float))


def as_lists(equilibria) -> list[list[list[float]]]:
    return [[p.tolist() for p in eq.profile] for eq in equilibria]


def assert_profiles(equilibria, expected) -> None:
    assert len(equilibria) == len(expected)
    for eq, profile in zip(equilibria, expected):
        for p, q in zip(eq.profile, profile):
            np.testing.assert_allclose(p, q, atol=1e-12)


def brute_force_pure(game: NormalFormGame) -> list[tuple[int, ...]]:
    """Pure equilibria by checking every unilateral deviation, one profile at a time."""
    found = []
    for profile in itertools.product(*(range(m) for m in game.shape)):
        stable = True
        for i, m in enumerate(game.shape):
            for k in range(m):
                deviation = (*profile[:i], k, *profile[i + 1 :])
                stable &= game.payoffs[(i, *deviation)] <= game.payoffs[(i, *profile)]
        if stable:
            found.append(profile)
    return found


def indices(equilibria) -> list[tuple[int, ...]]:
    return [tuple(int(np.argmax(p)) for p in eq.profile) for eq in equilibria]


# ---------------------------------------------------------------------------------- closed forms


def test_matching_pennies_has_only_the_uniform_mix():
    result = nash_equilibria(bimatrix([[1, -1], [-1, 1]], [[-1, 1], [1, -1]]))
    assert_profiles(result.equilibria, [([0.5, 0.5], [0.5, 0.5])])
    assert result.complete and not result.degenerate and result.method == "support enumeration"
    np.testing.assert_allclose(result.equilibria[0].payoffs, [0, 0], atol=1e-12)


def test_battle_of_the_sexes_has_two_pure_and_the_textbook_mix():
    result = nash_equilibria(bimatrix([[2, 0], [0, 1]], [[1, 0], [0, 2]]))
    assert_profiles(
        result.equilibria,
        [([1, 0], [1, 0]), ([0, 1], [0, 1]), ([2 / 3, 1 / 3], [1 / 3, 2 / 3])],
    )
    assert [eq.is_pure for eq in result.equilibria] == [True, True, False]
    np.testing.assert_allclose(result.equilibria[2].payoffs, [2 / 3, 2 / 3])


def test_chicken_mixed_equilibrium_dares_one_time_in_ten():
    # strategies (Chicken, Dare); (C,C)=(0,0), (C,D)=(-1,1), (D,C)=(1,-1), (D,D)=(-10,-10)
    result = nash_equilibria(bimatrix([[0, -1], [1, -10]], [[0, 1], [-1, -10]]))
    assert_profiles(result.equilibria, [([1, 0], [0, 1]), ([0, 1], [1, 0]), ([0.9, 0.1], [0.9, 0.1])])
    np.testing.assert_allclose(result.equilibria[2].payoffs, [-0.1, -0.1])
    assert result.complete


def test_prisoners_dilemma_has_only_mutual_defection():
    result = nash_equilibria(bimatrix([[-1, -3], [0, -2]], [[-1, 0], [-3, -2]]))
    assert_profiles(result.equilibria, [([0, 1], [0, 1])])
    assert result.equilibria[0].is_pure
    assert result.equilibria[0].support(0) == (1,)


def test_rock_paper_scissors_is_uniform():
    A = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    result = nash_equilibria(bimatrix(A, -A))
    assert_profiles(result.equilibria, [([1 / 3] * 3, [1 / 3] * 3)])
    assert result.equilibria[0].supports() == ((0, 1, 2), (0, 1, 2))


def test_von_stengel_nondegenerate_game_has_three_equilibria():
    result = nash_equilibria(bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]]))
    assert_profiles(
        result.equilibria,
        [([1, 0, 0], [1, 0]), ([0.8, 0.2, 0], [2 / 3, 1 / 3]), ([0, 1 / 3, 2 / 3], [1 / 3, 2 / 3])],
    )
    assert result.complete and not result.degenerate


def test_three_player_coordination_game_pure_equilibria():
    payoffs = np.zeros((3, 2, 2, 2))
    payoffs[:, 0, 0, 0] = payoffs[:, 1, 1, 1] = 1.0
    game = NormalFormGame(("a", "b", "c"), (("x", "y"),) * 3, payoffs)
    assert indices(pure_nash(game)) == [(0, 0, 0), (1, 1, 1)]
    result = nash_equilibria(game)
    assert not result.complete
    if not HAS_PYGAMBIT:
        assert result.method == "pure enumeration" and "pygambit" in result.note
        assert indices(result.equilibria) == [(0, 0, 0), (1, 1, 1)]


def test_mckelvey_mclennan_three_player_game_pure_equilibria():
    """The 2x2x2 game of McKelvey and McLennan (1997) with nine equilibria; four are pure."""
    payoffs = np.zeros((3, 2, 2, 2))
    payoffs[:, 0, 0, 0] = 9, 8, 12
    payoffs[:, 1, 1, 0] = 9, 8, 2
    payoffs[:, 0, 1, 1] = 3, 4, 6
    payoffs[:, 1, 0, 1] = 3, 4, 4
    game = NormalFormGame(("a", "b", "c"), (("1", "2"),) * 3, payoffs)
    found = pure_nash(game)
    assert indices(found) == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)] == brute_force_pure(game)
    np.testing.assert_allclose(found[0].payoffs, [9, 8, 12])


# ---------------------------------------------------------------------------------- degenerate games


def test_degenerate_game_is_flagged_and_lists_only_true_equilibria():
    # von Stengel's degenerate variant: against the column player, row 0 ties both columns, so the
    # equilibria include a segment (row 0, any column mix with P(left) >= 2/3)
    game = bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 3], [2, 6], [3, 1]])
    result = nash_equilibria(game)
    assert result.degenerate and not result.complete and "degenerate" in result.note
    assert all(game.regret(eq.profile) < 1e-9 for eq in result.equilibria)
    assert_profiles(
        result.equilibria,
        [([1, 0, 0], [1, 0]), ([1, 0, 0], [2 / 3, 1 / 3]), ([0, 1 / 3, 2 / 3], [1 / 3, 2 / 3])],
    )


def test_indifferent_player_makes_a_game_degenerate():
    game = bimatrix([[1, 1], [1, 1]], [[1, 0], [0, 1]])  # the row player never cares
    equilibria, degenerate = support_enumeration(game)
    assert degenerate
    assert all(game.regret(eq.profile) < 1e-12 for eq in equilibria)
    assert indices(equilibria[:2]) == [(0, 0), (1, 1)]


def test_support_enumeration_needs_two_players():
    with pytest.raises(GameError):
        support_enumeration(NormalFormGame.from_arrays(*np.zeros((3, 2, 2, 2))))


def test_two_player_games_too_large_to_enumerate_fall_back_to_pure_equilibria():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(12, 12))
    game = NormalFormGame.from_arrays(A, A.T)  # a symmetric coordination-like game: has pure equilibria
    result = nash_equilibria(game)
    assert result.method == "pure enumeration" and not result.complete and "support pairs" in result.note
    assert indices(result.equilibria) == brute_force_pure(game) != []


def test_one_player_game_lists_optimal_strategies():
    game = NormalFormGame.from_arrays(np.array([1.0, 3.0, 3.0]))
    result = nash_equilibria(game)
    assert indices(result.equilibria) == [(1,), (2,)]
    assert result.degenerate and "mix" in result.note


def test_game_trees_are_solved_in_normal_form():
    T = Node.terminal
    # a sequential Battle of the Sexes: the follower sees the leader's move
    leader = Node.decision(
        0,
        {
            "opera": Node.decision(1, {"opera": T((2, 1)), "fight": T((0, 0))}),
            "fight": Node.decision(1, {"opera": T((0, 0)), "fight": T((1, 2))}),
        },
    )
    tree = ExtensiveFormGame(("leader", "follower"), leader)
    result = nash_equilibria(tree)
    assert all(tree.to_normal_form().regret(eq.profile) < 1e-12 for eq in result.equilibria)
    assert any(np.allclose(eq.payoffs, [2, 1]) for eq in result.equilibria)


# ---------------------------------------------------------------------------------- properties


@settings(max_examples=50, deadline=None)
@given(normal_forms(BIMATRIX, INTEGER_PAYOFF))
def test_every_reported_profile_is_an_equilibrium(game):
    result = nash_equilibria(game)
    assert result.equilibria, "every finite game has an equilibrium; support enumeration finds an extreme one"
    for eq in result.equilibria:
        assert game.regret(eq.profile) < 1e-7
        for p in eq.profile:
            assert np.all(p >= 0) and np.isclose(p.sum(), 1.0)
        np.testing.assert_allclose(eq.payoffs, game.expected_payoffs(eq.profile))
    found = as_lists(result.equilibria)
    for eq in pure_nash(game):
        assert [p.tolist() for p in eq.profile] in found


@settings(max_examples=40, deadline=None)
@given(generic_games(BIMATRIX))
def test_generic_games_have_an_odd_number_of_equilibria(game):
    """Nondegenerate bimatrix games have an odd number of equilibria (Shapley 1974)."""
    result = nash_equilibria(game)
    assert not result.degenerate and result.complete
    assert len(result.equilibria) % 2 == 1
    assert all(game.regret(eq.profile) < 1e-7 for eq in result.equilibria)


@settings(max_examples=40, deadline=None)
@given(
    generic_games(BIMATRIX),
    st.lists(st.floats(0.1, 10), min_size=2, max_size=2),
    st.lists(st.floats(-10, 10), min_size=2, max_size=2),
)
def test_positive_affine_transforms_leave_the_nash_set_unchanged(game, scales, shifts):
    changed = game.payoffs * np.array(scales)[:, None, None] + np.array(shifts)[:, None, None]
    transformed = NormalFormGame.from_arrays(*changed)
    before, after = nash_equilibria(game).equilibria, nash_equilibria(transformed).equilibria
    assert len(before) == len(after)
    for eq, other in zip(before, after):
        assert eq.is_close(other, tol=1e-7)


@settings(max_examples=40, deadline=None)
@given(normal_forms(st.just((2, 2, 2)), INTEGER_PAYOFF))
def test_pure_equilibria_of_three_player_games_match_brute_force(game):
    found = pure_nash(game)
    assert indices(found) == brute_force_pure(game)
    assert all(eq.is_pure and game.regret(eq.profile) == 0 for eq in found)


def test_support_enumeration_agrees_with_pygambit():
    gbt = pytest.importorskip("pygambit")
    from sim.game.gambit_api import profile_arrays, table_game

    @settings(max_examples=30, deadline=None)
    @given(generic_games(BIMATRIX))
    def check(game):
        ours = nash_equilibria(game).equilibria
        table = table_game(gbt, game.payoffs.tolist())
        solved = gbt.nash.enummixed_solve(table, rational=False)
        assert len(ours) == len(solved.equilibria)
        for eq in solved.equilibria:
            profile = profile_arrays(table, eq)
            assert any(all(np.allclose(p, q, atol=1e-6) for p, q in zip(profile, mine.profile)) for mine in ours)

    check()
