"""The compiled engine: every round of every world in one fused loop (numba, no GIL).

The numpy model (:class:`sim.engine.model.CrisisModel`) plays a round in all worlds at once with
some three hundred passes over arrays of worlds; this kernel plays one world from its first round
to its end before the next, holding the world's state (about 80 bytes) in registers and reading
its policies from the solved equilibrium: rounds ``1..depth`` from the policy tree at the node the
world has reached, later rounds from the grid by trilinear interpolation at its beliefs. The rules
of a round are the model's (docs/explanation/model.md, section 5), step for step and in the same
order, and the random numbers are the same counter-based draws (:mod:`sim.engine.streams`), so for
one seed the two engines give the same outcomes, rungs and rounds, and payoffs equal to the last
bit (tests/engine/test_fused.py holds them to it on every built-in scenario).

Worlds are split over threads (:mod:`sim.engine.equilibrium.threads`); each world's numbers depend
only on its own number, so the result is the same for any number of threads or batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.domain.ladder import (
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DECLARED_INTENT,
    DEPLOY,
    DEPLOYED,
    HOLDS,
    INCIDENT,
    LIMITED_CLASH,
    LIMITED_WAR,
    MAJOR_WAR,
    MAJOR_WAR_OUTCOME,
    RUNGS,
    RUSSIA_BACKS_DOWN,
    STANDOFF,
    THREATEN,
)
from sim.engine import ahead_of_time
from sim.engine.equilibrium import CrisisEquilibrium
from sim.engine.equilibrium.kernels import grid_corners
from sim.engine.equilibrium.policy_tree import TRANSITIONS
from sim.engine.equilibrium.states import CONCEDE, JOIN
from sim.engine.equilibrium.threads import _in_threads
from sim.engine.jit import njit
from sim.engine.streams import uniform_at, world_start

N_DRAWS = 8
"""Uniforms per world and round besides the members': 7 moves and chance events, 1 spare."""
ONGOING = -1
ACTIVE_RUNGS = INCIDENT + 1
"""Rungs a crisis can be on while it goes on (the ladder's rows count worlds on each)."""
# Columns of a policy row (sim.engine.equilibrium.solver.feature_rows).
_COALITION, _RUSSIA, _US, _RESIST, _JOIN, _STAY = 0, 6, 18, 30, 38, 46


@dataclass
class WorldBatch:
    """Finished worlds: what each ended with, and the ladder's counts by round.

    Attributes are arrays over worlds (``payoff`` and ``resolute`` are (worlds, actor)); ``ladder``
    is (rounds + 1, ACTIVE_RUNGS) counts of worlds still in crisis on each rung after each round
    (row 0 unused), the rows a :class:`mesa.DataCollector` would record as shares.
    """

    outcome: np.ndarray
    rounds_played: np.ndarray
    max_rung: np.ndarray
    rung: np.ndarray
    payoff: np.ndarray
    resolute: np.ndarray
    us_committed_at_end: np.ndarray
    force_collapsed: np.ndarray
    troops_deployed: np.ndarray
    ladder: np.ndarray

    @property
    def n_worlds(self) -> int:
        """How many worlds the batch holds."""
        return len(self.outcome)

    @classmethod
    def empty(cls, n: int, rounds: int) -> WorldBatch:
        """Arrays for ``n`` worlds, to be filled by the kernel."""
        return cls(
            outcome=np.full(n, ONGOING, dtype=np.int8),
            rounds_played=np.zeros(n, dtype=np.int16),
            max_rung=np.zeros(n, dtype=np.int8),
            rung=np.zeros(n, dtype=np.int8),
            payoff=np.zeros((n, 3)),
            resolute=np.zeros((n, 3), dtype=bool),
            us_committed_at_end=np.zeros(n, dtype=bool),
            force_collapsed=np.zeros(n, dtype=bool),
            troops_deployed=np.zeros(n, dtype=bool),
            ladder=np.zeros((rounds + 1, ACTIVE_RUNGS), dtype=np.int64),
        )


