"""Simulate: a Monte Carlo of the current scenario and what it shows.

How the crises end (with 95% intervals), the share of crises on each rung round by round, the
paths that lead to each outcome, each actor's payoffs, one run told in words, and downloads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from sim.domain.ladder import ACTORS, OUTCOME_MEANING, OUTCOMES, RUNGS
from sim.runs.results import Results
from sim.runs.trace import tell_story
from sim.webapp.compute import per_run_file, simulate_with_progress, traced_run
from sim.webapp.screen import narrow
from sim.webapp.state import Current, Setting
from sim.webapp.style import (
    ACTOR_SHORT,
    GRID,
    OUTCOME_COLOURS,
    RUNG_GREYS,
    base_layout,
    download_row,
    font_size,
    ink,
    plain,
    show_chart,
    story_markdown,
    translucent,
    whiskers,
    words,
)

TITLE = "Simulate"
ICON = "🎲"
SETTINGS: tuple[Setting, ...] = ()


def render(current: Current) -> None:
    """Draw the page: run the Monte Carlo (cached) and show its outcomes, ladder, paths, payoffs, one
    story and the downloads; with edits, the scenario's own values are run too, for comparison."""
    header(current)
    results = simulate_with_progress(current.scenario_json, current.runs, current.seed)
    before = None
    if current.applied_edits:
        assert current.base is not None
        before = simulate_with_progress(current.base.model_dump_json(by_alias=True), current.runs, current.seed)
    outcome_section(results, before)
    ladder_section(results)
    paths_section(results)
    payoff_section(results)
    story_section(current)
    download_section(current)


def header(current: Current) -> None:
    """The page's title, then the scenario in one paragraph: the outcome chart must fit the first screen."""
    scenario = current.scenario
    assert scenario is not None
    st.title("Simulate: how the crises end")
    description = " ".join(scenario.description.split())
    st.markdown(f"**{plain(scenario.title or scenario.name)}**" + (f" {plain(description)}" if description else ""))
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar or the Scenario page), so the results below use "
            "the scenario's own values for them."
        )


# ---------------------------------------------------------------------------------------------
# How the crises end


def outcome_table(results: Results) -> pd.DataFrame:
    """Outcome, probability and its 95% Wilson interval (``Results.summary``'s), in ladder order."""
    counts, shares = results.outcome_counts(), results.summary()["outcomes"]
    rows = [
        {
            "outcome": words(outcome),
            "probability": shares[outcome]["p"],
            "ci95_low": shares[outcome]["ci95"][0],
            "ci95_high": shares[outcome]["ci95"][1],
            "runs": counts[outcome],
            "meaning": OUTCOME_MEANING[outcome],
        }
        for outcome in OUTCOMES
    ]
    return pd.DataFrame(rows)


LABEL_ROOM = 0.3
"""Share of the outcome chart's width kept free right of the longest whisker for its label (a phone too)."""


