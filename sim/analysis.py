"""What a parameter sweep says: Sobol sensitivity indices, scenario discovery with PRIM, and plots.

A sweep (written by ``sim sweep``) is a table with one row per design point: the swept parameters
under their dotted scenario paths (``russia.resolve_prior``), the runs, and for every outcome its
probability ``p_<outcome>`` with the 95% interval ``ci_low_<outcome>``/``ci_high_<outcome>``, plus
``mean_rounds`` and ``mean_payoff_<actor>``. Its metadata names the parameters, the design (grid,
lhs, sobol or saltelli) and the provenance (scenario, SHA-256, seed, version).

- :func:`sobol_indices`: first-order, total and second-order Sobol indices with 95% intervals,
  computed by SALib from a Saltelli design (``sim sensitivity``).
- :func:`discover`: the boxes of parameter space where an outcome exceeds a threshold, found by
  PRIM, the Patient Rule Induction Method (``sim discover``).
- :func:`plot_sweep`: an outcome against one parameter (curve with its 95% band) or two
  (heatmap), as PNG/SVG/PDF (matplotlib) or HTML (plotly) (``sim plot``).

Every function raises ``ValueError`` with a one-line message for input it cannot use; the command
line turns it into ``sim: error: ...`` and exit status 2. Output files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.argtypes import add_command, number, whole_number
from sim.files import write_atomically
from sim.ladder import ACTORS, OUTCOMES

SCATTERED_DESIGNS = ("lhs", "sobol", "saltelli")
PLOT_SUFFIXES = (".png", ".svg", ".pdf", ".html")
TABLE_SUFFIXES = (".csv", ".parquet")
HOW_TO_RUN_SALTELLI = (
    "run one with: sim sweep SCENARIO --param PATH=LOW:HIGH ... --design saltelli --samples N --out DIR"
    " (add --second-order for S2)"
)


# --------------------------------------------------------------------------------------------------
# Reading a sweep and naming its columns


def load_sweep(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep directory written by ``sim sweep --out`` as ``(frame, metadata)``: every design point
    exactly once, or SweepError (a ValueError) naming the points duplicated or missing, so that no
    analysis silently counts a point twice or describes half a sweep as the whole."""
    from sim.sweeps import read_sweep

    frame, metadata = read_sweep(path, complete=True)
    if frame.empty:
        raise ValueError(
            f"{path}: the sweep has no finished points yet; finish it with sim sweep ... --out {path} --resume"
        )
    return frame, metadata


def output_column(outcome: str) -> str:
    """The sweep column of an outcome: ``major_war`` -> ``p_major_war``; also ``mean_rounds``, ``mean_payoff_us``."""
    name = str(outcome).strip()
    if name in OUTCOMES:
        return f"p_{name}"
    if name.startswith("p_") and name[2:] in OUTCOMES:
        return name
    if name == "mean_rounds" or (name.startswith("mean_payoff_") and name[len("mean_payoff_") :] in ACTORS):
        return name
    raise ValueError(
        f"unknown outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}, mean_rounds, "
        f"or mean_payoff_ACTOR with ACTOR one of {', '.join(ACTORS)}"
    )


def output_label(column: str, short: bool = False) -> str:
    """Plain words for an output column: ``P(major war)`` (or ``major war``), ``mean rounds``, ..."""
    if column.startswith("p_"):
        words = column[2:].replace("_", " ")
        return words if short else f"P({words})"
    if column.startswith("mean_payoff_"):
        return f"mean payoff of {column[len('mean_payoff_') :]}"
    return column.replace("_", " ")


def _output(frame: pd.DataFrame, outcome: str) -> str:
    column = output_column(outcome)
    if column not in frame.columns:
        raise ValueError(f"the sweep has no column {column!r} (for outcome {outcome!r})")
    return column


