"""The compiled (numba) inner loops of a round's fixed point.

The damped and Newton iterations of the map ``F(x)`` over many states (the map at one state is
:mod:`sim.engine.equilibrium.fixed_point_map`, inlined here), the posteriors it implies, the grid
reads, and the member states' cohesion game. Each kernel works on one state at a time without the
GIL, so :mod:`sim.engine.equilibrium.threads` can split the states over threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.equilibrium import numpy_twins
from sim.engine.equilibrium.fixed_point_map import _later_state, _map_state, _scratch
from sim.engine.equilibrium.settings import JACOBIAN_STEP, LM_DAMPING
from sim.engine.jit import njit, numba_works


@njit(cache=True, nogil=True)
def _cohesion_kernel(
    pi: np.ndarray,
    collapse: np.ndarray,
    start: int,
    stop: int,
    strike_risk: np.ndarray,
    lam: float,
    troops: np.ndarray,
    resolve: np.ndarray,
    war_cost: np.ndarray,
    exit_cost: np.ndarray,
    value: np.ndarray,
    subsets: np.ndarray,
    viable: np.ndarray,
) -> None:
    """:meth:`RoundGame.cohesion` compiled, state by state for the states ``start:stop``: the
    members' stay chances into ``pi`` (S, m; it starts at "all stay"), a fixed point reached by
    damped iteration (step 0.5, at most 200 steps, to 1e-12), and into ``collapse`` (S,; it starts
    at 0) the chance the troops kept in fall below the threshold, summed over every subset of
    members. States are independent and the GIL is released (:func:`_in_threads`)."""
    m = troops.shape[0]
    total = troops.sum()
    new_pi = np.empty(m)
    for s in range(start, stop):
        for _ in range(200):
            kept = 0.0
            for k in range(m):
                kept += pi[s, k] * troops[k]
            change = 0.0
            for k in range(m):
                others = kept - pi[s, k] * troops[k]
                dilution = total / (troops[k] + others)
                stay = value[k] - strike_risk[s] * war_cost[k] * dilution
                leave = -exit_cost[k]
                # The logit chance of staying, computed stably from the difference.
                z = lam * (leave - stay)
                stays = 1.0 / (1.0 + np.exp(z)) if z < 0 else np.exp(-z) / (1.0 + np.exp(-z))
                new_pi[k] = resolve[k] + (1.0 - resolve[k]) * stays
                change = max(change, abs(new_pi[k] - pi[s, k]))
            if change < 1e-12:
                for k in range(m):
                    pi[s, k] = new_pi[k]
                break
            for k in range(m):
                pi[s, k] += 0.5 * (new_pi[k] - pi[s, k])
        for row in range(subsets.shape[0]):
            if viable[row]:
                continue
            probability = 1.0
            for k in range(m):
                probability *= pi[s, k] if subsets[row, k] == 1 else 1.0 - pi[s, k]
            collapse[s] += probability


@dataclass
class ContinuationTable:
    """Values at the start of a round on the belief grid, read at any beliefs by trilinear interpolation.

    ``values`` has shape (iota, kappa, G, G, G, actor, type).
    """

    values: np.ndarray
    grid_points: int

    def values_at(self, post_c: np.ndarray, post_r: np.ndarray, post_u: np.ndarray) -> np.ndarray:
        """Values after each continuing path (S, c, u, iota', actor, type); kappa' = [u = deploy]."""
        n = len(post_c)
        points = np.concatenate([post_c.reshape(n, -1), post_r.reshape(n, -1), post_u.reshape(n, -1)], axis=1)
        read = _interpolate if numba_works() else numpy_twins.interpolate
        return read(np.ascontiguousarray(self.values, dtype=float), self.grid_points, points)


@njit(cache=True, error_model="numpy")
def _interpolate(table: np.ndarray, g: int, points: np.ndarray) -> np.ndarray:
    """The next round's values after each continuing path (S, c, u, iota', actor, type) at each
    state's posteriors ``points`` (S, 10): :func:`_later_state`, the one trilinear read, per state."""
    n = points.shape[0]
    out = np.empty((n, 2, 3, 2, 3, 2))
    nobody_myopic = np.zeros(3, dtype=np.bool_)
    unused_horizon = np.zeros((2, 3, 2, 3, 2))
    later = np.empty((2, 3, 2, 3, 2))
    for s in range(n):
        _later_state(table, g, points, s, nobody_myopic, unused_horizon, later)
        out[s] = later
    return out


