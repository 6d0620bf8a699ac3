"""``sim plot``: a sweep's figure drawn as a file, an image (matplotlib) or a page (plotly).

:func:`plot_sweep` checks its input, takes the figure's data from
:mod:`~sim.studies.analysis.figures` (:func:`~sim.studies.analysis.figures.curve` or
:func:`~sim.studies.analysis.figures.heatmap`), draws it with one of the renderers below and writes
the file atomically. The builders return the figure, so it can also be shown or changed before it
is saved.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.domain.files import write_atomically
from sim.studies.analysis.figures import curve, heatmap, heatmap_cells
from sim.studies.analysis.table import output_label, require_output, swept_parameter

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

PLOT_SUFFIXES = (".png", ".svg", ".pdf", ".html")
"""The files :func:`plot_sweep` writes: matplotlib images, or a plotly page."""


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

    One parameter: the outcome's value at each point, sorted by ``x``, with its 95% interval band
    (:func:`~sim.studies.analysis.figures.curve`). Two parameters: a heatmap of the outcome
    (:func:`~sim.studies.analysis.figures.heatmap`). Categorical
    parameters get one column per value.

    Parameters
    ----------
    frame
        The sweep's table (:func:`~sim.studies.analysis.table.load_sweep`).
    metadata
        Its metadata.
    outcome
        An outcome name (``major_war``), ``mean_rounds`` or ``mean_payoff_<actor>``.
    x, y
        The swept parameters on the axes; without ``y``, a curve.
    path
        The file: ``.html`` is written with plotly (interactive, self-contained), ``.png``,
        ``.svg`` or ``.pdf`` with matplotlib.
    bins
        Bins per axis for scattered designs (lhs, sobol, saltelli); by default one from the number
        of points.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        For a missing or unknown path suffix, an unknown outcome or parameter, ``x`` equal to
        ``y``, fewer than 2 bins, or an outcome missing at every point.
    """
    if path is None:
        raise ValueError("plot_sweep needs a path to write to (.png, .svg, .pdf or .html)")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise ValueError(f"{path}: a plot must end in {', '.join(PLOT_SUFFIXES)}")
    column = require_output(frame, outcome)
    swept_parameter(frame, metadata, x)
    if y is not None:
        swept_parameter(frame, metadata, y)
        if y == x:
            raise ValueError(f"x and y are the same parameter ({x}); give two different ones")
    if bins is not None and (not isinstance(bins, int) or bins < 2):
        raise ValueError(f"bins must be a whole number of at least 2, got {bins!r}")
    data = frame.loc[np.isfinite(frame[column].to_numpy(dtype=float))].reset_index(drop=True)
    if data.empty:
        raise ValueError(f"{column} is missing (NaN) at every point of the sweep")
    label = output_label(column)
    write: Callable[[str], None]
    if y is None:
        line = curve(data, metadata, column, x, bins)
        title = f"{label} against {x}"
        if suffix == ".html":
            write = _html_writer(curve_html(line, title, label, x))
        else:
            write = _image_writer(lambda: curve_image(line, title, label, x), suffix)
    else:
        heat = heatmap(data, metadata, column, x, y, bins)
        title = f"{label} by {x} and {y}"
        if suffix == ".html":
            write = _html_writer(heatmap_html(heat, title, label, x, y))
        else:
            write = _image_writer(lambda: heatmap_image(heat, title, label, x, y), suffix)
    write_atomically(path, write)
    return path


# --------------------------------------------------------------------------------------------------
# Images (matplotlib): sim plot --out FILE.png, .svg or .pdf


IMAGE_STYLE: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}
"""Matplotlib settings of the images, in force while they are built and while they are saved."""


def curve_image(line: dict[str, Any], title: str, label: str, x: str) -> Figure:
    """A curve as a matplotlib figure: the line, and its 95% band where it has one.

    Parameters
    ----------
    line
        The curve's data, from :func:`~sim.studies.analysis.figures.curve`.
    title
        The figure's title; the curve's note is added below it.
    label
        The output's label, for the y axis and the legend.
    x
        The parameter, for the x axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on the Agg canvas (no display needed). Save it within ``IMAGE_STYLE``.
    """
    import matplotlib

    with matplotlib.rc_context(IMAGE_STYLE):  # type: ignore[arg-type]
        figure = _image_figure()
        axes = figure.add_subplot()
        colour, band = matplotlib.colormaps["viridis"](0.25), matplotlib.colormaps["viridis"](0.6)
        xs = np.arange(len(line["x"])) if line["categorical"] else np.asarray(line["x"], dtype=float)
        has_band = bool(np.isfinite(line["low"]).any())
        if line["categorical"]:
            error = np.vstack([line["mean"] - line["low"], line["high"] - line["mean"]])
            axes.errorbar(
                xs,
                line["mean"],
                yerr=error if has_band else None,
                fmt="o",
                color=colour,
                ecolor=band,
                elinewidth=3,
                capsize=5,
                label=f"{label}, 95% interval" if has_band else label,
            )
            axes.set_xticks(xs, line["x"])
            axes.set_xlim(-0.5, len(xs) - 0.5)
        else:
            if has_band:
                axes.fill_between(
                    xs, line["low"], line["high"], color=band, alpha=0.35, linewidth=0, label="95% interval"
                )
            axes.plot(
                xs,
                line["mean"],
                color=colour,
                linewidth=2,
                marker="o" if len(xs) <= 40 else None,
                markersize=4,
                label=label,
            )
        axes.set_xlabel(x)
        axes.set_ylabel(label)
        axes.set_title(_image_title(title, line["note"]))
        axes.grid(True, alpha=0.3)
        if has_band:
            axes.legend(loc="best", frameon=False)
    return figure