def _parameters(frame: pd.DataFrame, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The swept parameters from the metadata, each checked to be a column of the frame."""
    params = metadata.get("params")
    if not isinstance(params, list) or not params:
        raise ValueError("the sweep's metadata lists no swept parameters ('params')")
    for param in params:
        if not isinstance(param, dict) or "path" not in param:
            raise ValueError(f"the sweep's metadata has a parameter without a path: {param!r}")
        if param["path"] not in frame.columns:
            raise ValueError(f"the sweep has no column {param['path']!r} for its swept parameter {param['path']}")
    return params


def _parameter(frame: pd.DataFrame, metadata: dict[str, Any], name: str) -> dict[str, Any]:
    params = _parameters(frame, metadata)
    for param in params:
        if param["path"] == name:
            return param
    known = ", ".join(param["path"] for param in params)
    raise ValueError(f"no parameter column {name!r} in this sweep; its swept parameters are: {known}")


def is_categorical(series: pd.Series) -> bool:
    """A parameter column that holds names (or true/false) rather than numbers."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _provenance(metadata: dict[str, Any]) -> dict[str, Any]:
    keys = ("scenario", "scenario_sha256", "design", "n_points", "runs", "seed", "version")
    return {key: metadata.get(key) for key in keys}


def _provenance_line(metadata: dict[str, Any], points: int) -> str:
    sha = str(metadata.get("scenario_sha256") or "")[:12]
    runs = metadata.get("runs")
    runs_text = f"{runs:,} runs each" if isinstance(runs, int) else "runs unknown"
    return (
        f"sweep of {metadata.get('scenario', '?')}: {metadata.get('design', '?')} design, {points:,} points, "
        f"{runs_text}, seed {metadata.get('seed')}, scenario sha256 {sha}, sim {metadata.get('version', '?')}"
    )


# --------------------------------------------------------------------------------------------------
# Sobol indices


def sobol_indices(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    *,
    num_resamples: int = 1000,
    seed: int = 1,
) -> pd.DataFrame:
    """Sobol first-order (S1), total (ST) and, if the design has them, second-order (S2) indices.

    ``outcome`` is an outcome name (``major_war``: the column ``p_major_war``), ``mean_rounds`` or
    ``mean_payoff_<actor>``. The sweep must be a complete Saltelli design, its rows in the order of
    ``SALib.sample.sobol.sample(problem, N, calc_second_order=...)``; the indices come from
    ``SALib.analyze.sobol.analyze``, their 95% intervals from its bootstrap (``num_resamples``
    resamples drawn with ``seed``, so the same sweep gives the same intervals).

    Returns a tidy table, one row per index: ``index`` ("S1", "ST" or "S2"), ``parameter``,
    ``parameter_2`` (the second parameter of an S2 index, else None), ``estimate``, ``conf`` (half
    the width of the 95% interval), ``ci_low`` and ``ci_high``. The S1 and ST rows come first, the
    parameters ordered by ST from the largest; then the S2 rows by estimate. ``attrs`` carries the
    output column, N and the number of points.

    The Monte Carlo noise of each point's probability (finite runs) is variance no parameter
    explains: it lowers the first-order indices, raises every total index by about its share,
    and widens the intervals. More runs per point shrink it.
    """
    from SALib.analyze import sobol

    column = _output(frame, outcome)
    design = metadata.get("design")
    if design != "saltelli":
        raise ValueError(
            f"Sobol indices need a Saltelli design, and this sweep's design is {design!r}; {HOW_TO_RUN_SALTELLI}"
        )
    params = _parameters(frame, metadata)
    names = [param["path"] for param in params]
    expected = metadata.get("n_points")
    if not isinstance(expected, int):
        raise ValueError("the sweep's metadata does not say how many design points it has (n_points)")
    if len(frame) != expected:
        raise ValueError(
            f"the sweep is incomplete: {len(frame):,} of {expected} design points; Sobol indices need every "
            f"point of the Saltelli design. Finish it with sim sweep ... --out DIR --resume, or {HOW_TO_RUN_SALTELLI}"
        )
    if not isinstance(num_resamples, int) or num_resamples < 2:
        raise ValueError(f"num_resamples must be a whole number of at least 2, got {num_resamples!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 1:
        raise ValueError(f"seed must be a whole number of at least 1 (SALib ignores a seed of 0), got {seed!r}")
    bounds = []
    for param in params:
        if is_categorical(frame[param["path"]]) or param.get("low") is None or param.get("high") is None:
            raise ValueError(f"parameter {param['path']}: a Saltelli design needs a numeric range (low and high)")
        bounds.append([float(param["low"]), float(param["high"])])
    d = len(names)
    second = metadata.get("calc_second_order")
    if second is None:  # not recorded: the design size tells, given N
        second = metadata.get("samples") == len(frame) // (2 * d + 2) and len(frame) % (2 * d + 2) == 0
    second = bool(second)
    step = 2 * d + 2 if second else d + 2
    if len(frame) % step:
        raise ValueError(
            f"{len(frame):,} points is not a Saltelli design of {d} parameters "
            f"({'with' if second else 'without'} second order, a multiple of {step})"
        )
    ordered = frame.sort_values("point", kind="stable") if "point" in frame.columns else frame
    _check_saltelli_order(ordered[names].to_numpy(dtype=float), d, second)
    values = ordered[column].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        missing = int(np.sum(~np.isfinite(values)))
        raise ValueError(f"{column} is missing (NaN) at {missing} points; Sobol indices need every point")
    if np.ptp(values) <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        raise ValueError(
            f"{column} is {values[0]:g} at every point, so no parameter changes it and its Sobol indices are undefined"
        )

    problem = {"num_vars": d, "names": names, "bounds": bounds}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about constant resamples; the intervals still hold
        result = sobol.analyze(
            problem,
            values,
            calc_second_order=second,
            num_resamples=num_resamples,
            conf_level=0.95,
            print_to_console=False,
            seed=seed,
        )
    first_rows: list[dict[str, Any]] = []
    order = np.argsort(-np.asarray(result["ST"]), kind="stable")
    for i in order:
        for index in ("ST", "S1"):
            first_rows.append(_index_row(index, names[i], None, result[index][i], result[f"{index}_conf"][i]))
    second_rows = []
    if second:
        for i in range(d):
            for j in range(i + 1, d):
                second_rows.append(_index_row("S2", names[i], names[j], result["S2"][i, j], result["S2_conf"][i, j]))
        second_rows.sort(key=lambda row: -row["estimate"])
    table = pd.DataFrame(
        first_rows + second_rows,
        columns=["index", "parameter", "parameter_2", "estimate", "conf", "ci_low", "ci_high"],
    )
    table["parameter_2"] = pd.Series([row["parameter_2"] for row in first_rows + second_rows], dtype=object)
    table.attrs.update(
        {
            "column": column,
            "N": len(frame) // step,
            "points": len(frame),
            "calc_second_order": second,
            "num_resamples": num_resamples,
            "seed": seed,
        }
    )
    return table


def _index_row(index: str, parameter: str, other: str | None, estimate: float, conf: float) -> dict[str, Any]:
    estimate, conf = float(estimate), float(conf)
    return {
        "index": index,
        "parameter": parameter,
        "parameter_2": other,
        "estimate": estimate,
        "conf": conf,
        "ci_low": estimate - conf,
        "ci_high": estimate + conf,
    }


def _check_saltelli_order(x: np.ndarray, d: int, second: bool) -> None:
    """Rows must come in SALib's blocks: A, A with column j from B (j = 1..d), [B with column j from A], B."""
    step = 2 * d + 2 if second else d + 2
    blocks = x.reshape(-1, step, d)
    a, b = blocks[:, 0, :], blocks[:, -1, :]
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    for j in range(d):
        expected_ab = a.copy()
        expected_ab[:, j] = b[:, j]
        candidates = [(1 + j, expected_ab)]
        if second:
            expected_ba = b.copy()
            expected_ba[:, j] = a[:, j]
            candidates.append((1 + d + j, expected_ba))
        for row, expected in candidates:
            bad = np.abs(blocks[:, row, :] - expected) > 1e-9 * scale
            if bad.any():
                block = int(np.argwhere(bad.any(axis=1))[0][0])
                raise ValueError(
                    f"the sweep's rows are not in SALib's Saltelli order (point {block * step + row} does not "
                    f"match its block); Sobol indices need the points exactly as the design made them"
                )


# --------------------------------------------------------------------------------------------------
# Scenario discovery: PRIM


@dataclass(frozen=True)
class Box:
    """A box of parameter space found by PRIM, and how well it captures the points of interest.

    ``limits`` maps a numeric parameter to ``(low, high)``: a point is inside when ``low < x < high``
    (``None`` leaves that side open); ``categories`` maps a categorical parameter to the values
    allowed. Parameters that do not appear are not restricted. The limits are round numbers chosen
    between the last point inside and the first point outside, so they separate the data exactly.

    Points of interest are those where the outcome exceeds ``above``. ``density``: their share among
    the points in the box; ``coverage``: the share of all points of interest that the box holds;
    ``mass``: the share of all points in the box. Box k counts only the points outside boxes 1..k-1
    (``outside``), as in the covering approach of Friedman and Fisher (1999).
    """

    number: int
    column: str
    above: float
    limits: dict[str, tuple[float | None, float | None]]
    categories: dict[str, tuple[Any, ...]]
    coverage: float
    density: float
    mass: float
    points: int
    cases: int
    outside: tuple[int, ...] = ()
    order: tuple[str, ...] = field(default=(), compare=False)

    def conditions(self) -> list[str]:
        """The box's restrictions in plain words, e.g. ``russia.resolve_prior > 0.71``."""
        words = []
        names = list(self.order) or [*self.limits, *self.categories]
        for name in names:
            if name in self.limits:
                low, high = self.limits[name]
                if low is not None and high is not None:
                    words.append(f"{_number(low)} < {name} < {_number(high)}")
                elif low is not None:
                    words.append(f"{name} > {_number(low)}")
                elif high is not None:
                    words.append(f"{name} < {_number(high)}")
            elif name in self.categories:
                values = [str(value) for value in self.categories[name]]
                words.append(f"{name} is {' or '.join(values)}")
        return words

    def describe(self) -> str:
        """One sentence: where the outcome exceeds the threshold, how often, and how much the box holds."""
        label = output_label(self.column, short=True)
        above = _threshold(self.column, self.above)
        scope = "the points"
        if self.outside:
            scope += " outside box " + " and ".join(str(number) for number in self.outside)
        conditions = self.conditions()
        where = f" where {' and '.join(conditions)}" if conditions else " (no parameter restricts it)"
        return (
            f"{label} exceeds {above} in {self.density:.0%} of {scope}{where}; "
            f"the box holds {self.mass:.0%} of the points and {self.coverage:.0%} of all such points"
        )

    def contains(self, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of ``frame`` lie inside the box's limits (earlier boxes are not excluded)."""
        inside = np.ones(len(frame), dtype=bool)
        for name, (low, high) in self.limits.items():
            values = frame[name].to_numpy(dtype=float)
            if low is not None:
                inside &= values > low
            if high is not None:
                inside &= values < high
        for name, allowed in self.categories.items():
            inside &= frame[name].isin(list(allowed)).to_numpy()
        return inside

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": self.number,
            "outside_boxes": list(self.outside),
            "limits": {name: {"above": low, "below": high} for name, (low, high) in self.limits.items()},
            "categories": {name: list(values) for name, values in self.categories.items()},
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "points": self.points,
            "points_of_interest": self.cases,
            "description": self.describe(),
        }


def discover(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    above: float,
    *,
    threshold_density: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_boxes: int = 3,
) -> list[Box]:
    """Scenario discovery: the boxes of parameter space where ``outcome`` exceeds ``above``.

    PRIM (Friedman and Fisher 1999, "Bump hunting in high-dimensional data", as used for scenario
    discovery by Bryant and Lempert 2010 and the EMA Workbench). The points of interest are those
    whose outcome (``p_<outcome>``, or ``mean_rounds`` / ``mean_payoff_<actor>``) exceeds ``above``.

    1. Peeling: starting from the whole sweep, repeatedly cut off the slice that raises the share of
       points of interest most per point removed: the ``peel_alpha`` fraction of the box's points
       with the lowest or highest value of one numeric parameter (a whole grid level at least), or
       one value of a categorical parameter. Stop when no cut helps or the box would hold less than
       ``mass_min`` of the points. This gives the peeling trajectory, from large boxes of low
       density to small dense ones.
    2. Choice: among the boxes of the trajectory whose density reaches ``threshold_density``, the
       one with the largest coverage x density (so a box gives up little coverage for density, and
       the reverse); if none reaches it, the search ends.
    3. Pasting: widen the chosen box by ``paste_alpha`` slices while that adds points of interest
       without lowering its density.
    4. Restrictions that exclude no point are dropped, and each limit becomes a round number between
       the last point inside and the first outside.
    5. Covering: the box's points are set aside and the search repeats, up to ``max_boxes`` boxes.

    Categorical parameters (strings or true/false) are restricted to subsets of their values.

    Why our own implementation: the ``prim`` package (Project Platypus, 1.0.0) is GPL-3 (this project
    is MIT) and its box limits fail under pandas 3 with a categorical parameter (``Prim.limits``
    fails on numeric ones too); ``ema-workbench`` 3.x requires Python 3.12, and 2.5.3, the last that
    installs on 3.11, brings scikit-learn, statsmodels, seaborn and platypus-opt and, under pandas 3,
    returns all-zero box limits from ``boxes_to_dataframe`` with only a pandas warning. The algorithm itself is
    small; the tests check it on planted boxes.
    """
    column = _output(frame, outcome)
    if not isinstance(above, numbers.Real) or not math.isfinite(above):
        raise ValueError(f"the threshold must be a finite number, got {above!r}")
    _check_fraction("threshold_density", threshold_density, closed=True)
    _check_fraction("peel_alpha", peel_alpha, upper=0.5)
    _check_fraction("paste_alpha", paste_alpha, upper=0.5)
    _check_fraction("mass_min", mass_min)
    if not isinstance(max_boxes, int) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a whole number of at least 1, got {max_boxes!r}")
    params = _parameters(frame, metadata)
    values = frame[column].to_numpy(dtype=float)
    usable = np.isfinite(values)
    data = frame.loc[usable].reset_index(drop=True)
    if data.empty:
        raise ValueError(f"{column} is missing (NaN) at every point of the sweep")
    prim = _Prim(data, [param["path"] for param in params], data[column].to_numpy(dtype=float) > above)
    boxes: list[Box] = []
    while len(boxes) < max_boxes and prim.remaining_cases() > 0:
        found = prim.find_box(threshold_density, peel_alpha, paste_alpha, mass_min)
        if found is None:
            break
        limits, categories, inside = found
        points, cases = int(inside.sum()), int(prim.interest[inside].sum())
        boxes.append(
            Box(
                number=len(boxes) + 1,
                column=column,
                above=float(above),
                limits=limits,
                categories=categories,
                coverage=cases / prim.total_cases,
                density=cases / points,
                mass=points / prim.n,
                points=points,
                cases=cases,
                outside=tuple(box.number for box in boxes),
                order=tuple(prim.names),
            )
        )
        prim.set_aside(inside)
    return boxes


def _check_fraction(name: str, value: float, *, upper: float = 1.0, closed: bool = False) -> None:
    ok = isinstance(value, numbers.Real) and value > 0 and (value <= upper if closed else value < upper)
    if not ok:
        bound = f"at most {upper}" if closed else f"below {upper}"
        raise ValueError(f"{name} must be a number above 0 and {bound}, got {value!r}")


class _Prim:
    """Peeling and pasting on arrays: numeric parameters as floats, categorical ones as integer codes."""

    def __init__(self, data: pd.DataFrame, names: list[str], interest: np.ndarray) -> None:
        self.n = len(data)
        self.interest = interest.astype(bool)
        self.total_cases = int(self.interest.sum())
        self.active = np.ones(self.n, dtype=bool)
        self.names: list[str] = []  # parameters that vary, in the sweep's order
        self.numeric: list[int] = []  # positions in self.names
        self.categorical: list[int] = []
        columns, self.levels = [], {}
        for name in names:
            series = data[name]
            if series.nunique(dropna=False) < 2:
                continue  # a parameter with one value cannot bound a box
            position = len(self.names)
            self.names.append(name)
            if is_categorical(series):
                codes, uniques = pd.factorize(series, sort=True)
                self.levels[position] = [_plain(value) for value in uniques]
                columns.append(codes.astype(float))
                self.categorical.append(position)
            else:
                columns.append(series.to_numpy(dtype=float))
                self.numeric.append(position)
        self.x = np.column_stack(columns) if columns else np.empty((self.n, 0))

    def remaining_cases(self) -> int:
        return int(self.interest[self.active].sum())

    def set_aside(self, inside: np.ndarray) -> None:
        self.active &= ~inside

    # A box: low and high (inclusive, data values) per numeric position, allowed codes per categorical one.
    def _full_box(self) -> tuple[np.ndarray, np.ndarray, dict[int, set[int]]]:
        low = np.full(len(self.names), -np.inf)
        high = np.full(len(self.names), np.inf)
        allowed = {k: set(range(len(self.levels[k]))) for k in self.categorical}
        return low, high, allowed

    def _violations(self, low, high, allowed) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """One column per restriction: does each point break it? (points set aside break none)."""
        checks, labels = [], []
        for k in self.numeric:
            checks += [self.x[:, k] < low[k], self.x[:, k] > high[k]]
            labels += [("low", k), ("high", k)]
        for k in self.categorical:
            checks.append(~np.isin(self.x[:, k], list(allowed[k])))
            labels.append(("category", k))
        matrix = np.column_stack(checks) if checks else np.zeros((self.n, 0), dtype=bool)
        return matrix & self.active[:, None], labels

    def _inside(self, violations: np.ndarray) -> np.ndarray:
        """The points in the box: active ones that break no restriction (``violations`` from :meth:`_violations`)."""
        return self.active & ~violations.any(axis=1)

    def find_box(self, threshold_density, peel_alpha, paste_alpha, mass_min):
        low, high, allowed = self._full_box()
        rows = np.flatnonzero(self.active)
        trajectory = [(*_copy_box(low, high, allowed), rows)]
        while True:
            step = self._best_peel(rows, low, high, allowed, peel_alpha, mass_min)
            if step is None:
                break
            rows, (kind, k, value) = step
            if kind == "low":
                low[k] = value
            elif kind == "high":
                high[k] = value
            else:
                allowed[k] = allowed[k] - {value}
            trajectory.append((*_copy_box(low, high, allowed), rows))

        best = None
        for entry in trajectory:
            cases = int(self.interest[entry[3]].sum())
            density = cases / len(entry[3])
            score = cases * density  # coverage x density, up to the constant total of points of interest
            if density >= threshold_density and (best is None or score > best[0]):
                best = (score, entry)
        if best is None:
            return None
        low, high, allowed, rows = best[1]
        low, high, allowed = self._paste(low, high, allowed, paste_alpha)
        return self._finish(low, high, allowed)

    def _best_peel(self, rows, low, high, allowed, alpha, mass_min):
        n_old = len(rows)
        mean_old = self.interest[rows].mean()
        count = max(1, math.ceil(alpha * n_old))
        best_key, best = None, None
        for k in range(len(self.names)):
            x = self.x[rows, k]
            candidates = []
            if k in self.categorical:
                present = np.unique(x)
                if len(present) > 1:
                    candidates = [(x != value, ("category", k, int(value))) for value in present]
            else:
                ordered = np.sort(x)
                if ordered[0] < ordered[-1]:
                    keep = x > ordered[count - 1]
                    if keep.any():
                        candidates.append((keep, ("low", k, float(x[keep].min()))))
                    keep = x < ordered[n_old - count]
                    if keep.any():
                        candidates.append((keep, ("high", k, float(x[keep].max()))))
            for keep, change in candidates:
                n_new = int(keep.sum())
                if n_new / self.n < mass_min:
                    continue
                gain = (self.interest[rows[keep]].mean() - mean_old) / (n_old - n_new)
                already = self._restricted(change[0], k, low, high, allowed)
                key = (gain, already)
                if gain > 0 and (best_key is None or key > best_key):
                    best_key, best = key, (rows[keep], change)
        return best

    def _restricted(self, kind: str, k: int, low, high, allowed) -> bool:
        if kind == "category":
            return len(allowed[k]) < len(self.levels[k])
        return bool(np.isfinite(low[k]) or np.isfinite(high[k]))

    def _paste(self, low, high, allowed, alpha):
        low, high, allowed = _copy_box(low, high, allowed)
        while True:
            matrix, labels = self._violations(low, high, allowed)
            inside = self._inside(matrix)
            n_old = int(inside.sum())
            only = matrix.sum(axis=1) == 1  # points that break exactly one restriction
            count = max(1, math.ceil(alpha * n_old))
            cases_old = int(self.interest[inside].sum())
            best_key, best = None, None
            for column, (kind, k) in enumerate(labels):
                pool = np.flatnonzero(only & matrix[:, column])
                if pool.size == 0:
                    continue
                values = self.x[pool, k]
                if kind == "category":
                    options = [(pool[values == code], ("category", k, int(code))) for code in np.unique(values)]
                else:  # the nearest `count` points outside, or fewer when that many would dilute the box
                    nearest = np.sort(values)[::-1] if kind == "low" else np.sort(values)
                    options = []
                    for size in sorted({max(1, math.ceil(min(count, pool.size) / 2**i)) for i in range(12)}):
                        edge = nearest[size - 1]
                        added = pool[values >= edge] if kind == "low" else pool[values <= edge]
                        options.append((added, (kind, k, float(edge))))
                for added, change in options:
                    gained = int(self.interest[added].sum())
                    cases, points = cases_old + gained, n_old + added.size
                    if gained == 0 or cases * n_old < cases_old * points:
                        continue  # a paste must add points of interest and keep the density at least as high
                    key = ((cases / points - cases_old / n_old) / added.size, gained)
                    if best_key is None or key > best_key:
                        best_key, best = key, change
            if best is None:
                return low, high, allowed
            kind, k, value = best
            if kind == "low":
                low[k] = value
            elif kind == "high":
                high[k] = value
            else:
                allowed[k] = allowed[k] | {value}

    def _finish(self, low, high, allowed):
        """Drop restrictions that exclude nothing, then put each limit at a round number in the gap."""
        low, high, allowed = _copy_box(low, high, allowed)
        _, labels = self._violations(low, high, allowed)
        for column, (kind, k) in enumerate(labels):
            matrix, _ = self._violations(low, high, allowed)
            if not np.any(matrix[:, column] & (matrix.sum(axis=1) == 1)):
                if kind == "low":
                    low[k] = -np.inf
                elif kind == "high":
                    high[k] = np.inf
                else:
                    allowed[k] = set(range(len(self.levels[k])))
        matrix, labels = self._violations(low, high, allowed)
        inside = self._inside(matrix)
        only = matrix.sum(axis=1) == 1
        limits: dict[str, tuple[float | None, float | None]] = {}
        categories: dict[str, tuple[Any, ...]] = {}
        for k in self.numeric:
            name, bounds = self.names[k], [None, None]
            for side, kind in enumerate(("low", "high")):
                column = labels.index((kind, k))
                if not np.isfinite((low, high)[side][k]):
                    continue
                outside = self.x[only & matrix[:, column], k]
                inner = self.x[inside, k]
                if kind == "low":
                    bounds[0] = _round_between(float(outside.max()), float(inner.min()))
                else:
                    bounds[1] = _round_between(float(inner.max()), float(outside.min()))
            if bounds != [None, None]:
                limits[name] = (bounds[0], bounds[1])
        for k in self.categorical:
            if len(allowed[k]) < len(self.levels[k]):
                categories[self.names[k]] = tuple(self.levels[k][code] for code in sorted(allowed[k]))
        return limits, categories, inside


def _copy_box(
    low: np.ndarray, high: np.ndarray, allowed: dict[int, set[int]]
) -> tuple[np.ndarray, np.ndarray, dict[int, set[int]]]:
    """A copy of a box, so that peeling or pasting it leaves the original (a step of the trajectory) as it was."""
    return low.copy(), high.copy(), {k: set(v) for k, v in allowed.items()}


def _round_between(lower: float, upper: float) -> float:
    """The roundest number strictly between ``lower`` and ``upper`` (fewest decimals, nearest the middle)."""
    middle = (lower + upper) / 2
    margin = 1e-9 * max(abs(lower), abs(upper), 1.0)  # 0.6000000000000001 from a grid is 0.6: not a gap
    if upper - lower <= 2 * margin:
        return middle
    lower, upper = lower + margin, upper - margin
    for decimals in range(-6, 16):
        unit = 10.0**-decimals
        first = math.floor(lower / unit) + 1
        last = math.ceil(upper / unit) - 1
        choices = [round(m * unit, max(decimals, 0)) for m in range(first, min(last, first + 20) + 1)]
        choices = [value for value in choices if lower < value < upper]
        if choices:
            return min(choices, key=lambda value: abs(value - middle))
    return middle


def _threshold(column: str, above: float) -> str:
    return f"{above:.2f}" if column.startswith("p_") else f"{above:g}"


def _number(value: float) -> str:
    return f"{value:.10g}"


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones, so box values print and serialise plainly."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------------
# Plots


def plot_sweep(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    x: str,
    y: str | None = None,
    path: str | Path | None = None,
    *,
    bins: int | None = None,
) -> Path:
    """Plot an outcome against one parameter (``x``) or two (``x`` and ``y``), and write it to ``path``.

    One parameter: the outcome's value at each point, sorted by ``x``, with its 95% interval band.
    When other parameters vary too, the points are averaged: at each value of ``x`` for a grid
    design, in ``bins`` equal bins of ``x`` for scattered designs (lhs, sobol, saltelli); the title
    says so, and the band is then the 95% interval of that average. Two parameters: a heatmap of
    the outcome, a pivot of the grid or, for scattered designs, the mean in a ``bins`` x ``bins``
    grid of cells (empty cells left blank). Categorical parameters get one column per value.

    ``path`` ending in ``.html`` is written with plotly (interactive, self-contained), ``.png``,
    ``.svg`` or ``.pdf`` with matplotlib. Returns the path written.
    """
    if path is None:
        raise ValueError("plot_sweep needs a path to write to (.png, .svg, .pdf or .html)")
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f"{path}: a plot must end in {', '.join(PLOT_SUFFIXES)}")
    column = _output(frame, outcome)
    _parameter(frame, metadata, x)
    if y is not None:
        _parameter(frame, metadata, y)
        if y == x:
            raise ValueError(f"x and y are the same parameter ({x}); give two different ones")
    if bins is not None and (not isinstance(bins, int) or bins < 2):
        raise ValueError(f"bins must be a whole number of at least 2, got {bins!r}")
    data = frame.loc[np.isfinite(frame[column].to_numpy(dtype=float))].reset_index(drop=True)
    if data.empty:
        raise ValueError(f"{column} is missing (NaN) at every point of the sweep")
    label = output_label(column)
    if y is None:
        line = curve(data, metadata, column, x, bins)
        title = f"{label} against {x}"
        curve_writer = _curve_html if path.suffix.lower() == ".html" else _curve_image
        writer = curve_writer(line, title, label, x)
    else:
        heat = heatmap(data, metadata, column, x, y, bins)
        title = f"{label} by {x} and {y}"
        heatmap_writer = _heatmap_html if path.suffix.lower() == ".html" else _heatmap_image
        writer = heatmap_writer(heat, title, label, x, y)
    write_atomically(path, lambda temporary: writer(temporary, path.suffix.lower()))
    return path


def _varying_others(data: pd.DataFrame, metadata: dict[str, Any], used: Sequence[str]) -> list[str]:
    return [
        param["path"]
        for param in _parameters(data, metadata)
        if param["path"] not in used and data[param["path"]].nunique(dropna=False) > 1
    ]


def _categories(data: pd.DataFrame, param: dict[str, Any], name: str) -> list[Any]:
    present = list(pd.unique(data[name]))
    declared = [value for value in (param.get("values") or []) if value in present]
    return declared + sorted((value for value in present if value not in declared), key=str)


def _se_from_ci(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return (high - low) / (2 * 1.959963984540054)


def curve(data, metadata, column, x, bins) -> dict[str, Any]:
    """x positions (or category labels), the mean, the 95% band, and a note on any averaging."""
    from scipy import stats

    outcome = column[2:] if column.startswith("p_") else None
    has_ci = outcome is not None and {f"ci_low_{outcome}", f"ci_high_{outcome}"} <= set(data.columns)
    others = _varying_others(data, metadata, [x])
    scattered = metadata.get("design") in SCATTERED_DESIGNS
    count = (bins or int(np.clip(round(math.sqrt(len(data))), 5, 30))) if others and scattered else None
    index, labels, _, kind = _axis(data, metadata, x, count)
    positions = np.unique(index)  # the cells that hold points: every level or category, the bins not empty
    note = ""
    if others:
        about = " and ".join(others) if len(others) <= 3 else f"the {len(others)} other parameters"
        where = f"in {count} bins of {x}" if kind == "binned" else f"at each value of {x}"
        note = f"averaged over {about} {where}"
    mean, low, high = [], [], []
    values = data[column].to_numpy(dtype=float)
    if has_ci:
        ci_low_all = data[f"ci_low_{outcome}"].to_numpy(dtype=float)
        ci_high_all = data[f"ci_high_{outcome}"].to_numpy(dtype=float)
    for key in positions:
        members = index == key
        v = values[members]
        m = float(v.mean())
        if has_ci and (not others or not scattered):
            # one point, or a full grid: the uncertainty of the average is the Monte Carlo error of its points
            ci_low, ci_high = ci_low_all[members], ci_high_all[members]
            if v.size == 1:
                lo, hi = float(ci_low[0]), float(ci_high[0])
            else:
                half = 1.959963984540054 * math.sqrt(float(np.sum(_se_from_ci(ci_low, ci_high) ** 2))) / v.size
                lo, hi = m - half, m + half
        elif v.size >= 2 and others:
            # points scattered over the other parameters: the 95% interval of the bin's mean
            half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
            lo, hi = m - half, m + half
        else:
            lo = hi = math.nan
        if outcome is not None:
            lo, hi = (min(max(value, 0.0), 1.0) if math.isfinite(value) else value for value in (lo, hi))
        mean.append(m)
        low.append(lo)
        high.append(hi)
    return {
        "x": [labels[key] for key in positions],
        "mean": np.array(mean),
        "low": np.array(low),
        "high": np.array(high),
        "categorical": kind == "categories",
        "note": note,
    }


def _edges(values: np.ndarray, param: dict[str, Any], count: int) -> np.ndarray:
    low, high = param.get("low"), param.get("high")
    low = float(values.min()) if low is None else min(float(low), float(values.min()))
    high = float(values.max()) if high is None else max(float(high), float(values.max()))
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, count + 1)


def _axis(data, metadata, name, bins: int | None) -> tuple[np.ndarray, list[Any], np.ndarray | None, str]:
    """Cell index of every point on one axis of a curve or heatmap, the labels of the cells, their edges
    (None for categories) and their kind: "categories", "levels" (one per value; ``bins`` None) or
    "binned" (``bins`` equal bins)."""
    param = _parameter(data, metadata, name)
    if is_categorical(data[name]):
        labels = _categories(data, param, name)
        lookup = {value: i for i, value in enumerate(labels)}
        return data[name].map(lookup).to_numpy(dtype=int), [str(value) for value in labels], None, "categories"
    values = data[name].to_numpy(dtype=float)
    if bins is None:
        levels = np.unique(values)
        index = np.searchsorted(levels, values)
        if len(levels) == 1:
            edges = np.array([levels[0] - 0.5, levels[0] + 0.5])
        else:
            middles = (levels[:-1] + levels[1:]) / 2
            edges = np.concatenate(
                [[levels[0] - (middles[0] - levels[0])], middles, [levels[-1] + (levels[-1] - middles[-1])]]
            )
        return index, [float(level) for level in levels], edges, "levels"
    edges = _edges(values, param, bins)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    return index, [float(c) for c in (edges[:-1] + edges[1:]) / 2], edges, "binned"


def heatmap(data, metadata, column, x, y, bins) -> dict[str, Any]:
    """The x and y cell labels, the mean of ``column`` in each cell (NaN where empty), and a note on any binning."""
    scattered = metadata.get("design") in SCATTERED_DESIGNS
    per_axis = (bins or int(np.clip(round(math.sqrt(len(data) / 5)), 3, 20))) if scattered else None
    ix, xlabels, xedges, xnote = _axis(data, metadata, x, per_axis)
    iy, ylabels, yedges, ynote = _axis(data, metadata, y, per_axis)
    values = data[column].to_numpy(dtype=float)
    total = np.zeros((len(ylabels), len(xlabels)))
    count = np.zeros_like(total)
    np.add.at(total, (iy, ix), values)
    np.add.at(count, (iy, ix), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
    others = _varying_others(data, metadata, [x, y])
    notes = []
    if "binned" in (xnote, ynote):
        notes.append(f"mean in each of {len(xlabels)} x {len(ylabels)} cells")
    if others:
        about = ", ".join(others) if len(others) <= 3 else f"the {len(others)} other parameters"
        notes.append(f"averaged over {about}")
    empty = int(np.isnan(z).sum())
    if empty:
        notes.append(f"{empty} empty cells left blank")
    note = "; ".join(notes)
    return {
        "z": z,
        "x": xlabels,
        "y": ylabels,
        "xedges": xedges,
        "yedges": yedges,
        "note": note,
        "x_categorical": xedges is None,
        "y_categorical": yedges is None,
        "x_levels": xnote == "levels" and len(xlabels) <= 12,  # a short grid: a tick at every level
        "y_levels": ynote == "levels" and len(ylabels) <= 12,
    }


def _mpl_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5.2), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg canvas, whatever pyplot's backend: no display needed
    return figure


_MPL_STYLE: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}


