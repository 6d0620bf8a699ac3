"""Maximum likelihood fits of strategic estimation games: ``sim.fit`` and ``sim fit``.

Each utility of the tree is linear in its formula part's columns. The log-likelihood is the sum
over rows of the log of the observed outcome's probability (:mod:`sim.estimation.trees`); it is
maximised by BFGS (:mod:`sim.estimation.problem`) from starting values found by statistical
backward induction (:mod:`sim.estimation.starting_values`), and the standard errors are the
square roots of the diagonal of the inverse of the negative Hessian at the maximum. The R package
``games`` starts from the same values, so both optimisers climb the same hill.

References
----------
Signorino, C. S. (2003). Structure and uncertainty in discrete choice models. *Political
Analysis* 11(4), 316-344. Kenkel, B. and Signorino, C. S. (2014). Estimating extensive form games in
R. *Journal of Statistical Software* 56(8), 1-27.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.datasets import load as load_dataset
from sim.datasets import names as dataset_names
from sim.datasets import path_of as dataset_path
from sim.domain.files import FileRefused, read_regular_file
from sim.domain.limits import MAX_DATA_BYTES
from sim.estimation.formula import (
    Formula,
    FormulaError,
    check_columns,
    complete_rows,
    design,
    parse_formula,
    text_levels,
)
from sim.estimation.games import estimation_tree
from sim.estimation.problem import Problem, hessian, maximize
from sim.estimation.result import FitResult
from sim.estimation.starting_values import statistical_backward_induction
from sim.estimation.subset import apply_subset
from sim.estimation.trees import EstimationTree

LARGE_ESTIMATE = 30.0
"""An estimate this large (in units of the shocks' scale) suggests separation: the likelihood keeps
rising as a coefficient grows, and the finite number reported is where the optimiser stopped."""


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


def outcomes(game: EstimationTree, formula: Formula, rows: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each row's outcome (0-based) and the outcomes' names, from decision columns or one column.

    One column names the terminal reached: by the tree's own names of its terminals when every
    value is one of them, else (fixed trees only, as R reads a factor) by its sorted levels.

    Raises
    ------
    FormulaError
        If decision columns hold anything but 0 and 1, or one outcome column does not have as many
        distinct values as the tree has outcomes.
    """
    if game.decisions and len(formula.outcome) == game.decisions:
        columns = rows[list(formula.outcome)].to_numpy(dtype=float)
        for k, name in enumerate(formula.outcome):
            wrong = sorted(set(np.unique(columns[:, k])) - {0.0, 1.0})
            if wrong:
                raise FormulaError(f"the decision column {name!r} must be 0 or 1; it has {wrong[:3]}")
        return game.outcomes_from_decisions(columns), game.terminal_names(formula.outcome)
    if len(formula.outcome) == 1:
        values = rows[formula.outcome[0]]
        names = game.terminal_names()
        if set(values.astype(str)) <= set(names):
            index = {name: k for k, name in enumerate(names)}
            return values.astype(str).map(index).to_numpy(dtype=int), names
        if not game.decisions:
            unknown = sorted(set(values.astype(str)) - set(names))
            raise FormulaError(
                f"{formula.outcome[0]!r} names the outcome, so each value must name a terminal of {game.name} "
                f"({', '.join(names)}); {unknown[0]!r} does not"
            )
        levels = sorted(values.unique(), key=lambda level: (isinstance(level, str), level))
        if len(levels) != game.outcomes:
            raise FormulaError(
                f"{formula.outcome[0]!r} names the outcome, so it needs {game.outcomes} distinct values "
                f"(one per end of {game.name}); it has {len(levels)}"
            )
        index = {level: k for k, level in enumerate(levels)}
        return values.map(index).to_numpy(dtype=int), tuple(str(level) for level in levels)
    decisions = f"{game.decisions} 0/1 decision columns or " if game.decisions else ""
    raise FormulaError(
        f"{game.name}'s outcome is {decisions}one column naming the end reached; got {len(formula.outcome)} columns"
    )


def fit(
    model: str | Path | EstimationTree,
    data: str | Path | pd.DataFrame,
    formula: str,
    link: str = "probit",
    error: str = "agent",
    subset: str = "",
) -> FitResult:
    """Fit a strategic estimation game by maximum likelihood.

    Parameters
    ----------
    model : str or pathlib.Path
        A fixed tree (``egame12``, ``egame122``, ``egame123``: :mod:`sim.estimation.games`) or a
        ``.efg`` or TOML game file, whose formula has one part per player and terminal, or an
        :class:`~sim.estimation.trees.EstimationTree` built in Python.
    data : str, pathlib.Path or pandas.DataFrame
        A shipped data set (``war1800``), a CSV or Parquet file, or a frame.
    formula : str
        ``outcome ~ u11 | u13 | u14 | u24`` in the R package ``games``' syntax
        (:mod:`sim.estimation.formula`).
    link : {"probit", "logit"}
    error : {"agent", "private"}
        Private information is defined for probit only.
    subset : str, optional
        Keep only the rows that meet it (``"year >= 1850"``: :mod:`sim.estimation.subset`).

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
    game = estimation_tree(model)
    game.check(link, error)
    frame, data_name, digest = read_data(data)
    parsed = parse_formula(formula, game.utilities)
    check_columns(parsed, frame, data_name)
    frame = apply_subset(frame, subset, data_name)
    rows = complete_rows(parsed, frame)
    if rows.empty:
        raise FormulaError(f"{data_name}: no row has a value in every column the formula uses")
    y, outcome_names = outcomes(game, parsed, rows)
    levels = text_levels(parsed, rows)
    matrices, names = [], []
    for part, slot in zip(parsed.parts, game.slots, strict=True):
        matrix, columns = design(part, rows, levels)
        matrices.append(matrix)
        names += [f"u{slot.player + 1}({outcome_names[slot.terminal]}):{column}" for column in columns]
    problem = Problem(game, link, error, tuple(matrices), y)
    problems = _identification_problems(problem, outcome_names)
    found = maximize(problem, statistical_backward_induction(problem))
    estimates = found.estimates
    if not found.converged:
        problems.append(
            f"the optimiser stopped with a gradient of {found.slope:.2g} ({found.message}): the estimates may not "
            "be the maximum. A flat likelihood often means too many columns for the data"
        )
    information = hessian(lambda betas: -problem.logliks(betas), estimates)
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
        game.name, link, error, formula, names, estimates, vcov, found.loglik, len(rows), len(frame) - len(rows),
        found.converged, problems, data_name, digest, subset=subset, outcome_names=outcome_names,
        problem=problem, parsed=parsed, levels=levels, rows=rows,
    )  # fmt: skip


def _identification_problems(problem: Problem, outcome_names: tuple[str, ...]) -> list[str]:
    counts = np.bincount(problem.y, minlength=problem.tree.outcomes)
    return [
        f"no row ends in {name!r}, so the utilities for it are not identified: the estimates for them are "
        "arbitrary. Fix them at 0 in the formula or use more data"
        for name, count in zip(outcome_names, counts, strict=True)
        if count == 0
    ]
