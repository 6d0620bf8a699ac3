"""Hypothesis strategies shared by the tests: random normal-form games, game trees and scenarios.

Each is defined once here and imported by name (``from strategies import game_trees``), as
``apptest`` and ``hand_scenarios`` are: tests never import from one another or from ``conftest``.
The arguments narrow a strategy to what a solver can take (small payoffs, perfect recall, ...);
the defaults draw everything the file formats can hold.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from hypothesis import strategies as st

from sim.domain.ladder import OUTCOMES
from sim.domain.scenario import Scenario, scenario_from_dict
from sim.game.normal import NormalFormGame
from sim.game.tree import ExtensiveFormGame, Node

# ---------------------------------------------------------------------------- labels and payoffs

LABEL = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\\"),
    min_size=1,
    max_size=5,
)
"""A player, strategy or action name: any printable text but a backslash, one to five characters."""

PAYOFF = st.one_of(
    st.integers(-100, 100).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
"""Any payoff a game file can hold: whole numbers and floats up to a million."""

INTEGER_PAYOFF = st.integers(-5, 5).map(float)
"""Small whole numbers: ties are common, so games are often degenerate."""

SMALL_PAYOFF = st.one_of(INTEGER_PAYOFF, st.floats(-3, 3).map(lambda x: round(x, 1)))
"""Payoffs on the scale the solvers' tolerances are set for: small whole numbers and tenths."""

CHANCE_WEIGHT = st.one_of(st.integers(0, 5).map(float), st.floats(0.0, 5.0))
"""A chance branch's weight before normalising: zero (a branch never taken), whole or any float."""


def distinct_labels(count: int) -> st.SearchStrategy[list[str]]:
    """``count`` different labels."""
    return st.lists(LABEL, min_size=count, max_size=count, unique=True)


# ---------------------------------------------------------------------------- normal forms

SHAPES = st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple)
"""Two or three players with one to four strategies each."""

BIMATRIX = st.tuples(st.integers(2, 4), st.integers(2, 4))
"""Two players with two to four strategies each."""

SMALL_SHAPES = st.one_of(BIMATRIX, st.just((2, 2, 2)))
"""Bimatrix shapes and the 2x2x2 game of three players."""


@st.composite
def normal_forms(
    draw: st.DrawFn, shapes: st.SearchStrategy[tuple[int, ...]] = SHAPES, payoffs: st.SearchStrategy[float] = PAYOFF
) -> NormalFormGame:
    """A table game of the drawn shape: labelled players and strategies, a title, drawn payoffs."""
    shape = draw(shapes)
    n = len(shape)
    players = draw(distinct_labels(n))
    strategies = [draw(distinct_labels(size)) for size in shape]
    size = n * int(np.prod(shape))
    values = draw(st.lists(payoffs, min_size=size, max_size=size))
    title = draw(st.text(max_size=8).filter(lambda t: "\\" not in t))
    return NormalFormGame(players, strategies, np.array(values).reshape((n, *shape)), title)


