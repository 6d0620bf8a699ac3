"""Where the tree chart puts each node and branch: left to right by depth, one row per end node.

In the compact view a chance ending (a chance node with no decision below it) is folded into one
end node, a lottery over outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.game import ExtensiveFormGame, Node
from sim.webapp.pages.game.plan import Plan
from sim.webapp.pages.game.tree import Visit, has_decision, likeliest
from sim.webapp.pages.game.wording import percent
from sim.webapp.style import words


@dataclass
class Placed:
    """A node as drawn: position, kind (decision, chance, terminal or lottery: a folded chance ending)."""

    visit: Visit
    x: float
    y: float
    kind: str
    on_path: bool


@dataclass(frozen=True)
class Edge:
    """A branch as drawn. ``action`` is written as in the engine's paths (``chance: <branch>``)."""

    parent: Placed
    child: Placed
    action: str
    label: str
    planned: bool
    on_path: bool


def layout(game: ExtensiveFormGame, plan: Plan, view: str) -> tuple[list[Placed], list[Edge]]:
    """Left to right, one row per end node; a parent sits midway between its first and last child.
    In the compact view a chance node with no decision below it becomes one end node (a lottery)."""
    placed: list[Placed] = []
    edges: list[Edge] = []
    rows = [0]

    def place(visit: Visit, depth: int, on_path: bool) -> Placed:
        node = visit.node
        folded = view == "compact" and node.kind == "chance" and not has_decision(node)
        if node.kind == "terminal" or folded:
            here = Placed(visit, depth, -rows[0], "lottery" if folded else "terminal", on_path)
            rows[0] += 1
            placed.append(here)
            return here
        here = Placed(visit, depth, 0.0, node.kind, on_path)
        placed.append(here)
        children = []
        mover = "chance" if node.kind == "chance" else game.players[node.mover]
        for k, (action, child) in enumerate(zip(node.actions, node.children, strict=True)):
            label, engine_action, planned = _branch(node, k, plan, visit.history, on_path)
            child_visit = Visit(child, (*visit.history, action), (*visit.moves, (mover, action)))
            below = place(child_visit, depth + 1, on_path and planned)
            children.append(below)
            edges.append(Edge(here, below, engine_action, label, planned, on_path and planned))
        here.y = (children[0].y + children[-1].y) / 2
        return here

    place(Visit(game.root, (), ()), 0, True)
    return placed, sorted(edges, key=lambda edge: edge.parent.x)  # root first: a path reads in order


def _branch(node: Node, k: int, plan: Plan, history: tuple[str, ...], on_path: bool) -> tuple[str, str, bool]:
    """Branch ``k`` of ``node``: its label, its move as the engine writes it, and whether the plan takes it."""
    action, child = node.actions[k], node.children[k]
    if node.kind == "decision":
        return words(action), action, plan.choices[history] == action
    share = percent(node.probabilities[k])
    label = share if child.kind == "terminal" else f"{words(action)} {share}"  # the end names it
    return label, f"chance: {action}", on_path and action == likeliest(node)  # chance plans nothing off the path


def lottery(node: Node) -> tuple[dict[str, float], np.ndarray]:
    """The outcome probabilities and expected payoffs of a subtree with chance nodes only."""
    if node.kind == "terminal":
        return {node.outcome: 1.0}, np.array(node.payoffs)
    outcomes: dict[str, float] = {}
    total: np.ndarray | float = 0.0
    for p, child in zip(node.probabilities, node.children, strict=True):
        below, values = lottery(child)
        for outcome, q in below.items():
            outcomes[outcome] = outcomes.get(outcome, 0.0) + p * q
        total = total + p * values
    return outcomes, np.asarray(total)