def outcome_figure(table: pd.DataFrame, runs: int, before: pd.DataFrame | None = None) -> go.Figure:
    """Horizontal bars: probability of each outcome with its 95% Wilson interval (rows of :func:`outcome_table`).

    With ``before`` (the same table for the scenario's own values), each outcome also gets a hollow
    ghost bar at its old share and the label says the change in percentage points, so a reader sees
    what an edit did."""
    # Plain lists (not numpy arrays) keep the chart's JSON readable: plotly would base64-encode arrays.
    labels = [_two_lines(label) for label in table["outcome"]] if narrow() else table["outcome"].tolist()
    p, low, high = (table[column].to_numpy() for column in ("probability", "ci95_low", "ci95_high"))
    figure = go.Figure()
    figure.add_bar(
        x=p.tolist(),
        y=labels,
        orientation="h",
        marker={"color": [OUTCOME_COLOURS[o] for o in OUTCOMES], "line": {"color": "#000000", "width": 1}},
        error_x=whiskers(p, low, high, width=8),
        customdata=[
            list(row) for row in zip(low.tolist(), high.tolist(), table["runs"].tolist(), table["meaning"], strict=True)
        ],
        hovertemplate="<b>%{y}</b>: %{x:.1%} (95% interval %{customdata[0]:.1%} to %{customdata[1]:.1%})"
        "<br>%{customdata[2]:,} runs · %{customdata[3]}<extra></extra>",
        showlegend=before is not None,
        name="these assumptions",
    )
    # The old shares as empty frames drawn over the new bars: a frame beyond a bar is what was lost.
    if before is not None:
        old = before["probability"].to_numpy()
        figure.add_bar(
            x=old.tolist(),
            y=labels,
            orientation="h",
            marker={"color": "rgba(0,0,0,0)", "line": {"color": ink(), "width": 2.5}},
            hovertemplate="<b>%{y}</b> with the scenario's own values: %{x:.1%}<extra></extra>",
            name="the scenario's own values",
            showlegend=True,
        )
    text = [f" {value:.1%}" for value in p]
    right = high
    if before is not None:
        old = before["probability"].to_numpy()
        text = [f" {value:.1%} ({100 * (value - was):+.1f})" for value, was in zip(p, old, strict=True)]
        right = np.maximum(high, old)
    figure.add_scatter(
        x=right.tolist(),
        y=labels,
        mode="text",
        text=text,
        textposition="middle right",
        textfont={"size": font_size() + 1, "color": ink()},
        hoverinfo="skip",
        showlegend=False,
        name="labels",
        cliponaxis=False,
    )
    room = LABEL_ROOM + (0.15 if before is not None else 0.0) + (0.1 if narrow() else 0.0)
    figure.update_xaxes(
        range=[0, min(1.0, float(right.max())) / (1 - room)],
        tickformat=".0%",
        title_text=f"Share of {runs:,} runs",
        gridcolor=GRID,
        zeroline=True,
        zerolinecolor=ink(),
    )
    figure.update_yaxes(autorange="reversed", title_text="")
    figure.update_layout(barmode="overlay", legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return base_layout(figure, height=340 if before is None else 380)


def outcome_section(results: Results, before: Results | None = None) -> None:
    """The outcome chart with its 95% intervals and the numbers behind it; ``before`` (the runs with
    the scenario's own values) is drawn as frames, with the change."""
    table = outcome_table(results)
    old = outcome_table(before) if before is not None else None
    changed = (
        " The black frames are the same runs with the scenario's own values, and the number in brackets is "
        "the change in percentage points."
        if before is not None
        else ""
    )
    show_chart(
        outcome_figure(table, results.runs, old),
        "outcome_chart",
        f"each bar is the share of the {results.runs:,} simulated crises that ended this way (the shares add up "
        "to 100%). The black whiskers are 95% Wilson intervals: they show how precisely this many runs pin down "
        f"the probability under these assumptions, not how uncertain the assumptions are.{changed} Every number in "
        "a scenario is an assumption to vary, not an estimate or a forecast; the model takes no side.",
    )
    with st.expander("The numbers behind the chart"):
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "probability": st.column_config.NumberColumn("probability", format="%.4f"),
                "ci95_low": st.column_config.NumberColumn("95% low", format="%.4f"),
                "ci95_high": st.column_config.NumberColumn("95% high", format="%.4f"),
            },
        )


# ---------------------------------------------------------------------------------------------
# The ladder over time


