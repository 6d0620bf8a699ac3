r"""Calibrating a crisis scenario to observed outcomes: maximum likelihood over named fields (``sim calibrate``).

Given counts ``n_k`` of the crisis outcomes ``k`` (:data:`sim.domain.ladder.OUTCOMES`) and free
scenario fields ``theta`` (``russia.lambda``, ``escalation.base``, ...), the log-likelihood is the
multinomial one,

.. math:: \ell(\theta) = \sum_k n_k \log p_k(\theta),

where ``p_k(theta)`` is the probability of outcome ``k`` in the scenario with those field values,
under the engine's equilibrium (:mod:`sim.engine.equilibrium`). ``theta`` is found by maximising
``ell`` within each field's bounds from the field catalogue (:mod:`sim.domain.fields`).

**Exact probabilities, not simulated ones.** ``p_k(theta)`` is the engine's outcome distribution
summed exactly over types and histories (:func:`sim.estimation.outcomes.engine_outcome_probabilities`).
A Monte Carlo estimate would make ``ell`` a step function of ``theta`` unless the same random numbers
were reused at every evaluation, and even then its error (about ``sqrt(p(1-p)/R)`` for ``R`` runs)
would blur the curvature the intervals are read from; the exact sum carries only the equilibrium
solver's error (a fixed-point residual below ``1e-8``), so ``ell`` is smooth. Each evaluation
solves the equilibrium: a few milliseconds for one round, about a second for two or three.

**Optimiser.** Nelder-Mead with bounds (``scipy.optimize.minimize``; Nelder and Mead 1965, Gao
and Han 2012), started from the scenario's own values: it needs no derivatives, so the solver's
small numerical error cannot mislead a finite-difference gradient.

**Intervals** are profile-likelihood ones (likelihood ratio; Venzon and Moolgavkar 1988, Pawitan
2001 ch. 2-3): for each field ``j`` the 95% interval is every value ``v`` with
``2 (ell(theta_hat) - max_{theta: theta_j = v} ell(theta)) <= chi2_{1, 0.95} = 3.841``, the other
free fields re-optimised at each ``v``. Unlike a Hessian (Wald) interval it needs no quadratic
likelihood and respects the field's bounds; where the profile does not rise by 3.841 before a
bound, the interval ends at the bound and the report says so.

**Problems reported in words**: a field that does not move the outcome probabilities at the
estimate is not identified (its value is the starting one and it has no interval); an estimate
at a bound; an optimiser that did not converge; fitted zero probabilities for observed outcomes.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive form games.
*Experimental Economics* 1, 9-41.
Nelder, J. A. and Mead, R. (1965). A simplex method for function minimization. *The Computer
Journal* 7(4), 308-313. Gao, F. and Han, L. (2012). Implementing the Nelder-Mead simplex algorithm
with adaptive parameters. *Computational Optimization and Applications* 51(1), 259-277.
Venzon, D. J. and Moolgavkar, S. H. (1988). A method for computing profile-likelihood-based
confidence intervals. *Applied Statistics* 37(1), 87-94.
Pawitan, Y. (2001). *In All Likelihood: Statistical Modelling and Inference Using Likelihood*. Oxford.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim._version import __version__
from sim.domain.fields import spec
from sim.domain.ladder import OUTCOMES
from sim.domain.scenario import (
    Scenario,
    ScenarioError,
    edited_scenario_text,
    load_scenario,
    parse_toml,
    read_scenario_text,
    resolve_scenario_path,
    scenario_from_dict,
    with_overrides,
)
from sim.estimation.outcomes import (
    CalibrationError,
    check_counts,
    counts_csv,
    engine_outcome_probabilities,
    field_bounds,
    parse_free,
    read_counts,
)

CRITICAL = 3.841458820694124
"""The likelihood-ratio cut-off of a 95% profile interval: chi-squared(1)'s 95% point, 3.841."""
FLOOR = 1e-300
"""Probabilities below this count as this in the log-likelihood (an observed impossible outcome)."""
NOT_MOVING = 1e-7
"""A field whose change by 1% of its span (at least 0.01) moves no outcome probability by more than
this is reported as not identified."""