@njit(cache=True, error_model="numpy")
def _posterior_kernel(
    points: np.ndarray, table: np.ndarray, g: int, myopic: np.ndarray, horizon: np.ndarray, per_state: tuple,
    constants: tuple,
) -> np.ndarray:  # fmt: skip
    """The fixed-point map ``F`` at every state: the posteriors (S, 10) implied by the posteriors
    ``points`` (S, 10), each state's continuation values read from ``table`` at its own points."""
    n = points.shape[0]
    out = np.empty((n, 10))
    later = np.empty((2, 3, 2, 3, 2))
    scratch = _scratch()
    for s in range(n):
        _later_state(table, g, points, s, myopic, horizon, later)
        _map_state(s, points, s, later, per_state, constants, scratch, out, s)
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def _damped_kernel(
    x: np.ndarray, residual: np.ndarray, start: int, stop: int, table: np.ndarray, g: int, myopic: np.ndarray,
    horizon: np.ndarray, per_state: tuple, constants: tuple, iterations: int, tolerance: float,
) -> None:  # fmt: skip
    """Damped fixed-point iteration ``x <- x + d (F(x) - x)``, state by state for the states
    ``start:stop``, in place on ``x`` (S, 10); each state's last ``max |F(x) - x|`` goes to
    ``residual`` (S,), which starts at infinity. The damping ``d`` starts at 1 (plain iteration)
    and halves, down to 1/8, whenever a state's step grows (it is overshooting); a state stops once
    its step is below ``tolerance``. States are independent and the GIL is released, so disjoint
    ranges run in threads at once (:func:`_in_threads`) with the same result."""
    later = np.empty((2, 3, 2, 3, 2))
    image = np.empty((1, 10))
    scratch = _scratch()
    for s in range(start, stop):
        damping = 1.0
        for _ in range(iterations):
            _later_state(table, g, x, s, myopic, horizon, later)
            _map_state(s, x, s, later, per_state, constants, scratch, image, 0)
            size = 0.0
            for k in range(10):
                size = max(size, abs(image[0, k] - x[s, k]))
            if size > residual[s]:
                damping = max(damping * 0.5, 0.125)
            residual[s] = size
            for k in range(10):
                x[s, k] += damping * (image[0, k] - x[s, k])
            if size < tolerance:
                break


