"""The Live page's charts and tables: the class's outcomes beside the model's, its choices beside the equilibrium."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sim.live.views import ROLE_NAMES
from sim.webapp.pages.live.player import move_label
from sim.webapp.style import OKABE_ITO, base_layout, capitalised, whiskers, words

NODE_NAMES = {
    "coalition": "the coalition's move",
    "russia": "Russia's answer",
    "us": "the US posture",
    "resist": "after a strike: resist or concede",
    "join": "after a strike: join or stay out",
}
SERIES_COLOURS = {
    "class": OKABE_ITO["blue"],
    "model (scenario's lambda)": OKABE_ITO["orange"],
    "near equilibrium": OKABE_ITO["bluish_green"],
}
SERIES_NAMES = {
    "model (scenario's lambda)": "Model at the scenario's λ",
    "near equilibrium": "Near equilibrium (λ = 25)",
}


def outcome_label(outcome: str) -> str:
    """``coalition_backs_down`` -> ``Coalition<br>backs down`` (two lines under a bar)."""
    first, _, rest = words(outcome).partition(" ")
    return f"{first}<br>{rest}" if rest else first


def outcomes_figure(observed: pd.DataFrame, model: pd.DataFrame) -> go.Figure:
    """Grouped bars per outcome: the class's share with its Wilson 95% interval, and the model's probabilities.

    Parameters
    ----------
    observed : pandas.DataFrame
        :func:`sim.live.analysis.class_outcomes` (``outcome, count, share, lower, upper``).
    model : pandas.DataFrame
        :func:`sim.live.analysis.model_outcomes` (``outcome`` and one column per prediction).
    """
    labels = [outcome_label(key) for key in observed["outcome"]]
    finished = int(observed["count"].sum())
    noun = "crisis" if finished == 1 else "crises"
    figure = go.Figure()
    share = observed["share"].to_numpy(dtype=float)
    figure.add_bar(
        x=labels, y=np.nan_to_num(share), name=f"Your class ({finished} {noun})", marker_color=SERIES_COLOURS["class"],
        error_y=whiskers(np.nan_to_num(share), observed["lower"].fillna(0).to_numpy(dtype=float),
                         observed["upper"].fillna(0).to_numpy(dtype=float), 6) if finished else None,
        hovertemplate="%{x}: %{y:.0%} of the class's crises<extra></extra>",
    )  # fmt: skip
    for column in model.columns[1:]:
        figure.add_bar(
            x=labels, y=model[column], name=SERIES_NAMES.get(column, column),
            marker_color=SERIES_COLOURS.get(column, OKABE_ITO["sky_blue"]),
            hovertemplate="%{x}: %{y:.0%} " + SERIES_NAMES.get(column, column) + "<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.3, "x": 0})
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", title="share of crises", gridcolor="#DDDDDD")
    return base_layout(figure, 380)


def choices_table(choices: pd.DataFrame) -> pd.DataFrame:
    """:func:`sim.live.analysis.choices_by_type` in words, for :func:`show_choices`."""
    return pd.DataFrame(
        {
            "Role": [capitalised(ROLE_NAMES.get(role, role)) for role in choices["role"]],
            "Decision": [NODE_NAMES.get(node, node) for node in choices["node"]],
            "Type": choices["type"],
            "Move": [move_label(role, action) for role, action in zip(choices["role"], choices["action"], strict=True)],
            "Students": choices["count"],
            "Class": choices["share"],
            "Equilibrium": choices["equilibrium"],
        }
    )


def show_choices(choices: pd.DataFrame) -> None:
    """The students' choices by role, decision and private type, each beside the equilibrium's probability."""
    table = choices_table(choices)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(35 * (len(table) + 1) + 3, 480),
        column_config={
            "Students": st.column_config.NumberColumn(help="How many students made this move here"),
            "Class": st.column_config.ProgressColumn(
                "Class share", format="percent", min_value=0.0, max_value=1.0,
                help="The share of the students' choices at this decision, for this type, that were this move",
            ),
            "Equilibrium": st.column_config.ProgressColumn(
                "Equilibrium", format="percent", min_value=0.0, max_value=1.0,
                help="The equilibrium's probability of this move at the same decisions (its mean over them)",
            ),
        },
    )  # fmt: skip