# ------------------------------------------------------------------------------------- inputs


def _value(scenario: Scenario, path: str) -> float | None:
    """The scenario's value of a field (None if an optional field is not set).

    Raises
    ------
    CalibrationError
        If the scenario has no such field (a member it does not have).
    """
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for part in path.split("."):
        try:
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        except (IndexError, ValueError, AttributeError):
            raise CalibrationError(
                f"--free {path}: {scenario.name} has no such field ({part!r} is not in it)"
            ) from None
        if node is None:
            return None
    return float(node)


# ------------------------------------------------------------------------------------- result


@dataclass
class FieldEstimate:
    """One free field: where the search started, the estimate, its 95% profile interval and notes."""

    path: str
    start: float
    estimate: float
    ci95: tuple[float | None, float | None]
    bounds: tuple[float, float]
    identified: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class Calibration:
    """A scenario fitted to outcome counts (:func:`calibrate`)."""

    scenario: Scenario
    base: Scenario
    fields: list[FieldEstimate]
    counts: dict[str, int]
    fitted: dict[str, float]
    loglik: float
    converged: bool
    evaluations: int
    problems: list[str]
    data_source: str
    data_sha256: str
    base_text: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    @property
    def n(self) -> int:
        """The number of crises counted."""
        return sum(self.counts.values())

    @property
    def estimates(self) -> dict[str, float]:
        """Each free field's estimate, by path."""
        return {item.path: item.estimate for item in self.fields}

    def to_dict(self) -> dict[str, Any]:
        """The calibration as JSON-ready data (``sim calibrate --json``)."""
        return {
            "scenario": self.base.name,
            "rounds": self.base.rounds,
            "overrides": self.overrides,
            "n": self.n,
            "loglik": self.loglik,
            "converged": self.converged,
            "evaluations": self.evaluations,
            "interval": "profile likelihood, 95% (chi2(1) cut-off 3.841)",
            "fields": [
                {
                    "path": f.path,
                    "start": f.start,
                    "estimate": f.estimate,
                    "ci95": list(f.ci95),
                    "bounds": list(f.bounds),
                    "identified": f.identified,
                    "notes": f.notes,
                }
                for f in self.fields
            ],
            "outcomes": {
                name: {"count": self.counts[name], "observed": self.counts[name] / self.n, "fitted": self.fitted[name]}
                for name in OUTCOMES
            },
            "problems": self.problems,
            "data_file": self.data_source,
            "data_sha256": self.data_sha256,
            "calibrated_sha256": self.scenario.sha256(),
            "version": self.version,
        }

    def summary(self) -> str:
        """A plain-text report: the estimates with their intervals, the fit by outcome, the problems."""
        rounds = f"{self.base.rounds} round{'s' if self.base.rounds != 1 else ''}"
        lines = [
            f"calibrated {self.base.name} ({rounds}) to {self.n:,} outcomes in {self.data_source} "
            f"(sha256 {self.data_sha256[:12]}), sim {self.version}",
            "maximum likelihood over the engine's exact outcome probabilities (Nelder-Mead within the fields' bounds)",
            "",
            f"{'field':28s} {'start':>9s} {'estimate':>9s}   95% interval (profile likelihood)",
        ]
        for item in self.fields:
            low, high = ("bound?" if v is None else f"{v:.4g}" for v in item.ci95)
            interval = f"[{low}, {high}]" if item.identified else "not identified"
            lines.append(f"{item.path:28s} {item.start:9.4f} {item.estimate:9.4f}   {interval}")
        state = "converged" if self.converged else "did NOT converge"
        lines += ["", f"log-likelihood {self.loglik:.4f}; {state} after {self.evaluations} evaluations", ""]
        lines.append(f"{'outcome':22s} {'count':>7s} {'observed':>9s} {'fitted':>8s}")
        for name in OUTCOMES:
            count = self.counts[name]
            lines.append(f"{name:22s} {count:7d} {count / self.n:9.4f} {self.fitted[name]:8.4f}")
        lines.append("")
        lines += [f"problem: {problem}" for problem in self.problems] or ["problems: none"]
        return "\n".join(lines)

    def to_toml(self, name: str | None = None) -> str:
        """The calibrated scenario as a TOML file that loads and validates: the original file with the
        estimates written in (its comments kept) when that round-trips, else every field; a header
        of comments gives the estimates, their intervals, the data's SHA-256 and the version."""
        name = name or f"{self.base.name}_calibrated"
        edits = self.estimates
        header = [
            f"# {name}: {self.base.name} calibrated to observed outcomes by `sim calibrate` (sim {self.version}).",
            f"# Data: {self.data_source}, {self.n:,} crises, sha256 {self.data_sha256}.",
            f"# Counts: {', '.join(f'{k} {v}' for k, v in self.counts.items())}.",
            "# Maximum likelihood over the engine's exact outcome probabilities; 95% profile-likelihood intervals:",
        ]
        for item in self.fields:
            low, high = ("bound?" if v is None else f"{v:.4g}" for v in item.ci95)
            where = f"[{low}, {high}]" if item.identified else "not identified (left at its starting value)"
            header.append(f"#   {item.path} = {item.estimate:.6g}  {where}")
        header.append(f"# Log-likelihood {self.loglik:.4f}; {'converged' if self.converged else 'did NOT converge'}.")
        header += [f"# Problem: {problem}" for problem in self.problems]
        body = None
        if self.base_text is not None:
            body = self.base_text
            for changes, why in ((self.overrides, "(set with --set)"), (edits, "(calibrated)")):
                edited = edited_scenario_text(body, changes, name, self.base.name) if body is not None else None
                body = None if edited is None else edited.replace("(changed in the app)", why)
            if body is not None and not _same(body, self.scenario):
                body = None
        if body is None:
            import tomli_w

            data = self.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
            data["name"] = name
            body = tomli_w.dumps(data)
        return "\n".join(header) + "\n\n" + body


