"""Inference beyond the Hessian: the nonparametric bootstrap, and Vuong's and Clarke's tests
between two non-nested fits.

**Bootstrap** (Efron and Tibshirani 1993): each replicate refits the game on ``n`` rows drawn with
replacement, starting from the estimates. Replicate ``b`` draws its rows from the ``b``-th child of
``numpy.random.SeedSequence(seed)``, so the replicates, and the standard errors and percentile
intervals they give, are the same for a seed whatever the number of worker processes.

**Vuong's test** (Vuong 1989) compares two models of the same outcomes on the same rows. With
``m_r = log f_1(y_r) - log f_2(y_r)``, the statistic ``sqrt(n) mean(m) / sd(m)`` is standard normal
when the two fit equally well; positive favours the first. The BIC correction subtracts
``(k_1 - k_2) log(n) / (2 n)`` from ``mean(m)``, penalising the larger model. **Clarke's test**
(Clarke 2007) counts the rows with ``m_r > 0`` (corrected the same way), binomial with one half
under the null. The R package ``games`` offers both as ``vuong()`` and ``clarke()``.

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
Vuong, Q. H. (1989). Likelihood ratio tests for model selection and non-nested hypotheses.
*Econometrica* 57(2), 307-333. Clarke, K. A. (2007). A simple distribution-free test for
nonnested model selection. *Political Analysis* 15(3), 347-363.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import special

from sim.estimation.formula import FormulaError
from sim.estimation.problem import Problem, maximize
from sim.estimation.result import FitResult


def _replicates(problem: Problem, estimates: np.ndarray, seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """Refit on one bootstrap sample per seed: each row the estimates, then 1 if the fit converged."""
    out = np.empty((len(seeds), len(estimates) + 1))
    for b, seed in enumerate(seeds):
        rows = np.random.default_rng(seed).integers(0, problem.rows, problem.rows)
        found = maximize(problem.resample(rows), estimates)
        out[b] = [*found.estimates, float(found.converged)]
    return out


def bootstrap(
    result: FitResult,
    replicates: int = 500,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FitResult:
    """Bootstrap standard errors and 95% percentile intervals for a fit, kept on the result.

    Parameters
    ----------
    result : FitResult
        A fit made in this session (it keeps its data).
    replicates : int
        Bootstrap samples (at least 2).
    seed : int, optional
        Seeds the samples; drawn (and recorded on the result) when not given.
    workers : int, optional
        Processes (default: the machine's cores, at most 8). The numbers do not depend on it.
    progress : callable, optional
        Called with (replicates done, replicates) as chunks finish.

    Returns
    -------
    FitResult
        ``result``, its ``bootstrap`` set to the seed, the replicates, how many failed (left out)
        or stopped short of the gradient tolerance (kept: a sample with a perfect predictor has
        no finite maximum, and its large estimates are part of what the bootstrap measures), the
        standard errors and the 95% percentile intervals.

    Raises
    ------
    FormulaError
        If the result has no data to resample, fewer than 2 replicates are asked for, or fewer than
        2 replicates converge.
    """
    if result.problem is None:
        raise FormulaError("this result was read back without its data: refit it to bootstrap")
    if replicates < 2:
        raise FormulaError(f"a bootstrap needs at least 2 replicates, not {replicates}")
    seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)  # type: ignore[operator]
    children = np.random.SeedSequence(seed).spawn(replicates)
    workers = max(1, min(workers or (os.cpu_count() or 1), 8, replicates))
    order = [list(range(k, replicates, workers)) for k in range(workers)]  # interleaved: slow resamples spread out
    draws = np.full((replicates, len(result.estimates) + 1), np.nan)
    if workers == 1:
        for start in range(0, replicates, 25):
            draws[start : start + 25] = _replicates(result.problem, result.estimates, children[start : start + 25])
            if progress:
                progress(min(start + 25, replicates), replicates)
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = [
                pool.submit(_replicates, result.problem, result.estimates, [children[b] for b in rows])
                for rows in order
            ]
            done = 0
            for future, rows in zip(futures, order, strict=True):
                draws[rows] = future.result()
                done += len(rows)
                if progress:
                    progress(done, replicates)
    kept = draws[np.isfinite(draws).all(axis=1), :-1]
    if len(kept) < 2:
        raise FormulaError(f"only {len(kept)} of {replicates} bootstrap fits ended: the model is too flat for the data")
    lower, upper = np.quantile(kept, [0.025, 0.975], axis=0)
    result.bootstrap = {
        "replicates": replicates,
        "seed": seed,
        "failed": int(replicates - len(kept)),
        "unconverged": int(replicates - np.nansum(draws[:, -1])),
        "se": kept.std(axis=0, ddof=1),
        "lower": lower,
        "upper": upper,
        "draws": kept,
    }
    return result


@dataclass(frozen=True)
class Comparison:
    """Vuong's and Clarke's tests of two fits on the same rows.

    Attributes
    ----------
    vuong, vuong_p : float
        Vuong's statistic (positive favours the first model) and its two-sided p-value.
    clarke, clarke_p : int, float
        How many rows favour the first model, of ``n``, and the two-sided binomial p-value.
    n : int
    correction : str
        ``none`` or ``bic``.
    """

    vuong: float
    vuong_p: float
    clarke: int
    clarke_p: float
    n: int
    correction: str

    @property
    def verdict(self) -> str:
        """The tests in words at the 5% level."""
        if self.vuong_p >= 0.05:
            return "neither model fits significantly better (Vuong, 5%)"
        return f"the {'first' if self.vuong > 0 else 'second'} model fits better (Vuong, p = {self.vuong_p:.3g})"


def compare(first: FitResult, second: FitResult, correction: str = "bic") -> Comparison:
    """Vuong's and Clarke's non-nested tests of two fits of the same outcomes on the same rows.

    Raises
    ------
    FormulaError
        If a fit has no data, the fits were made on different rows or outcomes, or the correction
        is not ``none`` or ``bic``.
    """
    from scipy import stats  # imported when a test runs: `import sim` stays quick

    if first.problem is None or second.problem is None:
        raise FormulaError("both fits need their data: refit them in this session")
    if first.data_sha256 != second.data_sha256 or first.subset != second.subset or first.n != second.n:
        raise FormulaError("the two fits must use the same data and rows (same file, subset and missing values)")
    if (
        not np.array_equal(first.problem.y, second.problem.y)
        and first.problem.tree.outcomes == second.problem.tree.outcomes
    ):
        raise FormulaError("the two fits read different outcomes from the rows")
    if correction not in ("none", "bic"):
        raise FormulaError(f"correction is 'none' or 'bic', not {correction!r}")
    m = first.problem.row_loglik(first.estimates) - second.problem.row_loglik(second.estimates)
    n = len(m)
    shift = 0.0
    if correction == "bic":
        shift = (len(first.estimates) - len(second.estimates)) * np.log(n) / (2.0 * n)
    corrected = m - shift
    spread = corrected.std(ddof=1)
    vuong = float(np.sqrt(n) * corrected.mean() / spread) if spread > 0 else 0.0
    wins = int((corrected > 0).sum())
    return Comparison(
        vuong, float(2.0 * special.ndtr(-abs(vuong))), wins, float(stats.binomtest(wins, n).pvalue), n, correction
    )
