"""Logit quantal response equilibrium (QRE): players who choose better actions more often.

Each *agent* plays the softmax of ``lam`` times its actions' expected values,
``sigma_h = softmax(lam * v_h(sigma))``. For a normal-form game the agents are the players
(McKelvey and Palfrey 1995, *Games Econ. Behav.* 10:6-38); for a game tree they are the
information sets, which gives the agent QRE (McKelvey and Palfrey 1998, *Exp. Econ.* 1:9-41).
At ``lam = 0`` everyone mixes uniformly; as ``lam`` grows the principal branch of QREs that
starts there converges to a Nash equilibrium (a sequential one for trees).

The branch is followed by pseudo-arclength continuation (Allgower and Georg 1990, *Numerical
Continuation Methods*) in the variables ``(x, lam)``, where ``x`` is the vector of
log-probabilities of all agents' actions and the equations are ``H(x, lam) = x -
log_softmax(lam * v(exp(x))) = 0``, one block per agent. In log-probabilities the branch is
asymptotically a straight line as ``lam`` grows (``log p`` of a worse action falls like ``-lam``
times its loss), which keeps long steps accurate, never leaves the simplex and never overflows
(Turocy 2005, *Games Econ. Behav.* 51:243-263, uses the same idea in Gambit). Jacobians of the
action values are exact, by the complex-step method (Squire and Trapp 1998, *SIAM Rev.* 40:110-112),
evaluated for many directions per vectorised pass.

One algorithm: the continuation (predictor, corrector, step control), the value maps of normal-form
games and trees it follows, and its start at ``lam = 0`` are read together, so they stay in one
module.
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.linalg import LinAlgWarning, lu_factor, lu_solve, null_space
from scipy.special import log_softmax, softmax

from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, depth_first

COMPLEX_STEP = 1e-30
PROBE_BATCH = 32  # directions per vectorised pass: large enough for numpy, small enough for the cache


class Agent(NamedTuple):
    """One decision maker of the agent form: the player it acts for, its actions, and a key (the
    player's name in a normal form, the information set's key in a tree)."""

    player: int
    actions: tuple[str, ...]
    key: str = ""


# ---------------------------------------------------------------------------------- agent forms


class AgentForm(ABC):
    """Agents and, for a behaviour profile, each agent's expected payoff of each of its actions.

    Subclasses implement :meth:`flat_values` on log-probabilities stacked over agents; it must be
    real-analytic (so it accepts complex input, for complex-step derivatives) and vectorised over
    trailing batch axes."""

    def __init__(self, agents: Sequence[Agent], payoff_scale: float) -> None:
        self.agents = list(agents)
        self.sizes = np.array([len(agent.actions) for agent in self.agents], dtype=int)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(int)
        self.payoff_scale = max(1.0, float(payoff_scale))

    @property
    def n_unknowns(self) -> int:
        """The number of unknowns, N: all agents' actions together."""
        return int(self.sizes.sum())

    @abstractmethod
    def flat_values(self, log_sigma: np.ndarray) -> np.ndarray:
        """Action values, shape ``(N, ...)``, from log-probabilities of shape ``(N, ...)``."""

    def values(self, behaviour: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each agent's expected payoff (to its player) of each of its actions, given ``behaviour``."""
        with np.errstate(divide="ignore"):
            log_sigma = np.log(self.flatten(behaviour))
        return self.split(self.flat_values(log_sigma))

    def flatten(self, behaviour: Sequence[np.ndarray]) -> np.ndarray:
        """One vector per agent stacked into one of length N (the inverse of :meth:`split`)."""
        return np.concatenate([np.asarray(p, dtype=float) for p in behaviour]) if self.agents else np.zeros(0)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """An array over the N actions (first axis) cut into one block per agent; the blocks are views."""
        return [flat[start : start + size] for start, size in zip(self.starts, self.sizes)]

    def uniform(self) -> list[np.ndarray]:
        """The profile in which every agent mixes its actions uniformly (the branch's start at ``lam = 0``)."""
        return [np.full(size, 1.0 / size) for size in self.sizes]


class NormalAgentForm(AgentForm):
    """One agent per player; values are :meth:`NormalFormGame.strategy_values`."""

    def __init__(self, game: NormalFormGame) -> None:
        agents = [Agent(i, game.strategies[i], game.players[i]) for i in range(game.n_players)]
        super().__init__(agents, float(np.abs(game.payoffs).max()))
        self.game = game

    def flat_values(self, log_sigma: np.ndarray) -> np.ndarray:
        """Each player's expected payoff of each pure strategy against the others' mixes (one einsum per player)."""
        n = self.game.n_players
        batch = list(range(n, n + log_sigma.ndim - 1))  # einsum labels of the batch axes
        sigma = self.split(np.exp(log_sigma))
        blocks = []
        for i in range(n):
            operands: list = [self.game.payoffs[i], list(range(n))]
            for j in range(n):
                if j != i:
                    operands += [sigma[j], [j, *batch]]
            if n == 1:  # no one else to average over: the payoffs themselves, the same in every batch row
                values = self.game.payoffs[0].reshape(-1, *[1] * len(batch))
                blocks.append(np.broadcast_to(values, (values.shape[0], *log_sigma.shape[1:])))
                continue
            blocks.append(np.einsum(*operands, [i, *batch], optimize=True))
        return np.concatenate(blocks)


class TreeAgentForm(AgentForm):
    """One agent per information set of a game tree.

    The value of action ``a`` at information set ``h`` is ``sum_x P(x) E[u | a at x] / sum_x P(x)``
    over the nodes ``x`` of ``h``, where ``P(x)`` is the probability of reaching ``x`` (chance and
    every player's behaviour) and ``E[u | a at x]`` the owner's expected payoff from the child of
    ``x`` on, under the behaviour. An information set whose total reach is zero (only below
    zero-probability chance branches) weights its nodes equally. Reach is kept in logs, so beliefs
    stay exact even when probabilities underflow at large ``lam``. One forward pass (reach) and
    one backward pass (node values) per evaluation, a level at a time.

    Nodes are stored level by level, each level's inner nodes first, so the nodes of a level and
    their parents are two slices, and each pass is slicing and sparse 0/1 products.
    They are identified by position, not by object identity, so a subtree object used at several
    places in a tree is handled correctly.
    """

    def __init__(self, game: ExtensiveFormGame) -> None:
        infosets = game.infosets()
        agents = [Agent(infoset.player, infoset.actions, infoset.key) for infoset in infosets]
        terminal = [node.payoffs for node in game.nodes() if node.kind == "terminal"]
        super().__init__(agents, float(np.abs(terminal).max()) if terminal else 1.0)
        self.game = game
        records = depth_first(game)
        self._index(records, {(infoset.player, infoset.key): h for h, infoset in enumerate(infosets)})
        self._index_actions()

    def _index(self, records: list[tuple], infoset_of: dict[tuple[int, str], int]) -> None:
        """Arrays over nodes in level order: parent, payoffs, information set, incoming edge."""
        depth_first_children: list[list[int]] = [[] for _ in records]
        for position, (_, parent, _) in enumerate(records):
            if parent >= 0:
                depth_first_children[parent].append(position)
        order, self.levels = level_order(depth_first_children)
        new_position = np.empty(len(order), dtype=int)
        new_position[order] = np.arange(len(order))
        count, n_players = len(order), self.game.n_players
        self.parent = np.full(count, -1)
        self.payoffs = np.zeros((count, n_players))
        self.node_infoset = np.full(count, -1)
        self.edge_action = np.full(count, -1)  # flat action index of the edge into a node, or -1
        self.edge_probability = np.ones(count)  # chance probability of the edge into a node
        self.children = [[int(new_position[c]) for c in depth_first_children[old]] for old in order]
        for old, (node, _, _) in enumerate(records):
            position = new_position[old]
            if node.kind == "terminal":
                self.payoffs[position] = node.payoffs
            elif node.kind == "decision":
                self.node_infoset[position] = infoset_of[(node.player, node.infoset or f"#{old}")]
        for old, (_, parent, k) in enumerate(records):
            if parent >= 0:
                self._link(new_position[old], new_position[parent], k, records[parent][0])

    def _link(self, position: int, parent: int, k: int, parent_node) -> None:
        """Record the edge from ``parent`` (its ``k``-th child) into ``position``."""
        self.parent[position] = parent
        if parent_node.kind == "chance":
            self.edge_probability[position] = parent_node.probabilities[k]
        else:
            self.edge_action[position] = self.starts[self.node_infoset[parent]] + k

    def _index_actions(self) -> None:
        """Information-set members grouped by agent, and the terms (flat action, member, child,
        owner) of the action-value sums grouped by action."""
        members = np.flatnonzero(self.node_infoset >= 0)
        self.members = members[np.argsort(self.node_infoset[members], kind="stable")]
        self.member_agent = self.node_infoset[self.members]
        self.member_starts = group_starts(self.member_agent)
        self.member_counts = np.bincount(self.member_agent, minlength=len(self.agents))
        terms = []
        for m, position in enumerate(self.members):
            h = self.node_infoset[position]
            for k, child in enumerate(self.children[position]):
                terms.append((self.starts[h] + k, m, child, self.agents[h].player))
        terms.sort()
        self.term_flat, self.term_member, self.term_child, self.term_owner = (
            (np.array(column, dtype=int).reshape(-1) for column in zip(*terms, strict=True))
            if terms
            else (np.zeros(0, dtype=int),) * 4
        )
        self.term_sum = summing_matrix(self.term_flat, self.n_unknowns)
        self.member_sum = summing_matrix(self.member_agent, len(self.agents))
        self.decision_edges = np.flatnonzero(self.edge_action >= 0)
        self.decision_actions = self.edge_action[self.decision_edges]
        with np.errstate(divide="ignore"):
            self.log_edge_probability = np.log(self.edge_probability)

    def flat_values(self, log_sigma: np.ndarray) -> np.ndarray:
        """Each information set's action values, by one forward (reach) and one backward (value) pass."""
        batch = log_sigma.shape[1:]
        if not self.agents:  # only chance moves: nobody chooses
            return np.zeros((0, *batch), dtype=log_sigma.dtype)
        log_weight = np.empty((len(self.parent), *batch), dtype=log_sigma.dtype)
        log_weight[...] = self.log_edge_probability.reshape(-1, *[1] * len(batch))
        log_weight[self.decision_edges] = log_sigma[self.decision_actions]
        log_reach = np.zeros_like(log_weight)
        for level in self.levels:  # indexing, not a 0/1 product: 0 * -inf would be nan
            log_reach[level.nodes] = log_reach[level.parent_of] + log_weight[level.nodes]
        values = self._node_values(np.exp(log_weight))
        belief = self._beliefs(log_reach[self.members])
        terms = belief[self.term_member] * values[self.term_child, self.term_owner]
        return group_sum(self.term_sum, terms)

    def _node_values(self, weight: np.ndarray) -> np.ndarray:
        """Backward pass: every node's expected payoff vector, shape (nodes, players, batch...)."""
        batch = weight.shape[1:]
        values = np.empty((len(self.parent), self.payoffs.shape[1], *batch), dtype=weight.dtype)
        values[...] = self.payoffs.reshape(*self.payoffs.shape, *[1] * len(batch))
        for level in reversed(self.levels):
            weighted = weight[level.nodes, None] * values[level.nodes]
            values[level.parents] = group_sum(level.gather, weighted)
        return values

    def _beliefs(self, log_reach: np.ndarray) -> np.ndarray:
        """Probability of each node given its information set is reached (uniform if it cannot be)."""
        shift = np.maximum.reduceat(log_reach.real, self.member_starts, axis=0)
        shift[~np.isfinite(shift)] = 0.0
        weight = np.exp(log_reach - shift[self.member_agent])
        total = group_sum(self.member_sum, weight)
        reachable = total.real > 0
        safe_total = np.where(reachable, total, 1.0)[self.member_agent]
        uniform = (1.0 / self.member_counts).reshape(-1, *[1] * (weight.ndim - 1))[self.member_agent]
        return np.where(reachable[self.member_agent], weight / safe_total, uniform)


class Level(NamedTuple):
    """One depth of the tree in level order: its nodes (a slice), their parents (a slice of the
    level above: its inner nodes), each node's parent, and the 0/1 matrix that sums children into
    parents."""

    nodes: slice
    parents: slice
    parent_of: np.ndarray
    gather: sparse.csr_matrix


def level_order(children: list[list[int]]) -> tuple[np.ndarray, list[Level]]:
    """Old positions in level order (each level's inner nodes first, so the level below hangs from
    one slice), and the levels below the root."""
    order: list[int] = []
    bounds: list[tuple[int, int]] = []
    current = [0]
    while current:
        inner = [n for n in current if children[n]]
        bounds.append((len(order), len(order) + len(inner)))
        order += inner + [n for n in current if not children[n]]
        current = [c for n in inner for c in children[n]]
    new_position = np.empty(len(order), dtype=int)
    new_position[order] = np.arange(len(order))
    parent_of = {c: n for n in range(len(children)) for c in children[n]}
    levels = []
    for (start, stop), (below, _) in itertools.pairwise(bounds):
        nodes = range(below, below + sum(len(children[order[p]]) for p in range(start, stop)))
        relative = np.array([new_position[parent_of[order[q]]] - start for q in nodes], dtype=int)
        gather = summing_matrix(relative, stop - start)
        levels.append(Level(slice(nodes.start, nodes.stop), slice(start, stop), relative + start, gather))
    return np.array(order), levels


def summing_matrix(groups: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """The 0/1 matrix whose product with an array sums its rows by group (``groups[i]`` is row i's)."""
    ones = np.ones(len(groups))
    return sparse.csr_matrix((ones, (groups, np.arange(len(groups)))), shape=(n_groups, len(groups)))


def group_sum(matrix: sparse.csr_matrix, array: np.ndarray) -> np.ndarray:
    """Rows of ``array`` summed by group; a sparse product is several times faster than ``np.add.reduceat``."""
    return np.asarray(matrix @ array.reshape(array.shape[0], -1)).reshape(matrix.shape[0], *array.shape[1:])


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array (the offsets ``reduceat`` takes)."""
    return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, dtype=int)


def agent_form(game: NormalFormGame | ExtensiveFormGame | AgentForm) -> AgentForm:
    """The agent form of a game: one agent per player of a normal form, per information set of a tree.

    Raises
    ------
    GameError
        If ``game`` is none of a normal form, a tree or an agent form (which is returned as it is).
    """
    if isinstance(game, AgentForm):
        return game
    if isinstance(game, NormalFormGame):
        return NormalAgentForm(game)
    if isinstance(game, ExtensiveFormGame):
        return TreeAgentForm(game)
    raise GameError(f"cannot compute a QRE of a {type(game).__name__}")


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class QREResult:
    """A logit QRE at ``lam``: one probability vector per agent (per player in a normal form, per
    information set in a tree), with the agents' player, actions and key."""

    lam: float
    profile: list[np.ndarray]
    agents: list[Agent]
    log_profile: list[np.ndarray] | None = None  # exact even where probabilities underflow to 0

    def by_player(self) -> dict[int, list[np.ndarray]]:
        """The agents' vectors grouped by player, in agent order."""
        grouped: dict[int, list[np.ndarray]] = {}
        for agent, p in zip(self.agents, self.profile):
            grouped.setdefault(agent.player, []).append(p)
        return grouped

    def behaviour(self) -> dict[tuple[int, str], np.ndarray]:
        """``{(player, infoset key): probabilities}``, as :meth:`ExtensiveFormGame.behaviour_value` takes."""
        return {(agent.player, agent.key): p for agent, p in zip(self.agents, self.profile)}


@dataclass(frozen=True, eq=False)
class QREPoint:
    """One point of the traced branch."""

    lam: float
    profile: list[np.ndarray]


# ---------------------------------------------------------------------------------- equations


class Homotopy:
    """``H(x, lam) = x - log_softmax(lam * v(exp x))`` per agent, and its Jacobian."""

    def __init__(self, form: AgentForm) -> None:
        self.form = form
        self.n = form.n_unknowns

    def segment_sum(self, values: np.ndarray) -> np.ndarray:
        """Per-agent sums, repeated back to the agent's actions."""
        return np.repeat(np.add.reduceat(values, self.form.starts, axis=0), self.form.sizes, axis=0)

    def log_softmax(self, z: np.ndarray) -> np.ndarray:
        """Per-agent log-softmax by log-sum-exp: no overflow at any ``lam``."""
        peak = np.repeat(np.maximum.reduceat(z, self.form.starts), self.form.sizes)
        return z - peak - np.log(self.segment_sum(np.exp(z - peak)))

    def residual(self, y: np.ndarray) -> np.ndarray:
        """``H(x, lam)`` at ``y = (x, lam)``: zero exactly on the branch of QREs."""
        x, lam = y[:-1], y[-1]
        return x - self.log_softmax(lam * self.form.flat_values(x))

    def jacobian(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[dH/dx, dH/dlam]`` (shape N x (N+1)) and ``H``, with ``dv/dx`` by the complex step."""
        x, lam = y[:-1], y[-1]
        values = self.form.flat_values(x)
        log_pi = self.log_softmax(lam * values)
        pi = np.exp(log_pi)
        dv_dx = self.value_derivatives(x)
        centred = dv_dx - self.segment_sum(pi[:, None] * dv_dx)  # d log_softmax / dz applied to dv/dx
        dh_dx = np.eye(self.n) - lam * centred
        dh_dlam = -(values - self.segment_sum(pi * values))
        return np.column_stack([dh_dx, dh_dlam]), x - log_pi

    def value_derivatives(self, x: np.ndarray) -> np.ndarray:
        """``dv/dx`` by the complex step ``Im v(x + i h e_k) / h``: exact to round-off (no cancellation,
        unlike finite differences), evaluated for ``PROBE_BATCH`` directions per vectorised pass."""
        derivatives = np.empty((self.n, self.n))
        for start in range(0, self.n, PROBE_BATCH):
            columns = np.arange(start, min(start + PROBE_BATCH, self.n))
            probes = np.repeat(x[:, None], len(columns), axis=1).astype(complex)
            probes[columns, np.arange(len(columns))] += 1j * COMPLEX_STEP
            derivatives[:, columns] = self.form.flat_values(probes).imag / COMPLEX_STEP
        return derivatives

    def tolerance(self, lam: float) -> float:
        """Residual tolerance in log-probabilities, scaled by the size of ``lam * v`` (round-off)."""
        return 1e-12 * (1.0 + abs(lam) * self.form.payoff_scale)


def tangent(jacobian: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unit null vector of the Jacobian, oriented along ``previous`` (the direction of travel).

    Solves the bordered system ``[J; previous] t = (0, ..., 0, 1)``, which also fixes the
    orientation. Where that matrix is singular (the null space has more than one dimension: a
    bifurcation of a non-generic game) the null-space direction closest to ``previous`` is kept,
    which continues straight through."""
    rhs = np.zeros(len(previous))
    rhs[-1] = 1.0
    try:
        direction = np.linalg.solve(np.vstack([jacobian, previous]), rhs)
        scale = (1.0 + np.abs(jacobian).max()) * np.abs(direction).max()
        regular = bool(np.all(np.isfinite(direction)) and np.abs(jacobian @ direction).max() < 1e-8 * scale)
    except np.linalg.LinAlgError:
        regular = False
    if not regular:
        basis = null_space(jacobian)
        direction = basis @ (basis.T @ previous)
        if np.linalg.norm(direction) < 1e-12:
            direction = basis[:, 0]
    direction = direction / np.linalg.norm(direction)
    return direction if direction @ previous >= 0 else -direction


@dataclass
class Settings:
    """Step control: first step, growth, limits, and the largest probability change per step."""

    first_step: float = 0.1
    growth: float = 2.0
    min_step: float = 1e-10
    max_steps: int = 20000
    max_newton: int = 12
    target_contraction: float = 0.1
    target_angle: float = 0.1  # radians the tangent may turn per step, aimed at ...
    max_angle: float = 0.3  # ... and the most it may turn before the step is rejected
    max_prob_step: float = 0.1


# ---------------------------------------------------------------------------------- continuation


def factorise(jacobian: np.ndarray, direction: np.ndarray) -> tuple:
    """LU factors of the bordered matrix ``[dH/dy; direction]`` used by the corrector."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        return lu_factor(np.vstack([jacobian, direction]), check_finite=False)


def corrector(
    homotopy: Homotopy, predicted: np.ndarray, direction: np.ndarray, settings: Settings
) -> tuple[np.ndarray | None, float, np.ndarray]:
    """Newton on ``H = 0`` plus ``direction . (y - predicted) = 0`` (the pseudo-arclength plane).

    Chord iterations: the Jacobian at the predicted point is factorised once and reused while the
    residual falls fast, and refreshed at the current iterate (a true Newton step) when progress
    slows. Returns the corrected point (``None`` if the residual stops falling: the step was too
    long and may have left the branch's basin), the first contraction ratio of the residual (it
    sizes the next step) and the last Jacobian computed, taken at a point within ``O(step^2)`` of
    the new one: its null vector is the next tangent, so a step usually costs one Jacobian plus a
    few cheap residuals."""
    jacobian = homotopy.jacobian(predicted)[0]
    factors = factorise(jacobian, direction)
    y = predicted.copy()
    errors: list[float] = []
    for _ in range(settings.max_newton):
        residual = homotopy.residual(y)
        errors.append(float(np.abs(residual).max()))
        contraction = errors[1] / errors[0] if len(errors) > 1 else 0.0
        if errors[-1] <= 10 * homotopy.tolerance(y[-1]):
            return y, contraction, jacobian
        if len(errors) > 1 and not errors[-1] < errors[-2]:
            break
        if len(errors) > 1 and errors[-1] > 0.25 * errors[-2]:
            jacobian = homotopy.jacobian(y)[0]
            factors = factorise(jacobian, direction)
        step = lu_solve(factors, np.concatenate([residual, [direction @ (y - predicted)]]), check_finite=False)
        if not np.all(np.isfinite(step)):
            break
        y = y - step
    return None, 1.0, jacobian


def land(homotopy: Homotopy, guess: np.ndarray, lam: float, max_newton: int = 30) -> np.ndarray | None:
    """Newton on ``H(x, lam) = 0`` at fixed ``lam``: the final corrector that lands exactly on ``lam``.

    Iterates down to round-off (until the residual stops halving); ``None`` if it never gets
    within the path tolerance."""
    y = np.append(guess, lam)
    best, best_error = y[:-1].copy(), np.inf
    for _ in range(max_newton):
        jacobian, residual = homotopy.jacobian(y)
        error = float(np.abs(residual).max())
        if not error < 0.5 * best_error:
            break
        best, best_error = y[:-1].copy(), error
        try:
            y[:-1] += np.linalg.solve(jacobian[:, :-1], -residual)
        except np.linalg.LinAlgError:
            break
    return best if best_error <= 1e3 * homotopy.tolerance(lam) else None


def next_step_factor(contraction: float, angle: float, change: float, settings: Settings) -> float:
    """How much to grow (or shrink) the next step after an accepted one: each measure of the
    step's difficulty (the corrector's first contraction ratio, the turn of the tangent, the
    largest probability change) is aimed at its target (Allgower and Georg 1990, section 6.1)."""
    ratios = [
        np.sqrt(settings.target_contraction / contraction) if contraction > 0 else np.inf,
        settings.target_angle / angle if angle > 0 else np.inf,
        0.5 * settings.max_prob_step / change if change > 0 else np.inf,
    ]
    return float(np.clip(min(ratios), 0.5, settings.growth))


def probability_change(y: np.ndarray, new: np.ndarray) -> float:
    """The largest change of any probability between two points of the path."""
    return float(np.abs(np.exp(new[:-1]) - np.exp(y[:-1])).max(initial=0.0))


def step_limit(y: np.ndarray, direction: np.ndarray, settings: Settings) -> float:
    """The arclength at which, to first order, some probability would move by ``max_prob_step``
    (``dp/ds = p dx/ds``): steps are sized for continuity before they are tried."""
    speed = float(np.abs(np.exp(y[:-1]) * direction[:-1]).max(initial=0.0))
    return settings.max_prob_step / speed if speed > 0 else np.inf


@dataclass
class PathState:
    """The last accepted point and its unit tangent."""

    y: np.ndarray
    direction: np.ndarray


def advance(homotopy: Homotopy, state: PathState, step: float, settings: Settings) -> tuple[PathState | None, float]:
    """One predictor-corrector step of arclength ``step``: the new state (``None`` if rejected)
    and the factor for the next step.

    Rejected: the corrector fails, a probability moves more than ``max_prob_step`` (continuity),
    or the tangent turns by more than ``max_angle`` (a sharp bend that a long step could cut
    across, landing on another branch)."""
    new, contraction, jacobian = corrector(homotopy, state.y + step * state.direction, state.direction, settings)
    change = probability_change(state.y, new) if new is not None else np.inf
    if new is None or change > settings.max_prob_step:
        return None, 0.5
    direction = tangent(jacobian, state.direction)
    angle = float(np.arccos(np.clip(direction @ state.direction, -1.0, 1.0)))
    if angle > settings.max_angle:
        return None, max(0.1, 0.5 * settings.target_angle / angle)
    return PathState(new, direction), next_step_factor(contraction, angle, change, settings)


def start_state(homotopy: Homotopy) -> PathState:
    """Uniform play at ``lam = 0``, heading towards larger ``lam``."""
    y = np.append(np.log(np.concatenate(homotopy.form.uniform())), 0.0)
    jacobian = homotopy.jacobian(y)[0]
    upwards = np.zeros(len(y))
    upwards[-1] = 1.0
    return PathState(y, tangent(jacobian, upwards))


def trace(form: AgentForm, lam_stop: float, settings: Settings) -> list[tuple[float, np.ndarray]]:
    """Follow the principal branch from ``lam = 0`` to the first point with ``lam = lam_stop``.

    Returns the accepted points ``(lam, x)``; the last one is exactly at ``lam_stop``."""
    homotopy = Homotopy(form)
    if homotopy.n == 0:
        return [(0.0, np.zeros(0)), (lam_stop, np.zeros(0))]
    state = start_state(homotopy)
    points = [(0.0, state.y[:-1])]
    if lam_stop <= 0:
        return points
    step = settings.first_step
    for _ in range(settings.max_steps):
        step = min(step, step_limit(state.y, state.direction, settings))
        new, factor = advance(homotopy, state, step, settings)
        if new is not None and new.y[-1] >= lam_stop:
            fraction = (lam_stop - state.y[-1]) / (new.y[-1] - state.y[-1])
            landed = land(homotopy, state.y[:-1] + fraction * (new.y[:-1] - state.y[:-1]), lam_stop)
            if landed is not None:
                return [*points, (lam_stop, landed)]
            new = None
        step *= factor if new is not None else min(factor, 0.5)
        if new is None:
            if step < settings.min_step:
                break
            continue
        state = new
        points.append((float(state.y[-1]), state.y[:-1]))
    raise RuntimeError(
        f"QRE continuation stopped at lam = {state.y[-1]:.6g} before reaching {lam_stop:g} "
        "(the step fell below min_step or max_steps were taken)"
    )


# ---------------------------------------------------------------------------------- public API


def profile_from_logs(form: AgentForm, x: np.ndarray) -> list[np.ndarray]:
    """Probabilities from log-probabilities, renormalised per agent (removes round-off)."""
    return [p / p.sum() for p in form.split(np.exp(x))]


def result_from_logs(form: AgentForm, lam: float, x: np.ndarray) -> QREResult:
    """The QRE at ``lam`` whose stacked log-probabilities are ``x``, with its agents and log-profile."""
    return QREResult(float(lam), profile_from_logs(form, x), form.agents, form.split(x.copy()))


def logit_qre(
    game: NormalFormGame | ExtensiveFormGame | AgentForm,
    lam: float,
    *,
    method: str = "homotopy",
    settings: Settings | None = None,
) -> QREResult:
    """The logit QRE on the principal branch at ``lam`` (the first point of the branch at ``lam``
    if the branch bends back and passes it more than once).

    The branch is traced from ``lam = 0`` by pseudo-arclength continuation in log-probabilities
    (see the module docstring) and a final Newton correction at fixed ``lam`` lands on it exactly.
    ``settings`` tunes the step control. ``method="backward"`` uses logit backward induction
    instead, which gives the unique agent QRE of a perfect-information tree in one pass;
    ``"auto"`` picks it for such trees.

    Raises
    ------
    ValueError
        If ``lam`` is negative or not finite, the method is unknown, or ``"backward"`` is asked of
        a game that is not a tree.
    GameError
        If ``"backward"`` is asked of a tree with imperfect information.

    References
    ----------
    McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
    *Games and Economic Behavior* 10(1), 6-38.
    McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive form games.
    *Experimental Economics* 1, 9-41.
    Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic quantal response
    equilibrium correspondence. *Games and Economic Behavior* 51, 243-263.
    """
    if lam < 0 or not np.isfinite(lam):
        raise ValueError(f"lam must be a finite non-negative number, not {lam}")
    perfect = isinstance(game, ExtensiveFormGame) and game.is_perfect_information()
    if method == "backward" or (method == "auto" and perfect):
        if not isinstance(game, ExtensiveFormGame):
            raise ValueError("method='backward' needs a game tree")
        return logit_backward_induction(game, lam)
    if method not in ("homotopy", "auto"):
        raise ValueError(f"unknown method {method!r}: use 'homotopy', 'backward' or 'auto'")
    form = agent_form(game)
    _, x = trace(form, float(lam), settings or Settings())[-1]
    return result_from_logs(form, lam, x)


def qre_path(
    game: NormalFormGame | ExtensiveFormGame | AgentForm,
    lam_max: float,
    *,
    max_prob_step: float = 0.1,
    settings: Settings | None = None,
) -> list[QREPoint]:
    """Points along the principal branch from ``lam = 0`` to ``lam_max`` (inclusive), as traced.

    Consecutive points differ by at most ``max_prob_step`` in any probability; ``lam`` usually
    increases along the list but may decrease where the branch bends back."""
    settings = settings or Settings(max_prob_step=max_prob_step)
    form = agent_form(game)
    return [QREPoint(lam, profile_from_logs(form, x)) for lam, x in trace(form, float(lam_max), settings)]


def logit_backward_induction(game: ExtensiveFormGame, lam: float) -> QREResult:
    """The agent QRE of a perfect-information tree: from the leaves up, each mover plays the softmax
    of ``lam`` times its children's values (McKelvey and Palfrey 1998, section 4).

    Raises
    ------
    GameError
        If ``game`` is not a perfect-information game tree.

    References
    ----------
    McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive form games.
    *Experimental Economics* 1, 9-41.
    """
    if not isinstance(game, ExtensiveFormGame) or not game.is_perfect_information():
        raise GameError("logit backward induction needs a perfect-information game tree")
    form = TreeAgentForm(game)
    values = form.payoffs.copy()
    logs: list[np.ndarray] = [np.zeros(0)] * len(form.agents)
    for position in reversed(range(len(form.parent))):
        children = form.children[position]
        if not children:
            continue
        h = form.node_infoset[position]
        if h >= 0:
            logs[h] = log_softmax(lam * values[children, form.agents[h].player])
            weights = np.exp(logs[h])
        else:
            weights = form.edge_probability[children]
        values[position] = weights @ values[children]
    return result_from_logs(form, lam, np.concatenate(logs) if logs else np.zeros(0))


def qre_residual(game: NormalFormGame | ExtensiveFormGame | AgentForm, result: QREResult) -> float:
    """Largest ``|sigma - softmax(lam * v(sigma))|`` over all actions: 0 at an exact QRE.

    Uses the log-probabilities when the result has them, so beliefs at information sets reached
    with underflowing probability (large ``lam``) are still exact."""
    form = agent_form(game)
    if result.log_profile is None:
        values = form.values(result.profile)
    else:
        values = form.split(form.flat_values(form.flatten(result.log_profile)))
    return max((float(np.abs(p - softmax(result.lam * v)).max()) for p, v in zip(result.profile, values)), default=0.0)
