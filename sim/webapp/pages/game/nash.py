"""Every Nash equilibrium as a table row in words, and the rows grouped by the path they play."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.game import ExtensiveFormGame, Solution
from sim.webapp.pages.game.tree import infoset_label
from sim.webapp.style import ACTOR_SHORT, words


def behaviour_of(game: ExtensiveFormGame, profile: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Information-set key -> the probability of each action that a mixed normal-form profile induces
    (a pure strategy names one action per information set, in the order of the tree)."""
    behaviour = {}
    for player, mixed in enumerate(profile):
        strategies = game.pure_strategies(player)
        for k, infoset in enumerate(game.infosets_of(player)):
            probabilities = np.zeros(len(infoset.actions))
            for weight, strategy in zip(mixed, strategies, strict=True):
                probabilities[infoset.actions.index(strategy[k])] += weight
            behaviour[infoset.key] = probabilities
    return behaviour


def choice_words(actions: Sequence[str], probabilities: np.ndarray) -> str:
    """``Threaten``, or ``Deploy 40%, Threaten 60%`` where the mover mixes."""
    if probabilities.max() > 1 - 1e-9:
        return words(actions[int(probabilities.argmax())])
    return ", ".join(f"{words(a)} {p:.0%}" for a, p in zip(actions, probabilities, strict=True) if p > 1e-9)


def behaviour_path(game: ExtensiveFormGame, behaviour: Mapping[str, np.ndarray]) -> str:
    """The moves a pure profile plays, in words (``mixed`` where a mover on the path mixes)."""
    parts: list[str] = []
    node = game.root
    while node.kind != "terminal":
        if node.kind == "chance":
            node = node.children[int(np.argmax(node.probabilities))]
            continue
        probabilities = behaviour[node.infoset]
        if probabilities.max() < 1 - 1e-9:
            return " → ".join([*parts, f"{ACTOR_SHORT[game.players[node.mover]]}: mixes"])
        k = int(probabilities.argmax())
        parts.append(f"{ACTOR_SHORT[game.players[node.mover]]}: {words(node.actions[k]).lower()}")
        node = node.children[k]
    return " → ".join(parts)


def nash_table(solution: Solution) -> pd.DataFrame:
    """One row per Nash equilibrium: each information set's move in words, the path of play, the
    payoffs and (perfect information only) whether it is subgame perfect. The subgame-perfect ones
    come first; ``#`` is the solver's order (as ``sim solve`` numbers them)."""
    game = solution.game
    assert isinstance(game, ExtensiveFormGame)
    infosets = game.infosets()
    labels = {infoset.key: infoset_label(game, infoset.key) for infoset in infosets}
    flags = solution.subgame_perfect_flags()
    rows = []
    assert solution.nash is not None  # the crisis game's normal form is always small enough
    for number, equilibrium in enumerate(solution.nash.equilibria):
        behaviour = behaviour_of(game, equilibrium.profile)
        row: dict[str, object] = {"#": number + 1}
        if flags is not None:
            row["subgame perfect"] = bool(flags[number])
        row["path of play"] = behaviour_path(game, behaviour)
        row |= {f"payoff {ACTOR_SHORT[a]}": float(x) for a, x in zip(game.players, equilibrium.payoffs, strict=True)}
        row |= {labels[i.key]: choice_words(i.actions, behaviour[i.key]) for i in infosets}
        rows.append(row)
    table = pd.DataFrame(rows)
    if "subgame perfect" in table.columns:
        table = table.sort_values("subgame perfect", ascending=False, kind="stable").reset_index(drop=True)
    return table


def nash_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Equilibria grouped by the path they play and its payoffs: most differ only off the path."""
    payoff_columns = [c for c in table.columns if c.startswith("payoff ")]
    rounded = table.assign(**{c: table[c].round(3) for c in payoff_columns})
    grouped = rounded.groupby(["path of play", *payoff_columns], sort=False)
    summary = grouped.size().rename("equilibria").reset_index()
    if "subgame perfect" in table.columns:
        summary["of them subgame perfect"] = grouped["subgame perfect"].sum().to_numpy().astype(int)
        summary = summary.sort_values("of them subgame perfect", ascending=False, kind="stable")
    return summary.reset_index(drop=True)
