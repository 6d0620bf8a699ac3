"""A game tree with utilities linear in data, and the probability of each of its outcomes.

Strategic estimation (Signorino 1999, 2003) reads a perfect-information game tree as a
statistical model: each player's utility for each terminal node is a linear function of columns
of the data (a *slot* of the formula), every choice is made with a random shock, and the
probability of the outcome a case reached is the product of the choice probabilities on the way
to it. One recursion from the leaves up serves every tree, the R package ``games``' fixed trees
(:mod:`sim.estimation.games`) and any ``.efg`` or TOML tree alike.

At a decision node where player ``i`` chooses among actions ``a`` that lead to nodes ``c_a``, let
``D_c`` be the probability of each terminal given that play has reached ``c`` (the product of the
choice and chance probabilities below it) and ``V_c = sum_t D_c(t) u_i(t)`` player ``i``'s
expected utility there. Then:

* **agent error**: each action carries its own shock of scale 1, so two actions differ by a shock
  of scale ``sqrt 2``::

      P(a_2) = F((V_2 - V_1) / sqrt 2)            (probit: F = Phi; logit: F = Lambda)
      P(a)   = exp(V_a / sqrt 2) / sum_b exp(V_b / sqrt 2)      (logit, more than two actions)

* **private information** (probit, two actions): player ``i``'s utility of each terminal carries a
  standard normal shock, known to ``i`` alone, so ``V_2 - V_1`` carries the shock
  ``sum_t (D_2(t) - D_1(t)) e_t``, of variance ``sum_t D_1(t)^2 + sum_t D_2(t)^2`` (each
  terminal lies below one action only)::

      P(a_2) = Phi((V_2 - V_1) / sqrt(sum_t D_1(t)^2 + sum_t D_2(t)^2))

  The others' choices below enter through ``D`` only, as the mover forecasts them in
  distribution. This needs the mover not to move again below, where its own shock would be
  correlated with the forecast; every fixed tree meets it, and a tree that does not is refused.

As in the R package ``games``, a binary choice's second action's probability is kept within
``[2.2e-16, 1 - 1.1e-16]`` and the first's is its complement, so the log-likelihood stays finite.
For ``egame12`` these are Signorino's formulas (``p4 = F(u24 / sqrt 2)`` and
``p2 = F((p3 u13 + p4 u14 - u11) / sqrt 2)``; ``sqrt(1 + p3^2 + p4^2)`` with private information).

References
----------
Signorino, C. S. (1999). Strategic interaction and the statistical analysis of international
conflict. *American Political Science Review* 93(2), 279-297. Signorino, C. S. (2003). Structure
and uncertainty in discrete choice models. *Political Analysis* 11(4), 316-344. Kenkel, B. and
Signorino, C. S. (2014). Estimating extensive form games in R. *Journal of Statistical Software*
56(8), 1-27.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from sim.domain.choices import ERRORS, LINKS
from sim.estimation.formula import FormulaError
from sim.game.tree import ExtensiveFormGame

SMALLEST = 2.220446e-16
LARGEST = 1 - 1.110223e-16
ROOT2 = float(np.sqrt(2.0))


def cdf(x: np.ndarray, link: str) -> np.ndarray:
    """The link's distribution function: standard normal (probit) or logistic (logit)."""
    return special.ndtr(x) if link == "probit" else special.expit(x)


@dataclass(frozen=True)
class Slot:
    """One utility with a formula part: whose (a 0-based player) and for which terminal (0-based)."""

    name: str
    player: int
    terminal: int