def heatmap_image(heat: dict[str, Any], title: str, label: str, x: str, y: str) -> Figure:
    """A heatmap as a matplotlib figure (Cividis; empty cells grey).

    Parameters
    ----------
    heat
        The heatmap's data, from :func:`~sim.studies.analysis.figures.heatmap`.
    title
        The figure's title; the heatmap's note is added below it.
    label
        The output's label, for the colour bar.
    x, y
        The parameters, for the axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on the Agg canvas (no display needed). Save it within ``IMAGE_STYLE``.
    """
    import matplotlib

    with matplotlib.rc_context(IMAGE_STYLE):  # type: ignore[arg-type]
        figure = _image_figure()
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
    return figure


def _image_figure() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5.2), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg canvas, whatever pyplot's backend: no display needed
    return figure


def _image_title(title: str, note: str) -> str:
    return f"{title}\n" + textwrap.fill(f"({note})", 60) if note else title


def _image_writer(build: Callable[[], Figure], suffix: str) -> Callable[[str], None]:
    """Build and save an image with ``IMAGE_STYLE`` in force (tick labels are made as the figure is drawn)."""

    def write(target: str) -> None:
        import matplotlib

        with matplotlib.rc_context(IMAGE_STYLE):  # type: ignore[arg-type]
            build().savefig(target, format=suffix.lstrip("."))

    return write


# --------------------------------------------------------------------------------------------------
# Pages (plotly): sim plot --out FILE.html


def curve_html(line: dict[str, Any], title: str, label: str, x: str) -> go.Figure:
    """A curve as a plotly figure for a page of its own.

    Parameters
    ----------
    line
        The curve's data, from :func:`~sim.studies.analysis.figures.curve`.
    title
        The figure's title; the curve's note is added below it.
    label
        The output's label, for the y axis and the legend.
    x
        The parameter, for the x axis.

    Returns
    -------
    plotly.graph_objects.Figure
        Markers with error bars for a categorical parameter, else the line and its 95% band.
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    has_band = bool(np.isfinite(line["low"]).any())
    if line["categorical"]:
        error = (
            {
                "type": "data",
                "symmetric": False,
                "array": line["high"] - line["mean"],
                "arrayminus": line["mean"] - line["low"],
            }
            if has_band
            else None
        )
        figure.add_trace(
            go.Scatter(
                x=line["x"],
                y=line["mean"],
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
                    x=line["x"], y=line["high"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
                )
            )
            figure.add_trace(
                go.Scatter(
                    x=line["x"],
                    y=line["low"],
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor="rgba(33,145,140,0.3)",
                    name="95% interval",
                )
            )
        figure.add_trace(
            go.Scatter(
                x=line["x"],
                y=line["mean"],
                mode="lines+markers",
                name=label,
                line={"color": "#3b528b", "width": 2},
            )
        )
    return _page_layout(figure, _page_title(title, line["note"]), x, label)


def heatmap_html(heat: dict[str, Any], title: str, label: str, x: str, y: str) -> go.Figure:
    """A heatmap as a plotly figure for a page of its own (Cividis; empty cells blank).

    Parameters
    ----------
    heat
        The heatmap's data, from :func:`~sim.studies.analysis.figures.heatmap`.
    title
        The figure's title; the heatmap's note is added below it.
    label
        The output's label, for the colour bar.
    x, y
        The parameters, for the axes.

    Returns
    -------
    plotly.graph_objects.Figure
        The heatmap.
    """
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Heatmap(
            z=heatmap_cells(heat),
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
    return _page_layout(figure, _page_title(title, heat["note"]), x, y)


def _page_layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """The layout every HTML figure shares."""
    layout = {"title": title, "xaxis_title": x_title, "yaxis_title": y_title, "template": "plotly_white"}
    figure.update_layout(**layout, font={"size": 14})
    return figure


def _page_title(title: str, note: str) -> str:
    return f"{title}<br><sup>" + "<br>".join(textwrap.wrap(f"({note})", 110)) + "</sup>" if note else title


def _html_writer(figure: go.Figure) -> Callable[[str], None]:
    """Write a figure as a self-contained page (plotly.js included: no network needed)."""

    def write(target: str) -> None:
        figure.write_html(target, include_plotlyjs=True, full_html=True)

    return write
