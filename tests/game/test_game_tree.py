"""Game trees: validation, strategies and the normal form."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import game_trees

from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, Node

t = Node.terminal


def entry_game() -> ExtensiveFormGame:
    """Selten's chain store, one stage: the entrant stays out (1, 5) or enters; the incumbent
    fights (0, 0) or accommodates (2, 2)."""
    incumbent = Node.decision(1, {"fight": t([0, 0]), "accommodate": t([2, 2])})
    return ExtensiveFormGame(("entrant", "incumbent"), Node.decision(0, {"out": t([1, 5]), "in": incumbent}))


def test_normal_form_of_the_entry_game():
    normal = entry_game().to_normal_form()
    assert normal.strategies == (("out", "in"), ("fight", "accommodate"))
    assert normal.payoffs[:, 0, 0].tolist() == [1, 5] and normal.payoffs[:, 0, 1].tolist() == [1, 5]
    assert normal.payoffs[:, 1, 0].tolist() == [0, 0] and normal.payoffs[:, 1, 1].tolist() == [2, 2]


def test_chance_is_averaged_and_infosets_join_nodes():
    # Nature picks a side; player 0 does not see it (one information set), player 1 does.
    def after(side: str) -> Node:
        p1 = Node.decision(1, {"x": t([1, -1]), "y": t([-1, 1])}, infoset=f"sees {side}")
        return Node.decision(0, {"l": p1, "r": t([0.5 if side == "heads" else -0.5, 0])}, infoset="blind")

    nature = Node.chance([("heads", 0.25, after("heads")), ("tails", 0.75, after("tails"))])
    game = ExtensiveFormGame(("A", "B"), nature)
    assert not game.is_perfect_information()
    assert [len(i.nodes) for i in game.infosets()] == [2, 1, 1]
    normal = game.to_normal_form()
    assert normal.shape == (2, 4)
    # A plays r: 0.25 * 0.5 + 0.75 * -0.5 = -0.25, whatever B does
    assert np.allclose(normal.payoffs[0, 1], -0.25)


# Any sharing of information sets, absent-mindedness included (a node in the same set as one above it).
@settings(max_examples=60, deadline=None)
@given(game_trees(depth=st.just(3), min_depth=1, information="shared"))
def test_normal_form_matches_playing_each_profile_through_the_tree(game):
    normal = game.to_normal_form()
    strategies = [game.pure_strategies(p) for p in range(game.n_players)]
    for index in itertools.islice(itertools.product(*(range(len(s)) for s in strategies)), 50):
        profile = [strategies[p][k] for p, k in enumerate(index)]
        assert np.allclose(normal.payoffs[(slice(None), *index)], game.outcome_of(profile))


def test_an_absent_minded_path_needing_two_moves_at_one_set_is_reached_by_no_pure_strategy():
    """P cannot tell the root from the node below it: x then y would pay 1, but a pure strategy
    takes one move at the set, so x pays 0 (x, x) and y pays 0: 1 is never reached."""
    below = Node.decision(0, {"x": t([0]), "y": t([1])}, infoset="I")
    game = ExtensiveFormGame(("P",), Node.decision(0, {"x": below, "y": t([0])}, infoset="I"))
    normal = game.to_normal_form()
    assert normal.payoffs[0].tolist() == [0.0, 0.0]
    assert [game.outcome_of([strategy]) for strategy in game.pure_strategies(0)] == [(0.0,), (0.0,)]


BAD_TREES = {
    "chance probabilities do not sum to 1": lambda: Node.chance([("a", 0.5, t([0])), ("b", 0.4, t([0]))]),
    "negative": lambda: Node.chance([("a", 1.5, t([0])), ("b", -0.5, t([0]))]),
    "payoffs for": lambda: Node.decision(0, {"a": t([1, 2])}),
    "unknown player": lambda: Node.decision(3, {"a": t([1])}),
    "different actions": lambda: Node.decision(
        0, {"a": Node.decision(0, {"x": t([0])}, infoset="h"), "b": Node.decision(0, {"y": t([0])}, infoset="h")}
    ),
}


@pytest.mark.parametrize("problem", sorted(BAD_TREES))
def test_bad_trees_are_refused_with_the_reason(problem):
    with pytest.raises(GameError, match=problem.split()[0]):
        ExtensiveFormGame(("only",), BAD_TREES[problem]())


def test_bad_normal_forms_are_refused():
    with pytest.raises(GameError, match="shape"):
        NormalFormGame(("a", "b"), (("x", "y"), ("z",)), np.zeros((2, 2, 2)))
    with pytest.raises(GameError, match="finite"):
        NormalFormGame.from_arrays([[np.nan]], [[0.0]])


def test_a_decision_node_cannot_stand_in_two_places():
    """Each place in a tree is its own decision point; sharing one object would merge them."""
    follower = Node.decision(1, {"a": t([1, 0]), "b": t([0, 1])})
    with pytest.raises(GameError, match="appears twice"):
        ExtensiveFormGame(("P1", "P2"), Node.decision(0, {"L": follower, "R": follower}))
    shared_end = t([1])
    ExtensiveFormGame(("P1",), Node.decision(0, {"L": shared_end, "R": shared_end}))  # terminals may be shared


def test_mover_is_the_deciding_player_and_nobody_at_chance_or_an_end():
    end = Node.terminal([1.0, 0.0])
    decision = Node.decision(1, {"a": end, "b": Node.terminal([0.0, 1.0])})
    assert decision.mover == 1
    for node in (end, Node.chance([("x", 1.0, end)])):
        with pytest.raises(ValueError, match=f"no player moves at a {node.kind} node"):
            _ = node.mover
