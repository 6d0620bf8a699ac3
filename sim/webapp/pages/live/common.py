"""What the Live page's views share: the database, links to the views, and one-time messages."""

from __future__ import annotations

import os

import streamlit as st

from sim.live.store import Store

LOCAL_ADDRESS = "http://localhost:8501/"
"""The app's address when the browser has not told it (a headless test): links are built on it."""

DEFAULT_ROUNDS = 3
DEFAULT_SECONDS = 60
FLASH = "live_flash"
"""Session key of a message a button's callback leaves for the run it causes: ``(kind, text)``."""


@st.cache_resource(show_spinner=False)
def _store(setting: str) -> Store:
    return Store(setting or None)


def store() -> Store:
    """The live-play database of ``SIM_LIVE_DB`` (one per process and setting: its connection pool)."""
    return _store(os.environ.get("SIM_LIVE_DB", ""))


def app_address() -> str:
    """The app's own address, without a query (``st.context.url``), ending in ``/``."""
    url = st.context.url or LOCAL_ADDRESS
    return url if url.endswith("/") else f"{url}/"


def link(**query: str) -> str:
    """A link to a Live view of this app: ``link(join="ABCD2345")``."""
    return app_address() + "?" + "&".join(["page=live", *(f"{key}={value}" for key, value in query.items())])


def flash(kind: str, text: str) -> None:
    """Leave a message for the next run (``kind``: ``success``, ``info`` or ``warning``)."""
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    """Show, once, the message a callback left."""
    message = st.session_state.pop(FLASH, None)
    if message is not None:
        kind, text = message
        {"success": st.success, "info": st.info}.get(kind, st.warning)(text)
