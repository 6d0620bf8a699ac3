"""The early rounds solved exactly at every public state they can reach: the policy tree.

Round 1 is played at one public state (the prior beliefs), round 2 at one of at most 12 (the
coalition's posture, the US's, and whether an accident left an incident: a round goes on only if
Russia threatens), round 3 at one of at most 144, and so on. The tree follows these states round by
round with their probabilities (summed over the eight profiles of types), keeps those reached with
a probability above :data:`NEGLIGIBLE`, and solves each round exactly at its kept states
(:meth:`CrisisEquilibrium.solve_at`) while they number at most :data:`EXACT_STATES`. Play that is
near a best response reaches few states, so its whole crisis can be solved exactly; noisy play
branches twelvefold a round and reaches the limit in round 4. Later rounds, and the rare world
that takes a branch the tree left out, read the grid solution by trilinear interpolation at the
world's beliefs. Which states are exact depends on the scenario only, never on how many worlds are
simulated or how they are batched, so a run's numbers do not depend on its size either.

A world carries the node it has reached; :attr:`PolicyTree.child` gives the next round's node after
each of the :data:`TRANSITIONS` ways a round can go on (``c * 6 + u * 2 + accident``), -1 off the tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.domain.ladder import DEPLOY, THREATEN
from sim.engine.equilibrium.features import feature_rows, split_features
from sim.engine.equilibrium.states import States, bayes

if TYPE_CHECKING:
    from sim.engine.equilibrium.solver import CrisisEquilibrium

EXACT_STATES = 2048
"""A round is solved exactly at its reachable public states while they number at most this many."""

NEGLIGIBLE = 1e-6
"""States reached with at most this probability are left to the grid (the tree's rows elsewhere)."""

TYPE_PROFILES = np.array([(c, r, u) for c in (0, 1) for r in (0, 1) for u in (0, 1)])
"""The eight profiles of types (coalition, Russia, US), 1 = resolute."""

TOGETHER = 16
"""Crises whose trees a sweep builds in one pass (:func:`build_policy_trees`): the set-up is
saved as well as by larger passes (3-round trees took 7.1 to 7.6 ms each in passes of 16, 6.9 to
8.4 ms in passes of 50 and 10.6 to 14.0 ms one by one, timed in turn), while what is held stays
small (a 20-round tree and its share of the pass are about 5 MB)."""

TRANSITIONS = 12
"""Ways a round goes on: the coalition deploys or threatens, the US pledges, supports or distances
itself, an accident leaves an incident or not (Russia threatened, or the round would have ended)."""


def transition(c: Any, u: Any, accident: Any) -> Any:
    """The index of one way a round goes on (:data:`TRANSITIONS`): ints, or arrays of them."""
    return c * 6 + u * 2 + accident


@dataclass(frozen=True)
class PolicyTree:
    """Rounds ``1..depth`` solved exactly at every reachable public state.

    Attributes
    ----------
    depth : int
        The last round read from the tree (at least 1).
    rows : numpy.ndarray
        (nodes, width): each node's policies in the layout of :func:`feature_rows`.
    child : numpy.ndarray
        (nodes, TRANSITIONS) int64: the node of the next round after each transition, -1 where the
        next round is past ``depth`` or the transition cannot happen.
    states : States
        Each node's public state.
    level : numpy.ndarray
        The round each node belongs to.
    """

    depth: int
    rows: np.ndarray
    child: np.ndarray
    states: States
    level: np.ndarray

    @property
    def nodes(self) -> int:
        """How many public states the tree solved."""
        return len(self.rows)

    def nodes_at(self, round_number: int, states: States) -> np.ndarray:
        """The node of each state in round ``t``, -1 where the tree does not hold it (the same state:
        beliefs equal to the last bit, flags equal)."""

        def key(batch: States, k: int) -> tuple:
            return (*batch.beliefs[k].tolist(), int(batch.incident[k]), int(batch.pledged[k]))

        held = {key(self.states, int(k)): int(k) for k in np.flatnonzero(self.level == round_number)}
        return np.array([held.get(key(states, s), -1) for s in range(states.size)], dtype=np.int64)


def children(
    equilibrium: CrisisEquilibrium, states: States, rows: np.ndarray, weights: np.ndarray
) -> tuple[States, np.ndarray]:
    """Every public state the next round can start from, after each node and transition.

    Returns the states (node-major, ``TRANSITIONS`` per node) and each one's probability jointly
    with each type profile (``weights`` is the same for the nodes: (nodes, 8)).
    """
    policy = split_features(rows)
    n = states.size
    game = equilibrium.game
    beliefs = np.empty((n, TRANSITIONS, 3))
    incident = np.zeros((n, TRANSITIONS), dtype=np.int8)
    pledged = np.zeros((n, TRANSITIONS), dtype=np.int8)
    reached = np.zeros((n, TRANSITIONS, len(TYPE_PROFILES)))
    spiralling = states.incident.astype(bool)
    tc, tr, tu = TYPE_PROFILES.T
    standing = weights * (1.0 - game.collapse_chance(policy["stay"]))[:, None]
    for c in (DEPLOY, THREATEN):
        coalition = policy["coalition"][:, :, c]
        russia = policy["russia"][:, c, :, THREATEN]
        after_c = bayes(states.beliefs[:, 0], coalition[:, 1], coalition[:, 0])
        after_r = bayes(states.beliefs[:, 1], russia[:, 1], russia[:, 0])
        for u in range(3):
            us = policy["us"][:, c, :, u]
            after_u = bayes(states.beliefs[:, 2], us[:, 1], us[:, 0])
            chance = np.where(spiralling, game.a2, np.clip(game.a1[c] + game.a_backstop * (u == DEPLOY), 0.0, 1.0))
            going_on = standing * coalition[:, tc] * russia[:, tr] * us[:, tu]
            for accident in (0, 1):
                k = transition(c, u, accident)
                beliefs[:, k] = np.stack([after_c, after_r, after_u], axis=1)
                incident[:, k] = accident & ~spiralling
                pledged[:, k] = u == DEPLOY
                # An accident during an incident is a clash: the crisis does not go on.
                draw = np.where(spiralling, 0.0, chance) if accident else 1.0 - chance
                reached[:, k] = going_on * draw[:, None]
    flat = States(beliefs.reshape(-1, 3), incident.ravel(), pledged.ravel())
    return flat, reached.reshape(-1, len(TYPE_PROFILES))


def build_policy_tree(equilibrium: CrisisEquilibrium, limit: int | None = None) -> PolicyTree:
    """Solve the early rounds exactly at every public state they can reach (module docstring).

    Parameters
    ----------
    equilibrium : CrisisEquilibrium
        The solved crisis (its grid gives the later rounds and the warm starts).
    limit : int, optional
        The most states a round may have to be solved exactly (:data:`EXACT_STATES` by default).

    Returns
    -------
    PolicyTree
    """
    return build_policy_trees([equilibrium], limit)[0]


def build_policy_trees(equilibria: Sequence[CrisisEquilibrium], limit: int | None = None) -> list[PolicyTree]:
    """The policy trees of several crises that share one grid solution, built together.

    Each round's states of every crisis are solved in one :meth:`CrisisEquilibrium.solve_at` call,
    so the set-up of a round's solve (the numpy backward pass, the warm starts read off the grid,
    the members' game) is paid once for all of them; the fixed point itself is still solved state
    by state, so the gain is largest for short crises (3 rounds: about half the time of trees
    built one by one) and small for long ones, whose rounds are wide. A state's solution does not depend on the
    states solved beside it, so each tree equals the one built alone
    (tests/engine/test_policy_trees_together.py checks it to the last bit). Everything made is
    held until the trees are returned: give it tens of crises at a time, not thousands
    (:data:`TOGETHER`).

    Parameters
    ----------
    equilibria : sequence of CrisisEquilibrium
        Crises on one :class:`~sim.engine.equilibrium.solver.GridSolution` (the same object): the
        scenarios differ at most in where they start (:mod:`~sim.engine.equilibrium.grid_identity`).
    limit : int, optional
        The most states a round may have to be solved exactly (:data:`EXACT_STATES` by default).

    Returns
    -------
    list of PolicyTree
        One per crisis, in order.

    Raises
    ------
    ValueError
        If the crises do not share one grid solution.
    """
    limit = EXACT_STATES if limit is None else limit
    if not equilibria:
        return []
    solver = equilibria[0]
    if any(equilibrium.grid is not solver.grid for equilibrium in equilibria):
        raise ValueError("policy trees are built together only for crises that share one grid solution")
    count = len(equilibria)
    weights: list[np.ndarray] = []
    for equilibrium in equilibria:
        scenario = equilibrium.scenario
        priors = np.array([scenario.actor(key).resolve_prior for key in ("coalition", "russia", "us")])
        weights.append(np.prod(np.where(TYPE_PROFILES == 1, priors, 1.0 - priors), axis=1)[None, :])
    level_states: list[list[States]] = [[equilibrium.initial_state()] for equilibrium in equilibria]
    level_rows: list[list[np.ndarray]] = [[] for _ in equilibria]
    child_tables: list[list[np.ndarray]] = [[] for _ in equilibria]
    _solve_level(solver, 1, list(range(count)), level_states, level_rows)
    depth = 1
    growing = list(range(count))
    while growing and depth < solver.horizon:
        # Every growing crisis's next states, from one call; then each crisis's own, as alone.
        following, reached = children(
            solver,
            _joined([level_states[k][-1] for k in growing]),
            np.concatenate([level_rows[k][-1] for k in growing]),
            np.concatenate(
                [np.broadcast_to(weights[k], (level_states[k][-1].size, len(TYPE_PROFILES))) for k in growing]
            ),
        )
        cuts = np.cumsum([TRANSITIONS * level_states[k][-1].size for k in growing])[:-1]
        still = []
        for k, mine, chances in zip(growing, _split(following, cuts), np.split(reached, cuts), strict=True):
            kept = chances.sum(axis=1) > NEGLIGIBLE
            keys = np.concatenate([mine.beliefs, mine.incident[:, None], mine.pledged[:, None]], axis=1)
            unique, inverse = np.unique(keys[kept], axis=0, return_inverse=True)
            if not len(unique) or len(unique) > limit:
                continue  # the crisis cannot go on (scripted play), or the round is too wide to solve exactly
            inverse = inverse.ravel()
            offset = sum(len(rows) for rows in level_rows[k])
            child = np.full(len(kept), -1, dtype=np.int64)
            child[kept] = offset + inverse
            child_tables[k].append(child.reshape(-1, TRANSITIONS))
            weights[k] = np.zeros((len(unique), len(TYPE_PROFILES)))
            np.add.at(weights[k], inverse, chances[kept])
            level_states[k].append(
                States(unique[:, :3].copy(), unique[:, 3].astype(np.int8), unique[:, 4].astype(np.int8))
            )
            still.append(k)
        depth += 1
        growing = still
        if growing:
            _solve_level(solver, depth, growing, level_states, level_rows)
    return [
        _tree(states, rows, tables) for states, rows, tables in zip(level_states, level_rows, child_tables, strict=True)
    ]


def _solve_level(
    solver: CrisisEquilibrium,
    round_number: int,
    crises: list[int],
    level_states: list[list[States]],
    level_rows: list[list[np.ndarray]],
) -> None:
    """Solve round ``t`` at the newest states of these crises in one call; each gets its rows."""
    rows = feature_rows(solver.solve_at(round_number, _joined([level_states[k][-1] for k in crises])))
    cuts = np.cumsum([level_states[k][-1].size for k in crises])[:-1]
    for k, mine in zip(crises, np.split(rows, cuts), strict=True):
        level_rows[k].append(mine)


def _joined(parts: list[States]) -> States:
    """States one after another."""
    if len(parts) == 1:
        return parts[0]
    return States(
        np.concatenate([s.beliefs for s in parts]),
        np.concatenate([s.incident for s in parts]),
        np.concatenate([s.pledged for s in parts]),
    )


def _split(states: States, cuts: np.ndarray) -> list[States]:
    """States cut into consecutive parts at ``cuts`` (as :func:`numpy.split`)."""
    return [
        States(beliefs, incident, pledged)
        for beliefs, incident, pledged in zip(
            np.split(states.beliefs, cuts), np.split(states.incident, cuts), np.split(states.pledged, cuts), strict=True
        )
    ]


def _tree(level_states: list[States], level_rows: list[np.ndarray], child_tables: list[np.ndarray]) -> PolicyTree:
    """One crisis's tree from its levels (the last level's children are all -1: past the tree)."""
    tables = [*child_tables, np.full((len(level_rows[-1]), TRANSITIONS), -1, dtype=np.int64)]
    return PolicyTree(
        depth=len(level_rows),
        rows=np.ascontiguousarray(np.concatenate(level_rows)),
        child=np.ascontiguousarray(np.concatenate(tables)),
        states=_joined(level_states),
        level=np.concatenate([np.full(len(rows), t + 1) for t, rows in enumerate(level_rows)]),
    )


__all__ = [
    "EXACT_STATES",
    "NEGLIGIBLE",
    "TOGETHER",
    "TRANSITIONS",
    "TYPE_PROFILES",
    "PolicyTree",
    "build_policy_tree",
    "build_policy_trees",
    "children",
    "transition",
]