@st.composite
def generic_games(draw: st.DrawFn, shapes: st.SearchStrategy[tuple[int, ...]] = BIMATRIX) -> NormalFormGame:
    """A table game with continuous random payoffs (standard normal or uniform on [-5, 5], from a
    drawn seed): no two payoffs tie, so the game is nondegenerate with probability one."""
    shape = draw(shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = (len(shape), *shape)
    values = rng.normal(size=size) if draw(st.booleans()) else rng.uniform(-5, 5, size=size)
    return NormalFormGame.from_arrays(*values)


# ---------------------------------------------------------------------------- game trees

Information = Literal["shared", "recall", "perfect"]

TREE_PLAYERS = st.integers(1, 3)
TREE_DEPTH = st.integers(0, 3)
"""Levels of moves: a tree of three levels of three actions has up to 13 decision nodes."""
TREE_ACTIONS = st.integers(1, 3)
"""Actions at a decision node, branches at a chance node."""

NODE_LABEL = st.sampled_from(["", "", "n", 'a "b"'])
"""A node's label: mostly none, sometimes one with quotes in it."""

History = tuple[tuple[tuple[str, str], ...], ...]
"""Each player's own moves so far: (information set, action) pairs."""


@st.composite
def game_trees(
    draw: st.DrawFn,
    players: st.SearchStrategy[int] = TREE_PLAYERS,
    depth: st.SearchStrategy[int] = TREE_DEPTH,
    payoffs: st.SearchStrategy[float] = PAYOFF,
    information: Information = "shared",
    actions: st.SearchStrategy[int] = TREE_ACTIONS,
    min_depth: int = 0,
) -> ExtensiveFormGame:
    """A random game tree of at most ``depth`` levels of moves.

    Every tree has labelled players, actions and nodes, terminal outcome names, a title, and chance
    moves with zero-probability branches, some of them one chance event met at several nodes.

    Parameters
    ----------
    players, depth, payoffs, actions
        Strategies for the number of players, the levels of moves, each terminal payoff, and the
        number of actions at a decision node (and of branches at a chance node).
    information
        How decision nodes share information sets. ``"shared"``: any node may join an earlier
        information set of its mover, even one above it (absent-mindedness; the most a file can
        say). ``"recall"``: a node is in the information set of every node where its mover has the
        same number of actions after the same own moves (perfect recall). ``"perfect"``: none are
        shared (perfect information; some single-node sets are named all the same).
    min_depth
        Levels of moves before the first end: no terminal node above them.

    Returns
    -------
    ExtensiveFormGame
    """
    n = draw(players)
    names = draw(distinct_labels(n))
    top = max(draw(depth), min_depth)
    pools: dict[object, list[tuple[str, tuple[str, ...]]]] = {}
    events: list[tuple[str, tuple[str, ...], tuple[float, ...]]] = []
    named = dict.fromkeys(range(n), 0)  # named information sets per player: I0, I1, ... (the same keys for each)
    unnamed = iter(range(10**6))

    def new_set(player: int, count: int | None = None) -> tuple[str, tuple[str, ...]]:
        key = f"I{named[player]}" if information == "recall" else draw(st.sampled_from(["", f"I{named[player]}"]))
        named[player] += bool(key)
        return key, tuple(draw(distinct_labels(draw(actions) if count is None else count)))

    def decision(level: int, history: History) -> Node:
        player = draw(st.integers(0, n - 1))
        if information == "shared":  # any earlier set of the mover, or a new one
            pool = pools.setdefault(player, [])
            key, labels = draw(st.sampled_from(pool)) if pool and draw(st.booleans()) else new_set(player)
        elif information == "recall":  # the set of the same own moves and number of actions
            count = draw(actions)
            pool = pools.setdefault((player, history[player], count), [])
            key, labels = pool[0] if pool else new_set(player, count)
        else:
            pool = []
            key, labels = new_set(player)
        if key and not pool.count((key, labels)):
            pool.append((key, labels))
        children = []
        for action in labels:
            after = list(history)
            after[player] = (*history[player], (key or f"#{next(unnamed)}", action))
            children.append(node(level + 1, tuple(after)))
        return Node("decision", draw(NODE_LABEL), player, key, labels, (), tuple(children))

    def chance(level: int, history: History) -> Node:
        if events and draw(st.booleans()):
            key, labels, probabilities = draw(st.sampled_from(events))
        else:
            labels = tuple(draw(distinct_labels(draw(actions))))
            weights = draw(st.lists(CHANCE_WEIGHT, min_size=len(labels), max_size=len(labels)))
            weights[0] += 1
            probabilities = tuple(w / sum(weights) for w in weights)
            key = draw(st.sampled_from(["", f"E{len(events)}"]))
            if key:
                events.append((key, labels, probabilities))
        children = tuple(node(level + 1, history) for _ in labels)
        return Node("chance", draw(NODE_LABEL), None, key, labels, probabilities, children)

    def node(level: int, history: History) -> Node:
        kinds = ["decision", "decision", "chance"] + (["terminal"] if level >= min_depth else [])
        kind = draw(st.sampled_from(["terminal"] if level == top else kinds))
        if kind == "decision":
            return decision(level, history)
        if kind == "chance":
            return chance(level, history)
        values = draw(st.lists(payoffs, min_size=n, max_size=n))
        return Node.terminal(values, outcome=draw(st.sampled_from(["", "win", "lose"])), label=draw(NODE_LABEL))

    root = node(0, tuple(() for _ in range(n)))
    return ExtensiveFormGame(names, root, draw(st.sampled_from(["", "a game"])))


# ---------------------------------------------------------------------------- scenarios

SCENARIO_PAYOFF = st.floats(-30, 30, allow_nan=False).map(lambda x: round(x, 3))
PROBABILITY = st.floats(0, 1).map(lambda x: round(x, 3))
COST = st.floats(0, 3).map(lambda x: round(x, 3))


@st.composite
def actors(draw: st.DrawFn, with_members: bool = False) -> dict:
    """One actor's table of a scenario file; ``with_members`` adds up to three coalition members
    and a troop threshold they can always meet."""
    table = {
        "lambda": draw(st.floats(0, 5).map(lambda x: round(x, 3))),
        "resolve_prior": draw(PROBABILITY),
        "war_bonus": draw(COST),
        "force_in_place": draw(SCENARIO_PAYOFF),
        "backstop_effect": draw(SCENARIO_PAYOFF),
        "audience_cost": draw(COST),
        "deploy_cost": draw(COST),
        "threaten_cost": draw(COST),
        "back_down_cost": draw(COST),
        "payoffs": {outcome: draw(SCENARIO_PAYOFF) for outcome in OUTCOMES},
    }
    if with_members:
        members = draw(st.lists(st.tuples(st.floats(0.5, 10), PROBABILITY, COST, COST), max_size=3))
        table["members"] = [
            {"name": f"m{i}", "troops": round(t, 2), "resolve_prior": p, "war_cost": w, "exit_cost": e}
            for i, (t, p, w, e) in enumerate(members)
        ]
        total = sum(round(t, 2) for t, *_ in members)
        # at most 99% of the total, rounded down: the members can always meet it, whatever float sums give
        table["min_troops"] = math.floor(draw(st.floats(0, 1)) * total * 99) / 100 if members else 0.0
    return table


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A valid scenario of one to four rounds with every number drawn."""
    raw = {
        "name": "random",
        "rounds": draw(st.integers(1, 4)),  # every example is a game solved first: short ones
        "start_rung": draw(st.sampled_from(["ceasefire", "declared_intent", "deployed", "standoff", "incident"])),
        "escalation": {"base": draw(PROBABILITY), "tripwire": draw(PROBABILITY), "backstop": draw(PROBABILITY)},
        "accident": {
            "declared_intent": draw(PROBABILITY),
            "standoff": draw(PROBABILITY),
            "incident": draw(PROBABILITY),
        },
        "coalition": draw(actors(with_members=True)),
        "russia": draw(actors()),
        "us": draw(actors()),
    }
    return scenario_from_dict(raw, "random")
