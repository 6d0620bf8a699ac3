"""Solve a game: its Nash equilibria, its subgame-perfect equilibria (trees of perfect
information) and, on request, its logit quantal response equilibrium at one lambda or along the
path as lambda grows. ``Solution.to_json()`` is the stable JSON of ``sim solve --json``.

Nothing here runs unbounded on a small hostile file: the size of a tree's normal form is counted
before it is built (:data:`sim.domain.limits.MAX_STRATEGY_PROFILES`), and the QRE homotopy's cost is
weighed before it starts (:data:`~sim.domain.limits.MAX_QRE_SIZE`). What is too large is skipped, with the reason in
``Solution.skipped``; what needs no normal form (backward induction, the agent QRE of a
perfect-information tree) is still solved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.domain.limits import MAX_QRE_SIZE
from sim.game.nash import NashResult, as_normal_form, nash_equilibria
from sim.game.normal import NormalFormGame
from sim.game.qre import QREPoint, QREResult, logit_qre, qre_path
from sim.game.spe import SubgamePerfect, is_subgame_perfect, subgame_perfect_equilibria
from sim.game.tree import ExtensiveFormGame, Node, describe_count

Game = NormalFormGame | ExtensiveFormGame
TREE_PRINT_LIMIT = 120  # nodes; larger trees are summarised
TIES_LISTED = 10  # places where movers are indifferent, named in the text; a large tree can have thousands


@dataclass
class Solution:
    """What :func:`solve` found. ``normal_form`` and ``nash`` are ``None`` when the normal form was
    too large to build; ``skipped`` maps each part not computed ("nash", "qre", "qre_path") to why."""

    game: Game
    normal_form: NormalFormGame | None
    nash: NashResult | None
    spe: list[SubgamePerfect] | None
    qre: QREResult | None = None
    path: list[QREPoint] | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    _flags: list[bool] | None = field(default=None, init=False, repr=False)

    @property
    def players(self) -> tuple[str, ...]:
        """The players of the game solved."""
        return self.game.players

    def subgame_perfect_flags(self) -> list[bool] | None:
        """For each Nash equilibrium, whether it is subgame perfect (perfect-information trees only).

        A Nash equilibrium that is not subgame perfect rests on a threat its maker would not carry
        out if put to the test: the distinction a deterrence analysis turns on. Mixed equilibria
        are judged by the behaviour they induce at every information set. Computed once (the text,
        the JSON and the app all ask).
        """
        if not self.spe or not isinstance(self.game, ExtensiveFormGame) or self.nash is None:
            return None
        if self._flags is None:
            game = self.game
            strategies = [game.pure_strategies(player) for player in range(game.n_players)]
            self._flags = [
                is_subgame_perfect(game, _behaviour(game, e.profile, strategies)) for e in self.nash.equilibria
            ]
        return self._flags

    def to_json(self) -> dict[str, Any]:
        """The stable JSON summary (docs/explanation/game-theory.md)."""
        flags = self.subgame_perfect_flags()
        result: dict[str, Any] = {
            "game": self.game.title,
            "players": list(self.players),
            "strategies": None,
            "nash": None,
            "spe": None,
            "qre": None,
        }
        if self.normal_form is not None and self.nash is not None:
            result["strategies"] = {
                p: list(labels) for p, labels in zip(self.players, self.normal_form.strategies, strict=True)
            }
            result["nash"] = [
                {"profile": _per_player(self.players, e.profile), "payoffs": _payoffs(self.players, e.payoffs)}
                | ({} if flags is None else {"subgame_perfect": flags[k]})
                for k, e in enumerate(self.nash.equilibria)
            ]
        if self.spe:
            first = self.spe[0]
            result["spe"] = {
                "path": list(first.path),
                "payoffs": _payoffs(self.players, first.payoffs),
                "ties": first.has_ties,
            }
        if self.qre is not None:
            result["qre"] = {"lambda": float(self.qre.lam), **_qre_profile(self.game, self.qre)}
        if self.path is not None:
            result["qre_path"] = [{"lambda": float(point.lam), **_qre_profile(self.game, point)} for point in self.path]
        if self.skipped:
            result["skipped"] = dict(self.skipped)
        return result


def solve(game: Game, qre_lambda: float | None = None, qre_path_to: float | None = None) -> Solution:
    """Nash and subgame-perfect equilibria; logit QRE at ``qre_lambda`` and along the path to ``qre_path_to``.

    Sizes are checked before any work: a tree whose normal form is too large keeps its
    subgame-perfect equilibria (backward induction works on the tree) and its QRE, and records in
    ``Solution.skipped`` that the Nash enumeration was skipped and why; likewise a QRE too costly
    to trace (:data:`~sim.domain.limits.MAX_QRE_SIZE`)."""
    skipped: dict[str, str] = {}
    too_large = game.normal_form_problem() if isinstance(game, ExtensiveFormGame) else None
    normal_form = nash = None
    if too_large:
        skipped["nash"] = f"{too_large}; the Nash enumeration was skipped"
    else:
        normal_form = as_normal_form(game)
        nash = nash_equilibria(normal_form)
    spe = None
    if isinstance(game, ExtensiveFormGame) and game.is_perfect_information():
        spe = subgame_perfect_equilibria(game)
    qre = path = None
    costly = _qre_problem(game) if qre_lambda is not None or qre_path_to is not None else None
    perfect = isinstance(game, ExtensiveFormGame) and game.is_perfect_information()
    if qre_lambda is not None:
        if not costly:
            qre = logit_qre(game, qre_lambda)
        elif perfect:
            qre = logit_qre(game, qre_lambda, method="backward")
        else:
            skipped["qre"] = f"{costly}; the QRE was skipped"
    if qre_path_to is not None:
        if costly:
            skipped["qre_path"] = f"{costly}; the QRE path was skipped"
        else:
            path = qre_path(game, qre_path_to)
    return Solution(game, normal_form, nash, spe, qre, path, skipped)


def qre_size(game: Game) -> tuple[int, int]:
    """The QRE homotopy's unknowns and the size of the game each of their columns passes over."""
    if isinstance(game, ExtensiveFormGame):
        unknowns = sum(len(infoset.actions) for infoset in game.infosets())
        return unknowns, sum(1 for _ in game.nodes())
    return sum(game.shape), int(game.payoffs.size)


