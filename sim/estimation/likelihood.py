"""Maximum likelihood fits of strategic estimation games: ``sim.fit`` and ``sim fit``.

Each utility of the tree is linear in its formula part's columns. The log-likelihood is the sum
over rows of the log of the observed outcome's probability (:mod:`sim.estimation.games`); it is
maximised by BFGS from starting values found by statistical backward induction, and the standard
errors are the square roots of the diagonal of the inverse of the negative Hessian at the maximum.

**Statistical backward induction** (Bas, Signorino and Walker 2008) gives the starting values: the
last mover is fitted first, as a binary probit or logit of its choice on its own columns among the
rows where it moved; then the first mover, as a binary model of escalating on its columns weighted
by the fitted probabilities of what follows (``-X11``, ``(1 - p4) X13``, ``p4 X14``). Both are
scaled by ``sqrt(2)``, the scale of a difference of two unit shocks. The R package ``games``
starts from the same values, so both optimisers climb the same hill.

References
----------
Signorino, C. S. (2003). Structure and uncertainty in discrete choice models. *Political
Analysis* 11(4), 316-344. Bas, M. A., Signorino, C. S. and Walker, R. W. (2008). Statistical
backwards induction: a simple method for estimating recursive strategic models. *Political
Analysis* 16(1), 21-40. Kenkel, B. and Signorino, C. S. (2014). Estimating extensive form games in
R. *Journal of Statistical Software* 56(8), 1-27.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim._version import __version__
from sim.datasets import load as load_dataset
from sim.datasets import names as dataset_names
from sim.datasets import path_of as dataset_path
from sim.domain.files import FileRefused, read_regular_file
from sim.domain.limits import MAX_DATA_BYTES
from sim.estimation.formula import Formula, FormulaError, check_columns, complete_rows, design, parse_formula
from sim.estimation.games import ERRORS, GAMES, LINKS, Game, cdf

GRADIENT_TOLERANCE = 1e-4
"""The largest slope of the log-likelihood at which a fit counts as converged."""

LARGE_ESTIMATE = 30.0
"""An estimate this large (in units of the shocks' scale) suggests separation: the likelihood keeps
rising as a coefficient grows, and the finite number reported is where the optimiser stopped."""


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
        """The coefficient table: one row per coefficient, with estimate, se, z and p."""
        return pd.DataFrame({"name": self.names, "estimate": self.estimates, "se": self.se, "z": self.z, "p": self.p})

    def to_dict(self) -> dict[str, Any]:
        """The fit as the JSON ``sim fit --json`` prints, coefficients in order."""
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
                {
                    "name": row.name,
                    "estimate": row.estimate,
                    "se": _finite(row.se),
                    "z": _finite(row.z),
                    "p": _finite(row.p),
                }
                for row in self.to_frame().itertuples()
            ],
            "data": self.data,
            "data_sha256": self.data_sha256,
            "version": self.version,
        }

    def summary(self) -> str:
        """The coefficient table with the log-likelihood, AIC, observations and convergence."""
        width = max(len(name) for name in self.names)
        lines = [
            f"{self.model}: strategic {self.link} with {self.error} error, {self.data} "
            f"(sha256 {self.data_sha256[:12]}), sim {self.version}",
            f"{self.formula}",
            "",
            f"{'':<{width}}  {'estimate':>9}  {'se':>8}  {'z':>7}  {'p':>7}",
        ]
        for row in self.to_frame().itertuples():
            lines.append(f"{row.name:<{width}}  {row.estimate:>9.4f}  {row.se:>8.4f}  {row.z:>7.2f}  {row.p:>7.4f}")
        dropped = f" ({self.dropped} dropped for missing values)" if self.dropped else ""
        lines += [
            "",
            f"log-likelihood {self.loglik:.4f}, AIC {self.aic:.3f}, {self.n} observations{dropped}, "
            + ("converged" if self.converged else "NOT converged"),
        ]
        lines += [f"warning: {problem}" for problem in self.problems]
        return "\n".join(lines)


def _finite(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def read_data(data: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """The data as a frame, its name and the SHA-256 of its bytes.

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        A shipped data set's name (``war1800``), a CSV or Parquet file, or a frame.

    Raises
    ------
    FormulaError
        If the name is neither a shipped data set nor a readable file.
    """
    if isinstance(data, pd.DataFrame):
        digest = hashlib.sha256(data.to_csv(index=False).encode()).hexdigest()
        return data, "<frame>", digest
    text = str(data)
    if text in dataset_names() and not Path(text).exists():
        return load_dataset(text), text, hashlib.sha256(dataset_path(text).read_bytes()).hexdigest()
    path = Path(text)
    if not path.is_file():
        raise FormulaError(f"{text}: no such file, and not a shipped data set ({', '.join(dataset_names())})")
    try:
        content = read_regular_file(path, MAX_DATA_BYTES)
    except FileRefused as refused:
        raise FormulaError(f"{text}: {refused} for data (sim.domain.limits.MAX_DATA_BYTES)") from None
    try:
        frame = pd.read_parquet(io.BytesIO(content)) if path.suffix == ".parquet" else pd.read_csv(io.BytesIO(content))
    except Exception as error:  # a damaged or foreign file: say so in words
        raise FormulaError(f"{text}: not a readable CSV or Parquet file ({error})") from None
    return frame, text, hashlib.sha256(content).hexdigest()


def outcomes(game: Game, formula: Formula, rows: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each row's outcome (0-based) and the outcomes' names, from decision columns or one column.

    Raises
    ------
    FormulaError
        If decision columns hold anything but 0 and 1, or one outcome column does not have as many
        distinct values as the tree has outcomes.
    """
    if len(formula.outcome) == game.decisions:
        columns = rows[list(formula.outcome)].to_numpy(dtype=float)
        for k, name in enumerate(formula.outcome):
            wrong = sorted(set(np.unique(columns[:, k])) - {0.0, 1.0})
            if wrong:
                raise FormulaError(f"the decision column {name!r} must be 0 or 1; it has {wrong[:3]}")
        return game.outcomes_from_decisions(columns), game.outcome_names(formula.outcome)
    if len(formula.outcome) == 1:
        values = rows[formula.outcome[0]]
        levels = sorted(values.unique(), key=lambda level: (isinstance(level, str), level))
        if len(levels) != game.outcomes:
            raise FormulaError(
                f"{formula.outcome[0]!r} names the outcome, so it needs {game.outcomes} distinct values "
                f"(one per end of {game.name}); it has {len(levels)}"
            )
        index = {level: k for k, level in enumerate(levels)}
        return values.map(index).to_numpy(dtype=int), tuple(str(level) for level in levels)
    raise FormulaError(
        f"{game.name}'s outcome is {game.decisions} 0/1 decision columns (esc + war) or one column naming "
        f"the end reached; got {len(formula.outcome)} columns"
    )


@dataclass(frozen=True)
class Problem:
    """The likelihood of one game on one data set: design matrices, outcomes and options."""

    game: Game
    link: str
    error: str
    matrices: tuple[np.ndarray, ...]
    y: np.ndarray

    @property
    def sizes(self) -> list[int]:
        """Coefficients per utility."""
        return [matrix.shape[1] for matrix in self.matrices]

    def utilities(self, beta: np.ndarray) -> np.ndarray:
        """``(rows, utilities)``: each utility's linear predictor."""
        cuts = np.cumsum([0, *self.sizes])
        return np.column_stack(
            [matrix @ beta[a:b] for matrix, a, b in zip(self.matrices, cuts[:-1], cuts[1:], strict=True)]
        )

    def loglik(self, beta: np.ndarray) -> float:
        """The log-likelihood at ``beta``."""
        probabilities = self.game.probabilities(self.utilities(beta), self.link, self.error)
        return float(np.log(probabilities[np.arange(len(self.y)), self.y]).sum())


def statistical_backward_induction(problem: Problem) -> np.ndarray:
    """Starting values: the last mover's binary model, then the first mover's given it (egame12).

    Returns
    -------
    numpy.ndarray
        ``sqrt(2)`` times (player 1's coefficients for u11, u13, u14, then player 2's for u24).
    """
    x11, x13, x14, z = problem.matrices
    y = problem.y
    moved = y != 0
    gamma = _binary(z[moved], (y[moved] == 2).astype(float), problem.link) if z.shape[1] else np.zeros(0)
    p4 = cdf(z @ gamma, problem.link) if z.shape[1] else np.full(len(y), 0.5)
    weighted = np.column_stack([-x11, (1 - p4)[:, None] * x13, p4[:, None] * x14])
    first = _binary(weighted, moved.astype(float), problem.link)
    return np.sqrt(2.0) * np.concatenate([first, gamma])


def _binary(x: np.ndarray, y: np.ndarray, link: str) -> np.ndarray:
    """A binary probit or logit by maximum likelihood (zeros if it cannot be fitted)."""
    if x.shape[1] == 0:
        return np.zeros(0)

    def negative(beta: np.ndarray) -> float:
        p = np.clip(cdf(x @ beta, link), 1e-300, 1 - 1e-16)
        return -float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))

    from scipy import optimize  # imported when a fit runs: `import sim` stays quick

    found = optimize.minimize(negative, np.zeros(x.shape[1]), method="BFGS")
    return found.x if np.all(np.isfinite(found.x)) else np.zeros(x.shape[1])