def _same(text: str, scenario: Scenario) -> bool:
    """Whether a scenario file's text loads as ``scenario`` (its name aside)."""
    try:
        loaded = scenario_from_dict(parse_toml(text, "<calibrated>"), "<calibrated>")
    except (ScenarioError, ValueError):
        return False
    return loaded.model_dump(exclude={"name"}) == scenario.model_dump(exclude={"name"})


# ------------------------------------------------------------------------------------- fitting


def calibrate(
    scenario: Scenario | str | Path,
    counts: Mapping[str, int] | str | Path,
    free: str | Sequence[str],
    *,
    overrides: Mapping[str, Any] | None = None,
    max_evaluations: int = 400,
    intervals: bool = True,
) -> Calibration:
    """Fit the free fields of a scenario to outcome counts by maximum likelihood (module docstring).

    Parameters
    ----------
    scenario : Scenario, str or Path
        The scenario, or a built-in name or file, whose values are the starting point.
    counts : mapping or str or Path
        Counts by outcome, or a CSV file of them (:func:`read_counts`).
    free : str or sequence of str
        The fields to fit by dotted path (``russia.lambda``), optionally with a search range
        (``russia.lambda=0:10``) inside the catalogue's bounds.
    overrides : mapping, optional
        Fields set before fitting (``{"rounds": 1}``, as ``--set``); written into the calibrated file.
    max_evaluations : int
        The most likelihood evaluations the optimiser may use (each solves the equilibrium).
    intervals : bool
        Compute the 95% profile-likelihood intervals (the costly part).

    Returns
    -------
    Calibration
        The estimates, intervals, fitted probabilities, problems and the calibrated scenario.

    Raises
    ------
    CalibrationError
        Bad counts or free fields; :class:`~sim.domain.scenario.ScenarioError` for a scenario that
        does not load or a field the scenario does not have.
    """
    base_text = None
    overrides = dict(overrides or {})
    if not isinstance(scenario, Scenario):
        base_text = read_scenario_text(resolve_scenario_path(scenario))
        scenario = load_scenario(scenario, overrides)
    else:
        scenario = with_overrides(scenario, overrides)
    if isinstance(counts, Mapping):
        table = check_counts(counts)
        source, digest = "counts", hashlib.sha256(counts_csv(table).encode()).hexdigest()
    else:
        source = str(counts)
        table, digest = read_counts(counts)
    ranges = {}
    for path, span in parse_free(free).items():
        low, high = field_bounds(path)
        if span is not None:
            if span[0] < low or span[1] > high:
                raise CalibrationError(
                    f"--free {path}: the range {span[0]:g}:{span[1]:g} leaves its bounds {low:g}:{high:g}"
                )
            low, high = span
        ranges[path] = (low, high)
    paths = list(ranges)
    lows, highs = np.array([ranges[p][0] for p in paths]), np.array([ranges[p][1] for p in paths])
    start = np.array([_start(scenario, p, ranges[p]) for p in paths])
    with_overrides(scenario, dict(zip(paths, start.tolist())))  # a field the scenario lacks: refused now
    n = np.array([table[name] for name in OUTCOMES], dtype=float)
    model = _Likelihood(scenario, paths, n)

    problems: list[str] = []
    moving = [model.moves(start, j, highs[j] - lows[j]) for j in range(len(paths))]
    active = [j for j in range(len(paths)) if moving[j]]
    theta = start.copy()
    converged = True
    maxima: list[np.ndarray] = []
    if active:
        theta, converged = _maximise(model, theta, active, lows, highs, max_evaluations)
        if not converged:
            problems.append(f"the optimiser stopped after {max_evaluations} evaluations without converging")
        for other in _other_starts(scenario, paths, start, active, lows, highs):  # local maxima elsewhere?
            found, ok = _maximise(model, other, active, lows, highs, max_evaluations)
            if ok and model(found) > model(theta) + 1e-6:
                theta, found = found, theta
            maxima.append(found)
    loglik = model(theta)
    for found in maxima:
        gap = loglik - model(found)
        if gap < CRITICAL / 2 and np.any(np.abs(found - theta) > 1e-2 * np.maximum(1.0, np.abs(theta))):
            where = ", ".join(f"{p} = {v:.4g}" for p, v in zip(paths, found))
            problem = (f"another local maximum at {where}, only {gap:.2f} below the best: the data hardly tell "
                       "them apart, and the profile interval covers the best one's neighbourhood only")  # fmt: skip
            if problem not in problems:
                problems.append(problem)
    estimates = []
    for j, path in enumerate(paths):
        item = FieldEstimate(path, float(start[j]), float(theta[j]), (None, None), (float(lows[j]), float(highs[j])))
        if not moving[j] or not model.moves(theta, j, highs[j] - lows[j]):
            item.identified = False
            item.notes.append("not identified: changing it does not move the outcome probabilities")
            problems.append(f"{path} is not identified: changing it does not move the outcome probabilities "
                            "(is the actor's rule logit? does the field matter in this scenario?)")  # fmt: skip
        else:
            span = (highs[j] - lows[j]) * 1e-6
            for side, bound in (("lower", lows[j]), ("upper", highs[j])):
                if abs(theta[j] - bound) <= max(span, 1e-9):
                    item.notes.append(f"at its {side} bound {bound:g}")
                    problems.append(f"{path} is at its {side} bound ({bound:g}): the data would put it beyond")
            if intervals:
                item.ci95 = _profile_interval(model, theta, j, [k for k in active if k != j], lows, highs, loglik)
                for side, value in (("lower", item.ci95[0]), ("upper", item.ci95[1])):
                    if value is None:
                        edge = lows[j] if side == "lower" else highs[j]
                        item.ci95 = (edge, item.ci95[1]) if side == "lower" else (item.ci95[0], edge)
                        item.notes.append(f"the {side} end of the interval reaches the bound {edge:g}")
                        word = "below" if side == "lower" else "above"
                        problems.append(
                            f"{path}: the data do not bound it from {word} within {edge:g} (weakly identified)"
                        )
        estimates.append(item)
    fitted = model.probabilities(theta)
    impossible = [name for name, p, k in zip(OUTCOMES, fitted, n) if k > 0 and p < 1e-12]
    if impossible:
        problems.append(f"observed outcomes the fitted scenario makes impossible: {', '.join(impossible)}")
    calibrated = with_overrides(scenario, dict(zip(paths, theta.tolist())))
    return Calibration(
        scenario=calibrated, base=scenario, fields=estimates, counts=table,
        fitted=dict(zip(OUTCOMES, fitted.tolist())), loglik=float(loglik), converged=converged,
        evaluations=model.evaluations, problems=problems, data_source=source, data_sha256=digest, base_text=base_text,
        overrides=overrides,
    )  # fmt: skip


