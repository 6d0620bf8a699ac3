"""numpy twins of the compiled loops that run without numba too (:mod:`sim.engine.jit`).

Without numba, the solver iterates its numpy reference and the engine plays the numpy model; what
both still read through compiled loops are the grid (trilinear interpolation of a table at many
states) and the members' cohesion game. These are the same computations over all states at once,
in the same order: :func:`interpolate_rows` and :func:`interpolate` add the corners in the compiled
order (so they agree to the last bit), and :func:`cohesion` iterates every state as the compiled
loop does, each state stopping at its own step (tests/engine/test_without_numba.py compares each twin
with its kernel, and runs a whole crisis in a Python without numba).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _cells(g: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid cell of each value in [0, 1] (its lower grid index, at most ``g - 2``) and the weight
    of the cell's upper end, as :func:`~sim.engine.equilibrium.kernels.grid_corners` computes them."""
    z = np.clip(values, 0.0, 1.0) * (g - 1)
    low = np.minimum(z.astype(np.int64), g - 2)
    return low, z - low


def _corners(x0: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """The eight corners of each state's cell, ``(dc, dr, du, weight)``, in the kernels' order (the
    weights multiplied in the same order, so the sums agree to the last bit)."""
    for dc in range(2):
        w1 = x0 if dc else 1.0 - x0
        for dr in range(2):
            w2 = w1 * (x1 if dr else 1.0 - x1)
            for du in range(2):
                yield dc, dr, du, w2 * (x2 if du else 1.0 - x2)


def interpolate_rows(table: np.ndarray, g: int, beliefs: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """:func:`~sim.engine.equilibrium.kernels._interpolate_rows` in numpy: rows of a grid table
    (flag block, b_c, b_r, b_u) read at each state, trilinearly, corners added in the kernel's order."""
    low, weight = _cells(g, beliefs)
    out = np.zeros((len(beliefs), table.shape[1]))
    for dc, dr, du, w in _corners(weight[:, 0], weight[:, 1], weight[:, 2]):
        rows = flags * g**3 + ((low[:, 0] + dc) * g + (low[:, 1] + dr)) * g + (low[:, 2] + du)
        used = w != 0.0  # the kernel skips a corner of weight 0 (0 * inf would be nan)
        out[used] += w[used, None] * table[rows[used]]
    return out


def interpolate(table: np.ndarray, g: int, points: np.ndarray) -> np.ndarray:
    """:func:`~sim.engine.equilibrium.kernels._interpolate` in numpy: the next round's values after
    each continuing path (S, c, u, iota', actor, type) at each state's posteriors ``points`` (S, 10)
    (b_c after c, b_r after c, b_u after c and u), ``table`` (iota, kappa, b_c, b_r, b_u, actor, type)."""
    later = np.zeros((points.shape[0], 2, 3, 2, 3, 2))
    if table.shape[0] == 0:
        return later
    low, weight = _cells(g, points)
    for c in range(2):
        for u in range(3):
            kappa = 1 if u == 0 else 0
            at = (c, 2 + c, 4 + 3 * c + u)  # the columns of b_c, b_r and b_u on this path
            for dc, dr, du, w in _corners(*(weight[:, k] for k in at)):
                used = w != 0.0
                i0, i1, i2 = (low[used, k] for k in at)
                corner = table[:, kappa, i0 + dc, i1 + dr, i2 + du]  # (iota, S', actor, type)
                later[used, c, u] += w[used, None, None, None] * np.moveaxis(corner, 0, 1)
    return later


def cohesion(
    strike_risk: np.ndarray,
    lam: float,
    troops: np.ndarray,
    resolve: np.ndarray,
    war_cost: np.ndarray,
    exit_cost: np.ndarray,
    value: np.ndarray,
    subsets: np.ndarray,
    viable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~sim.engine.equilibrium.kernels._cohesion_kernel` in numpy over all states: the
    members' stay chances (S, m), by damped iteration from "all stay" (step 0.5, at most 200
    steps, a state stopping once its change is below 1e-12), and the chance the force collapses (S,)."""
    n, m = len(strike_risk), len(troops)
    pi = np.ones((n, m))
    total = troops.sum()
    going = np.ones(n, dtype=bool)
    for _ in range(200):
        if not going.any():
            break
        p = pi[going]
        kept = (p * troops).sum(axis=1, keepdims=True)
        dilution = total / (troops + (kept - p * troops))
        stay = value - strike_risk[going, None] * war_cost * dilution
        z = lam * (-exit_cost - stay)
        # The logit chance of staying, computed stably from the difference (both branches finite).
        below, above = np.exp(np.minimum(z, 0.0)), np.exp(-np.maximum(z, 0.0))
        stays = np.where(z < 0, 1.0 / (1.0 + below), above / (1.0 + above))
        new = resolve + (1.0 - resolve) * stays
        done = np.abs(new - p).max(axis=1) < 1e-12
        p = np.where(done[:, None], new, p + 0.5 * (new - p))
        pi[going] = p
        going[np.flatnonzero(going)[done]] = False
    chance = np.where(subsets[None, :, :] == 1, pi[:, None, :], 1.0 - pi[:, None, :]).prod(axis=2)  # (S, subsets)
    collapse = chance[:, ~viable.astype(bool)].sum(axis=1)
    return pi, collapse


__all__ = ["cohesion", "interpolate", "interpolate_rows"]
