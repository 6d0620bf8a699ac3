"""The Sweep page's charts, one function per chart so tests can build and read them: an outcome's
curve over one parameter, its heatmap over two, the Sobol indices as bars, and the points PRIM
explains with its boxes drawn on them. Colours are Okabe-Ito or Cividis, every series is named in
words, and each figure goes through ``base_layout`` so it reads on a projector.

The curve and the heatmap draw the data ``sim plot`` draws: :func:`sim.studies.analysis.curve`,
:func:`sim.studies.analysis.heatmap` and :func:`sim.studies.analysis.heatmap_cells` compute their
points, means, bands and cells once; this module adds only the app's look."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.studies.analysis import Box, curve, heatmap, heatmap_cells
from sim.webapp.pages.sweep.parameters import label
from sim.webapp.pages.sweep.wording import outcome_name, percent
from sim.webapp.screen import narrow
from sim.webapp.style import (
    GRID,
    OKABE_ITO,
    OUTCOME_COLOURS,
    base_layout,
    font_size,
    ink,
    translucent,
    whiskers,
    words,
)

HEATMAP_NUMBERS_UP_TO = 225
"""Cells get their percentage written in them while there are at most this many (15 x 15): legible."""


# ---------------------------------------------------------------------------------------------
# One or two parameters


def legend_below() -> dict[str, object]:
    """A horizontal legend under the x title (two lines of title on a phone, :func:`axis_title`)."""
    return {"orientation": "h", "y": -0.36 if narrow() else -0.25, "yanchor": "top"}


def axis_title(path: str) -> str:
    """An axis named by the field's label and path; on two lines on a phone, where one line runs off the chart."""
    return f"{label(path)}<br>({path})" if narrow() else f"{label(path)} ({path})"


def curve_figure(
    frame: pd.DataFrame, metadata: dict[str, Any], outcome: str, x: str, marker: float | None = None
) -> go.Figure:
    """P(outcome) against one parameter, with its 95% band, and the scenario's own value marked."""
    line = curve(frame, metadata, f"p_{outcome}", x, None)
    xs = [float(value) for value in line["x"]]
    mean, low, high = (line[key].tolist() for key in ("mean", "low", "high"))
    colour = OUTCOME_COLOURS[outcome]
    name = outcome_name(outcome)
    figure = go.Figure()
    figure.add_scatter(
        x=xs + xs[::-1],
        y=high + low[::-1],
        fill="toself",
        fillcolor=translucent(colour, 0.25),
        line={"width": 0},
        name="95% interval",
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=xs,
        y=mean,
        mode="lines+markers",
        line={"color": colour, "width": 3},
        marker={"size": 8, "color": colour, "line": {"color": "#000000", "width": 1}},
        name=name,
        customdata=[[lo, hi] for lo, hi in zip(low, high, strict=True)],
        hovertemplate=f"{label(x)} = %{{x:.4g}}<br>{name} = %{{y:.1%}} "
        "(95% interval %{customdata[0]:.1%} to %{customdata[1]:.1%})<extra></extra>",
    )
    if marker is not None:
        figure.add_vline(
            x=marker,
            line={"color": ink(), "dash": "dash", "width": 2},
            annotation_text="the scenario's value",
            annotation_font={"size": font_size() - 2, "color": ink()},
        )
    top = max(high) if high and all(math.isfinite(v) for v in high) else max(mean)
    figure.update_xaxes(title_text=axis_title(x), gridcolor=GRID)
    figure.update_yaxes(title_text=name, tickformat=".0%", range=[0, min(1.0, top * 1.1 + 0.02)], gridcolor=GRID)
    figure.update_layout(legend=legend_below())
    return base_layout(figure, height=470 if narrow() else 430)


