"""The compiled (numba) inner loops of a round's fixed point.

The map ``F(x)`` at one state (:func:`_map_state`: each type's logit choices given the others',
Bayes' rule in log-odds, the continuation values by trilinear interpolation), its damped and
Newton iterations over many states, the posteriors, and the member states' cohesion game. Each
kernel works on one state at a time without the GIL, so :mod:`sim.engine.equilibrium.threads`
can split the states over threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.equilibrium import numpy_twins
from sim.engine.equilibrium.settings import BAYES_RATIO_FLOOR, JACOBIAN_STEP, LM_DAMPING
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


@njit(cache=True)
def _interpolate(table: np.ndarray, g: int, points: np.ndarray) -> np.ndarray:
    """The next round's values after each continuing path (S, c, u, iota', actor, type) at each
    state's posteriors ``points`` (S, 10): :func:`_later_state`, the one trilinear read, per state."""
    n = points.shape[0]
    out = np.empty((n, 2, 3, 2, 3, 2))
    nobody_myopic = np.zeros(3, dtype=np.bool_)
    unused_horizon = np.zeros((2, 3, 2, 3, 2))
    for s in range(n):
        _later_state(table, g, points[s], nobody_myopic, unused_horizon, out[s])
    return out


@njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _bayes_from_log_odds(prior: float, log_odds_prior: float, log_resolute: float, log_not: float) -> float:
    """:func:`log_bayes` for one number, the prior's log-odds given (the compiled map's Bayes' rule)."""
    if prior > 0.0 and prior < 1.0:
        log_odds = log_odds_prior + (log_resolute - log_not)
        if np.isfinite(log_odds):
            return 1.0 / (1.0 + np.exp(-log_odds))
    return min(max(prior, 0.0), 1.0)


@njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _bayes_state(
    prior: float, log_odds_prior: float, resolute: float, not_resolute: float, log_resolute: float, log_not: float
) -> float:
    """Bayes' rule for one action in the compiled map: the plain ratio while both types' chances
    of the action are representable (the same number to rounding, no exponential), else
    :func:`_bayes_from_log_odds`, well conditioned where those chances underflow."""
    if prior > 0.0 and prior < 1.0 and resolute > BAYES_RATIO_FLOOR and not_resolute > BAYES_RATIO_FLOOR:
        weighted = prior * resolute
        return weighted / (weighted + (1.0 - prior) * not_resolute)
    return _bayes_from_log_odds(prior, log_odds_prior, log_resolute, log_not)


@njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _choose(lam: float, utilities: np.ndarray, fixed: np.ndarray, use_fixed: bool, log_p: np.ndarray, p: np.ndarray):
    """A logit choice over ``utilities`` (1-D), or a doctrine's fixed policy: log-probabilities into
    ``log_p`` and probabilities into ``p``."""
    n = utilities.shape[0]
    if use_fixed:
        for k in range(n):
            p[k] = fixed[k]
            log_p[k] = np.log(fixed[k]) if fixed[k] > 0.0 else -np.inf
        return
    top = utilities[0]
    for k in range(1, n):
        top = max(top, utilities[k])
    total = 0.0
    for k in range(n):
        log_p[k] = lam * (utilities[k] - top)
        p[k] = np.exp(log_p[k])
        total += p[k]
    log_total = np.log(total)
    for k in range(n):
        log_p[k] -= log_total
        p[k] /= total