def ladder_figure(ladder: pd.DataFrame) -> go.Figure:
    """Stacked areas per round: ended crises by outcome (bottom), ongoing ones by rung (top)."""
    figure = go.Figure()
    # Stacked bottom to top in this order; the legend lists them top to bottom, as they are drawn.
    series = [(f"ended:{o}", words(o), OUTCOME_COLOURS[o], "ended", "Ended: outcome") for o in OUTCOMES]
    series += [(f"rung:{r}", words(r), RUNG_GREYS[r], "ongoing", "Still going: rung") for r in RUNGS]
    for rank, (column, label, colour, group, group_title) in enumerate(series):
        if column not in ladder.columns or not (ladder[column] > 0).any():
            continue
        figure.add_scatter(
            x=ladder.index.tolist(),
            y=ladder[column].tolist(),
            name=label,
            mode="lines",
            stackgroup="one",
            line={"width": 0.8, "color": "#FFFFFF"},
            fillcolor=colour,
            legendgroup=group,
            legendrank=1000 - rank,
            legendgrouptitle_text=group_title,
            hovertemplate=f"{group_title.split(':')[0]} · {label}: %{{y:.1%}}<extra>round %{{x}}</extra>",
        )
    figure.update_xaxes(title_text="Round (0 = start)", gridcolor=GRID)
    figure.update_yaxes(
        title_text="Share of simulated crises",
        tickformat=".0%",
        range=[0, 1.001],
        tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1],
        gridcolor=GRID,
    )
    legend: dict[str, object] = {"traceorder": "grouped", "grouptitlefont": {"size": font_size(), "color": ink()}}
    if narrow():  # a phone: the legend below, so the chart keeps the width
        legend |= {"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0}
    figure.update_layout(legend=legend, hovermode="x")
    return base_layout(figure, height=640 if narrow() else 410)


def ladder_section(results: Results) -> None:
    """The share of crises on each rung, or ended in each outcome, after every round."""
    st.subheader("Round by round up the escalation ladder")
    show_chart(
        ladder_figure(results.ladder),
        "ladder_chart",
        "each vertical slice is every simulated crisis after that round (100% in all). Coloured bands at the "
        "bottom are crises already over, by how they ended, in the colours of the bar chart; grey bands on top "
        "are crises still going, darker the higher up the ladder they stand.",
    )


# ---------------------------------------------------------------------------------------------
# Paths to each outcome


def _highest(rung: str) -> str:
    """A node of the paths chart: the highest rung a crisis reached."""
    return f"Highest: {words(rung).lower()}"


def _two_lines(label: str) -> str:
    """A node label on two lines (a phone: labels of neighbouring columns must not meet)."""
    words_ = label.removeprefix("Highest: ").split(" ")
    if len(words_) < 2:
        return label.removeprefix("Highest: ")
    cut = max(1, len(words_) // 2)
    return " ".join(words_[:cut]) + "<br>" + " ".join(words_[cut:])


def path_counts(results: Results) -> pd.DataFrame:
    """Runs per (Russia's type, highest rung reached, outcome): the flows of the paths chart.

    Counted on the integer codes, then named: naming every run first costs a Python loop per run."""
    codes = pd.DataFrame({"russia": results.resolute["russia"], "rung": results.max_rung, "outcome": results.outcome})
    counts = codes.value_counts().rename("runs").reset_index()
    return counts.assign(
        russia=np.where(counts["russia"], "Russia resolute", "Russia not resolute"),
        rung=[_highest(RUNGS[i]) for i in counts["rung"]],
        outcome=[words(OUTCOMES[i]) for i in counts["outcome"]],
    )


def paths_figure(results: Results) -> go.Figure:
    """A Sankey diagram: Russia's private type -> the highest rung reached -> how the crisis ended."""
    paths = path_counts(results)
    rung_labels = [_highest(r) for r in RUNGS if _highest(r) in set(paths.rung)]
    type_labels = [label for label in ("Russia resolute", "Russia not resolute") if label in set(paths.russia)]
    outcome_labels = [words(o) for o in OUTCOMES if words(o) in set(paths.outcome)]
    labels = type_labels + rung_labels + outcome_labels
    index = {label: i for i, label in enumerate(labels)}
    colour_of = {words(o): OUTCOME_COLOURS[o] for o in OUTCOMES}
    sources, targets, values, colours = [], [], [], []
    for left, right in (("russia", "rung"), ("rung", "outcome")):
        flows = paths.groupby(list(dict.fromkeys([left, right, "outcome"])), observed=True)["runs"].sum()
        for row in flows.reset_index().itertuples(index=False):
            sources.append(index[getattr(row, left)])
            targets.append(index[getattr(row, right)])
            values.append(int(row.runs))
            colours.append(translucent(colour_of[row.outcome], 0.45))
    node_colours = ["#888888"] * len(type_labels) + [RUNG_GREYS[r] for r in RUNGS if _highest(r) in index]
    node_colours += [colour_of[label] for label in outcome_labels]
    shown = [_two_lines(label) for label in labels] if narrow() else labels
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": shown, "customdata": labels, "color": node_colours, "pad": 18,
                  "line": {"color": "#000000", "width": 0.5},
                  "hovertemplate": "%{customdata}: %{value:,} runs<extra></extra>"},
            link={"source": sources, "target": targets, "value": values, "color": colours,
                  "hovertemplate": "%{source.customdata} → %{target.customdata}: %{value:,} runs<extra></extra>"},
            textfont={"size": font_size() - (3 if narrow() else 0), "color": ink()},
        )
    )  # fmt: skip
    return base_layout(figure, height=460)


def paths_section(results: Results) -> None:
    """The flows from Russia's type through the highest rung reached to the outcome."""
    st.subheader("The paths that lead to each outcome")
    show_chart(
        paths_figure(results),
        "paths_chart",
        "read from left to right. Each band is a group of simulated crises: Russia's private type (drawn from "
        "its resolve prior, unknown to the others), then the highest rung the crisis reached, then how it ended. "
        "A band's width is its number of runs and its colour is the outcome it flows into.",
    )


# ---------------------------------------------------------------------------------------------
# Payoffs