def kernel_inputs(equilibrium: CrisisEquilibrium) -> tuple:
    """Everything the kernel reads about a scenario and its equilibrium, as plain arrays and numbers.

    Kept on the equilibrium once made; the grid tables (~1 MB per round) on its grid solution.
    """
    cached = getattr(equilibrium, "_kernel_inputs", None)
    if cached is not None:
        return cached
    scenario = equilibrium.scenario
    game = equilibrium.game
    tables = game.tables
    tree = equilibrium.policy_tree()
    rounds = scenario.rounds
    width = tree.rows.shape[1]
    grid = equilibrium.grid.table
    if grid is None:
        # Every grid round from 2 (a world leaves the tree early only by a draw of chance 0; round 1 is
        # always read from the tree, and its grid is solved only when asked for). Kept with the grid
        # solution, for every scenario that shares it.
        grid = np.zeros((rounds + 1, 4 * equilibrium.grid_points**3 if rounds > 1 else 1, width))
        for t in range(2, rounds + 1):
            grid[t] = equilibrium.features(t)
            equilibrium.grid.features[t - 1] = grid[t]  # the numpy model reads the same rows: kept once
        equilibrium.grid.table = grid
    actors = [scenario.actor(key) for key in ("coalition", "russia", "us")]
    weights = np.array([scenario.discount ** (t - 1) for t in range(rounds + 2)])
    audience = np.array([tables.audience(t) if t else np.zeros(3) for t in range(rounds + 1)])
    members = scenario.coalition.members
    inputs = (
        rounds,
        tree.rows,
        tree.child,
        grid,
        equilibrium.grid_points,
        RUNGS.index(scenario.start_rung),
        np.array([actor.resolve_prior for actor in actors], dtype=float),
        np.array([actor.initial_belief for actor in actors], dtype=float),
        weights,
        audience,
        np.ascontiguousarray(tables.cost, dtype=float),
        np.ascontiguousarray(tables.H, dtype=float),
        np.ascontiguousarray((1 - scenario.discount) * tables.H, dtype=float),
        np.ascontiguousarray(tables.outcome, dtype=float),
        np.ascontiguousarray(tables.q, dtype=float),
        np.ascontiguousarray(game.a1, dtype=float),
        float(game.a2),
        float(game.a_backstop),
        np.array([member.troops for member in members], dtype=float),
        float(scenario.coalition.min_troops),
        float(scenario.coalition.tripwire_cost),
        float(scenario.accident.incident),
    )
    equilibrium._kernel_inputs = inputs  # type: ignore[attr-defined]
    return inputs


def simulate_worlds(equilibrium: CrisisEquilibrium, key: int, first: int, n: int) -> WorldBatch:
    """Play worlds ``first .. first + n - 1`` of a run with stream key ``key`` to their ends.

    Parameters
    ----------
    equilibrium : CrisisEquilibrium
        The scenario's solved equilibrium.
    key : int
        The run's stream key (:func:`sim.engine.streams.stream_key`).
    first, n : int
        The number of the first world (worlds are numbered across the whole run) and how many.

    Returns
    -------
    WorldBatch
    """
    inputs = kernel_inputs(equilibrium)
    batch = WorldBatch.empty(n, equilibrium.scenario.rounds)
    ahead = ahead_of_time.kernel_for(first, n)
    arguments = (np.uint64(key), first, *inputs, *_outputs(batch))
    if ahead is not None and ahead_of_time.fits((0, n, *arguments)):
        # The same kernel compiled ahead of time: a short run need not load numba.
        batch.ladder = ahead(0, n, *arguments)
        return batch
    counts: list[np.ndarray] = []

    def work(start: int, stop: int) -> None:
        counts.append(_play_worlds(start, stop, *arguments))

    _in_threads(n, work)
    batch.ladder = sum(counts, np.zeros_like(batch.ladder))
    return batch