def _image_title(title: str, note: str) -> str:
    return f"{title}\n" + textwrap.fill(f"({note})", 60) if note else title


def _curve_image(curve, title, label, x) -> Callable[[str, str], None]:
    def write(target: str, suffix: str) -> None:
        import matplotlib

        with matplotlib.rc_context(_MPL_STYLE):  # type: ignore[arg-type]
            figure = _mpl_figure()
            axes = figure.add_subplot()
            colour, band = matplotlib.colormaps["viridis"](0.25), matplotlib.colormaps["viridis"](0.6)
            xs = np.arange(len(curve["x"])) if curve["categorical"] else np.asarray(curve["x"], dtype=float)
            has_band = bool(np.isfinite(curve["low"]).any())
            if curve["categorical"]:
                error = np.vstack([curve["mean"] - curve["low"], curve["high"] - curve["mean"]])
                axes.errorbar(
                    xs,
                    curve["mean"],
                    yerr=error if has_band else None,
                    fmt="o",
                    color=colour,
                    ecolor=band,
                    elinewidth=3,
                    capsize=5,
                    label=f"{label}, 95% interval" if has_band else label,
                )
                axes.set_xticks(xs, curve["x"])
                axes.set_xlim(-0.5, len(xs) - 0.5)
            else:
                if has_band:
                    axes.fill_between(
                        xs, curve["low"], curve["high"], color=band, alpha=0.35, linewidth=0, label="95% interval"
                    )
                axes.plot(
                    xs,
                    curve["mean"],
                    color=colour,
                    linewidth=2,
                    marker="o" if len(xs) <= 40 else None,
                    markersize=4,
                    label=label,
                )
            axes.set_xlabel(x)
            axes.set_ylabel(label)
            axes.set_title(_image_title(title, curve["note"]))
            axes.grid(True, alpha=0.3)
            if has_band:
                axes.legend(loc="best", frameon=False)
            figure.savefig(target, format=suffix.lstrip("."))

    return write