def payoff_figure(results: Results, bins: int = 30) -> go.Figure:
    """Per actor, a histogram of realised payoffs, stacked by outcome: panels side by side, stacked on a phone."""
    stacked = narrow()
    titles = [ACTOR_SHORT[a] for a in ACTORS]
    if stacked:
        figure = make_subplots(rows=len(ACTORS), cols=1, subplot_titles=titles, vertical_spacing=0.12)
    else:
        figure = make_subplots(rows=1, cols=len(ACTORS), subplot_titles=titles)
    for panel, actor in enumerate(ACTORS, start=1):
        row, column = (panel, 1) if stacked else (1, panel)
        values = results.payoff[actor]
        edges = np.histogram_bin_edges(values, bins=bins)
        centres = ((edges[:-1] + edges[1:]) / 2).tolist()
        for code, outcome in enumerate(OUTCOMES):
            chosen = values[results.outcome == code]
            if chosen.size == 0:
                continue
            counts, _ = np.histogram(chosen, bins=edges)
            figure.add_bar(
                x=centres,
                y=(counts / results.runs).tolist(),
                width=float(edges[1] - edges[0]) if edges.size > 1 else 1.0,
                marker={"color": OUTCOME_COLOURS[outcome], "line": {"color": "#000000", "width": 0.3}},
                name=words(outcome),
                legendgroup=outcome,
                showlegend=panel == 1,
                hovertemplate=f"{ACTOR_SHORT[actor]} · {words(outcome)}: payoff %{{x:.1f}}, %{{y:.1%}} of runs"
                "<extra></extra>",
                row=row,
                col=column,
            )
        figure.add_vline(x=float(values.mean()), line={"color": ink(), "dash": "dash", "width": 2}, row=row, col=column)
        # The whole outermost bins, with a margin: autorange would cut the last bar at its centre.
        margin = max(float(edges[-1] - edges[0]) * 0.04, 0.5)
        figure.update_xaxes(range=[float(edges[0]) - margin, float(edges[-1]) + margin], row=row, col=column)
    figure.update_layout(
        barmode="stack", legend={"orientation": "h", "y": -0.11 if stacked else -0.25, "yanchor": "top"}
    )
    figure.update_xaxes(gridcolor=GRID, nticks=6)
    figure.update_yaxes(tickformat=".0%", gridcolor=GRID)
    if stacked:
        figure.update_xaxes(title_text="Realised payoff (utils)", row=len(ACTORS), col=1)
        figure.update_yaxes(title_text="Share of runs", row=2, col=1)
    else:
        figure.update_xaxes(title_text="Realised payoff (utils)", row=1, col=2)
        figure.update_yaxes(title_text="Share of runs", row=1, col=1)
    figure.update_annotations(font={"size": font_size(), "color": ink()})
    return base_layout(figure, height=820 if stacked else 400)


def payoff_section(results: Results) -> None:
    """The mean rounds and each actor's mean payoff, and how the payoffs spread over the runs."""
    st.subheader("What each actor gets")
    summary = results.summary()
    columns = st.columns(1 + len(ACTORS))
    columns[0].metric(
        "Mean rounds",
        f"{summary['mean_rounds']:.1f} of {results.scenario.rounds}",
        help="Average number of rounds before a crisis ended (or the horizon was reached).",
    )
    for column, actor in zip(columns[1:], ACTORS, strict=True):
        column.metric(
            f"Mean payoff: {ACTOR_SHORT[actor]}",
            f"{summary['mean_payoff'][actor]:+.2f}",
            help="Average realised payoff: the outcome's value plus the costs paid along the way, in utils.",
        )
    show_chart(
        payoff_figure(results),
        "payoff_chart",
        "one panel per actor. Bars show how the realised payoffs (outcome value plus the costs paid along the "
        "way) spread over the runs, coloured by the outcome that produced them; the dashed line is the mean. "
        "Payoffs are utils on each actor's own scale: compare an actor with itself across settings, not one "
        "actor with another.",
    )


# ---------------------------------------------------------------------------------------------
# One run in words, downloads


def story_section(current: Current) -> None:
    """One crisis with the page's seed, told in words in an expander."""
    title = f"One crisis told in words (seed {current.seed}); the Classroom page steps through it"
    with st.expander(title), st.container(height=520):
        st.markdown(story_markdown(tell_story(traced_run(current.scenario_json, current.seed))))


def download_section(current: Current) -> None:
    """The per-run table as CSV or Parquet (built only when asked for)."""
    assert current.scenario is not None
    download_row(
        "per-run",
        f"{current.scenario.name}_runs{current.runs}_seed{current.seed}",
        lambda suffix: per_run_file(current.scenario_json, current.runs, current.seed, suffix),
        (
            "One row per simulated crisis: outcome, rounds, rungs, each actor's type and payoff, provenance.",
            "The same table as Parquet; the file's metadata holds the full scenario, its SHA-256, seed and version.",
        ),
    )
