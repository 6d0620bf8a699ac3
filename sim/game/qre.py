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
action values are exact, by the complex-step method (Squire and Trapp 1998), evaluated for all
directions in one vectorised pass.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgWarning, lu_factor, lu_solve, null_space
from scipy.special import log_softmax, softmax

from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame

COMPLEX_STEP = 1e-30


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
        return np.concatenate([np.asarray(p, dtype=float) for p in behaviour]) if self.agents else np.zeros(0)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[start : start + size] for start, size in zip(self.starts, self.sizes)]

    def uniform(self) -> list[np.ndarray]:
        return [np.full(size, 1.0 / size) for size in self.sizes]


class NormalAgentForm(AgentForm):
    """One agent per player; values are :meth:`NormalFormGame.strategy_values`."""

    def __init__(self, game: NormalFormGame) -> None:
        agents = [Agent(i, game.strategies[i], game.players[i]) for i in range(game.n_players)]
        super().__init__(agents, float(np.abs(game.payoffs).max()))
        self.game = game

    def flat_values(self, log_sigma: np.ndarray) -> np.ndarray:
        n = self.game.n_players
        batch = list(range(n, n + log_sigma.ndim - 1))  # einsum labels of the batch axes
        sigma = self.split(np.exp(log_sigma))
        blocks = []
        for i in range(n):
            operands: list = [self.game.payoffs[i], list(range(n))]
            for j in range(n):
                if j != i:
                    operands += [sigma[j], [j, *batch]]
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
    one backward pass (node values) per evaluation, level by level.

    Nodes are identified by their depth-first position, not by object identity, so a subtree
    object used at several places in a tree is handled correctly.
    """

    def __init__(self, game: ExtensiveFormGame) -> None:
        infosets = game.infosets()
        agents = [Agent(infoset.player, infoset.actions, infoset.key) for infoset in infosets]
        terminal = [node.payoffs for node in game.nodes() if node.kind == "terminal"]
        super().__init__(agents, float(np.abs(terminal).max()) if terminal else 1.0)
        self.game = game
        self._index(game, {(infoset.player, infoset.key): h for h, infoset in enumerate(infosets)})

    def _index(self, game: ExtensiveFormGame, infoset_of: dict[tuple[int, str], int]) -> None:
        """Flatten the tree into arrays: parents, depths, incoming edges, payoffs, infoset members.

        Positions are assigned in the depth-first order of :meth:`ExtensiveFormGame.nodes`, so
        unnamed information sets (``#position``) match :meth:`ExtensiveFormGame.infosets`."""
        records: list[tuple] = []
        stack = [(game.root, -1, -1)]
        while stack:
            node, parent, k = stack.pop()
            position = len(records)
            records.append((node, parent, k))
            stack.extend((child, position, j) for j, child in reversed(list(enumerate(node.children))))
        count = len(records)
        self.parent = np.array([parent for _, parent, _ in records], dtype=int)
        self.payoffs = np.zeros((count, game.n_players))
        self.node_infoset = np.full(count, -1)
        self.edge_action = np.full(count, -1)  # flat action index of the edge into a node, or -1
        self.edge_probability = np.ones(count)  # chance probability of the edge into a node
        self.children: list[list[int]] = [[] for _ in range(count)]
        depth = np.zeros(count, dtype=int)
        for position, (node, parent, k) in enumerate(records):
            if node.kind == "terminal":
                self.payoffs[position] = node.payoffs
            elif node.kind == "decision":
                self.node_infoset[position] = infoset_of[(node.player, node.infoset or f"#{position}")]
            if parent >= 0:
                self._link(position, parent, k, records[parent][0])
                depth[position] = depth[parent] + 1
        self.levels = [self._level(np.flatnonzero(depth == d)) for d in range(1, int(depth.max()) + 1)]
        self.members = np.flatnonzero(self.node_infoset >= 0)
        self.members = self.members[np.argsort(self.node_infoset[self.members], kind="stable")]
        self.member_agent = self.node_infoset[self.members]
        self.member_starts = group_starts(self.member_agent)
        self._index_actions()

    def _level(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nodes at one depth, where each run of siblings starts, and their parents.

        In depth-first order the nodes of a level come grouped by parent, so sums over siblings
        are one ``np.add.reduceat``."""
        starts = group_starts(self.parent[nodes])
        return nodes, starts, self.parent[nodes][starts]

    def _link(self, position: int, parent: int, k: int, parent_node) -> None:
        """Record the edge from ``parent`` (its ``k``-th child) into ``position``."""
        self.children[parent].append(position)
        if parent_node.kind == "chance":
            self.edge_probability[position] = parent_node.probabilities[k]
        else:
            self.edge_action[position] = self.starts[self.node_infoset[parent]] + k

    def _index_actions(self) -> None:
        """Terms (flat action, member node, child, owner) of the action-value sums, grouped by action."""
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
        self.term_starts = group_starts(self.term_flat)
        self.decision_edges = np.flatnonzero(self.edge_action >= 0)
        self.decision_actions = self.edge_action[self.decision_edges]
        with np.errstate(divide="ignore"):
            self.log_edge_probability = np.log(self.edge_probability)

    def flat_values(self, log_sigma: np.ndarray) -> np.ndarray:
        batch = log_sigma.shape[1:]
        log_weight = np.broadcast_to(
            self.log_edge_probability.reshape(-1, *[1] * len(batch)), (len(self.parent), *batch)
        ).astype(log_sigma.dtype)
        log_weight[self.decision_edges] = log_sigma[self.decision_actions]
        log_reach = np.zeros_like(log_weight)
        for nodes, _, _ in self.levels:
            log_reach[nodes] = log_reach[self.parent[nodes]] + log_weight[nodes]
        values = self._node_values(np.exp(log_weight))
        belief = self._beliefs(log_reach[self.members])
        terms = belief[self.term_member] * values[self.term_child, self.term_owner]
        if not len(terms):
            return np.zeros((0, *batch), dtype=log_sigma.dtype)
        return np.add.reduceat(terms, self.term_starts, axis=0)

    def _node_values(self, weight: np.ndarray) -> np.ndarray:
        """Backward pass: every node's expected payoff vector, shape (nodes, players, batch...)."""
        batch = weight.shape[1:]
        values = np.zeros((len(self.parent), self.payoffs.shape[1], *batch), dtype=weight.dtype)
        values += self.payoffs.reshape(*self.payoffs.shape, *[1] * len(batch))
        for nodes, starts, parents in reversed(self.levels):
            values[parents] = np.add.reduceat(weight[nodes][:, None] * values[nodes], starts, axis=0)
        return values

    def _beliefs(self, log_reach: np.ndarray) -> np.ndarray:
        """Probability of each node given its information set is reached (uniform if it cannot be)."""
        shift = np.maximum.reduceat(log_reach.real, self.member_starts, axis=0)
        shift[~np.isfinite(shift)] = 0.0
        weight = np.exp(log_reach - shift[self.member_agent])
        total = np.add.reduceat(weight, self.member_starts, axis=0)
        counts = np.diff(np.append(self.member_starts, len(self.members))).reshape(-1, *[1] * (weight.ndim - 1))
        reachable = (total.real > 0)[self.member_agent]
        safe_total = np.where(total.real > 0, total, 1.0)[self.member_agent]
        return np.where(reachable, weight / safe_total, 1.0 / counts[self.member_agent])


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array (the offsets ``reduceat`` takes)."""
    return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, dtype=int)


def agent_form(game: NormalFormGame | ExtensiveFormGame | AgentForm) -> AgentForm:
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
        x, lam = y[:-1], y[-1]
        return x - self.log_softmax(lam * self.form.flat_values(x))

    def jacobian(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[dH/dx, dH/dlam]`` (shape N x (N+1)) and ``H``, with dv/dx by one batched complex step."""
        x, lam = y[:-1], y[-1]
        values = self.form.flat_values(x)
        log_pi = self.log_softmax(lam * values)
        pi = np.exp(log_pi)
        probes = x[:, None] + 1j * COMPLEX_STEP * np.eye(self.n)
        dv_dx = self.form.flat_values(probes).imag / COMPLEX_STEP
        centred = dv_dx - self.segment_sum(pi[:, None] * dv_dx)  # d log_softmax / dz applied to dv/dx
        dh_dx = np.eye(self.n) - lam * centred
        dh_dlam = -(values - self.segment_sum(pi * values))
        return np.column_stack([dh_dx, dh_dlam]), x - log_pi

    def tolerance(self, lam: float) -> float:
        """Residual tolerance in log-probabilities, scaled by the size of ``lam * v`` (round-off)."""
        return 1e-12 * (1.0 + abs(lam) * self.form.payoff_scale)


def tangent(jacobian: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unit null vector of the Jacobian, oriented along ``previous`` (the direction of travel).

    When the null space has more than one dimension (a bifurcation of a non-generic game) the
    direction closest to ``previous`` is kept, which continues straight through."""
    basis = null_space(jacobian)
    direction = basis @ (basis.T @ previous)
    if np.linalg.norm(direction) < 1e-12:
        direction = basis[:, 0]
    direction /= np.linalg.norm(direction)
    return direction if direction @ previous >= 0 else -direction


@dataclass
class Settings:
    """Step control: first step, growth, limits, and the largest probability change per step."""

    first_step: float = 0.1
    growth: float = 1.6
    min_step: float = 1e-10
    max_steps: int = 20000
    max_newton: int = 12
    min_cosine: float = 0.97
    max_prob_step: float = 0.1


# ---------------------------------------------------------------------------------- continuation


def factorise(jacobian: np.ndarray, direction: np.ndarray) -> tuple:
    """LU factors of the bordered matrix ``[dH/dy; direction]`` used by the corrector."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        return lu_factor(np.vstack([jacobian, direction]), check_finite=False)


def corrector(
    homotopy: Homotopy, jacobian: np.ndarray, predicted: np.ndarray, direction: np.ndarray, settings: Settings
) -> np.ndarray | None:
    """Newton on ``H = 0`` plus ``direction . (y - predicted) = 0`` (the pseudo-arclength plane).

    Chord iterations first: the last accepted point's Jacobian is reused while the residual falls
    fast; it is refreshed at the current iterate (a true Newton step) when progress slows. A step
    thus usually costs one Jacobian (at the new point, for the next tangent) plus a few cheap
    residuals. Returns ``None`` if the residual stops falling (the step was too long: it may have
    left the branch's basin)."""
    factors = factorise(jacobian, direction)
    y = predicted.copy()
    previous_error = np.inf
    for _ in range(settings.max_newton):
        residual = homotopy.residual(y)
        error = float(np.abs(residual).max())
        if error <= 10 * homotopy.tolerance(y[-1]):
            return y
        if not error < previous_error:
            return None
        if error > 0.25 * previous_error < np.inf:
            factors = factorise(homotopy.jacobian(y)[0], direction)
        step = lu_solve(factors, np.concatenate([residual, [direction @ (y - predicted)]]), check_finite=False)
        if not np.all(np.isfinite(step)):
            return None
        y, previous_error = y - step, error
    return None


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


def accept(
    y: np.ndarray, new: np.ndarray, direction: np.ndarray, new_direction: np.ndarray, settings: Settings
) -> bool:
    """A step is kept when the tangent turned little and no probability moved too far (continuity)."""
    if direction @ new_direction < settings.min_cosine:
        return False
    change = np.abs(np.exp(new[:-1]) - np.exp(y[:-1])).max(initial=0.0)
    return bool(change <= settings.max_prob_step)


def trace(form: AgentForm, lam_stop: float, settings: Settings) -> list[tuple[float, np.ndarray]]:
    """Follow the principal branch from ``lam = 0`` to the first point with ``lam = lam_stop``.

    Returns the accepted points ``(lam, x)``; the last one is exactly at ``lam_stop``."""
    homotopy = Homotopy(form)
    y = np.append(np.log(np.concatenate(form.uniform())) if form.agents else np.zeros(0), 0.0)
    if lam_stop <= 0 or homotopy.n == 0:
        return [(0.0, y[:-1])] + ([(lam_stop, y[:-1])] if lam_stop > 0 else [])
    start = np.zeros(homotopy.n + 1)
    start[-1] = 1.0
    jacobian = homotopy.jacobian(y)[0]
    direction = tangent(jacobian, start)
    points, step = [(0.0, y[:-1])], settings.first_step
    for _ in range(settings.max_steps):
        new = corrector(homotopy, jacobian, y + step * direction, direction, settings)
        if new is not None:
            new_jacobian = homotopy.jacobian(new)[0]
            new_direction = tangent(new_jacobian, direction)
            if accept(y, new, direction, new_direction, settings):
                if new[-1] >= lam_stop:
                    fraction = (lam_stop - y[-1]) / (new[-1] - y[-1])
                    landed = land(homotopy, y[:-1] + fraction * (new[:-1] - y[:-1]), lam_stop)
                    if landed is not None:
                        return [*points, (lam_stop, landed)]
                else:
                    y, direction, jacobian = new, new_direction, new_jacobian
                    points.append((float(y[-1]), y[:-1]))
                    step *= settings.growth
                    continue
        step *= 0.5
        if step < settings.min_step:
            break
    raise RuntimeError(f"QRE continuation stalled at lam = {y[-1]:.6g} before reaching {lam_stop:g}")


# ---------------------------------------------------------------------------------- public API


def profile_from_logs(form: AgentForm, x: np.ndarray) -> list[np.ndarray]:
    """Probabilities from log-probabilities, renormalised per agent (removes round-off)."""
    return [p / p.sum() for p in form.split(np.exp(x))]


def result_from_logs(form: AgentForm, lam: float, x: np.ndarray) -> QREResult:
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

    ``method="backward"`` uses logit backward induction instead, which gives the unique agent QRE
    of a perfect-information tree in one pass; ``"auto"`` picks it for such trees."""
    if lam < 0 or not np.isfinite(lam):
        raise ValueError(f"lam must be a finite non-negative number, not {lam}")
    perfect = isinstance(game, ExtensiveFormGame) and game.is_perfect_information()
    if method == "backward" or (method == "auto" and perfect):
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
    of ``lam`` times its children's values (McKelvey and Palfrey 1998, section 4)."""
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
