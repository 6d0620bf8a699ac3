"""A fitted game: its coefficient table, predictions with intervals, and profile likelihoods.

Standard errors are the square roots of the diagonal of the inverse of the negative Hessian at
the maximum. Predicted outcome probabilities carry simulation intervals (King, Tomz and Wittenberg
2000): coefficients are drawn from the normal distribution with the estimates' mean and
covariance, the probabilities computed for each draw, and the central quantiles reported. A
profile likelihood holds one coefficient at a series of values and maximises over the others;
its 95% interval is where twice the drop from the maximum stays under 3.84, the 95% point of
chi-squared with one degree of freedom (Venzon and Moolgavkar 1988).

References
----------
King, G., Tomz, M. and Wittenberg, J. (2000). Making the most of statistical analyses: improving
interpretation and presentation. *American Journal of Political Science* 44(2), 347-361.
Venzon, D. J. and Moolgavkar, S. H. (1988). A method for computing profile-likelihood-based
confidence intervals. *Applied Statistics* 37(1), 87-94.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim._version import __version__
from sim.estimation.formula import Formula, FormulaError, design
from sim.estimation.problem import Problem, maximize

CHI2_95 = 3.841458820694124
"""The 95% point of chi-squared with one degree of freedom: a profile interval's drop, doubled."""


@dataclass(frozen=True)
class Profile:
    """A profile likelihood: one coefficient held at each value, the others at their best.

    Attributes
    ----------
    name : str
    values, loglik : numpy.ndarray
        The values tried and the log-likelihood maximised over the other coefficients at each.
    estimate, maximum : float
        The estimate and the log-likelihood there.
    interval : tuple of float
        The 95% likelihood-ratio interval (NaN where the likelihood never falls far enough).
    """

    name: str
    values: np.ndarray
    loglik: np.ndarray
    estimate: float
    maximum: float
    interval: tuple[float, float]

    def to_frame(self) -> pd.DataFrame:
        """One row per value: the value, the profile log-likelihood and twice its drop from the maximum."""
        return pd.DataFrame(
            {"value": self.values, "loglik": self.loglik, "deviance": 2.0 * (self.maximum - self.loglik)}
        )