@njit(cache=True, error_model="numpy")
def _map_state(
    s: int,
    x: np.ndarray,
    later: np.ndarray,
    per_state: tuple,
    constants: tuple,
    scratch: tuple,
    out: np.ndarray,
) -> None:
    """The fixed-point map at one state ``s``: the posteriors ``out`` (10,) = (post_c[c], post_r[c],
    post_u[c, u]) that the policies answering the posteriors ``x`` (same layout) imply, given
    ``later`` (c, u, iota', actor, type), the next round's values read at ``x``.

    The arithmetic of :meth:`RoundGame._backward`, which stays the numpy reference
    (tests/engine/test_equilibrium.py checks the two agree); indices as there: c coalition posture, u US
    posture, j whether the US is in a clash (``clash[actor, type, c, j]``).
    """
    beliefs, log_odds, iota, kappa, acc, resist, resist_u, join_bar, fixed_c, fixed_r, fixed_u = per_state
    use_fixed, lam, delta, a2, flow, clash, cost, audience, p_cb, p_rb = constants
    cont, utility3, log_u, log_r, log_c, sigma_u, sigma_r, sigma_c, su_bar, sr_bar = scratch
    bc, br, bu = beliefs[s, 0], beliefs[s, 1], beliefs[s, 2]
    for c in range(2):
        for u in range(3):
            a = acc[s, c, u]
            j = 1 if u == 0 else 0
            for i in range(3):
                for th in range(2):
                    l0 = later[c, u, 0, i, th]
                    if iota[s]:
                        rest = delta * ((1.0 - a2) * l0 + a2 * clash[i, th, c, j])
                    else:
                        rest = delta * ((1.0 - a) * l0 + a * later[c, u, 1, i, th])
                    cont[c, u, i, th] = flow[i, c] + rest
    # The US's posture.
    for c in range(2):
        for th in range(2):
            for u in range(3):
                utility3[u] = cont[c, u, 2, th] - cost[2, u]
            utility3[2] -= audience[2] * kappa[s]
            _choose(lam[2], utility3, fixed_u[s, c, th], use_fixed[2], log_u[c, th], sigma_u[c, th])
        for u in range(3):
            su_bar[c, u] = bu * sigma_u[c, 1, u] + (1.0 - bu) * sigma_u[c, 0, u]
    # Russia: a strike is answered by a coalition judged by the posterior its posture created.
    for c in range(2):
        resist_bar = x[c] * resist[s, c, 1, 0] + (1.0 - x[c]) * resist[s, c, 0, 0]
        for th in range(2):
            war = join_bar[s, c] * clash[1, th, c, 1] + (1.0 - join_bar[s, c]) * clash[1, th, c, 0]
            utility3[0] = (1.0 - resist_bar) * p_cb[1] + resist_bar * war - cost[1, 0]
            going = 0.0
            for u in range(3):
                going += su_bar[c, u] * cont[c, u, 1, th]
            utility3[1] = going - cost[1, 1]
            utility3[2] = p_rb[1] - cost[1, 2] - audience[1]
            _choose(lam[1], utility3, fixed_r[s, c, th], use_fixed[1], log_r[c, th], sigma_r[c, th])
        for r in range(3):
            sr_bar[c, r] = br * sigma_r[c, 1, r] + (1.0 - br) * sigma_r[c, 0, r]
    # The coalition.
    for th in range(2):
        for c in range(2):
            resist_value = resist[s, c, th, 0] * resist_u[s, c, th, 0] + resist[s, c, th, 1] * resist_u[s, c, th, 1]
            going = 0.0
            for u in range(3):
                going += su_bar[c, u] * cont[c, u, 0, th]
            by_move = sr_bar[c, 2] * p_rb[0] + sr_bar[c, 0] * resist_value + sr_bar[c, 1] * going
            utility3[c] = by_move - cost[0, c]
        utility3[2] = p_cb[0] - cost[0, 2] - audience[0]
        _choose(lam[0], utility3, fixed_c[s, th], use_fixed[0], log_c[th], sigma_c[th])
    # Bayes' rule on each move that keeps the crisis going.
    odds_c, odds_r, odds_u = log_odds[s, 0], log_odds[s, 1], log_odds[s, 2]
    for c in range(2):
        out[c] = _bayes_state(bc, odds_c, sigma_c[1, c], sigma_c[0, c], log_c[1, c], log_c[0, c])
        out[2 + c] = _bayes_state(br, odds_r, sigma_r[c, 1, 1], sigma_r[c, 0, 1], log_r[c, 1, 1], log_r[c, 0, 1])
        for u in range(3):
            out[4 + 3 * c + u] = _bayes_state(
                bu, odds_u, sigma_u[c, 1, u], sigma_u[c, 0, u], log_u[c, 1, u], log_u[c, 0, u]
            )