def heatmap_figure(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    x: str,
    y: str,
    marker: tuple[float, float] | None = None,
) -> go.Figure:
    """P(outcome) over two parameters: a Cividis heatmap with the percentage written in each cell."""
    heat = heatmap(frame, metadata, f"p_{outcome}", x, y, None)
    name = outcome_name(outcome)
    readable = heat["z"].size <= HEATMAP_NUMBERS_UP_TO
    figure = go.Figure(
        go.Heatmap(
            z=heatmap_cells(heat),
            x=heat["x"],
            y=heat["y"],
            colorscale="Cividis",
            # The title beside the ticks: on top it covered the highest tick label.
            colorbar={"title": {"text": name, "side": "right"}, "tickformat": ".0%"},
            texttemplate="%{z:.0%}" if readable else None,
            textfont={"size": max(11, font_size() - 4)},
            hovertemplate=f"{label(x)} = %{{x:.4g}}<br>{label(y)} = %{{y:.4g}}<br>{name} = %{{z:.1%}}<extra></extra>",
            name=name,
        )
    )
    if marker is not None:
        figure.add_scatter(
            x=[marker[0]],
            y=[marker[1]],
            mode="markers",
            marker={"symbol": "x", "size": 16, "color": "#FFFFFF", "line": {"color": "#000000", "width": 2}},
            name="the scenario's values",
            hovertemplate="the scenario's values<extra></extra>",
        )
    figure.update_xaxes(title_text=axis_title(x))
    figure.update_yaxes(title_text=axis_title(y))
    figure.update_layout(legend=legend_below())
    return base_layout(figure, height=560 if narrow() else 520)


# ---------------------------------------------------------------------------------------------
# Sobol indices


SOBOL_SERIES = (
    ("ST", "Total effect ST (alone and through interactions)", OKABE_ITO["orange"], -0.2, "/"),
    ("S1", "First-order S1 (alone)", OKABE_ITO["blue"], 0.2, ""),
)
"""(index, legend, colour, offset from the parameter's row, bar pattern) of each series of bars."""


def sobol_figure(table: pd.DataFrame, outcome: str) -> go.Figure:
    """S1 and ST of each parameter with their 95% intervals, the most influential on top.

    Bars sit on a numeric axis (parameter k at k, ST just above, S1 just below) so each value can be
    written beyond its whisker, where no line crosses it."""
    names = list(table.loc[table["index"] == "ST", "parameter"])
    figure = go.Figure()
    highest = max(1.0, float(table.loc[table["index"] != "S2", "ci_high"].max()))
    lowest = min(0.0, float(table.loc[table["index"] != "S2", "ci_low"].min()))
    for index, legend, colour, offset, pattern in SOBOL_SERIES:
        rows = table[table["index"] == index].set_index("parameter").loc[names]
        positions = [k + offset for k in range(len(names))]
        _sobol_bars(figure, rows, names, positions, index, legend, colour, pattern)
    figure.update_xaxes(
        title_text=f"Share of the variance of {outcome_name(outcome)}",
        range=[lowest - 0.02, highest + 0.3],
        gridcolor=GRID,
        zeroline=True,
        zerolinecolor=ink(),
    )
    figure.update_yaxes(
        tickvals=list(range(len(names))),
        ticktext=[label(name) for name in names],
        range=[len(names) - 0.5, -0.5],
        showgrid=False,
    )
    figure.update_layout(barmode="overlay", legend={"orientation": "h", "y": -0.3})
    return base_layout(figure, height=170 + 95 * len(names))


def _sobol_bars(
    figure: go.Figure,
    rows: pd.DataFrame,
    names: list[str],
    positions: list[float],
    index: str,
    legend: str,
    colour: str,
    pattern: str,
) -> None:
    """One index's bars with their whiskers, and each value written just beyond its whisker."""
    estimate, low, high = (rows[key].to_numpy(dtype=float) for key in ("estimate", "ci_low", "ci_high"))
    figure.add_bar(
        x=estimate.tolist(),
        y=positions,
        width=0.38,
        orientation="h",
        name=legend,
        legendgroup=index,
        marker={"color": colour, "line": {"color": "#000000", "width": 1}, "pattern": {"shape": pattern}},
        error_x=whiskers(estimate, low, high, width=6),
        customdata=[[label(name), lo, hi] for name, lo, hi in zip(names, low.tolist(), high.tolist(), strict=True)],
        hovertemplate=f"%{{customdata[0]}}: {index} = %{{x:.2f}} (95% interval %{{customdata[1]:.2f}} to "
        "%{customdata[2]:.2f})<extra></extra>",
    )
    figure.add_scatter(
        x=[max(value, 0.0) + 0.02 for value in high.tolist()],
        y=positions,
        mode="text",
        text=[f"{index} {value:.2f}" for value in estimate],
        textposition="middle right",
        textfont={"size": max(11, font_size() - 2), "color": ink()},
        legendgroup=index,
        showlegend=False,
        hoverinfo="skip",
    )