def _outputs(batch: WorldBatch) -> tuple:
    return (
        batch.outcome,
        batch.rounds_played,
        batch.max_rung,
        batch.rung,
        batch.payoff,
        batch.resolute,
        batch.us_committed_at_end,
        batch.force_collapsed,
        batch.troops_deployed,
    )


@njit(cache=True, inline="always")
def _draw(probabilities: np.ndarray, start: int, count: int, u: float) -> int:
    """Inverse-CDF draw among ``count`` actions: the numpy model's ``_sample_columns``, one world."""
    total = 0.0
    for k in range(count):
        total += probabilities[start + k]
    threshold = u * total
    cumulative = 0.0
    choice = 0
    for k in range(count - 1):
        cumulative += probabilities[start + k]
        if cumulative < threshold:
            choice += 1
    return choice


@njit(cache=True, inline="always")
def _clash(u: float, escalation: float) -> tuple[int, int]:
    """Force is used: the rung and outcome a clash ends on, a major war with chance ``escalation``."""
    if u < escalation:
        return MAJOR_WAR, MAJOR_WAR_OUTCOME
    return LIMITED_WAR, LIMITED_CLASH


@njit(cache=True, inline="always")
def _bayes(prior: float, resolute: float, not_resolute: float) -> float:
    """Bayes' rule for one world (:func:`sim.engine.equilibrium.states.bayes`)."""
    evidence = prior * resolute + (1.0 - prior) * not_resolute
    if evidence > 0:
        return prior * resolute / evidence
    return prior


@njit(cache=True, inline="always")
def _interpolate_columns(
    policy: np.ndarray,
    grid: np.ndarray,
    t: int,
    rows: np.ndarray,
    weights: np.ndarray,
    corners: int,
    start: int,
    count: int,
) -> None:
    """Fill ``policy[start:start + count]`` by interpolation on round ``t``'s grid (a world past the
    policy tree; a world on it has its node's whole row copied in the kernel itself).

    Arrays are indexed, never sliced: a slice in compiled code counts references atomically. For
    the same reason the tree's row is not copied here. When this function read the tree too, it was
    the path of every round, and numba counted its five arrays in and out at each of its five calls
    a round (its pass that removes balanced counts did not remove them across the loops below):
    41% of the kernel's time (docs/explanation/performance.md, "Reference counts";
    tests/engine/test_reference_counts.py checks that the kernel's loops count no references).
    """
    # Each column is the sum over the corners in _interpolate_rows's order (the same value to the
    # last bit); six columns at once in separate accumulators, so the additions do not wait on
    # one another.
    v = start
    while v + 6 <= start + count:
        a0 = a1 = a2 = a3 = a4 = a5 = 0.0
        for k in range(corners):
            w = weights[k]
            r = rows[k]
            a0 += w * grid[t, r, v]
            a1 += w * grid[t, r, v + 1]
            a2 += w * grid[t, r, v + 2]
            a3 += w * grid[t, r, v + 3]
            a4 += w * grid[t, r, v + 4]
            a5 += w * grid[t, r, v + 5]
        policy[v] = a0
        policy[v + 1] = a1
        policy[v + 2] = a2
        policy[v + 3] = a3
        policy[v + 4] = a4
        policy[v + 5] = a5
        v += 6
    while v < start + count:
        a0 = a1 = 0.0
        two = v + 1 < start + count
        for k in range(corners):
            w = weights[k]
            a0 += w * grid[t, rows[k], v]
            if two:
                a1 += w * grid[t, rows[k], v + 1]
        policy[v] = a0
        if two:
            policy[v + 1] = a1
        v += 2