@njit(cache=True)
def _scratch() -> tuple:
    """Work arrays of :func:`_map_state`: continuing values (c, u, actor, type), utilities, the
    actors' log-policies and policies, and the public forecasts of the US and Russia."""
    return (
        np.empty((2, 3, 3, 2)),
        np.empty(3),
        np.empty((2, 2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
    )


@njit(cache=True, error_model="numpy")
def _later_state(table: np.ndarray, g: int, x: np.ndarray, myopic: np.ndarray, horizon: np.ndarray, later: np.ndarray):
    """The next round's values after each continuing path at one state's posteriors ``x``:
    ``later`` (c, u, iota', actor, type), by trilinear interpolation of ``table`` (iota, kappa,
    b_c, b_r, b_u, actor, type) with kappa' = [u = deploy]; the horizon's after the last round
    (an empty table) and for a myopic actor."""
    if table.shape[0] == 0:
        later[...] = horizon
        return
    later[...] = 0.0
    for c in range(2):
        zc = min(max(x[c], 0.0), 1.0) * (g - 1)
        zr = min(max(x[2 + c], 0.0), 1.0) * (g - 1)
        ic = min(int(zc), g - 2)
        ir = min(int(zr), g - 2)
        wc = zc - ic
        wr = zr - ir
        for u in range(3):
            kappa = 1 if u == 0 else 0
            zu = min(max(x[4 + 3 * c + u], 0.0), 1.0) * (g - 1)
            iu = min(int(zu), g - 2)
            wu = zu - iu
            for dc in range(2):
                w1 = wc if dc else 1.0 - wc
                for dr in range(2):
                    w2 = w1 * (wr if dr else 1.0 - wr)
                    for du in range(2):
                        w = w2 * (wu if du else 1.0 - wu)
                        if w == 0.0:
                            continue
                        for iota in range(2):
                            corner = table[iota, kappa, ic + dc, ir + dr, iu + du]
                            for i in range(3):
                                for th in range(2):
                                    later[c, u, iota, i, th] += w * corner[i, th]
    for i in range(3):
        if myopic[i]:
            later[:, :, :, i, :] = horizon[:, :, :, i, :]


@njit(cache=True)
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
        _later_state(table, g, points[s], myopic, horizon, later)
        _map_state(s, points[s], later, per_state, constants, scratch, out[s])
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
    image = np.empty(10)
    scratch = _scratch()
    for s in range(start, stop):
        damping = 1.0
        for _ in range(iterations):
            _later_state(table, g, x[s], myopic, horizon, later)
            _map_state(s, x[s], later, per_state, constants, scratch, image)
            size = 0.0
            for k in range(10):
                size = max(size, abs(image[k] - x[s, k]))
            if size > residual[s]:
                damping = max(damping * 0.5, 0.125)
            residual[s] = size
            for k in range(10):
                x[s, k] += damping * (image[k] - x[s, k])
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
    image = np.empty(d)
    gap = np.empty(d)
    probe = np.empty(d)
    trial = np.empty(d)
    jacobian = np.empty((d, d))
    for s in range(start, stop):
        if residual[s] < tolerance:
            continue
        mu = LM_DAMPING
        for _ in range(iterations):
            _later_state(table, g, x[s], myopic, horizon, later)
            _map_state(s, x[s], later, per_state, constants, scratch, image)
            size = 0.0
            for k in range(d):
                gap[k] = image[k] - x[s, k]
                size = max(size, abs(gap[k]))
            residual[s] = size
            if size < tolerance:
                break
            for k in range(d):
                for m in range(d):
                    probe[m] = x[s, m]
                probe[k] += JACOBIAN_STEP
                _later_state(table, g, probe, myopic, horizon, later)
                _map_state(s, probe, later, per_state, constants, scratch, image)
                for m in range(d):
                    jacobian[m, k] = (image[m] - probe[m] - gap[m]) / JACOBIAN_STEP
            normal = jacobian.T @ jacobian + mu * np.eye(d)
            step = -np.linalg.solve(normal, jacobian.T @ gap)
            for k in range(d):
                trial[k] = min(max(x[s, k] + step[k], 0.0), 1.0)
            _later_state(table, g, trial, myopic, horizon, later)
            _map_state(s, trial, later, per_state, constants, scratch, image)
            trial_size = 0.0
            for k in range(d):
                trial_size = max(trial_size, abs(image[k] - trial[k]))
            if trial_size < size:
                for k in range(d):
                    x[s, k] = trial[k]
                residual[s] = trial_size
                mu *= 0.3
            else:
                mu *= 10.0


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
