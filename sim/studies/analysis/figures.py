"""The figures of a sweep, as data: an outcome against one parameter (a curve) or two (a heatmap).

Each figure is built once, here: :func:`curve` and :func:`heatmap` compute everything it shows (the
positions or cells, the binning of scattered designs, the means, the 95% band, the note on what was
averaged), and :func:`heatmap_cells` puts the cells in the form plotly draws (empty cells as None).
Three renderers draw that same data and add only their looks:

- ``sim plot --out FILE.png|.svg|.pdf``: :func:`~sim.studies.analysis.plot.curve_image` and
  :func:`~sim.studies.analysis.plot.heatmap_image` (matplotlib);
- ``sim plot --out FILE.html``: :func:`~sim.studies.analysis.plot.curve_html` and
  :func:`~sim.studies.analysis.plot.heatmap_html` (plotly, a page of its own);
- the app's Sweep page, ``sim.webapp.pages.sweep.figures`` (plotly), which adds the app's theme:
  outcome colours, percentages, the scenario's own value marked, a layout that fits a phone.

Matplotlib and plotly are different renderers, and the app's look belongs to the app (this layer
may not import the web app), so the drawings stay separate while the numbers they draw are one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.analysis.table import SCATTERED_DESIGNS, is_categorical, swept_parameter, swept_parameters

Z_95 = 1.959963984540054
"""The standard normal's 97.5% quantile: a 95% interval is the mean plus or minus this many standard errors."""


def curve(data: pd.DataFrame, metadata: dict[str, Any], column: str, x: str, bins: int | None) -> dict[str, Any]:
    """An output column against one parameter: the mean at each position and its 95% band.

    When other parameters vary too, the points are averaged: at each value of ``x`` for a grid
    design, in equal bins of ``x`` for scattered designs (lhs, sobol, saltelli), and the band is
    then the 95% interval of that average (from the points' own intervals on a grid, from the
    spread of the bin's points on a scattered design).

    Parameters
    ----------
    data
        The sweep's table.
    metadata
        Its metadata.
    column
        The output column (``p_major_war``, ``mean_rounds``, ...).
    x
        The parameter on the x axis.
    bins
        The number of bins for a scattered design; None for one from the number of points.

    Returns
    -------
    dict
        ``x`` (positions, or category labels), ``mean``, ``low`` and ``high`` (arrays; the band is
        NaN where there is none), ``categorical`` (bool) and ``note`` (on any averaging, or "").
    """
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
                half = Z_95 * math.sqrt(float(np.sum(_se_from_ci(ci_low, ci_high) ** 2))) / v.size
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


def heatmap(
    data: pd.DataFrame, metadata: dict[str, Any], column: str, x: str, y: str, bins: int | None
) -> dict[str, Any]:
    """An output column over two parameters: its mean in each cell.

    A grid design gives one cell per pair of levels (a pivot); a scattered design is cut into
    ``bins`` x ``bins`` equal cells, empty ones left blank. Other parameters are averaged over.

    Parameters
    ----------
    data
        The sweep's table.
    metadata
        Its metadata.
    column
        The output column.
    x, y
        The parameters on the axes.
    bins
        Cells per axis for a scattered design; None for a number from the number of points.

    Returns
    -------
    dict
        ``z`` (rows by y, columns by x; NaN where empty), ``x`` and ``y`` (the cells' labels),
        ``xedges`` and ``yedges`` (None for categories), ``note``, ``x_categorical`` and
        ``y_categorical``, and ``x_levels``/``y_levels`` (a short grid: a tick at every level).
    """
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


def heatmap_cells(heat: dict[str, Any]) -> list[list[float | None]]:
    """A heatmap's cells as plotly draws them: rows of floats, None for an empty cell (drawn blank).

    Parameters
    ----------
    heat
        A heatmap from :func:`heatmap`.

    Returns
    -------
    list of list
        ``heat["z"]`` as nested lists, NaN replaced by None.
    """
    return [[None if not math.isfinite(value) else float(value) for value in row] for row in heat["z"]]


def _varying_others(data: pd.DataFrame, metadata: dict[str, Any], used: Sequence[str]) -> list[str]:
    """The swept parameters, other than ``used``, that take more than one value in ``data``."""
    return [
        param["path"]
        for param in swept_parameters(data, metadata)
        if param["path"] not in used and data[param["path"]].nunique(dropna=False) > 1
    ]


def _categories(data: pd.DataFrame, param: dict[str, Any], name: str) -> list[Any]:
    """A categorical parameter's values present in ``data``: those the metadata declares first, in its order."""
    present = list(pd.unique(data[name]))
    declared = [value for value in (param.get("values") or []) if value in present]
    return declared + sorted((value for value in present if value not in declared), key=str)


def _se_from_ci(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return (high - low) / (2 * Z_95)


def _edges(values: np.ndarray, param: dict[str, Any], count: int) -> np.ndarray:
    low, high = param.get("low"), param.get("high")
    low = float(values.min()) if low is None else min(float(low), float(values.min()))
    high = float(values.max()) if high is None else max(float(high), float(values.max()))
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, count + 1)


def _axis(
    data: pd.DataFrame, metadata: dict[str, Any], name: str, bins: int | None
) -> tuple[np.ndarray, list[Any], np.ndarray | None, str]:
    """Cell index of every point on one axis of a curve or heatmap, the labels of the cells, their edges
    (None for categories) and their kind: "categories", "levels" (one per value; ``bins`` None) or
    "binned" (``bins`` equal bins)."""
    param = swept_parameter(data, metadata, name)
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
