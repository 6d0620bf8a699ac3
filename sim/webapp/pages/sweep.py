"""Sweep page (being built)."""

from __future__ import annotations

import streamlit as st

from sim.webapp.state import Current, Setting

TITLE = "Sweep"
ICON = "📈"
SETTINGS: tuple[Setting, ...] = ()


def render(current: Current) -> None:
    st.title(TITLE)
    st.info("This page is being built.")