def _other_starts(
    scenario: Scenario, paths: list[str], start: np.ndarray, active: list[int], lows: np.ndarray, highs: np.ndarray
) -> list[np.ndarray]:
    """Further starting points, to find other local maxima: every corner of the quarter and
    three-quarter points of each active field's working span (the app's sweep span where the
    catalogue gives one, else from its lower bound to four times its start)."""
    spans = []
    for j in active:
        sweep = spec(re.sub(r"\.\d+\.", "[].", paths[j])).sweep
        owner = paths[j].partition(".")[0]
        low, high = sweep.get(owner) or sweep.get("") or (lows[j], max(lows[j] + 1.0, 4.0 * abs(start[j])))
        low, high = max(low, lows[j]), min(high, highs[j])
        spans.append((low + 0.25 * (high - low), low + 0.75 * (high - low)))
    points = []
    for corner in np.array(np.meshgrid(*spans, indexing="ij")).reshape(len(active), -1).T:
        point = start.copy()
        point[active] = corner
        points.append(point)
    return points


def _start(scenario: Scenario, path: str, bounds: tuple[float, float]) -> float:
    value = _value(scenario, path)
    low, high = bounds
    if value is None:  # an optional field not set (believed_resolve): start mid-range
        value = (low + high) / 2 if high - low < 1e5 else max(low, 0.0)
    return float(min(max(value, low), high))


