"""Scenario discovery with PRIM: the boxes of parameter space where an outcome exceeds a threshold.

One algorithm: the Patient Rule Induction Method (Friedman and Fisher 1999) with its covering
step, as used for scenario discovery by Bryant and Lempert (2010): peeling, the choice on the
peeling trajectory, pasting, round limits, then the next box outside the earlier ones
(``sim discover``). :func:`discover` explains why it is implemented here rather than taken from a
package.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.analysis.table import (
    is_categorical,
    output_label,
    require_output,
    swept_parameters,
    threshold_text,
)


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
        above = threshold_text(self.column, self.above)
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
        """The box as plain data for JSON (``sim discover --json``), its description included."""
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

    Parameters
    ----------
    frame
        The sweep's table (:func:`~sim.studies.analysis.table.load_sweep`).
    metadata
        Its metadata, which names the swept parameters.
    outcome
        An outcome name (``major_war``), ``mean_rounds`` or ``mean_payoff_<actor>``.
    above
        The threshold: points whose outcome exceeds it are the points of interest.
    threshold_density
        The least share of points of interest a box must hold.
    peel_alpha, paste_alpha
        The share of a box's points cut off by one peel, or added by one paste.
    mass_min
        The least share of all points a box may hold.
    max_boxes
        At most this many boxes.

    Returns
    -------
    list of Box
        The boxes in the order found (possibly none).

    Raises
    ------
    ValueError
        For an unknown outcome or parameter, a threshold or share out of range, or an outcome
        missing at every point.

    References
    ----------
    Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics and
    Computing 9, 123-143.
    Bryant, B. P. and Lempert, R. J. (2010). Thinking inside the box: a participatory,
    computer-assisted approach to scenario discovery. Technological Forecasting and Social Change
    77, 34-49.
    """
    column = require_output(frame, outcome)
    if not isinstance(above, numbers.Real) or not math.isfinite(above):
        raise ValueError(f"the threshold must be a finite number, got {above!r}")
    _check_fraction("threshold_density", threshold_density, closed=True)
    _check_fraction("peel_alpha", peel_alpha, upper=0.5)
    _check_fraction("paste_alpha", paste_alpha, upper=0.5)
    _check_fraction("mass_min", mass_min)
    if not isinstance(max_boxes, int) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a whole number of at least 1, got {max_boxes!r}")
    params = swept_parameters(frame, metadata)
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


def _number(value: float) -> str:
    return f"{value:.10g}"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (anything else as it is), so box values print and
    serialise plainly."""
    return value.item() if isinstance(value, np.generic) else value