@njit(cache=True, nogil=True, error_model="numpy")
def _play_worlds(
    begin,
    end,
    key,
    first,
    rounds,
    tree_rows,
    tree_child,
    grid,
    g,
    start_rung,
    priors,
    initial_beliefs,
    weights,
    audience,
    cost,
    H,
    flow,
    outcome_value,
    q,
    a1,
    a2,
    a_backstop,
    troops,
    min_troops,
    tripwire_cost,
    incident_chance,
    out_outcome,
    out_rounds,
    out_max_rung,
    out_rung,
    out_payoff,
    out_resolute,
    out_joined,
    out_collapsed,
    out_deployed,
):
    """Play worlds ``begin..end-1`` (positions in the batch; world numbers ``first + position``).

    Returns the ladder's counts of these worlds by round and rung while they go on.
    """
    members = troops.shape[0]
    slots = N_DRAWS + members
    width = tree_rows.shape[1]
    ladder = np.zeros((rounds + 1, ACTIVE_RUNGS), dtype=np.int64)
    policy = np.zeros(width)
    corner_rows = np.zeros(8, dtype=np.int64)
    corner_weights = np.zeros(8)
    belief = np.zeros(3)
    payoff = np.zeros(3)
    own = np.zeros(3, dtype=np.int64)
    for position in range(begin, end):
        stream = world_start(key, first + position)
        for i in range(3):
            own[i] = 1 if uniform_at(stream, i) < priors[i] else 0
            belief[i] = initial_beliefs[i]
            payoff[i] = 0.0
        rung = start_rung
        max_rung = start_rung
        incident = start_rung == INCIDENT
        pledged = False
        deployed = False
        node = 0
        outcome = ONGOING
        joined = False
        collapsed = False
        played = 0
        value_round = 0
        for t in range(1, rounds + 1):
            played = t
            base = t * slots
            weight = weights[t]
            from_tree = node >= 0  # rounds 1..depth, unless a draw of chance 0 left the tree
            corners = 0
            if not from_tree:
                flag = 2 * int(incident) + int(pledged)
                corners = grid_corners(g, belief[0], belief[1], belief[2], flag, corner_rows, corner_weights)
            else:
                # The node's whole row, copied here (not in a function: see _interpolate_columns).
                for v in range(width):
                    policy[v] = tree_rows[node, v]

            # 1. Members keep their troops in, each with its equilibrium chance.
            if members:
                if not from_tree:
                    _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, _STAY, members)
                kept = 0.0
                for k in range(members):
                    stays = uniform_at(stream, base + N_DRAWS + k) < policy[_STAY + k]
                    kept += troops[k] if stays else 0.0
                if not kept >= min_troops:
                    collapsed = True
                    payoff[0] += weight * -audience[t, 0]
                    outcome = COALITION_BACKS_DOWN
                    value_round = t
                    break

            # 2. The coalition moves.
            if not from_tree:
                _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, _COALITION, 6)
            c = _draw(policy, _COALITION + 3 * own[0], 3, uniform_at(stream, base))
            belief[0] = _bayes(belief[0], policy[_COALITION + 3 + c], policy[_COALITION + c])
            payoff[0] += weight * (-cost[0, c] - (audience[t, 0] if c == BACK_DOWN else 0.0))
            rung = max(rung, DEPLOYED if c == DEPLOY else DECLARED_INTENT)
            max_rung = max(max_rung, rung)
            deployed = c == DEPLOY
            if c == BACK_DOWN:
                outcome = COALITION_BACKS_DOWN
                value_round = t
                break

            # 3. Russia answers.
            at = _RUSSIA + 6 * c
            if not from_tree:
                _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, at, 6)
            r = _draw(policy, at + 3 * own[1], 3, uniform_at(stream, base + 1))
            belief[1] = _bayes(belief[1], policy[at + 3 + r], policy[at + r])
            payoff[1] += weight * (-cost[1, r] - (audience[t, 1] if r == BACK_DOWN else 0.0))
            if r == BACK_DOWN:
                outcome = RUSSIA_BACKS_DOWN
                value_round = t
                break
            if r == DEPLOY:
                # Russia strikes: the coalition resists or concedes; if it resists the US joins or not.
                rung = LIMITED_WAR
                max_rung = max(max_rung, rung)
                at = _RESIST + 4 * c
                if not from_tree:
                    _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, at, 4)
                answer = _draw(policy, at + 2 * own[0], 2, uniform_at(stream, base + 3))
                if answer == CONCEDE:
                    tied = tripwire_cost if c == DEPLOY else 0.0
                    payoff[0] += weight * (-audience[t, 0] - tied)
                    outcome = COALITION_BACKS_DOWN
                    value_round = t
                    break
                at = _JOIN + 4 * c
                if not from_tree:
                    _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, at, 4)
                join = _draw(policy, at + 2 * own[2], 2, uniform_at(stream, base + 4))
                joined = join == JOIN
                if not joined:
                    payoff[2] += weight * (-audience[t, 2] * (1.0 if pledged else 0.0))
                rung, outcome = _clash(uniform_at(stream, base + 6), q[c, 1 if joined else 0])
                max_rung = max(max_rung, rung)
                value_round = t
                break

            # 4. The US sets its posture; the status quo pays its flow; an accident may happen.
            at = _US + 6 * c
            if not from_tree:
                _interpolate_columns(policy, grid, t, corner_rows, corner_weights, corners, at, 6)
            u = _draw(policy, at + 3 * own[2], 3, uniform_at(stream, base + 2))
            belief[2] = _bayes(belief[2], policy[at + 3 + u], policy[at + u])
            payoff[2] += weight * -(
                cost[2, u] + (audience[t, 2] * (1.0 if pledged else 0.0) if u == BACK_DOWN else 0.0)
            )
            pledged = u == DEPLOY
            for i in range(3):
                payoff[i] += weight * flow[i, c]
            spiralling = incident
            chance = a2 if spiralling else min(max(a1[c] + (a_backstop if u == DEPLOY else 0.0), 0.0), 1.0)
            accident = uniform_at(stream, base + 5) < chance
            rung = INCIDENT if accident and not spiralling else (STANDOFF if c == DEPLOY else DECLARED_INTENT)
            max_rung = max(max_rung, rung)
            incident = accident and not spiralling
            if accident and spiralling:
                # A spiralling incident ends the round in a clash, valued from the next round.
                joined = pledged
                rung, outcome = _clash(uniform_at(stream, base + 6), q[c, 1 if joined else 0])
                max_rung = max(max_rung, rung)
                value_round = t + 1
                break
            if node >= 0:  # the last level's children are -1: past the tree, the grid
                node = tree_child[node, c * (TRANSITIONS // 2) + u * 2 + (1 if accident else 0)]
            if t < rounds:
                ladder[t, rung] += 1

        if outcome == ONGOING:
            # The horizon: an open incident may still spiral into a clash; otherwise deterrence holds.
            base = (rounds + 1) * slots
            value_round = rounds + 1
            joined = pledged
            if incident and uniform_at(stream, base) < incident_chance:
                c = DEPLOY if deployed else THREATEN
                rung, outcome = _clash(uniform_at(stream, base + 1), q[c, 1 if joined else 0])
                max_rung = max(max_rung, rung)
            else:
                outcome = HOLDS

        # Every actor's outcome payoff, valued at the round the outcome is reached.
        weight = weights[value_round]
        # Two branches, each reading one table: one loop choosing between H and outcome_value per
        # actor counted a reference to each, for every world.
        if outcome == HOLDS:
            posture = DEPLOY if deployed else THREATEN
            for i in range(3):
                payoff[i] += weight * H[i, posture]
        else:
            side = 1 if joined else 0
            for i in range(3):
                payoff[i] += weight * outcome_value[i, own[i], side, outcome]
        out_outcome[position] = outcome
        out_rounds[position] = played
        out_max_rung[position] = max_rung
        out_rung[position] = rung
        out_joined[position] = joined
        out_collapsed[position] = collapsed
        out_deployed[position] = deployed
        for i in range(3):
            out_payoff[position, i] = payoff[i]
            out_resolute[position, i] = own[i] == 1
    return ladder


__all__ = ["N_DRAWS", "WorldBatch", "kernel_inputs", "simulate_worlds"]


if __name__ == "__main__":  # python -m sim.engine.fused: compile the kernel ahead of time
    raise SystemExit(ahead_of_time.main(_play_worlds))
