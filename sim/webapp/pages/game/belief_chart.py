"""The belief chart: how the public belief that each actor is resolute moves over the rounds of the whole
crisis, in the crises where it truly is resolute and in those where it is not."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.domain.ladder import ACTORS
from sim.engine.inspect import BeliefPaths
from sim.webapp.screen import narrow
from sim.webapp.style import ACTOR_COLOURS, ACTOR_SHORT, GRID, base_layout, font_size, ink

DASHES = {True: "solid", False: "dash"}


def belief_figure(paths: BeliefPaths) -> go.Figure:
    """One panel per actor: the mean public belief after each round, one line per true type.

    Panels side by side, or one above the other on a phone (:func:`sim.webapp.screen.narrow`)."""
    titles = [ACTOR_SHORT[a] for a in ACTORS]
    stacked = narrow()
    if stacked:
        figure = make_subplots(rows=len(ACTORS), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.1)
    else:
        figure = make_subplots(rows=1, cols=len(ACTORS), shared_yaxes=True, subplot_titles=titles)
    for panel, key in enumerate(ACTORS, start=1):
        row, col = (panel, 1) if stacked else (1, panel)
        for resolute in (True, False):
            values = paths.mean[key][resolute]
            if all(math.isnan(v) for v in values):
                continue  # no crisis in which the actor has this type (a prior of 0 or 1)
            truly = "resolute" if resolute else "not resolute"
            figure.add_scatter(
                x=paths.rounds,
                y=[None if math.isnan(v) else v for v in values],
                customdata=paths.playing,
                mode="lines+markers",
                name=f"{ACTOR_SHORT[key]}, truly {truly}",
                line={"color": ACTOR_COLOURS[key], "dash": DASHES[resolute], "width": 3},
                marker={"symbol": "circle" if resolute else "circle-open", "size": 7},
                meta={"actor": key, "resolute": resolute},
                hovertemplate=f"{ACTOR_SHORT[key]}, truly {truly}: belief %{{y:.1%}} after round %{{x}} "
                "(%{customdata:.0%} of crises played it)<extra></extra>",
                row=row,
                col=col,
            )
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", gridcolor=GRID)
    last = max(paths.rounds, default=1)
    figure.update_xaxes(gridcolor=GRID, range=[-0.3, last + 0.3])  # the crisis's rounds, no empty tail
    if stacked:
        figure.update_yaxes(title_text="Public belief it is resolute", row=2, col=1)
        figure.update_xaxes(title_text="After round (0 = start)", row=len(ACTORS), col=1)
    else:
        figure.update_yaxes(title_text="Public belief it is resolute", row=1, col=1)
        figure.update_xaxes(title_text="After round (0 = start)", row=1, col=2)
    figure.update_annotations(font={"size": font_size(), "color": ink()})
    figure.update_layout(legend={"orientation": "h", "y": -0.1 if stacked else -0.25, "yanchor": "top"})
    return base_layout(figure, height=820 if stacked else 420)
