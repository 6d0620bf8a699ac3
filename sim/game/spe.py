"""Subgame-perfect equilibrium of a perfect-information tree, by backward induction.

At each decision node the mover takes an action of highest expected payoff to itself, given
optimal play below; chance nodes average over their branches. Where actions tie, the solver
does not pick one silently: it reports the tie, and :func:`subgame_perfect_equilibria` lists
every distinct equilibrium the ties allow. A Nash solver alone may return equilibria resting on
threats that would not be carried out off the path, which is exactly what a deterrence analysis
must rule out; :func:`is_subgame_perfect` tells them apart, mixed ones included.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.domain.limits import MAX_EQUILIBRIA, MAX_SPE_CHOICES
from sim.game.normal import GameError
from sim.game.tree import ExtensiveFormGame, Node, depth_first

TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SubgamePerfect:
    """One subgame-perfect equilibrium: the choice at every decision node, and what it yields.

    ``path`` lists the moves along the equilibrium path; where chance moves, the path follows its
    most likely branch, written ``"chance: <branch>"``. ``payoffs`` are expected over chance.
    ``ties`` names the decision nodes (by path from the root) where more than one action is optimal.
    """

    path: tuple[str, ...]
    payoffs: np.ndarray
    choices: dict[tuple[str, ...], str]
    ties: tuple[tuple[str, ...], ...]

    @property
    def has_ties(self) -> bool:
        """Whether some decision node has more than one optimal action (``ties`` is not empty)."""
        return bool(self.ties)


def subgame_perfect_equilibria(game: ExtensiveFormGame, limit: int = MAX_EQUILIBRIA) -> list[SubgamePerfect]:
    """Every subgame-perfect equilibrium in pure strategies (every tie-break), up to ``limit`` (and
    up to :data:`~sim.domain.limits.MAX_SPE_CHOICES` choices in all).

    Solved bottom-up: each subtree yields its list of equilibria (payoffs and choices); a decision
    node keeps, for each combination of its subtrees' equilibria, every action optimal for the
    mover. The first equilibrium takes the first optimal action at every tie.

    Without recursion, and without copying: a subtree's equilibrium is a link to the action taken
    at its root and to its subtrees' equilibria, so a node costs its number of children, not the
    size of the subtree below it (copying the choices below at every node cost minutes on a file
    of 80,000 nodes). The choices are written out once, for the equilibria returned.
    """
    if not game.is_perfect_information():
        raise GameError("subgame-perfect equilibrium by backward induction needs perfect information")
    tolerance = TIE_TOLERANCE * _payoff_scale(game)
    records = depth_first(game)
    children: list[list[int]] = [[] for _ in records]
    histories: list[tuple[str, ...]] = [()] * len(records)
    for position, (_, parent, k) in enumerate(records):
        if parent >= 0:
            children[parent].append(position)
            histories[position] = (*histories[parent], records[parent][0].actions[k])
    decisions = sum(node.kind == "decision" for node, _, _ in records)
    limit = max(1, min(limit, MAX_SPE_CHOICES // max(decisions, 1)))
    ties: set[tuple[str, ...]] = set()
    found: dict[int, list[tuple[np.ndarray, _Link | None]]] = {}
    for position in reversed(range(len(records))):
        node = records[position][0]
        if node.kind == "terminal":
            found[position] = [(np.array(node.payoffs), None)]
            continue
        below = [found.pop(child) for child in children[position]]
        solutions: list[tuple[np.ndarray, _Link | None]] = []
        for combination in itertools.islice(itertools.product(*below), limit):
            links = tuple(link for _, link in combination)
            if node.kind == "chance":
                parts = (p * v for p, (v, _) in zip(node.probabilities, combination, strict=True))
                solutions.append((sum(parts, start=np.zeros(game.n_players)), _Link(-1, -1, links)))
                continue
            own = [float(v[node.player]) for v, _ in combination]
            top = max(own)
            best = [k for k, value in enumerate(own) if value >= top - tolerance]
            if len(best) > 1:
                ties.add(histories[position])
            solutions.extend((combination[k][0], _Link(position, k, links)) for k in best)
        found[position] = solutions[:limit]
    tied = tuple(sorted(ties))
    result = []
    for value, link in found[0]:
        choices = _choices(link, records, histories)
        result.append(SubgamePerfect(_path(game, choices), value, choices, tied))
    return result


class _Link(NamedTuple):
    """One equilibrium of a subtree: the action taken at its root (``position`` -1 for a chance
    node) and, for each child, the link of the child's equilibrium it combines (None at a terminal)."""

    position: int
    action: int
    below: tuple[_Link | None, ...]