@dataclass
class FitResult:
    """A fitted game: its coefficients, their covariance and how the fit went.

    Attributes
    ----------
    model, link, error, formula : str
        What was fitted.
    names : list of str
        The coefficients, named as the R package ``games`` names them (``u1(~esc):(Intercept)``).
    estimates, vcov : numpy.ndarray
        The maximum likelihood estimates and the inverse of the negative Hessian.
    loglik : float
        The maximised log-likelihood.
    n, dropped : int
        Rows used; rows left out for a missing value.
    converged : bool
        Whether the optimiser met its gradient tolerance.
    problems : list of str
        Anything that makes the numbers doubtful, in words, with what to do.
    data, data_sha256 : str
        The data's name or file, and the SHA-256 of its bytes.
    subset : str
        The rows kept (``year >= 1850``), or empty for all.
    outcome_names : tuple of str
        The outcomes' names, in the tree's order of terminals.
    bootstrap : dict or None
        The bootstrap's seed, replicates and standard errors, once :func:`sim.estimation.bootstrap` ran.
    """

    model: str
    link: str
    error: str
    formula: str
    names: list[str]
    estimates: np.ndarray
    vcov: np.ndarray
    loglik: float
    n: int
    dropped: int
    converged: bool
    problems: list[str] = field(default_factory=list)
    data: str = ""
    data_sha256: str = ""
    version: str = __version__
    subset: str = ""
    outcome_names: tuple[str, ...] = ()
    bootstrap: dict[str, Any] | None = None
    problem: Problem | None = field(default=None, repr=False, compare=False)
    parsed: Formula | None = field(default=None, repr=False, compare=False)
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def se(self) -> np.ndarray:
        """Standard errors: square roots of the covariance's diagonal (NaN where it is not positive)."""
        diagonal = np.diag(self.vcov)
        return np.where(diagonal > 0, np.sqrt(np.abs(diagonal)), np.nan)

    @property
    def z(self) -> np.ndarray:
        """Each estimate over its standard error."""
        return self.estimates / self.se

    @property
    def p(self) -> np.ndarray:
        """Two-sided p-values of ``z`` under the standard normal."""
        return 2.0 * special.ndtr(-np.abs(self.z))

    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``2 k - 2 loglik``."""
        return 2.0 * len(self.estimates) - 2.0 * self.loglik

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: one row per coefficient, with estimate, se, z and p (and the
        bootstrap's standard error and 95% percentile interval once it ran)."""
        frame = pd.DataFrame({"name": self.names, "estimate": self.estimates, "se": self.se, "z": self.z, "p": self.p})
        if self.bootstrap:
            frame["boot_se"] = self.bootstrap["se"]
            frame["boot_lower"] = self.bootstrap["lower"]
            frame["boot_upper"] = self.bootstrap["upper"]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The fit as the JSON ``sim fit --json`` prints, coefficients in order."""
        rows = self.to_frame().to_dict("records")
        return {
            "model": self.model,
            "link": self.link,
            "error": self.error,
            "formula": self.formula,
            "n": self.n,
            "dropped": self.dropped,
            "loglik": self.loglik,
            "aic": self.aic,
            "converged": self.converged,
            "problems": self.problems,
            "coefficients": [
                {key: _finite(value) if key != "name" else value for key, value in row.items()} for row in rows
            ],
            "subset": self.subset,
            "bootstrap": None
            if not self.bootstrap
            else {key: self.bootstrap[key] for key in ("replicates", "seed", "failed", "unconverged")},
            "data": self.data,
            "data_sha256": self.data_sha256,
            "version": self.version,
        }

    def summary(self) -> str:
        """The coefficient table with the log-likelihood, AIC, observations and convergence."""
        width = max(len(name) for name in self.names)
        where = f", rows where {self.subset}" if self.subset else ""
        lines = [
            f"{self.model}: strategic {self.link} with {self.error} error, {self.data}{where} "
            f"(sha256 {self.data_sha256[:12]}), sim {self.version}",
            f"{self.formula}",
            "",
        ]
        frame = self.to_frame()
        header = f"{'':<{width}}  {'estimate':>9}  {'se':>8}  {'z':>7}  {'p':>7}"
        if self.bootstrap:
            header += f"  {'boot se':>8}  {'boot 95% interval':>19}"
        lines.append(header)
        for row in frame.to_dict("records"):
            line = (
                f"{row['name']:<{width}}  {row['estimate']:>9.4f}  {row['se']:>8.4f}  "
                f"{row['z']:>7.2f}  {row['p']:>7.4f}"
            )
            if self.bootstrap:
                line += f"  {row['boot_se']:>8.4f}  [{row['boot_lower']:>8.4f}, {row['boot_upper']:>8.4f}]"
            lines.append(line)
        dropped = f" ({self.dropped} dropped for missing values)" if self.dropped else ""
        lines += [
            "",
            f"log-likelihood {self.loglik:.4f}, AIC {self.aic:.3f}, {self.n} observations{dropped}, "
            + ("converged" if self.converged else "NOT converged"),
        ]
        if self.bootstrap:
            boot = self.bootstrap
            lines.append(
                f"bootstrap: {boot['replicates']} replicates, seed {boot['seed']}"
                + (f", {boot['failed']} failed and were left out" if boot["failed"] else "")
                + (
                    f"; {boot['unconverged']} stopped short of the gradient tolerance, often a resample in which a "
                    "column predicts a choice perfectly (large estimates widen the intervals)"
                    if boot["unconverged"]
                    else ""
                )
            )
        lines += [f"warning: {problem}" for problem in self.problems]
        return "\n".join(lines)

    # ------------------------------------------------------------------ predictions

    def _fitted(self) -> tuple[Problem, Formula]:
        if self.problem is None or self.parsed is None:
            raise FormulaError("this result was read back without its data: refit it to predict or profile")
        return self.problem, self.parsed

    def predict(self, newdata: pd.DataFrame, draws: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
        """Outcome probabilities for new rows, with simulation intervals.

        Parameters
        ----------
        newdata : pandas.DataFrame
            Every column the formula's utilities use (the outcome columns are not needed).
        draws : int
            Coefficient draws for the intervals.
        seed : int
            Seeds the draws (through ``numpy.random.SeedSequence``): the same seed, the same intervals.
        level : float
            The intervals' coverage.

        Returns
        -------
        pandas.DataFrame
            The rows of ``newdata``, then for each outcome its probability at the estimates and
            the interval's ends (``p(esc,war)``, ``lower(esc,war)``, ``upper(esc,war)``).

        Raises
        ------
        FormulaError
            If ``newdata`` lacks a column (did you mean...), has a text level the fit never saw, or
            the fit has no covariance (a singular Hessian) to draw from.
        """
        problem, parsed = self._fitted()
        needed = list(dict.fromkeys(term for part in parsed.parts for term in part.terms))
        for name in needed:
            if name not in newdata.columns:
                close = difflib.get_close_matches(name, [str(column) for column in newdata.columns], n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise FormulaError(f"the new data has no column {name!r}, which the formula uses{hint}")
        if newdata[needed].isna().any().any():
            raise FormulaError("the new data has a missing value in a column the formula uses")
        matrices = tuple(design(part, newdata, self.levels)[0] for part in parsed.parts)
        at = Problem(problem.tree, self.link, self.error, matrices, np.zeros(len(newdata), dtype=int))
        point = at.probabilities(self.estimates)
        if not np.all(np.isfinite(self.vcov)):
            raise FormulaError("the fit has no covariance (its Hessian is singular), so no intervals can be drawn")
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        sampled = rng.multivariate_normal(self.estimates, self.vcov, size=draws, method="svd")
        simulated = at.probabilities(sampled)
        tail = (1.0 - level) / 2.0
        lower, upper = np.quantile(simulated, [tail, 1.0 - tail], axis=0)
        out = newdata.reset_index(drop=True).copy()
        for k, name in enumerate(self.outcome_names):
            out[f"p({name})"] = point[:, k]
            out[f"lower({name})"] = lower[:, k]
            out[f"upper({name})"] = upper[:, k]
        return out

    def predict_over(self, column: str, points: int = 50, **options: Any) -> pd.DataFrame:
        """:meth:`predict` over a numeric column's observed range, the other columns held at their
        means (numeric) or reference levels (text).

        Raises
        ------
        FormulaError
            If ``column`` is not a numeric column the formula uses.
        """
        _, parsed = self._fitted()
        if self.rows is None:
            raise FormulaError("this result has no data rows to take a range from: refit it")
        frame = self.rows
        used = list(dict.fromkeys(term for part in parsed.parts for term in part.terms))
        numeric = [name for name in used if name not in self.levels]
        if column not in numeric:
            close = difflib.get_close_matches(column, numeric, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" ({', '.join(numeric) or 'none'})"
            raise FormulaError(f"{column!r} is not a numeric column of the formula{hint}")
        grid = np.linspace(frame[column].min(), frame[column].max(), points)
        newdata = pd.DataFrame({name: np.full(points, frame[name].mean()) for name in numeric})
        for name, levels in self.levels.items():
            newdata[name] = levels[0]
        newdata[column] = grid
        return self.predict(newdata, **options)

    # ------------------------------------------------------------------ profile likelihood

    def profile(self, name: str, points: int = 21, width: float = 3.0) -> Profile:
        """The profile likelihood of one coefficient and its 95% likelihood-ratio interval.

        Parameters
        ----------
        name : str
            The coefficient, as in :attr:`names`.
        points : int
            Values tried, evenly spaced over ``estimate +- width * se`` (``+- width`` if there is no se).
        width : float

        Raises
        ------
        FormulaError
            For a name that is not a coefficient (did you mean...).
        """
        problem, _ = self._fitted()
        if name not in self.names:
            close = difflib.get_close_matches(name, self.names, n=1)
            raise FormulaError(f"no coefficient {name!r}" + (f"; did you mean {close[0]}?" if close else ""))
        j = self.names.index(name)
        estimate = float(self.estimates[j])
        spread = float(self.se[j]) if np.isfinite(self.se[j]) else 1.0
        values = np.linspace(estimate - width * spread, estimate + width * spread, points)

        def at(value: float) -> float:
            return maximize(problem, self.estimates, fixed={j: float(value)}).loglik

        loglik = np.array([at(value) for value in values])
        interval = (
            _crossing(at, estimate, -spread, self.loglik),
            _crossing(at, estimate, spread, self.loglik),
        )
        return Profile(name, values, loglik, estimate, self.loglik, interval)


def _crossing(at: Any, estimate: float, step: float, maximum: float) -> float:
    """Where twice the profile's drop from ``maximum`` reaches :data:`CHI2_95`, walking from the estimate."""
    from scipy import optimize  # imported when a profile runs: `import sim` stays quick

    def excess(value: float) -> float:
        return 2.0 * (maximum - at(value)) - CHI2_95

    inner, outer = estimate, estimate + step
    for _ in range(12):
        if excess(outer) > 0:
            return float(optimize.brentq(excess, inner, outer, xtol=1e-6 * max(1.0, abs(step))))
        inner, outer = outer, outer + 2 * (outer - inner)
    return float("nan")


def _finite(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value
