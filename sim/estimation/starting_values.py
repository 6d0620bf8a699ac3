"""Starting values by statistical backward induction (Bas, Signorino and Walker 2008).

The players are fitted one at a time from the last mover up. At each of player ``i``'s decision
nodes, among the rows whose outcome lies below it, the choice is a binary probit or logit (a
conditional logit for more than two actions) whose regressors are player ``i``'s columns weighted
by how likely each action makes each terminal, given the fits of the players below::

    P(a_2) = F( sum_t (D_2(t) - D_1(t)) x_it' gamma_i )

which is the tree's choice probability (:mod:`sim.estimation.trees`) with ``beta_i = sqrt 2 gamma_i``.
For ``egame12`` this is the R package ``games``' own start: player 2's probit of fighting on its
war columns, then player 1's of escalating on ``-x11``, ``(1 - p4) x13`` and ``p4 x14``. Starting
there, the full likelihood is climbed from nearly its top.

References
----------
Bas, M. A., Signorino, C. S. and Walker, R. W. (2008). Statistical backwards induction: a simple
method for estimating recursive strategic models. *Political Analysis* 16(1), 21-40.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.estimation.problem import Problem
from sim.estimation.trees import ROOT2, cdf


def statistical_backward_induction(problem: Problem) -> np.ndarray:
    """Starting values of every coefficient: each player's choice model fitted from the last mover up.

    Returns
    -------
    numpy.ndarray
        ``sqrt 2`` times each player's fitted coefficients, in the formula's order.
    """
    tree = problem.tree
    cuts = np.cumsum([0, *problem.sizes])
    beta = np.zeros(cuts[-1])
    below = _terminals_below(problem)
    for player in _players_last_first(problem):
        slots = [s for s, slot in enumerate(tree.slots) if slot.player == player and problem.sizes[s]]
        if not slots:
            continue
        reach = tree.reach(problem.utilities(beta), problem.link, problem.error)
        features, chosen = [], []
        for node in tree.decision_nodes():
            if tree.movers[node] != player:
                continue
            children = tree.children[node]
            took = np.column_stack([below[child][problem.y] for child in children])
            rows = took.any(axis=1)
            columns = [
                np.stack([reach[child][rows, tree.slots[s].terminal] for child in children], axis=1)[:, :, None]
                * problem.matrices[s][rows][:, None, :]
                for s in slots
            ]
            features.append(np.concatenate(columns, axis=2))
            chosen.append(took[rows].argmax(axis=1))
        gamma = _choice_model(features, chosen, problem.link)
        parts = np.split(gamma, np.cumsum([problem.sizes[s] for s in slots])[:-1])
        for s, part in zip(slots, parts, strict=True):
            beta[cuts[s] : cuts[s + 1]] = ROOT2 * part
    return beta


def _terminals_below(problem: Problem) -> list[np.ndarray]:
    """For each node, a boolean per terminal: whether it lies below the node."""
    tree = problem.tree
    found: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(tree.kinds)
    for k in reversed(range(len(tree.kinds))):
        found[k] = np.zeros(tree.outcomes, dtype=bool)
        if tree.terminal_of[k] >= 0:
            found[k][tree.terminal_of[k]] = True
        for child in tree.children[k]:
            found[k] |= found[child]
    return found


def _players_last_first(problem: Problem) -> list[int]:
    """The players ordered by how deep their deepest move is, deepest first."""
    tree = problem.tree
    depth = [0] * len(tree.kinds)
    for k, children in enumerate(tree.children):
        for child in children:
            depth[child] = depth[k] + 1
    deepest: dict[int, int] = {}
    for node in tree.decision_nodes():
        deepest[tree.movers[node]] = max(deepest.get(tree.movers[node], 0), depth[node])
    return sorted(deepest, key=lambda player: -deepest[player])


def _choice_model(features: list[np.ndarray], chosen: list[np.ndarray], link: str) -> np.ndarray:
    """A binary (probit or logit) or conditional logit choice model by maximum likelihood.

    Each node's ``features`` is ``(rows, actions, k)``; binary nodes enter as the difference of the
    two actions' rows. Zeros where it cannot be fitted (no rows, or a failed optimisation).
    """
    from scipy import optimize  # imported when a fit runs: `import sim` stays quick

    k = features[0].shape[2] if features else 0
    if k == 0 or not any(len(choice) for choice in chosen):
        return np.zeros(k)

    def negative(gamma: np.ndarray) -> float:
        total = 0.0
        for x, y in zip(features, chosen, strict=True):
            if x.shape[1] == 2:
                p = np.clip(cdf((x[:, 1] - x[:, 0]) @ gamma, link), 1e-300, 1 - 1e-16)
                total += float(np.sum(np.where(y == 1, np.log(p), np.log1p(-p))))
            else:
                logs = special.log_softmax(x @ gamma, axis=1)
                total += float(logs[np.arange(len(y)), y].sum())
        return -total

    found = optimize.minimize(negative, np.zeros(k), method="BFGS")
    return found.x if np.all(np.isfinite(found.x)) else np.zeros(k)