@njit(cache=True, error_model="numpy", nogil=True)
def _newton_kernel(
    x: np.ndarray, residual: np.ndarray, start: int, stop: int, table: np.ndarray, g: int, myopic: np.ndarray,
    horizon: np.ndarray, per_state: tuple, constants: tuple, iterations: int, tolerance: float,
) -> None:  # fmt: skip
    """Levenberg-Marquardt on ``G(x) = F(x) - x`` for the states ``start:stop`` the damped
    iteration left at ``residual >= tolerance``, in place: each iteration a forward-difference
    Jacobian ``J`` (step :data:`JACOBIAN_STEP`), the step ``-(J'J + mu I)^-1 J'G`` clipped to
    [0, 1], kept if it lowers ``max |G|`` (then ``mu *= 0.3``, else ``mu *= 10``; More 1978).
    The batched numpy loop in :meth:`RoundGame._fixed_point` is its reference, state for state."""
    d = x.shape[1]
    later = np.empty((2, 3, 2, 3, 2))
    scratch = _scratch()
    image = np.empty((1, d))
    gap = np.empty(d)
    point = np.empty((1, d))
    jacobian = np.empty((d, d))
    step = np.empty(d)
    for s in range(start, stop):
        if residual[s] < tolerance:
            continue
        mu = LM_DAMPING
        size = 0.0
        done = False
        for _ in range(iterations):
            # One iteration's d + 2 evaluations of the map, at one call site (the map is inlined:
            # one copy compiles in half the time of three): e = 0 at x, 1..d the Jacobian's
            # probes, d + 1 the trial step.
            for e in range(d + 2):
                if e == d + 1:
                    normal = jacobian.T @ jacobian + mu * np.eye(d)
                    step[:] = -np.linalg.solve(normal, jacobian.T @ gap)
                for m in range(d):
                    if e == d + 1:
                        point[0, m] = min(max(x[s, m] + step[m], 0.0), 1.0)
                    else:
                        point[0, m] = x[s, m]
                if 1 <= e <= d:
                    point[0, e - 1] += JACOBIAN_STEP
                _later_state(table, g, point, 0, myopic, horizon, later)
                _map_state(s, point, 0, later, per_state, constants, scratch, image, 0)
                if e == 0:
                    size = 0.0
                    for k in range(d):
                        gap[k] = image[0, k] - x[s, k]
                        size = max(size, abs(gap[k]))
                    residual[s] = size
                    if size < tolerance:
                        done = True
                        break
                elif e <= d:
                    for m in range(d):
                        jacobian[m, e - 1] = (image[0, m] - point[0, m] - gap[m]) / JACOBIAN_STEP
                else:
                    trial_size = 0.0
                    for k in range(d):
                        trial_size = max(trial_size, abs(image[0, k] - point[0, k]))
                    if trial_size < size:
                        for k in range(d):
                            x[s, k] = point[0, k]
                        residual[s] = trial_size
                        mu *= 0.3
                    else:
                        mu *= 10.0
            if done:
                break


@njit(cache=True, inline="always")
def grid_corners(g: int, b0: float, b1: float, b2: float, flag: int, rows: np.ndarray, weights: np.ndarray) -> int:
    """The grid rows (flag block, b_c, b_r, b_u) around one state and their trilinear weights.

    Fills ``rows`` and ``weights`` (length 8) with the corners of nonzero weight, in a fixed
    order, and returns how many there are; a value at the state is then the sum of
    ``weights[k] * table[rows[k]]`` taken in that order (:func:`_interpolate_rows` and the
    engine's kernel both read the grid this way, so they agree to the last bit).
    """
    block = g * g * g
    i0 = min(int(min(max(b0, 0.0), 1.0) * (g - 1)), g - 2)
    i1 = min(int(min(max(b1, 0.0), 1.0) * (g - 1)), g - 2)
    i2 = min(int(min(max(b2, 0.0), 1.0) * (g - 1)), g - 2)
    x0 = min(max(b0, 0.0), 1.0) * (g - 1) - i0
    x1 = min(max(b1, 0.0), 1.0) * (g - 1) - i1
    x2 = min(max(b2, 0.0), 1.0) * (g - 1) - i2
    n = 0
    for dc in range(2):
        w1 = x0 if dc else 1.0 - x0
        for dr in range(2):
            w2 = w1 * (x1 if dr else 1.0 - x1)
            for du in range(2):
                w = w2 * (x2 if du else 1.0 - x2)
                if w == 0.0:
                    continue
                rows[n] = flag * block + ((i0 + dc) * g + (i1 + dr)) * g + (i2 + du)
                weights[n] = w
                n += 1
    return n


@njit(cache=True)
def _interpolate_rows(table: np.ndarray, g: int, beliefs: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Rows of a grid table (flag block, b_c, b_r, b_u) read at each world's state, trilinearly."""
    n = beliefs.shape[0]
    width = table.shape[1]
    out = np.zeros((n, width))
    rows = np.zeros(8, dtype=np.int64)
    weights = np.zeros(8)
    for s in range(n):
        corners = grid_corners(g, beliefs[s, 0], beliefs[s, 1], beliefs[s, 2], flags[s], rows, weights)
        for k in range(corners):
            for v in range(width):
                out[s, v] += weights[k] * table[rows[k], v]
    return out
