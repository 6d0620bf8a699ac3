"""The fixed-point map at one state, compiled: what the solver's kernels iterate.

:func:`_map_state` is ``F(x)`` at one public state: each type's logit choice given the others'
(:func:`_choose3`), the continuation values by trilinear interpolation of the next round's grid
(:func:`_later_state`), and Bayes' rule on every move that keeps the crisis going
(:func:`_bayes_state`, in log-odds where the chances underflow). The damped and Newton iterations
over many states are in :mod:`sim.engine.equilibrium.kernels`, into whose loops these functions
are inlined; :meth:`RoundGame._backward <sim.engine.equilibrium.round_game.RoundGame._backward>`
is the numpy reference of the same arithmetic.

Everything here is written for numba's reference counting (docs/explanation/performance.md,
"Reference counts"): arrays are indexed, never sliced; the tuples of per-state arrays, constants
and work arrays are indexed at named positions where they are read, never unpacked into names;
choices are made on numbers. tests/engine/test_reference_counts.py checks the result.
"""

from __future__ import annotations

import numpy as np

from sim.engine.equilibrium.settings import BAYES_RATIO_FLOOR
from sim.engine.jit import njit

# Positions in the tuples the solver's kernels take (RoundGame._kernel_inputs, _scratch). The map
# indexes the tuples at these positions wherever it reads an array: an array unpacked from a tuple
# into a name of its own is counted in and out, atomically, at every evaluation of the inlined map.
_BELIEFS, _LOG_ODDS, _IOTA, _KAPPA, _ACC, _RESIST, _RESIST_U, _JOIN_BAR, _FIXED_C, _FIXED_R, _FIXED_U = range(11)
_USE_FIXED, _LAM, _DELTA, _A2, _FLOW, _CLASH, _COST, _AUDIENCE, _P_CB, _P_RB = range(10)
_CONT, _LOG_U, _LOG_R, _LOG_C, _SIGMA_U, _SIGMA_R, _SIGMA_C, _SU_BAR, _SR_BAR = range(9)


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
    prior: float,
    log_odds_prior: float,
    resolute: float,
    not_resolute: float,
    weight_resolute: float,
    total_resolute: float,
    weight_not: float,
    total_not: float,
) -> float:
    """Bayes' rule for one action in the compiled map: the plain ratio while both types' chances
    of the action are representable (the same number to rounding, no exponential), else
    :func:`_bayes_from_log_odds`, well conditioned where those chances underflow.

    Each type's log-chance comes as :func:`_choose3` leaves it, a log-weight and the total to
    normalise by, and is made (``weight - log(total)``) only here, where it is needed: the
    logarithm was a sixth of a solve's time when every choice took it."""
    if prior > 0.0 and prior < 1.0 and resolute > BAYES_RATIO_FLOOR and not_resolute > BAYES_RATIO_FLOOR:
        weighted = prior * resolute
        return weighted / (weighted + (1.0 - prior) * not_resolute)
    log_resolute = weight_resolute - np.log(total_resolute)
    log_not = weight_not - np.log(total_not)
    return _bayes_from_log_odds(prior, log_odds_prior, log_resolute, log_not)


@njit(cache=True, error_model="numpy", inline="always")
def _choose3(
    lam: float, u0: float, u1: float, u2: float, use_fixed: bool, f0: float, f1: float, f2: float
) -> tuple[float, float, float, float, float, float, float]:
    """A logit choice over three utilities, or a doctrine's fixed policy ``f``: the three
    log-weights, their total, then the three probabilities. A log-probability is its log-weight
    minus the total's logarithm, taken only where Bayes' rule needs it (:func:`_bayes_state`);
    a fixed policy's log-weights are its log-probabilities, with a total of 1.

    Numbers in, numbers out: an inlined function handed arrays (or views of them) has them counted
    in and out, atomically, at every call (docs/explanation/performance.md, "Reference counts")."""
    if use_fixed:
        return (
            np.log(f0) if f0 > 0.0 else -np.inf,
            np.log(f1) if f1 > 0.0 else -np.inf,
            np.log(f2) if f2 > 0.0 else -np.inf,
            1.0,
            f0,
            f1,
            f2,
        )
    top = max(max(u0, u1), u2)
    l0 = lam * (u0 - top)
    l1 = lam * (u1 - top)
    l2 = lam * (u2 - top)
    p0 = np.exp(l0)
    p1 = np.exp(l1)
    p2 = np.exp(l2)
    total = 0.0 + p0 + p1 + p2
    return l0, l1, l2, total, p0 / total, p1 / total, p2 / total