def _choices(
    link: _Link | None, records: list[tuple[Node, int, int]], histories: list[tuple[str, ...]]
) -> dict[tuple[str, ...], str]:
    """The history -> action map of one equilibrium, children before parents, left to right (the
    order a recursive merge gives), built with a stack: the reverse of visiting each node before
    its children, right to left."""
    reverse: list[tuple[tuple[str, ...], str]] = []
    stack = [link]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if current.position >= 0:
            reverse.append((histories[current.position], records[current.position][0].actions[current.action]))
        stack.extend(current.below)
    return dict(reversed(reverse))


def backward_induction(game: ExtensiveFormGame) -> SubgamePerfect:
    """The subgame-perfect equilibrium, with any ties reported in ``ties`` (never hidden)."""
    return subgame_perfect_equilibria(game)[0]


def _path(game: ExtensiveFormGame, choices: dict[tuple[str, ...], str]) -> tuple[str, ...]:
    """The moves along the equilibrium path; at chance nodes, the most likely branch."""
    path: list[str] = []
    history: tuple[str, ...] = ()
    node = game.root
    while node.kind != "terminal":
        if node.kind == "decision":
            action = choices[history]
            path.append(action)
        else:
            action = node.actions[int(np.argmax(node.probabilities))]
            path.append(f"chance: {action}")
        history = (*history, action)
        node = node.children[node.actions.index(action)]
    return tuple(path)


def outcome_distribution(game: ExtensiveFormGame, choices: dict[tuple[str, ...], str]) -> dict[str, float]:
    """The probability of each terminal outcome label when players follow ``choices``."""
    distribution: dict[str, float] = {}

    def walk(node: Node, history: tuple[str, ...], probability: float) -> None:
        if node.kind == "terminal":
            distribution[node.outcome] = distribution.get(node.outcome, 0.0) + probability
        elif node.kind == "decision":
            action = choices[history]
            walk(node.children[node.actions.index(action)], (*history, action), probability)
        else:
            for action, p, child in zip(node.actions, node.probabilities, node.children, strict=True):
                walk(child, (*history, action), probability * p)

    walk(game.root, (), 1.0)
    return distribution


def is_subgame_perfect(game: ExtensiveFormGame, behaviour: dict[tuple[int, str], np.ndarray]) -> bool:
    """Whether a behaviour profile (one probability vector per information set) of a
    perfect-information game is subgame perfect: at every decision node, on the path or off it,
    every action played with positive probability is optimal given play below it."""
    keys = game.node_infosets()
    tolerance = 1e-7 * _payoff_scale(game)
    perfect = True

    def value(node: Node) -> np.ndarray:
        nonlocal perfect
        if node.kind == "terminal":
            return np.array(node.payoffs)
        below = [value(child) for child in node.children]
        weights = np.asarray(node.probabilities if node.kind == "chance" else behaviour[keys[id(node)]], dtype=float)
        if node.kind == "decision":
            own = np.array([v[node.player] for v in below])
            perfect &= bool(np.all(own[weights > 1e-9] >= own.max() - tolerance))
        return sum((w * v for w, v in zip(weights, below)), start=np.zeros(game.n_players))

    value(game.root)
    return perfect


def _payoff_scale(game: ExtensiveFormGame) -> float:
    """The largest absolute payoff, at least 1: tolerances scale with it, so a rescaled game is solved alike."""
    return max(1.0, max((abs(x) for node in game.nodes() for x in node.payoffs), default=1.0))