class _Likelihood:
    """``ell(theta)`` with a cache: each evaluation solves the equilibrium of the scenario at ``theta``."""

    def __init__(self, scenario: Scenario, paths: list[str], counts: np.ndarray):
        self.scenario, self.paths, self.counts = scenario, paths, counts
        self.cache: dict[tuple[float, ...], np.ndarray] = {}
        self.evaluations = 0

    def probabilities(self, theta: np.ndarray) -> np.ndarray:
        key = tuple(float(x) for x in theta)
        if key not in self.cache:
            self.evaluations += 1
            changed = with_overrides(self.scenario, dict(zip(self.paths, key)))
            self.cache[key] = np.array(list(engine_outcome_probabilities(changed).values()))
        return self.cache[key]

    def __call__(self, theta: np.ndarray) -> float:
        p = self.probabilities(theta)
        return float(np.sum(self.counts * np.log(np.maximum(p, FLOOR))))

    def moves(self, theta: np.ndarray, j: int, width: float) -> bool:
        """Whether field ``j`` moves any outcome probability near ``theta`` (a step of 1% of its span)."""
        step = max(0.01 * min(width, 100.0), 0.01)
        base = self.probabilities(theta)
        for sign in (1.0, -1.0):
            other = theta.copy()
            other[j] = theta[j] + sign * step
            low, high = field_bounds(self.paths[j])
            if low <= other[j] <= high and np.max(np.abs(self.probabilities(other) - base)) > NOT_MOVING:
                return True
        return False


