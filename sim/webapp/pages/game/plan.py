"""The equilibrium as a plan: a move at every decision node, on the path and off it.

With perfect information the plan is a subgame-perfect equilibrium; with Russia's resolve private
there is none, and a large-lambda logit QRE stands in for the sequential equilibrium.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.game import ExtensiveFormGame, GameError, Node, Solution
from sim.game.qre import QREResult
from sim.webapp.pages.game.tree import Visit, likeliest, visits
from sim.webapp.pages.game.wording import NAME
from sim.webapp.style import capitalised, verb

APPROX_LAMBDA = 100.0
"""With Russia's resolve private, the logit QRE at this lambda stands in for the sequential equilibrium."""
MIXING = 0.1
"""In the QRE approximation, every action played at least this often counts as an equilibrium move."""


@dataclass(frozen=True)
class Plan:
    """Equilibrium play at every decision node, on the path and off it (keyed by history).

    ``optimal`` holds every equilibrium move at a node (more than one where the mover is indifferent:
    ties). ``exact`` is False for the QRE approximation used when Russia's resolve is private.
    """

    choices: dict[tuple[str, ...], str]
    optimal: dict[tuple[str, ...], frozenset[str]]
    exact: bool


def spe_plan(solution: Solution) -> Plan:
    """The first subgame-perfect equilibrium, with every move any of them allows at each node."""
    assert solution.spe
    optimal: dict[tuple[str, ...], set[str]] = {}
    for equilibrium in solution.spe:
        for history, action in equilibrium.choices.items():
            optimal.setdefault(history, set()).add(action)
    frozen = {history: frozenset(actions) for history, actions in optimal.items()}
    return Plan(dict(solution.spe[0].choices), frozen, exact=True)


def qre_plan(game: ExtensiveFormGame, qre: QREResult) -> Plan:
    """The most likely move of a large-lambda QRE at every node; moves played at least ``MIXING``
    of the time count as equilibrium moves too."""
    behaviour = qre.behaviour()
    infoset_of = game.node_infosets()
    choices, optimal = {}, {}
    for visit in visits(game):
        if visit.node.kind == "decision":
            probabilities = behaviour[infoset_of[id(visit.node)]]
            best = visit.node.actions[int(np.argmax(probabilities))]
            choices[visit.history] = best
            played = {a for a, p in zip(visit.node.actions, probabilities, strict=True) if p >= MIXING}
            optimal[visit.history] = frozenset({best} | played)
    return Plan(choices, optimal, exact=False)


def equilibrium_plan(solution: Solution, approximation: QREResult | None) -> Plan:
    """The subgame-perfect plan when there is one, else the QRE approximation."""
    if solution.spe:
        return spe_plan(solution)
    if approximation is None:
        raise GameError("the game has no subgame-perfect equilibrium and no QRE approximation was computed")
    assert isinstance(solution.game, ExtensiveFormGame)  # a scenario's crisis game is a tree
    return qre_plan(solution.game, approximation)


def path_visits(game: ExtensiveFormGame, plan: Plan) -> Iterator[tuple[Visit, str]]:
    """Each node on the plan's path, from the root, with the move taken there (at a chance node its
    likeliest branch, the engine's convention)."""
    visit = Visit(game.root, (), ())
    while visit.node.kind != "terminal":
        node = visit.node
        if node.kind == "decision":
            mover, action = game.players[node.mover], plan.choices[visit.history]
        else:
            mover, action = "chance", likeliest(node)
        yield visit, action
        child = node.children[node.actions.index(action)]
        visit = Visit(child, (*visit.history, action), (*visit.moves, (mover, action)))


def plan_path(game: ExtensiveFormGame, plan: Plan) -> tuple[str, ...]:
    """The moves along the plan's path, chance nodes taking their most likely branch (written
    ``chance: <branch>``), exactly as ``SubgamePerfect.path``."""
    return tuple(a if v.node.kind == "decision" else f"chance: {a}" for v, a in path_visits(game, plan))


def plan_payoffs(game: ExtensiveFormGame, plan: Plan) -> np.ndarray:
    """Expected payoffs when everyone follows the plan (averaged over chance)."""

    def value(node: Node, history: tuple[str, ...]) -> np.ndarray:
        if node.kind == "terminal":
            return np.array(node.payoffs)
        if node.kind == "decision":
            action = plan.choices[history]
            return value(node.children[node.actions.index(action)], (*history, action))
        branches = zip(node.actions, node.probabilities, node.children, strict=True)
        return sum((p * value(child, (*history, a)) for a, p, child in branches), start=np.zeros(game.n_players))

    return value(game.root, ())


def path_in_words(game: ExtensiveFormGame, plan: Plan) -> str:
    """``The coalition deploys → Russia threatens → the US threatens (then: no accident)``."""
    parts: list[str] = []
    chance: list[str] = []
    for visit, action in path_visits(game, plan):
        node = visit.node
        if node.kind == "decision":
            parts.append(f"{NAME[game.players[node.mover]]} {verb(action)[1]}")
        elif parts:
            chance.append(action)
        else:
            parts.append(f"Nature: {action}")
    text = capitalised(" → ".join(parts))
    return text + (f" (chance, most likely: {', '.join(chance)})" if chance else "")