# ---------------------------------------------------------------------------------------------
# Scenario discovery


def discovery_axes(frame: pd.DataFrame, metadata: dict[str, Any], boxes: list[Box]) -> list[str]:
    """The (at most two) parameters to draw: those the boxes restrict first, then the sweep's own order."""
    swept = [param["path"] for param in metadata["params"] if frame[param["path"]].nunique() > 1]
    restricted = [path for box in boxes for path in box.order if path in box.limits]
    return list(dict.fromkeys([*restricted, *swept]))[:2]


def discovery_figure(
    frame: pd.DataFrame, metadata: dict[str, Any], outcome: str, above: float, boxes: list[Box]
) -> go.Figure:
    """Every point, marked above or not above the threshold, with the boxes PRIM found drawn on it."""
    column = f"p_{outcome}"
    axes = discovery_axes(frame, metadata, boxes)
    x = axes[0]
    y = axes[1] if len(axes) > 1 else column
    figure = go.Figure()
    _discovery_points(figure, frame, outcome, above, x, y)
    _discovery_boxes(figure, frame, boxes, x, y, column)
    if y == column:
        figure.add_hline(
            y=above,
            line={"color": ink(), "dash": "dot", "width": 1.5},
            annotation_text=f"threshold {percent(above)}",
            annotation_position="bottom left",
            annotation_font={"size": font_size() - 2, "color": ink()},
        )
        figure.update_yaxes(title_text=outcome_name(outcome), tickformat=".0%")
    else:
        figure.update_yaxes(title_text=axis_title(y))
    figure.update_xaxes(title_text=axis_title(x), gridcolor=GRID)
    figure.update_yaxes(gridcolor=GRID)
    figure.update_layout(legend=legend_below())
    return base_layout(figure, height=480 if narrow() else 440)


def _discovery_points(figure: go.Figure, frame: pd.DataFrame, outcome: str, above: float, x: str, y: str) -> None:
    """Filled circles where the outcome is above the threshold, light crosses where it is not."""
    column = f"p_{outcome}"
    interest = frame[column].to_numpy(dtype=float) > above
    kinds = [
        (interest, f"{words(outcome)} above {percent(above)}", OUTCOME_COLOURS[outcome], "circle"),
        (~interest, f"not above {percent(above)}", OKABE_ITO["sky_blue"], "x"),
    ]
    for chosen, name, colour, symbol in kinds:
        figure.add_scatter(
            x=frame.loc[chosen, x].tolist(),
            y=frame.loc[chosen, y].tolist(),
            mode="markers",
            name=name,
            marker={"color": colour, "symbol": symbol, "size": 9, "line": {"color": "#000000", "width": 0.5}},
            customdata=frame.loc[chosen, column].tolist(),
            hovertemplate=f"{label(x)} = %{{x:.4g}}<br>"
            + (f"{label(y)} = %{{y:.4g}}<br>" if y != column else "")
            + f"{outcome_name(outcome)} = %{{customdata:.1%}}<extra>{name}</extra>",
        )


def _discovery_boxes(figure: go.Figure, frame: pd.DataFrame, boxes: list[Box], x: str, y: str, column: str) -> None:
    """Each box as a dashed rectangle; a side the box leaves open runs a little past the points."""
    xs = frame[x].to_numpy(dtype=float)
    ys = frame[y].to_numpy(dtype=float)
    pad_x = 0.03 * (np.ptp(xs) or 1.0)
    pad_y = 0.03 * (np.ptp(ys) or 1.0)
    for box in boxes:
        x_low, x_high = box.limits.get(x, (None, None))
        y_low, y_high = box.limits.get(y, (None, None)) if y != column else (None, None)
        figure.add_shape(
            type="rect",
            x0=xs.min() - pad_x if x_low is None else x_low,
            x1=xs.max() + pad_x if x_high is None else x_high,
            y0=ys.min() - pad_y if y_low is None else y_low,
            y1=ys.max() + pad_y if y_high is None else y_high,
            line={"color": ink(), "width": 2, "dash": "dash"},
            fillcolor="rgba(0,0,0,0)",
            label={"text": f"Box {box.number}", "textposition": "top left", "font": {"size": font_size() - 2}},
        )
