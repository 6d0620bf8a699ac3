"""The log-likelihood of a tree on one data set, and its maximisation.

A :class:`Problem` holds what the likelihood needs: the tree, the link and error, one design
matrix per utility and each row's observed outcome. Its log-likelihood is
``sum_r log P(y_r | X_r, beta)`` with the outcome probabilities of
:mod:`sim.estimation.trees`; :func:`maximize` climbs it by BFGS with central-difference gradients,
and :func:`hessian` gives the curvature whose inverse is the estimates' covariance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sim.estimation.trees import EstimationTree

GRADIENT_TOLERANCE = 1e-4
"""The largest slope of the log-likelihood at which a fit counts as converged."""


@dataclass(frozen=True)
class Problem:
    """The likelihood of one tree on one data set: design matrices, outcomes and options.

    Attributes
    ----------
    tree : EstimationTree
    link, error : str
    matrices : tuple of numpy.ndarray
        One ``(rows, columns)`` design matrix per formula part (zero columns for a part fixed at 0).
    y : numpy.ndarray
        Each row's outcome, a 0-based terminal.
    """

    tree: EstimationTree
    link: str
    error: str
    matrices: tuple[np.ndarray, ...]
    y: np.ndarray

    @property
    def sizes(self) -> list[int]:
        """Coefficients per utility."""
        return [matrix.shape[1] for matrix in self.matrices]

    @property
    def rows(self) -> int:
        """How many rows (cases) the data has."""
        return len(self.y)

    def utilities(self, beta: np.ndarray) -> np.ndarray:
        """``(..., rows, utilities)``: each utility's linear predictor at ``beta`` (``(..., coefficients)``)."""
        cuts = np.cumsum([0, *self.sizes])
        return np.stack(
            [beta[..., a:b] @ matrix.T for matrix, a, b in zip(self.matrices, cuts[:-1], cuts[1:], strict=True)],
            axis=-1,
        )

    def probabilities(self, beta: np.ndarray) -> np.ndarray:
        """``(..., rows, outcomes)``: each row's outcome probabilities at ``beta``."""
        return self.tree.probabilities(self.utilities(beta), self.link, self.error)

    def row_loglik(self, beta: np.ndarray) -> np.ndarray:
        """``(..., rows)``: each row's log-probability of its observed outcome at ``beta``."""
        probabilities = self.probabilities(beta)
        chosen = np.broadcast_to(self.y[:, None], (*probabilities.shape[:-1], 1))
        return np.log(np.take_along_axis(probabilities, chosen, axis=-1)[..., 0])

    def loglik(self, beta: np.ndarray) -> float:
        """The log-likelihood at ``beta``."""
        return float(self.row_loglik(beta).sum())

    def logliks(self, betas: np.ndarray) -> np.ndarray:
        """The log-likelihood at each row of ``betas`` (``(points, coefficients)``), in one pass."""
        return self.row_loglik(betas).sum(axis=-1)

    def resample(self, rows: np.ndarray) -> Problem:
        """The same problem on the rows ``rows`` (with repeats: a bootstrap sample)."""
        return replace(self, matrices=tuple(matrix[rows] for matrix in self.matrices), y=self.y[rows])


@dataclass(frozen=True)
class Maximum:
    """Where :func:`maximize` stopped: the estimates, the log-likelihood there, and whether it converged."""

    estimates: np.ndarray
    loglik: float
    converged: bool
    slope: float
    message: str


def maximize(problem: Problem, start: np.ndarray, fixed: dict[int, float] | None = None) -> Maximum:
    """The maximum likelihood estimates from ``start`` (BFGS), some coefficients held at given values.

    Parameters
    ----------
    problem : Problem
    start : numpy.ndarray
        Starting values of every coefficient.
    fixed : dict of int to float, optional
        Coefficients (by position) held at a value: a profile likelihood's constraint.

    Returns
    -------
    Maximum
        Converged when the largest slope of the log-likelihood in the free coefficients is below
        :data:`GRADIENT_TOLERANCE`.
    """
    from scipy import optimize  # imported when a fit runs: `import sim` stays quick

    fixed = fixed or {}
    free = np.array([k not in fixed for k in range(len(start))])
    full = np.array(start, dtype=float)
    for k, value in fixed.items():
        full[k] = value

    def negatives(x: np.ndarray) -> np.ndarray:
        beta = np.broadcast_to(full, (*x.shape[:-1], len(full))).copy()
        beta[..., free] = x
        values = -problem.logliks(beta)
        return np.where(np.isfinite(values), values, 1e300)

    def negative(x: np.ndarray) -> float:
        return float(negatives(x[None, :])[0])

    found = optimize.minimize(negative, full[free], method="BFGS", jac=lambda x: gradient(negatives, x))
    estimates = full.copy()
    estimates[free] = found.x
    slope = float(np.abs(gradient(negatives, found.x)).max()) if free.any() else 0.0
    converged = bool(np.isfinite(found.fun)) and found.fun < 1e300 and slope < GRADIENT_TOLERANCE
    return Maximum(estimates, -float(found.fun), converged, slope, str(found.message))


def gradient(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """The gradient of ``function`` at ``x`` by central differences.

    ``function`` takes ``(points, n)`` and returns ``(points,)``: all ``2 n`` points are evaluated
    in one call."""
    steps = 1e-6 * np.maximum(1.0, np.abs(x))
    shifts = np.eye(len(x)) * steps[:, None]
    values = function(np.concatenate([x + shifts, x - shifts]))
    return (values[: len(x)] - values[len(x) :]) / (2 * steps)


def hessian(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """The Hessian of ``function`` at ``x`` by central second differences (symmetric).

    ``function`` takes ``(points, n)`` and returns ``(points,)``: the four points of every pair
    ``i <= j`` are evaluated in one call."""
    n = len(x)
    steps = 1e-4 * np.maximum(1.0, np.abs(x))
    unit = np.eye(n) * steps[:, None]
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    points = np.array(
        [
            x + sign_i * unit[i] + sign_j * unit[j]
            for i, j in pairs
            for sign_i, sign_j in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ]
    ).reshape(len(pairs) * 4, n)
    values = function(points).reshape(len(pairs), 4) if pairs else np.zeros((0, 4))
    out = np.empty((n, n))
    for (i, j), (pp, pm, mp, mm) in zip(pairs, values, strict=True):
        out[i, j] = out[j, i] = (pp - pm - mp + mm) / (4 * steps[i] * steps[j])
    return out
