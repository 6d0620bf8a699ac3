"""Scenario page (being built)."""

from __future__ import annotations

import streamlit as st

from sim.webapp.state import Current, Setting

TITLE = "Scenario"
ICON = "📝"
SETTINGS: tuple[Setting, ...] = ()


def render(current: Current) -> None:
    st.title(TITLE)


def upload_section() -> None:
    pass
