"""Walking the crisis game's tree: every node with how it was reached, and the page's conventions
(chance follows its likeliest branch; Russia's type is Nature's draw when resolve is private)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from sim.game import ExtensiveFormGame, Node
from sim.webapp.pages.game.wording import NAME
from sim.webapp.style import ACTOR_SHORT, type_words, verb

RESOLUTE_BRANCH = "Russia resolute"
"""The name ``crisis_game`` gives Nature's branch in which Russia is resolute (private resolve)."""


@dataclass(frozen=True)
class Visit:
    """A node with its ``history`` (every branch taken from the root, chance ones too: the key
    ``SubgamePerfect.choices`` uses) and ``moves`` ((mover, action) pairs; mover "chance" for Nature)."""

    node: Node
    history: tuple[str, ...]
    moves: tuple[tuple[str, str], ...]


def visits(game: ExtensiveFormGame) -> Iterator[Visit]:
    """Every node, depth first."""
    stack = [Visit(game.root, (), ())]
    while stack:
        visit = stack.pop()
        yield visit
        node = visit.node
        mover = "chance" if node.kind == "chance" else game.players[node.mover] if node.kind == "decision" else ""
        for action, child in reversed(list(zip(node.actions, node.children, strict=True))):
            stack.append(Visit(child, (*visit.history, action), (*visit.moves, (mover, action))))


def likeliest(node: Node) -> str:
    """The branch of a chance node that an equilibrium path follows (the engine's convention)."""
    return node.actions[int(np.argmax(node.probabilities))]


def has_decision(node: Node) -> bool:
    """Whether anyone still chooses below ``node`` (if not, only chance is left: a lottery)."""
    return node.kind == "decision" or any(has_decision(child) for child in node.children)


def decision_moves(moves: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The players' moves only: what the engine's policies are indexed by."""
    return tuple(move for move in moves if move[0] != "chance")


def russia_type_on(moves: Sequence[tuple[str, str]], default: bool) -> bool:
    """Russia's type on a branch: Nature's draw when the game has one, else the chosen type."""
    drawn = [action for mover, action in moves if mover == "chance" and action.startswith("Russia ")]
    return drawn[0] == RESOLUTE_BRANCH if drawn else default


def infoset_label(game: ExtensiveFormGame, key: str) -> str:
    """``Russia, if the coalition deploys`` for an information set, from the moves that lead there."""
    first = next(v for v in visits(game) if v.node.kind == "decision" and v.node.infoset == key)
    actor = game.players[first.node.mover]
    label = ACTOR_SHORT.get(actor, actor)
    drawn = [action for mover, action in first.moves if mover == "chance" and action.startswith("Russia ")]
    if drawn and actor == "russia":  # Nature's branch, not another chance event (members, accidents)
        label += f" ({type_words(drawn[0] == RESOLUTE_BRANCH)})"
    before = decision_moves(first.moves)
    if before:
        label += ", if " + " and ".join(f"{NAME.get(mover, mover)} {verb(action)[1]}" for mover, action in before)
    return label


def game_prior(game: ExtensiveFormGame) -> float:
    """The probability of Nature's resolute branch (``crisis_game`` leaves out impossible branches)."""
    if game.root.kind == "chance" and RESOLUTE_BRANCH in game.root.actions:
        return game.root.probabilities[game.root.actions.index(RESOLUTE_BRANCH)]
    return 0.0
