"""The Classroom page's charts: the ladder, what each actor expected, the beliefs, the odds.

Each chart is built by a function the tests can call (no Streamlit), in Okabe-Ito colours,
labelled in words and sized for a projector through ``base_layout``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.domain.ladder import ACTORS, OUTCOMES, RUNGS
from sim.engine.model import CrisisModel, TraceEntry
from sim.runs.results import Results
from sim.runs.trace import AFTER_A_STRIKE, now_and_later
from sim.webapp.pages.classroom.narration import action_label, share
from sim.webapp.screen import narrow
from sim.webapp.style import (
    ACTOR_COLOURS,
    ACTOR_SHORT,
    GRID,
    OKABE_ITO,
    OUTCOME_COLOURS,
    action_colour,
    base_layout,
    font_size,
    ink,
    type_words,
    words,
)

LADDER_HOW = (
    "The rung marked ◀ now (yellow) is where the crisis stands; the grey one marked 'start of round' is where "
    "the round began. Once the crisis is over its rung is marked ◀ ended here, in the outcome's colour."
)
LADDER_IDLE = "#E8E8E8"
LADDER_START = "#BDBDBD"

# ---------------------------------------------------------------------------------------------
# The ladder


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on this background (WCAG relative luminance)."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def ladder_figure(start_rung: str, now_rung: str, outcome: str | None) -> go.Figure:
    """The ladder as seven equal rungs, bottom to top; 'now' highlighted and labelled in words."""
    now_colour = OUTCOME_COLOURS[outcome] if outcome else OKABE_ITO["yellow"]  # no outcome is yellow
    colours, texts = [], []
    for rung in RUNGS:
        if rung == now_rung:
            colours.append(now_colour)
            texts.append("◀ ended here" if outcome else "◀ now")
        elif rung == start_rung:
            colours.append(LADDER_START)
            texts.append("start of round")
        else:
            colours.append(LADDER_IDLE)
            texts.append("")
    figure = go.Figure(
        go.Bar(
            x=[1] * len(RUNGS),
            y=[words(rung) for rung in RUNGS],
            orientation="h",
            marker={
                "color": colours,
                "line": {"color": "#000000", "width": [3 if r == now_rung else 0.5 for r in RUNGS]},
            },
            text=texts,
            textposition="inside",
            insidetextanchor="middle",
            textfont={"size": font_size(), "color": [_text_colour(c) for c in colours]},
            hoverinfo="skip",
            showlegend=False,
            name="ladder",
        )
    )
    figure.update_xaxes(visible=False, range=[0, 1])
    figure.update_yaxes(title_text="", categoryorder="array", categoryarray=[words(rung) for rung in RUNGS])
    figure.update_layout(bargap=0.25)
    return base_layout(figure, height=330)


# ---------------------------------------------------------------------------------------------
# What each actor expected from each action


def utility_rows(entry: TraceEntry) -> list[tuple[str, dict[str, Any] | None]]:
    """The rows of :func:`utility_figure`: every decision in the order made (after a strike the coalition
    decides twice), then each actor that did not move (None)."""
    rows: list[tuple[str, dict[str, Any] | None]] = [(d["actor"], d) for d in entry.decisions]
    moved = {d["actor"] for d in entry.decisions}
    return rows + [(key, None) for key in ACTORS if key not in moved]


def row_name(key: str, decision: dict[str, Any] | None) -> str:
    """``coalition``, or ``coalition, after the strike`` for an answer to a strike (the bars' trace name)."""
    return f"{key}, after the strike" if decision and decision.get("stage") == AFTER_A_STRIKE else key


def utility_figure(model: CrisisModel, entry: TraceEntry) -> go.Figure:
    """One row per decision (full width so the labels fit on a projector): what each move was worth to the
    actor, this round and later, the probability it gave each, and its choice."""
    rows = utility_rows(entry)
    titles = [model.actors[key].label + (", after the strike" if row_name(key, d) != key else "") for key, d in rows]
    figure = make_subplots(rows=len(rows), cols=1, subplot_titles=titles, vertical_spacing=0.6 / len(rows))
    worths = [u for _, decision in rows if decision is not None for u in decision["utility"].values()]
    low, high = (min(worths), max(worths)) if worths else (0.0, 1.0)
    span = max(high - low, 1.0)
    for row, (key, decision) in enumerate(rows, start=1):
        if decision is None:
            _did_not_move(figure, row)
        else:
            _utility_row(figure, row, key, decision, stub=0.06 * span)
    # One axis for every row: the same utils sit at the same place, and each bar starts at its row's
    # worst move, so the longest bar is the best move and the gaps the logit answers are lengths.
    # The right half is room for the labels "+0.99 · 93% likely", which must fit on a phone too.
    figure.update_xaxes(range=[low - 0.1 * span, high + 1.1 * span], gridcolor=GRID)
    figure.update_xaxes(zeroline=True, zerolinecolor=ink(), zerolinewidth=2)
    title = (
        "What each move is worth<br>(own utils): this round<br>plus the rest of the crisis"
        if narrow()
        else "What each move is worth (own utils):<br>this round plus the rest of the crisis"
    )
    figure.update_xaxes(title_text=title, row=len(rows), col=1)
    figure.update_annotations(font={"size": font_size(), "color": ink()})
    figure.update_layout(bargap=0.25)
    base_layout(figure, height=180 * len(rows) + 20 + (30 if narrow() else 0))
    # Room above the first row for its title (the default top margin cuts it at presenter sizes).
    return figure.update_layout(margin={"t": 2 * font_size() + 10})


def _did_not_move(figure: go.Figure, row: int) -> None:
    """An empty row says in words that the actor had no turn (the crisis ended first)."""
    low, high = figure.layout[f"yaxis{row}" if row > 1 else "yaxis"].domain
    figure.add_annotation(  # paper coordinates: plotly misplaces "domain" refs of empty axes
        text="did not move: the crisis ended before its turn",
        xref="paper",
        yref="paper",
        x=0.5,
        y=(low + high) / 2,
        showarrow=False,
    )
    figure.update_xaxes(visible=False, row=row, col=1)
    figure.update_yaxes(visible=False, row=row, col=1)


def _utility_row(figure: go.Figure, row: int, key: str, decision: dict[str, Any], stub: float) -> None:
    """One decision's bars, from just below its worst move to what each move is worth (so the chosen,
    likeliest move is never a sliver): its probability in the label, the choice outlined; the hover
    splits the worth into this round and the rest of the crisis."""
    actions = list(decision["utility"])
    utility = [decision["utility"][a] for a in actions]
    start = min(utility) - stub
    chosen = [a == decision["action"] for a in actions]
    probability = [decision["probability"][a] for a in actions]
    split = [now_and_later(decision, a) for a in actions]
    figure.add_bar(
        x=[u - start for u in utility],
        base=[start] * len(utility),
        y=[f"<b>✔ {action_label(key, a)}</b>" if c else action_label(key, a) for a, c in zip(actions, chosen)],
        orientation="h",
        marker={
            "color": [action_colour(a, GRID) for a in actions],
            "line": {"color": ink(), "width": [4 if c else 0.5 for c in chosen]},
        },
        text=[f"{u:+.2f} · {share(p)} likely" for u, p in zip(utility, probability)],
        textposition="outside",
        cliponaxis=False,
        customdata=[[p, now, later, u] for p, (now, later), u in zip(probability, split, utility)],
        hovertemplate="%{y}: worth %{customdata[3]:+.2f} (%{customdata[1]:+.2f} this round, %{customdata[2]:+.2f} "
        "for the rest of the crisis), picked with probability %{customdata[0]:.1%}<extra></extra>",
        showlegend=False,
        name=row_name(key, decision),
        row=row,
        col=1,
    )
    figure.update_yaxes(autorange="reversed", row=row, col=1)


def decision_table(model: CrisisModel, entry: TraceEntry) -> pd.DataFrame:
    """The numbers behind :func:`utility_figure`, one row per decision and move: its worth this round, for
    the rest of the crisis and in all (``now = utility - later``), and its probability."""
    rows = []
    for d in entry.decisions:
        for action in d["utility"]:
            now, later = now_and_later(d, action)
            rows.append(
                {
                    "actor": model.actors[d["actor"]].label,
                    "when": "after the strike" if d.get("stage") == AFTER_A_STRIKE else "its move",
                    "action": action_label(d["actor"], action),
                    "this round": round(now, 4),
                    "rest of the crisis": round(later, 4),
                    "expected utility": round(d["utility"][action], 4),
                    "probability": round(d["probability"][action], 4),
                    "chosen": action == d["action"],
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Beliefs and odds


def belief_path(trace: list[TraceEntry], upto: int) -> pd.DataFrame:
    """Public belief that each actor is resolute after each round 0..upto (0 = before the first move)."""
    rows = [dict(trace[0].beliefs)]
    for entry in trace[:upto]:
        after = dict(entry.beliefs)
        after.update({d["actor"]: d["belief_after"] for d in entry.decisions})
        rows.append(after)
    return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="round"))


LABEL_GAP = 0.14
"""Least distance, in belief, between two end labels of the belief chart at the base font size (17 px):
a line of text and a little air on the plot area of the chart's 380 px (about 190 px for the axis)."""


def label_heights(ends: dict[str, float], gap: float, top: float = 1.0) -> dict[str, float]:
    """Heights for the end labels of lines ending at ``ends``: each at its line's end, pushed apart
    (upwards, then down from ``top`` if the highest would leave the chart) to at least ``gap``."""
    order = sorted(ends, key=lambda key: ends[key])
    heights: dict[str, float] = {}
    floor = -1.0
    for key in order:
        heights[key] = max(ends[key], floor + gap)
        floor = heights[key]
    ceiling = top + gap
    for key in reversed(order):
        heights[key] = min(heights[key], ceiling - gap)
        ceiling = heights[key]
    return heights


def belief_figure(model: CrisisModel, upto: int) -> go.Figure:
    """Belief that each actor is resolute, round by round, labelled with what it truly is."""
    path = belief_path(model.trace or [], upto)
    figure = go.Figure()
    heights = label_heights(path.iloc[-1].to_dict(), gap=LABEL_GAP * font_size() / 17)
    for key, dash, symbol in zip(ACTORS, ("solid", "dash", "dot"), ("circle", "square", "diamond")):
        actor = model.actors[key]
        values = path[key].tolist()
        figure.add_scatter(
            x=path.index.tolist(),
            y=values,
            mode="lines+markers+text",
            name=f"{ACTOR_SHORT[key] if narrow() else actor.label} (truly {type_words(bool(actor.resolute[0]))})",
            line={"color": ACTOR_COLOURS[key], "dash": dash, "width": 3},
            marker={"symbol": symbol, "size": 10},
            cliponaxis=False,
            hovertemplate=f"{actor.label}, after round %{{x}}: %{{y:.1%}}<extra></extra>",
        )
        # The end label, moved up or down from its line where two beliefs end close together.
        figure.add_annotation(
            x=path.index[-1], y=heights[key], text=f"{ACTOR_SHORT[key]} {values[-1]:.0%}", showarrow=False,
            xanchor="left", xshift=10, font={"size": font_size(), "color": ACTOR_COLOURS[key]},
        )  # fmt: skip
    # Room on the right for the end labels, but ticks only at rounds that exist (a 20-round crisis
    # is not numbered to 25).
    step = 1 if upto <= 12 else 2 if upto <= 24 else 5
    figure.update_xaxes(
        title_text="After round (0 = start)",
        tickvals=list(range(0, upto + 1, step)),
        range=[-0.3, upto + 0.3 + max(1.2, 0.25 * upto) * (2.5 if narrow() else 1.0)],
        gridcolor=GRID,
    )
    figure.update_yaxes(title_text="Belief it is resolute", range=[0, 1.02], tickformat=".0%", gridcolor=GRID)
    figure.update_layout(legend={"orientation": "h", "y": -0.3})
    return base_layout(figure, height=380)


def odds_figure(results: Results, outcome: str | None, scale: float | None = None) -> go.Figure:
    """Share of simulated crises ending each way; the single story's ending outlined once it is known."""
    probabilities = results.probabilities()
    labels = [words(o) + (" ◀ this story" if o == outcome else "") for o in OUTCOMES]
    shares = [probabilities[o] for o in OUTCOMES]
    figure = go.Figure(
        go.Bar(
            x=shares,
            y=labels,
            orientation="h",
            marker={
                "color": [OUTCOME_COLOURS[o] for o in OUTCOMES],
                "line": {"color": ink(), "width": [4 if o == outcome else 0.5 for o in OUTCOMES]},
            },
            text=[share(p) for p in shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%} of simulated crises<extra></extra>",
            showlegend=False,
            name="odds",
        )
    )
    top = min(1.0, max(shares) if scale is None else scale)
    figure.update_xaxes(range=[0, top * 1.25 + 0.02], tickformat=".0%", gridcolor=GRID, title_text="Share of crises")
    figure.update_yaxes(autorange="reversed", title_text="")
    return base_layout(figure, height=280)
