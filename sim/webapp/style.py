"""Colours, type sizes and chart helpers shared by every page.

Colours are the Okabe-Ito palette, which stays distinguishable under the common kinds of colour
blindness; every chart also labels its series in words, so colour is never the only cue. Type is
large enough to read from the back of a lecture room; presenter mode makes it larger still.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
OUTCOME_COLOURS = {
    "deterrence_holds": OKABE_ITO["bluish_green"],
    "coalition_backs_down": OKABE_ITO["reddish_purple"],
    "russia_backs_down": OKABE_ITO["blue"],
    "limited_clash": OKABE_ITO["orange"],
    "major_war": OKABE_ITO["vermillion"],
}
ACTOR_COLOURS = {"coalition": OKABE_ITO["blue"], "russia": OKABE_ITO["vermillion"], "us": OKABE_ITO["bluish_green"]}
ACTION_COLOURS = {
    "deploy": OKABE_ITO["vermillion"],
    "threaten": OKABE_ITO["orange"],
    "back_down": OKABE_ITO["sky_blue"],
}
RUNG_GREYS = {
    # Ongoing crises are drawn in greys, darker as the ladder climbs, so colour always means "ended".
    "ceasefire": "#F0F0F0",
    "declared_intent": "#D9D9D9",
    "deployed": "#BDBDBD",
    "standoff": "#969696",
    "incident": "#636363",
    "limited_war": "#404040",
    "major_war": "#252525",
}
ACTOR_SHORT = {"coalition": "Coalition", "russia": "Russia", "us": "US"}
GRID = "#DDDDDD"
PLOTLY_CONFIG = {"displaylogo": False}


def words(name: str) -> str:
    """``major_war`` -> ``Major war``."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def presenting() -> bool:
    """Presenter mode (Classroom page toggle, ``?presenter=1``): larger type everywhere."""
    return bool(st.session_state.get("presenter", False))


def font_size() -> int:
    return 24 if presenting() else 17


def ink() -> str:
    """Text colour with full contrast on the app's background (light unless the theme is dark)."""
    return "#FAFAFA" if st.context.theme.type == "dark" else "#1A1A1A"


def base_layout(figure: go.Figure, height: int) -> go.Figure:
    """Large type in the theme's ink, tight margins: the same look for every chart."""
    size = font_size()
    figure.update_layout(
        height=int(height * (1.25 if presenting() else 1)),
        font={"size": size, "color": ink()},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"font_size": size},
        legend={"font": {"size": size - 1, "color": ink()}},
    )
    for update in (figure.update_xaxes, figure.update_yaxes):
        update(tickfont={"size": size, "color": ink()}, title_font={"size": size, "color": ink()})
    return figure


def show_chart(figure: go.Figure, key: str, how_to_read: str) -> None:
    """A chart at full width with the caption every chart carries: how to read it."""
    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, key=key)
    st.caption(f"**How to read it:** {how_to_read}")


def presenter_css() -> None:
    """Larger body text for presenter mode (charts scale through :func:`font_size`)."""
    if presenting():
        st.markdown(
            "<style>.stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.45rem !important;}"
            " .stMainBlockContainer h1 {font-size: 3rem !important;}"
            " .stMainBlockContainer h2, .stMainBlockContainer h3 {font-size: 2.1rem !important;}</style>",
            unsafe_allow_html=True,
        )