def _maximise(
    model: _Likelihood, theta: np.ndarray, active: list[int], lows: np.ndarray, highs: np.ndarray, budget: int
) -> tuple[np.ndarray, bool]:
    """Nelder-Mead over the active fields, the others held; returns (theta, converged)."""

    def full(x: np.ndarray) -> np.ndarray:
        out = theta.copy()
        out[active] = x
        return out

    x0 = theta[active]
    scale = np.maximum(np.minimum(np.abs(x0) * 0.25, (highs[active] - lows[active]) * 0.25), 0.05)
    scale = np.minimum(scale, (highs[active] - lows[active]) * 0.5)
    simplex = [x0]
    for k in range(len(active)):  # a first simplex of a quarter of each value, kept in bounds
        step = x0.copy()
        step[k] = x0[k] + scale[k] if x0[k] + scale[k] <= highs[active][k] else x0[k] - scale[k]
        simplex.append(step)
    from scipy import optimize  # imported when a calibration runs: `import sim` stays quick

    result = optimize.minimize(
        lambda x: -model(full(x)),
        x0,
        method="Nelder-Mead",
        bounds=list(zip(lows[active], highs[active])),
        options={"initial_simplex": np.array(simplex), "xatol": 1e-4, "fatol": 1e-6, "maxfev": budget},
    )
    return full(np.asarray(result.x)), bool(result.success)


def _profile_interval(
    model: _Likelihood, theta: np.ndarray, j: int, others: list[int], lows: np.ndarray, highs: np.ndarray, best: float
) -> tuple[float | None, float | None]:
    """The 95% profile-likelihood interval of field ``j``: where ``2 (best - profile) = 3.841`` on
    each side (``None`` where the profile stays below the cut-off up to the bound)."""
    from scipy import optimize  # imported when a calibration runs: `import sim` stays quick

    warm = {"theta": theta.copy()}

    def excess(value: float) -> float:
        point = warm["theta"].copy()
        point[j] = value
        if others:
            point, _ = _maximise(model, point, others, lows, highs, 200)
            warm["theta"] = point
        return 2.0 * (best - model(point)) - CRITICAL

    ends: list[float | None] = []
    for direction, bound in ((-1.0, lows[j]), (1.0, highs[j])):
        warm["theta"] = theta.copy()
        step = max(0.05 * abs(theta[j]), 1e-3 * (highs[j] - lows[j]) if highs[j] - lows[j] < 1e3 else 0.05)
        inside, outside = float(theta[j]), None
        while outside is None:
            candidate = float(np.clip(theta[j] + direction * step, lows[j], highs[j]))
            if excess(candidate) > 0:
                outside = candidate
            elif candidate == bound:
                break
            else:
                inside, step = candidate, step * 2.0
        if outside is None:
            ends.append(None)
            continue
        root = optimize.brentq(excess, inside, outside, xtol=1e-4 * max(1.0, abs(theta[j])), maxiter=60)
        ends.append(float(root))
    return ends[0], ends[1]


def calibrated_file_text(calibration: Calibration, out: str | Path | None) -> str:
    """The TOML a calibration writes to ``out``, its ``name`` the file's stem; checked to load."""
    name = Path(out).stem if out else None
    text = calibration.to_toml(name)
    scenario_from_dict(parse_toml(text, str(out or "<calibrated>")), str(out or "<calibrated>"))
    return text


__all__ = [
    "CRITICAL",
    "Calibration",
    "CalibrationError",
    "FieldEstimate",
    "calibrate",
    "calibrated_file_text",
    "check_counts",
    "counts_csv",
    "engine_outcome_probabilities",
    "field_bounds",
    "parse_free",
    "read_counts",
]