@njit(cache=True, error_model="numpy", inline="always")
def _map_state(
    s: int,
    x: np.ndarray,
    row: int,
    later: np.ndarray,
    per_state: tuple,
    constants: tuple,
    scratch: tuple,
    out: np.ndarray,
    out_row: int,
) -> None:
    """The fixed-point map at one state ``s``: the posteriors ``out[out_row]`` (10,) = (post_c[c],
    post_r[c], post_u[c, u]) that the policies answering the posteriors ``x[row]`` (same layout)
    imply, given ``later`` (c, u, iota', actor, type), the next round's values read at ``x[row]``.

    ``per_state`` and ``constants`` are :meth:`RoundGame._kernel_inputs`'s, ``scratch`` is
    :func:`_scratch`'s. The map runs about a million times a solve, so it is inlined into the
    kernels, reads rows by index (``x[row]`` is never made as a view) and takes its logit choices
    as numbers (:func:`_choose3`). Called, unpacking its tuples and handing views of its arrays to
    the choice, it had numba count some forty arrays' references, atomically, at every evaluation,
    on arrays both solver threads share: a third of a solve's time
    (docs/explanation/performance.md, "Reference counts").

    The arithmetic of :meth:`RoundGame._backward`, which stays the numpy reference
    (tests/engine/test_equilibrium.py checks the two agree); indices as there: c coalition posture,
    u US posture, j whether the US is in a clash (``clash[actor, type, c, j]``).
    """
    delta, a2 = constants[_DELTA], constants[_A2]
    bc, br, bu = per_state[_BELIEFS][s, 0], per_state[_BELIEFS][s, 1], per_state[_BELIEFS][s, 2]
    for c in range(2):
        for u in range(3):
            a = per_state[_ACC][s, c, u]
            j = 1 if u == 0 else 0
            for i in range(3):
                for th in range(2):
                    l0 = later[c, u, 0, i, th]
                    if per_state[_IOTA][s]:
                        rest = delta * ((1.0 - a2) * l0 + a2 * constants[_CLASH][i, th, c, j])
                    else:
                        rest = delta * ((1.0 - a) * l0 + a * later[c, u, 1, i, th])
                    scratch[_CONT][c, u, i, th] = constants[_FLOW][i, c] + rest
    # The US's posture.
    for c in range(2):
        for th in range(2):
            u0 = scratch[_CONT][c, 0, 2, th] - constants[_COST][2, 0]
            u1 = scratch[_CONT][c, 1, 2, th] - constants[_COST][2, 1]
            u2 = scratch[_CONT][c, 2, 2, th] - constants[_COST][2, 2]
            u2 -= constants[_AUDIENCE][2] * per_state[_KAPPA][s]
            l0, l1, l2, total, p0, p1, p2 = _choose3(
                constants[_LAM][2],
                u0,
                u1,
                u2,
                constants[_USE_FIXED][2],
                per_state[_FIXED_U][s, c, th, 0],
                per_state[_FIXED_U][s, c, th, 1],
                per_state[_FIXED_U][s, c, th, 2],
            )
            scratch[_LOG_U][c, th, 0], scratch[_LOG_U][c, th, 1], scratch[_LOG_U][c, th, 2] = l0, l1, l2
            scratch[_LOG_U][c, th, 3] = total
            scratch[_SIGMA_U][c, th, 0], scratch[_SIGMA_U][c, th, 1], scratch[_SIGMA_U][c, th, 2] = p0, p1, p2
        for u in range(3):
            scratch[_SU_BAR][c, u] = bu * scratch[_SIGMA_U][c, 1, u] + (1.0 - bu) * scratch[_SIGMA_U][c, 0, u]
    # Russia: a strike is answered by a coalition judged by the posterior its posture created.
    for c in range(2):
        resist_bar = x[row, c] * per_state[_RESIST][s, c, 1, 0] + (1.0 - x[row, c]) * per_state[_RESIST][s, c, 0, 0]
        for th in range(2):
            war = (
                per_state[_JOIN_BAR][s, c] * constants[_CLASH][1, th, c, 1]
                + (1.0 - per_state[_JOIN_BAR][s, c]) * constants[_CLASH][1, th, c, 0]
            )
            u0 = (1.0 - resist_bar) * constants[_P_CB][1] + resist_bar * war - constants[_COST][1, 0]
            going = 0.0
            for u in range(3):
                going += scratch[_SU_BAR][c, u] * scratch[_CONT][c, u, 1, th]
            u1 = going - constants[_COST][1, 1]
            u2 = constants[_P_RB][1] - constants[_COST][1, 2] - constants[_AUDIENCE][1]
            l0, l1, l2, total, p0, p1, p2 = _choose3(
                constants[_LAM][1],
                u0,
                u1,
                u2,
                constants[_USE_FIXED][1],
                per_state[_FIXED_R][s, c, th, 0],
                per_state[_FIXED_R][s, c, th, 1],
                per_state[_FIXED_R][s, c, th, 2],
            )
            scratch[_LOG_R][c, th, 0], scratch[_LOG_R][c, th, 1], scratch[_LOG_R][c, th, 2] = l0, l1, l2
            scratch[_LOG_R][c, th, 3] = total
            scratch[_SIGMA_R][c, th, 0], scratch[_SIGMA_R][c, th, 1], scratch[_SIGMA_R][c, th, 2] = p0, p1, p2
        for r in range(3):
            scratch[_SR_BAR][c, r] = br * scratch[_SIGMA_R][c, 1, r] + (1.0 - br) * scratch[_SIGMA_R][c, 0, r]
    # The coalition.
    for th in range(2):
        u0 = 0.0
        u1 = 0.0
        for c in range(2):
            resist_value = (
                per_state[_RESIST][s, c, th, 0] * per_state[_RESIST_U][s, c, th, 0]
                + per_state[_RESIST][s, c, th, 1] * per_state[_RESIST_U][s, c, th, 1]
            )
            going = 0.0
            for u in range(3):
                going += scratch[_SU_BAR][c, u] * scratch[_CONT][c, u, 0, th]
            by_move = (
                scratch[_SR_BAR][c, 2] * constants[_P_RB][0]
                + scratch[_SR_BAR][c, 0] * resist_value
                + scratch[_SR_BAR][c, 1] * going
            )
            if c == 0:
                u0 = by_move - constants[_COST][0, c]
            else:
                u1 = by_move - constants[_COST][0, c]
        u2 = constants[_P_CB][0] - constants[_COST][0, 2] - constants[_AUDIENCE][0]
        l0, l1, l2, total, p0, p1, p2 = _choose3(
            constants[_LAM][0],
            u0,
            u1,
            u2,
            constants[_USE_FIXED][0],
            per_state[_FIXED_C][s, th, 0],
            per_state[_FIXED_C][s, th, 1],
            per_state[_FIXED_C][s, th, 2],
        )
        scratch[_LOG_C][th, 0], scratch[_LOG_C][th, 1], scratch[_LOG_C][th, 2] = l0, l1, l2
        scratch[_LOG_C][th, 3] = total
        scratch[_SIGMA_C][th, 0], scratch[_SIGMA_C][th, 1], scratch[_SIGMA_C][th, 2] = p0, p1, p2
    # Bayes' rule on each move that keeps the crisis going.
    odds_c, odds_r, odds_u = per_state[_LOG_ODDS][s, 0], per_state[_LOG_ODDS][s, 1], per_state[_LOG_ODDS][s, 2]
    for c in range(2):
        out[out_row, c] = _bayes_state(
            bc,
            odds_c,
            scratch[_SIGMA_C][1, c],
            scratch[_SIGMA_C][0, c],
            scratch[_LOG_C][1, c],
            scratch[_LOG_C][1, 3],
            scratch[_LOG_C][0, c],
            scratch[_LOG_C][0, 3],
        )
        out[out_row, 2 + c] = _bayes_state(
            br,
            odds_r,
            scratch[_SIGMA_R][c, 1, 1],
            scratch[_SIGMA_R][c, 0, 1],
            scratch[_LOG_R][c, 1, 1],
            scratch[_LOG_R][c, 1, 3],
            scratch[_LOG_R][c, 0, 1],
            scratch[_LOG_R][c, 0, 3],
        )
        for u in range(3):
            out[out_row, 4 + 3 * c + u] = _bayes_state(
                bu,
                odds_u,
                scratch[_SIGMA_U][c, 1, u],
                scratch[_SIGMA_U][c, 0, u],
                scratch[_LOG_U][c, 1, u],
                scratch[_LOG_U][c, 1, 3],
                scratch[_LOG_U][c, 0, u],
                scratch[_LOG_U][c, 0, 3],
            )