@dataclass(frozen=True, eq=False)
class EstimationTree:
    """A perfect-information tree whose utilities are linear in data, compiled for the recursion.

    Attributes
    ----------
    name : str
        ``egame12``, or the file the tree was read from.
    game : ExtensiveFormGame
        The tree (its payoffs are not used: the utilities come from the data).
    slots : tuple of Slot
        The utilities with a formula part, in the formula's order; every other utility is 0.
    decision_columns : tuple of int
        For each decision node (in depth-first order) the 0/1 decision column that says which of
        its two actions was taken; empty when the outcome can only be given as one column.
    """

    name: str
    game: ExtensiveFormGame
    slots: tuple[Slot, ...]
    decision_columns: tuple[int, ...] = ()
    kinds: tuple[str, ...] = field(init=False)
    movers: tuple[int, ...] = field(init=False)
    children: tuple[tuple[int, ...], ...] = field(init=False)
    chances: tuple[tuple[float, ...], ...] = field(init=False)
    terminal_of: tuple[int, ...] = field(init=False)
    paths: tuple[tuple[str, ...], ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.game.is_perfect_information():
            raise FormulaError(
                f"{self.name}: strategic estimation needs perfect information (every information set one node); "
                "a tree with hidden moves needs beliefs, which these likelihoods do not model"
            )
        nodes = list(self.game.nodes())
        index = {id(node): k for k, node in enumerate(nodes)}
        terminals = [k for k, node in enumerate(nodes) if node.kind == "terminal"]
        terminal_number = {k: number for number, k in enumerate(terminals)}
        paths: dict[int, tuple[str, ...]] = {0: ()}
        for k, node in enumerate(nodes):
            for action, child in zip(node.actions, node.children, strict=True):
                paths[index[id(child)]] = (*paths[k], action)
        values = {
            "kinds": tuple(node.kind for node in nodes),
            "movers": tuple(node.player if node.player is not None else -1 for node in nodes),
            "children": tuple(tuple(index[id(child)] for child in node.children) for node in nodes),
            "chances": tuple(node.probabilities for node in nodes),
            "terminal_of": tuple(terminal_number.get(k, -1) for k in range(len(nodes))),
            "paths": tuple(paths[k] for k in terminals),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        decisions = sum(kind == "decision" for kind in self.kinds)
        if self.decision_columns and len(self.decision_columns) != decisions:
            raise ValueError(f"{len(self.decision_columns)} decision columns for {decisions} decision nodes")

    # ------------------------------------------------------------------ structure

    @property
    def players(self) -> int:
        """How many players the tree has."""
        return self.game.n_players

    @property
    def outcomes(self) -> int:
        """How many terminal nodes (outcomes) the tree has."""
        return len(self.paths)

    @property
    def utilities(self) -> tuple[str, ...]:
        """The slots' names, in the formula's order."""
        return tuple(slot.name for slot in self.slots)

    @property
    def decisions(self) -> int:
        """How many 0/1 decision columns the outcome may be given as (0: only one outcome column)."""
        return max(self.decision_columns, default=-1) + 1

    def decision_nodes(self) -> list[int]:
        """The decision nodes' indices, in depth-first order."""
        return [k for k, kind in enumerate(self.kinds) if kind == "decision"]

    def terminal_names(self, decisions: Sequence[str] = ()) -> tuple[str, ...]:
        """Each terminal's name: from the decision columns as the R package names them
        (``~esc``, ``esc,~war``, ``esc,war``); else the tree's outcome or node label; else the actions on
        the way to it (``L,R``)."""
        if decisions and self.decision_columns:
            columns = dict(zip(self.decision_nodes(), self.decision_columns, strict=True))
            names = []
            for k, kind in enumerate(self.kinds):
                if kind != "terminal":
                    continue
                taken = self._taken(k)
                names.append(",".join(("" if second else "~") + decisions[columns[node]] for node, second in taken))
            return tuple(names)
        terminals = [node for node in self.game.nodes() if node.kind == "terminal"]
        labels = [node.outcome or node.label for node in terminals]
        if all(labels) and len(set(labels)) == len(labels):
            return tuple(labels)
        return tuple(",".join(path) or "root" for path in self.paths)

    def _taken(self, terminal: int) -> list[tuple[int, bool]]:
        """The decision nodes on the way to ``terminal`` and whether each took its second action."""
        parent = {child: k for k, children in enumerate(self.children) for child in children}
        taken = []
        node = terminal
        while node in parent:
            above = parent[node]
            taken.append((above, self.children[above].index(node) == 1))
            node = above
        return taken[::-1]

    def outcomes_from_decisions(self, columns: np.ndarray) -> np.ndarray:
        """Each row's terminal (0-based) from its 0/1 decision columns: from the root, each decision
        node follows its first action where its column is 0 and its second where it is 1 (a column
        below a node not reached is ignored)."""
        position = np.zeros(len(columns), dtype=int)
        for node, column in zip(self.decision_nodes(), self.decision_columns, strict=True):
            here = position == node
            first, second = self.children[node]
            position[here] = np.where(columns[here, column] == 1, second, first)
        return np.array(self.terminal_of)[position]

    def check(self, link: str, error: str) -> None:
        """Refuse a link or error the tree's shape does not allow, saying why.

        Raises
        ------
        FormulaError
            For private information with the logit link, a probit or private-information choice among
            more than two actions, or private information where a player moves again below its own move.
        """
        if link not in LINKS or error not in ERRORS:
            raise FormulaError(f"link is one of {', '.join(LINKS)} and error one of {', '.join(ERRORS)}")
        if error == "private" and link == "logit":
            raise FormulaError("private-information errors are normal (Signorino 2003): use --link probit")
        wide = [k for k in self.decision_nodes() if len(self.children[k]) > 2]
        if wide and (link == "probit" or error == "private"):
            raise FormulaError(
                f"{self.name}: a node offers {len(self.children[wide[0]])} actions; a probit or private-information "
                "choice among more than two needs multivariate normal integrals, which are not implemented: "
                "use --link logit --error agent"
            )
        if error == "private":
            for node in self.decision_nodes():
                if self._moves_again_below(node):
                    raise FormulaError(
                        f"{self.name}: player {self.movers[node] + 1} moves again below one of its own moves, so "
                        "its private shocks would be correlated with its forecast of itself: use --error agent"
                    )

    def _moves_again_below(self, node: int) -> bool:
        stack = list(self.children[node])
        while stack:
            below = stack.pop()
            if self.kinds[below] == "decision" and self.movers[below] == self.movers[node]:
                return True
            stack.extend(self.children[below])
        return False

    # ------------------------------------------------------------------ probabilities

    def utility_array(self, utilities: np.ndarray) -> np.ndarray:
        """``(..., rows, players, terminals)``: each slot's column in its place, zeros elsewhere."""
        array = np.zeros((*utilities.shape[:-1], self.players, self.outcomes))
        for k, slot in enumerate(self.slots):
            array[..., slot.player, slot.terminal] = utilities[..., k]
        return array

    def reach(self, utilities: np.ndarray, link: str, error: str) -> list[np.ndarray]:
        """For every node, ``(..., rows, terminals)``: each terminal's probability once play is there.

        Parameters
        ----------
        utilities : numpy.ndarray
            ``(..., rows, slots)``: each slot's linear predictor; leading axes (several coefficient
            vectors at once, as a numerical gradient needs) are carried through.
        link, error : str
            ``probit`` or ``logit``; ``agent`` or ``private``.
        """
        u = self.utility_array(utilities)
        shape = utilities.shape[:-1]
        found: list[np.ndarray] = [np.zeros(0)] * len(self.kinds)
        for k in reversed(range(len(self.kinds))):
            kind = self.kinds[k]
            if kind == "terminal":
                found[k] = np.zeros((*shape, self.outcomes))
                found[k][..., self.terminal_of[k]] = 1.0
                continue
            below = [found[child] for child in self.children[k]]
            weights = (
                np.broadcast_to(np.array(self.chances[k]), (*shape, len(below)))
                if kind == "chance"
                else self.choice(u[..., self.movers[k], :], below, link, error)
            )
            total = weights[..., 0, None] * below[0]
            for a in range(1, len(below)):
                total = total + weights[..., a, None] * below[a]
            found[k] = total
        return found

    @staticmethod
    def choice(u: np.ndarray, below: list[np.ndarray], link: str, error: str) -> np.ndarray:
        """``(..., rows, actions)``: the mover's choice probabilities (module docstring).

        Parameters
        ----------
        u : numpy.ndarray
            ``(..., rows, terminals)``: the mover's utilities.
        below : list of numpy.ndarray
            Each action's ``(..., rows, terminals)`` reach probabilities.
        """
        values = np.stack([(d * u).sum(axis=-1) for d in below], axis=-1)
        if len(below) == 2:
            if error == "private":
                scale = np.sqrt((below[0] ** 2).sum(axis=-1) + (below[1] ** 2).sum(axis=-1))
            else:
                scale = ROOT2
            second = np.clip(cdf((values[..., 1] - values[..., 0]) / scale, link), SMALLEST, LARGEST)
            return np.stack([1.0 - second, second], axis=-1)
        weights = np.clip(special.softmax(values / ROOT2, axis=-1), SMALLEST, LARGEST)
        return weights / weights.sum(axis=-1, keepdims=True)

    def probabilities(self, utilities: np.ndarray, link: str, error: str) -> np.ndarray:
        """``(..., rows, terminals)``: each row's outcome probabilities, each row summing to 1.

        Parameters
        ----------
        utilities : numpy.ndarray
            ``(..., rows, slots)``: each slot's linear predictor, in the formula's order.
        link, error : str
            ``probit`` or ``logit``; ``agent`` or ``private``.
        """
        return self.reach(utilities, link, error)[0]