def gradient(function: Any, x: np.ndarray) -> np.ndarray:
    """The gradient of ``function`` at ``x`` by central differences."""
    steps = 1e-6 * np.maximum(1.0, np.abs(x))
    out = np.empty(len(x))
    for i, step in enumerate(steps):
        e_i = np.zeros(len(x))
        e_i[i] = step
        out[i] = (function(x + e_i) - function(x - e_i)) / (2 * step)
    return out


def hessian(function: Any, x: np.ndarray) -> np.ndarray:
    """The Hessian of ``function`` at ``x`` by central second differences (symmetric)."""
    n = len(x)
    steps = 1e-4 * np.maximum(1.0, np.abs(x))
    out = np.empty((n, n))
    unit = np.eye(n)
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = unit[i] * steps[i], unit[j] * steps[j]
            value = (
                function(x + e_i + e_j) - function(x + e_i - e_j) - function(x - e_i + e_j) + function(x - e_i - e_j)
            ) / (4 * steps[i] * steps[j])
            out[i, j] = out[j, i] = value
    return out


def fit(
    model: str,
    data: str | Path | pd.DataFrame,
    formula: str,
    link: str = "probit",
    error: str = "agent",
) -> FitResult:
    """Fit a strategic estimation game by maximum likelihood.

    Parameters
    ----------
    model : str
        The tree: ``egame12``.
    data : str, pathlib.Path or pandas.DataFrame
        A shipped data set (``war1800``), a CSV or Parquet file, or a frame.
    formula : str
        ``outcome ~ u11 | u13 | u14 | u24`` in the R package ``games``' syntax
        (:mod:`sim.estimation.formula`).
    link : {"probit", "logit"}
    error : {"agent", "private"}
        Private information is defined for probit only.

    Returns
    -------
    FitResult

    Raises
    ------
    FormulaError
        For an unknown model, link or error, a formula that does not fit the model, a column the
        data lacks, or an outcome that cannot be read; the message says what to write instead.

    Examples
    --------
    >>> result = fit("egame12", "war1800", "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2")
    >>> round(result.loglik, 4)
    -286.1238
    """
    if model not in GAMES:
        raise FormulaError(f"unknown model {model!r}: known are {', '.join(GAMES)}")
    if link not in LINKS or error not in ERRORS:
        raise FormulaError(f"link is one of {', '.join(LINKS)} and error one of {', '.join(ERRORS)}")
    if error == "private" and link == "logit":
        raise FormulaError("private-information errors are normal (Signorino 2003): use --link probit")
    game = GAMES[model]
    frame, data_name, digest = read_data(data)
    parsed = parse_formula(formula, game.utilities)
    check_columns(parsed, frame, data_name)
    rows = complete_rows(parsed, frame)
    if rows.empty:
        raise FormulaError(f"{data_name}: no row has a value in every column the formula uses")
    y, outcome_names = outcomes(game, parsed, rows)
    matrices, names = [], []
    for part, player, outcome in zip(parsed.parts, game.players, game.outcome_of, strict=True):
        matrix, columns = design(part, rows)
        matrices.append(matrix)
        names += [f"u{player}({outcome_names[outcome]}):{column}" for column in columns]
    problem = Problem(game, link, error, tuple(matrices), y)
    problems = _identification_problems(problem, outcome_names)
    start = statistical_backward_induction(problem)
    from scipy import optimize  # imported when a fit runs: `import sim` stays quick

    negative = lambda beta: -problem.loglik(beta)  # noqa: E731
    found = optimize.minimize(negative, start, method="BFGS", jac=lambda beta: gradient(negative, beta))
    estimates = found.x
    slope = float(np.abs(gradient(negative, estimates)).max())
    converged = bool(np.isfinite(found.fun)) and slope < GRADIENT_TOLERANCE
    if not converged:
        problems.append(
            f"the optimiser stopped with a gradient of {slope:.2g} ({found.message}): the estimates may not be "
            "the maximum. A flat likelihood often means too many columns for the data"
        )
    information = hessian(lambda beta: -problem.loglik(beta), estimates)
    try:
        np.linalg.cholesky(information)
        vcov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        vcov = np.full((len(estimates), len(estimates)), np.nan)
        problems.append(
            "the Hessian is singular or not negative definite, so there are no standard errors: the likelihood "
            "is flat in some direction (two columns that carry the same information, or a dummy that is always "
            "0 or 1 among the rows used). Drop one of them"
        )
    large = [name for name, value in zip(names, estimates, strict=True) if abs(value) > LARGE_ESTIMATE]
    if large:
        problems.append(
            f"{', '.join(large)} {'is' if len(large) == 1 else 'are'} very large: a column may predict a choice "
            "perfectly (separation), so the likelihood keeps rising as the coefficient grows. Drop or merge it"
        )
    return FitResult(
        model, link, error, formula, names, estimates, vcov, -float(found.fun), len(rows), len(frame) - len(rows),
        converged, problems, data_name, digest,
    )  # fmt: skip


def _identification_problems(problem: Problem, outcome_names: tuple[str, ...]) -> list[str]:
    counts = np.bincount(problem.y, minlength=problem.game.outcomes)
    return [
        f"no row ends in {name!r}, so the utilities for it are not identified: the estimates for them are "
        "arbitrary. Fix them at 0 in the formula or use more data"
        for name, count in zip(outcome_names, counts, strict=True)
        if count == 0
    ]