def _qre_problem(game: Game) -> str | None:
    """Why the QRE homotopy would take too long on this game (a sentence), or ``None``."""
    unknowns, size = qre_size(game)
    if unknowns * size <= MAX_QRE_SIZE:
        return None
    what = "nodes" if isinstance(game, ExtensiveFormGame) else "payoff numbers"
    return (
        f"the QRE homotopy would trace {unknowns:,} unknowns over {size:,} {what} ({describe_count(unknowns * size)}), "
        f"more than the {MAX_QRE_SIZE:,} it is run on"
    )


def _behaviour(
    game: ExtensiveFormGame, profile, strategies: list[list[tuple[str, ...]]] | None = None
) -> dict[tuple[int, str], np.ndarray]:
    """The behaviour a mixed normal-form profile induces: at each information set, the chance that
    the player's strategy picks each action there (strategies list one action per infoset). Only
    the strategies played are visited: a pure profile costs one strategy per player, not all."""
    behaviour = {}
    for player, mixed in enumerate(profile):
        listed = strategies[player] if strategies is not None else game.pure_strategies(player)
        played = [(float(mixed[s]), listed[s]) for s in np.flatnonzero(np.asarray(mixed) > 0)]
        for k, infoset in enumerate(game.infosets_of(player)):
            probabilities = np.zeros(len(infoset.actions))
            for weight, strategy in played:
                probabilities[infoset.actions.index(strategy[k])] += weight
            behaviour[(player, infoset.key)] = probabilities
    return behaviour


def _per_player(players: tuple[str, ...], vectors) -> dict[str, list[float]]:
    return {p: [float(x) for x in np.asarray(v)] for p, v in zip(players, vectors, strict=True)}


def _payoffs(players: tuple[str, ...], values) -> dict[str, float]:
    return {p: float(x) for p, x in zip(players, np.asarray(values), strict=True)}


def _qre_profile(game: Game, qre) -> dict[str, Any]:
    """A normal form's QRE is one mixed strategy per player; a tree's is one behaviour strategy per
    information set, concatenated per player in information-set order and labelled."""
    if isinstance(game, NormalFormGame):
        return {"profile": _per_player(game.players, qre.profile)}
    profile: dict[str, list[float]] = {p: [] for p in game.players}
    labels: dict[str, list[str]] = {p: [] for p in game.players}
    for infoset, vector in zip(game.infosets(), qre.profile, strict=True):
        player = game.players[infoset.player]
        profile[player].extend(float(x) for x in vector)
        labels[player].extend(f"{infoset.key}: {action}" for action in infoset.actions)
    return {"profile": profile, "actions": labels}


# --------------------------------------------------------------------------------------------
# Text


def describe(solution: Solution, max_listed: int = 10) -> list[str]:
    """The solution for a terminal: the game, the subgame-perfect path, Nash equilibria, QRE."""
    game, players = solution.game, solution.players
    lines = [f"Game: {game.title or '(untitled)'}", f"Players: {', '.join(players)}"]
    if isinstance(game, ExtensiveFormGame):
        nodes = list(game.nodes())
        lines.append(f"Tree: {len(nodes)} nodes, {len(game.infosets())} information sets")
        if len(nodes) <= TREE_PRINT_LIMIT:
            lines.extend(_draw(game, game.root, "", ""))
    else:
        lines.append(
            "Strategies: " + "; ".join(f"{p}: {', '.join(s)}" for p, s in zip(players, game.strategies, strict=True))
        )
    lines.append("")
    lines.extend(_describe_spe(solution))
    lines.append("")
    lines.extend(_describe_nash(solution, max_listed))
    if solution.qre is not None:
        lines.append("")
        lines.extend(_describe_qre(game, solution.qre))
    if solution.path is not None:
        lines.append("")
        lines.append(
            f"QRE path: {len(solution.path)} points from lambda 0 to {solution.path[-1].lam:g} (use --json for all)"
        )
    for part, title in (("qre", "Logit QRE"), ("qre_path", "QRE path")):
        if part in solution.skipped:
            lines += ["", f"{title}: not computed: {solution.skipped[part]}."]
    return lines