def _curve_html(curve, title, label, x) -> Callable[[str, str], None]:
    def write(target: str, suffix: str) -> None:
        import plotly.graph_objects as go

        figure = go.Figure()
        has_band = bool(np.isfinite(curve["low"]).any())
        if curve["categorical"]:
            error = (
                {
                    "type": "data",
                    "symmetric": False,
                    "array": curve["high"] - curve["mean"],
                    "arrayminus": curve["mean"] - curve["low"],
                }
                if has_band
                else None
            )
            figure.add_trace(
                go.Scatter(
                    x=curve["x"],
                    y=curve["mean"],
                    mode="markers",
                    error_y=error,
                    name=label,
                    marker={"size": 10, "color": "#3b528b"},
                )
            )
        else:
            if has_band:
                figure.add_trace(
                    go.Scatter(
                        x=curve["x"],
                        y=curve["high"],
                        mode="lines",
                        line={"width": 0},
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
                figure.add_trace(
                    go.Scatter(
                        x=curve["x"],
                        y=curve["low"],
                        mode="lines",
                        line={"width": 0},
                        fill="tonexty",
                        fillcolor="rgba(33,145,140,0.3)",
                        name="95% interval",
                    )
                )
            figure.add_trace(
                go.Scatter(
                    x=curve["x"],
                    y=curve["mean"],
                    mode="lines+markers",
                    name=label,
                    line={"color": "#3b528b", "width": 2},
                )
            )
        _finish_html(figure, target, _html_title(title, curve["note"]), x, label)

    return write


def _finish_html(figure, target: str, title: str, x_title: str, y_title: str) -> None:
    """The layout every HTML figure shares, then a self-contained file (no network needed)."""
    layout = {"title": title, "xaxis_title": x_title, "yaxis_title": y_title, "template": "plotly_white"}
    figure.update_layout(**layout, font={"size": 14})
    figure.write_html(target, include_plotlyjs=True, full_html=True)


def _html_title(title: str, note: str) -> str:
    return f"{title}<br><sup>" + "<br>".join(textwrap.wrap(f"({note})", 110)) + "</sup>" if note else title


def _heatmap_image(heat, title, label, x, y) -> Callable[[str, str], None]:
    def write(target: str, suffix: str) -> None:
        import matplotlib

        with matplotlib.rc_context(_MPL_STYLE):  # type: ignore[arg-type]
            figure = _mpl_figure()
            axes = figure.add_subplot()
            xedges = heat["xedges"] if heat["xedges"] is not None else np.arange(len(heat["x"]) + 1) - 0.5
            yedges = heat["yedges"] if heat["yedges"] is not None else np.arange(len(heat["y"]) + 1) - 0.5
            mesh = axes.pcolormesh(xedges, yedges, np.ma.masked_invalid(heat["z"]), cmap="cividis", shading="flat")
            if heat["x_categorical"]:
                axes.set_xticks(np.arange(len(heat["x"])), heat["x"])
            elif heat["x_levels"]:
                axes.set_xticks(heat["x"], [f"{level:.4g}" for level in heat["x"]])
            if heat["y_categorical"]:
                axes.set_yticks(np.arange(len(heat["y"])), heat["y"])
            elif heat["y_levels"]:
                axes.set_yticks(heat["y"], [f"{level:.4g}" for level in heat["y"]])
            colorbar = figure.colorbar(mesh, ax=axes)
            colorbar.set_label(label)
            axes.set_facecolor("#dddddd")
            axes.set_xlabel(x)
            axes.set_ylabel(y)
            axes.set_title(_image_title(title, heat["note"]))
            figure.savefig(target, format=suffix.lstrip("."))

    return write


def _heatmap_html(heat, title, label, x, y) -> Callable[[str, str], None]:
    def write(target: str, suffix: str) -> None:
        import plotly.graph_objects as go

        z = [[None if not math.isfinite(value) else float(value) for value in row] for row in heat["z"]]
        figure = go.Figure(
            go.Heatmap(
                z=z,
                x=heat["x"],
                y=heat["y"],
                colorscale="Cividis",
                colorbar={"title": {"text": label}},
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{label}=%{{z:.4f}}<extra></extra>",
            )
        )
        if heat["x_categorical"]:
            figure.update_xaxes(type="category")
        if heat["y_categorical"]:
            figure.update_yaxes(type="category")
        _finish_html(figure, target, _html_title(title, heat["note"]), x, y)

    return write


# --------------------------------------------------------------------------------------------------
# Command line: sim sensitivity, sim discover, sim plot


def add_analysis_commands(subparsers: Any) -> None:
    """Register ``sensitivity``, ``discover`` and ``plot`` on the ``sim`` command's sub-parsers."""
    sensitivity = add_command(
        subparsers, "sensitivity", "Sobol indices of a Saltelli sweep: which parameters drive an outcome",
        [
            "sim sensitivity sweeps/sobol.parquet --outcome limited_clash",
            "sim sensitivity sweeps/sobol.parquet --outcome major_war --json",
        ],
    )  # fmt: skip
    sensitivity.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(sensitivity)
    sensitivity.add_argument("--json", action="store_true", help="print the indices as JSON")
    sensitivity.add_argument("--out", metavar="FILE", help="save the table of indices to FILE (.csv or .parquet)")
    sensitivity.add_argument(
        "--resamples", type=whole_number(2), default=1000, metavar="N", help="bootstrap resamples (default 1000)"
    )
    sensitivity.set_defaults(handler=command_sensitivity)

    discovery = add_command(
        subparsers, "discover", "scenario discovery (PRIM): where in parameter space an outcome exceeds a threshold",
        ["sim discover sweeps/sobol.parquet --outcome major_war --above 0.1"],
    )  # fmt: skip
    discovery.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(discovery)
    discovery.add_argument(
        "--above",
        type=number(),
        required=True,
        metavar="VALUE",
        help="points of interest: the outcome exceeds VALUE (a probability for outcomes)",
    )
    discovery.add_argument(
        "--threshold-density",
        type=number(),
        default=0.8,
        metavar="SHARE",
        help="the least share of points of interest a box must hold (default 0.8)",
    )
    discovery.add_argument(
        "--max-boxes", type=whole_number(1), default=3, metavar="N", help="at most this many boxes (default 3)"
    )
    discovery.add_argument(
        "--mass-min",
        type=number(),
        default=0.05,
        metavar="SHARE",
        help="the least share of all points a box may hold (default 0.05)",
    )
    discovery.add_argument("--json", action="store_true", help="print the boxes as JSON")
    discovery.set_defaults(handler=command_discover)

    plot = add_command(
        subparsers, "plot", "plot an outcome of a sweep against one or two parameters",
        [
            "sim plot sweeps/resolve.parquet --outcome deterrence_holds --x russia.resolve_prior --out resolve.png",
            "sim plot sweeps/grid.parquet --outcome limited_clash --x escalation.tripwire --y russia.resolve_prior \\",
            "    --out tripwire.html",
        ],
    )  # fmt: skip
    plot.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(plot)
    plot.add_argument("--x", required=True, metavar="PATH", help="the parameter on the x axis")
    plot.add_argument("--y", metavar="PATH", help="a second parameter: draw a heatmap")
    plot.add_argument("--out", required=True, metavar="FILE", help="the figure: .png, .svg, .pdf or .html")
    plot.add_argument(
        "--bins", type=whole_number(2), default=None, metavar="N", help="bins per axis for scattered designs"
    )
    plot.set_defaults(handler=command_plot)


def _outcome_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outcome",
        required=True,
        metavar="OUTCOME",
        help=f"one of {', '.join(OUTCOMES)}; or mean_rounds, mean_payoff_ACTOR",
    )


def command_sensitivity(args: argparse.Namespace) -> int:
    output_column(args.outcome)  # a misspelt outcome is reported before the sweep is read
    if args.out and not args.out.lower().endswith(TABLE_SUFFIXES):
        raise ValueError(f"--out {args.out}: the file must end in .csv or .parquet")
    frame, metadata = load_sweep(args.sweep)
    table = sobol_indices(frame, metadata, args.outcome, num_resamples=args.resamples)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() == ".csv":
            write_atomically(out, lambda target: table.to_csv(target, index=False))
        else:
            write_atomically(out, lambda target: table.to_parquet(target, index=False))
        print(f"saved {len(table)} indices to {out}", file=sys.stderr)
    if args.json:
        print(json.dumps(sensitivity_json(table, metadata, args.outcome), indent=2))
    else:
        print("\n".join(format_sensitivity(table, metadata)))
    return 0


def sensitivity_json(table: pd.DataFrame, metadata: dict[str, Any], outcome: str) -> dict[str, Any]:
    indices = []
    for parameter, rows in _first_and_total(table):
        entry: dict[str, Any] = {"parameter": parameter}
        for index in ("S1", "ST"):
            entry[index] = rows[index]["estimate"]
            entry[f"{index}_ci95"] = [rows[index]["ci_low"], rows[index]["ci_high"]]
        indices.append(entry)
    second = [
        {
            "parameters": [row["parameter"], row["parameter_2"]],
            "S2": row["estimate"],
            "S2_ci95": [row["ci_low"], row["ci_high"]],
        }
        for _, row in table[table["index"] == "S2"].iterrows()
    ]
    return {
        "sweep": _provenance(metadata),
        "outcome": outcome,
        "column": table.attrs.get("column"),
        "N": table.attrs.get("N"),
        "points": table.attrs.get("points"),
        "bootstrap": {"resamples": table.attrs.get("num_resamples"), "seed": table.attrs.get("seed")},
        "indices": indices,
        "second_order": second,
    }


def format_sensitivity(table: pd.DataFrame, metadata: dict[str, Any]) -> list[str]:
    """The indices as a terminal table, parameters ordered by total index."""
    column = table.attrs.get("column", "")
    width = max([len("parameter"), *(len(name) for name in table.loc[table["index"] != "S2", "parameter"])])
    lines = [
        _provenance_line(metadata, int(table.attrs.get("points", 0))),
        f"Sobol indices of {output_label(column)}, N = {table.attrs.get('N')}, 95% intervals by bootstrap",
        "",
        f"{'parameter':{width}s} {'total ST':>8s}   {'95% interval':17s} {'first S1':>8s}   95% interval",
    ]
    s1_sum = 0.0
    for parameter, rows in _first_and_total(table):
        st, s1 = rows["ST"], rows["S1"]
        s1_sum += s1["estimate"]
        lines.append(
            f"{parameter:{width}s} {st['estimate']:8.3f}   {_interval(st):17s} {s1['estimate']:8.3f}   {_interval(s1)}"
        )
    lines.append("")
    lines.append(
        f"first-order indices add up to {s1_sum:.2f}: about {max(0.0, 1 - s1_sum):.0%} of the variance comes from "
        "interactions (and Monte Carlo noise)"
    )
    second = table[table["index"] == "S2"]
    if not second.empty:
        pairs = [f"{row['parameter']} x {row['parameter_2']}" for _, row in second.iterrows()]
        pair_width = max(len("pair"), *(len(pair) for pair in pairs))
        lines += ["", f"{'pair':{pair_width}s} {'S2':>8s}   95% interval"]
        for pair, (_, row) in zip(pairs, second.iterrows()):
            lines.append(f"{pair:{pair_width}s} {row['estimate']:8.3f}   {_interval(row)}")
    return lines


def _first_and_total(table: pd.DataFrame) -> list[tuple[str, dict[str, pd.Series]]]:
    """Each parameter, by total index, with its ``{"S1": row, "ST": row}`` of the table of indices."""
    by_index = {index: table[table["index"] == index].set_index("parameter") for index in ("S1", "ST")}
    return [
        (parameter, {index: rows.loc[parameter] for index, rows in by_index.items()})
        for parameter in by_index["ST"].index
    ]


def _interval(row: pd.Series) -> str:
    return f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def command_discover(args: argparse.Namespace) -> int:
    column = output_column(args.outcome)
    frame, metadata = load_sweep(args.sweep)
    boxes = discover(
        frame,
        metadata,
        args.outcome,
        args.above,
        threshold_density=args.threshold_density,
        mass_min=args.mass_min,
        max_boxes=args.max_boxes,
    )
    values = frame[column].to_numpy(dtype=float)
    cases = int(np.sum(values > args.above))
    if args.json:
        summary = {
            "sweep": _provenance(metadata),
            "outcome": args.outcome,
            "column": column,
            "above": args.above,
            "threshold_density": args.threshold_density,
            "points": len(frame),
            "points_of_interest": cases,
            "boxes": [box.to_dict() for box in boxes],
        }
        print(json.dumps(summary, indent=2))
        return 0
    label = output_label(column, short=True)
    lines = [
        _provenance_line(metadata, len(frame)),
        f"{label} exceeds {_threshold(column, args.above)} at {cases:,} of {len(frame):,} points "
        f"({cases / max(len(frame), 1):.0%})",
    ]
    if cases == 0:
        highest = np.nanmax(values) if np.isfinite(values).any() else math.nan
        lines.append(f"no point to explain (the highest value is {highest:.4g}); try a lower --above")
    elif not boxes:
        lines.append(f"no box reaches a density of {args.threshold_density:g}; try a lower --threshold-density")
    for box in boxes:
        lines += ["", f"box {box.number}: {box.describe()}"]
        lines += [f"  {condition}" for condition in box.conditions()]
        lines.append(
            f"  density {box.density:.0%}, coverage {box.coverage:.0%}, mass {box.mass:.0%} "
            f"({box.cases:,} of the box's {box.points:,} points)"
        )
    print("\n".join(lines))
    return 0


def command_plot(args: argparse.Namespace) -> int:
    output_column(args.outcome)
    if not args.out.lower().endswith(PLOT_SUFFIXES):
        raise ValueError(f"--out {args.out}: a plot must end in {', '.join(PLOT_SUFFIXES)}")
    frame, metadata = load_sweep(args.sweep)
    path = plot_sweep(frame, metadata, args.outcome, args.x, args.y, args.out, bins=args.bins)
    print(f"wrote {path}", file=sys.stderr)
    return 0
