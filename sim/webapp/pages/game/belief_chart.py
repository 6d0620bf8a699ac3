"""The belief chart: how the public belief that each actor is resolute moves over the rounds of the whole
crisis, in the crises where it truly is resolute and in those where it is not."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.ladder import ACTORS
from sim.webapp.pages.game.simulated_agents import BeliefPaths
from sim.webapp.style import ACTOR_COLOURS, ACTOR_SHORT, GRID, base_layout, font_size, ink

DASHES = {True: "solid", False: "dash"}


def belief_figure(paths: BeliefPaths) -> go.Figure:
    """One panel per actor: the mean public belief after each round, one line per true type."""
    figure = make_subplots(rows=1, cols=len(ACTORS), shared_yaxes=True, subplot_titles=[ACTOR_SHORT[a] for a in ACTORS])
    for col, key in enumerate(ACTORS, start=1):
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
                row=1,
                col=col,
            )
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", gridcolor=GRID)
    figure.update_yaxes(title_text="Public belief it is resolute", row=1, col=1)
    figure.update_xaxes(title_text="After round (0 = start)", gridcolor=GRID, rangemode="tozero")
    figure.update_annotations(font={"size": font_size(), "color": ink()})
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return base_layout(figure, height=420)