def _draw(game: ExtensiveFormGame, node: Node, prefix: str, edge: str) -> list[str]:
    if node.kind == "terminal":
        payoffs = ", ".join(f"{x:+.3g}" for x in node.payoffs)
        return [f"{prefix}{edge}-> {node.outcome or 'end'} ({payoffs})"]
    who = game.players[node.mover] if node.kind == "decision" else "chance"
    lines = [f"{prefix}{edge}{who}" + (f" [{node.infoset}]" if node.kind == "decision" and node.infoset else "")]
    for k, (action, child) in enumerate(zip(node.actions, node.children, strict=True)):
        label = f"{action} ({node.probabilities[k]:.3g})" if node.kind == "chance" else action
        lines.extend(_draw(game, child, prefix + "    ", f"{label}: "))
    return lines


def _describe_spe(solution: Solution) -> list[str]:
    if solution.spe is None:
        return ["Subgame-perfect equilibrium: not computed (the game is not a tree of perfect information)."]
    first = solution.spe[0]
    payoffs = ", ".join(f"{p} {x:+.4g}" for p, x in zip(solution.players, first.payoffs, strict=True))
    lines = [f"Subgame-perfect equilibrium path: {' -> '.join(first.path)}", f"  payoffs: {payoffs}"]
    if first.has_ties:
        tied = "; ".join(" -> ".join(h) or "(root)" for h in first.ties[:TIES_LISTED])
        if len(first.ties) > TIES_LISTED:
            tied += f"; and {len(first.ties) - TIES_LISTED:,} more places"
        distinct: dict[tuple, int] = {}
        for other in solution.spe:
            key = (other.path, tuple(np.round(other.payoffs, 9)))
            distinct[key] = distinct.get(key, 0) + 1
        lines.append(f"  ties: movers are indifferent after {tied}")
        lines.append(f"  {len(solution.spe)} subgame-perfect equilibria, {len(distinct)} distinct paths:")
        for (path, values), count in distinct.items():
            lines.append(f"    {' -> '.join(path)}  ({', '.join(f'{x:+.4g}' for x in values)})  x{count}")
    else:
        lines.append("  ties: none (the equilibrium is unique)")
    return lines


def _describe_nash(solution: Solution, max_listed: int) -> list[str]:
    result, players = solution.nash, solution.players
    if result is None or solution.normal_form is None:
        return [f"Nash equilibria: not computed: {solution.skipped.get('nash', 'the normal form was not built')}."]
    if result.complete:
        kind = "all equilibria"
    else:
        kind = "pure equilibria only" if "pure" in result.method else "possibly not all equilibria"
    lines = [f"Nash equilibria ({result.method}; {kind}): {len(result.equilibria)} found"]
    if result.degenerate:
        lines.append("  the game is degenerate: equilibria may form continua, and some may be missed")
    if result.note:
        lines.append(f"  note: {result.note}")
    flags = solution.subgame_perfect_flags()
    if flags is not None:
        lines.append(
            f"  {sum(flags)} of them subgame perfect; the other {len(flags) - sum(flags)} rest on threats "
            "that would not be carried out if tested (marked *)"
        )
    for number, equilibrium in enumerate(result.equilibria[:max_listed], start=1):
        parts = []
        for player, labels, vector in zip(players, solution.normal_form.strategies, equilibrium.profile, strict=True):
            support = [
                f"{labels[k]}" + ("" if vector[k] > 1 - 1e-9 else f" {vector[k]:.4g}")
                for k in np.flatnonzero(vector > 1e-9)
            ]
            parts.append(f"{player}: {', '.join(support)}")
        payoffs = ", ".join(f"{x:+.4g}" for x in equilibrium.payoffs)
        mark = "*" if flags is not None and not flags[number - 1] else ""
        lines.append(f"  {number}.{mark} {'; '.join(parts)}  ({payoffs})")
    if len(result.equilibria) > max_listed:
        lines.append(f"  ... and {len(result.equilibria) - max_listed} more (use --json for all)")
    return lines


def _describe_qre(game: Game, qre: QREResult) -> list[str]:
    lines = [f"Logit QRE at lambda = {qre.lam:g}:"]
    if isinstance(game, NormalFormGame):
        for player, labels, vector in zip(game.players, game.strategies, qre.profile, strict=True):
            lines.append(f"  {player}: " + ", ".join(f"{a} {x:.3f}" for a, x in zip(labels, vector, strict=True)))
        return lines
    for infoset, vector in zip(game.infosets(), qre.profile, strict=True):
        choices = ", ".join(f"{a} {x:.3f}" for a, x in zip(infoset.actions, vector, strict=True))
        lines.append(f"  {game.players[infoset.player]} [{infoset.key}]: {choices}")
    return lines