@njit(cache=True)
def _scratch() -> tuple:
    """Work arrays of :func:`_map_state`: continuing values (c, u, actor, type), the actors'
    log-weights and their totals (the last of four, :func:`_choose3`) and policies, and the public
    forecasts of the US and Russia."""
    return (
        np.empty((2, 3, 3, 2)),
        np.empty((2, 2, 4)),
        np.empty((2, 2, 4)),
        np.empty((2, 4)),
        np.empty((2, 2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
    )


@njit(cache=True, error_model="numpy", inline="always")
def _later_state(
    table: np.ndarray, g: int, x: np.ndarray, row: int, myopic: np.ndarray, horizon: np.ndarray, later: np.ndarray
) -> None:
    """The next round's values after each continuing path at one state's posteriors ``x[row]``:
    ``later`` (c, u, iota', actor, type), by trilinear interpolation of ``table`` (iota, kappa,
    b_c, b_r, b_u, actor, type) with kappa' = [u = deploy]; the horizon's after the last round
    (an empty table) and for a myopic actor. Inlined, and arrays indexed, never sliced: a view is
    an array whose references numba counts (:func:`_map_state`)."""
    last = table.shape[0] == 0
    for c in range(2):
        for u in range(3):
            for iota in range(2):
                for i in range(3):
                    for th in range(2):
                        later[c, u, iota, i, th] = horizon[c, u, iota, i, th] if last else 0.0
    for c in range(2 if not last else 0):  # one way out: an early return kept numba's counts
        zc = min(max(x[row, c], 0.0), 1.0) * (g - 1)
        zr = min(max(x[row, 2 + c], 0.0), 1.0) * (g - 1)
        ic = min(int(zc), g - 2)
        ir = min(int(zr), g - 2)
        wc = zc - ic
        wr = zr - ir
        for u in range(3):
            kappa = 1 if u == 0 else 0
            zu = min(max(x[row, 4 + 3 * c + u], 0.0), 1.0) * (g - 1)
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
                            for i in range(3):
                                for th in range(2):
                                    later[c, u, iota, i, th] += w * table[iota, kappa, ic + dc, ir + dr, iu + du, i, th]
    for i in range(3):
        if myopic[i]:
            for c in range(2):
                for u in range(3):
                    for iota in range(2):
                        for th in range(2):
                            later[c, u, iota, i, th] = horizon[c, u, iota, i, th]
