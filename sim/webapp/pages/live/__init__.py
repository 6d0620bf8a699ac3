"""Live: the class plays the crisis, students on their phones, the instructor's screen beside the equilibrium.

Four views, each chosen by the link, so a refresh, a new tab or a restarted server opens the same one
(everything they show is read from the live-play database, :class:`sim.live.store.Store`, never kept
only in a browser session):

* ``?page=live``: the instructor picks the rounds and the time per move for the scenario in use in
  the sidebar (built-in, edited or uploaded) and opens a session (:mod:`.host`);
* ``?page=live&host=TOKEN``: the instructor's screen, for a projector: the join code, a QR code and
  the link, the controls, live counts, and the class beside the model (:mod:`.host`);
* ``?page=live&join=CODE``: a student types a name and is seated (:mod:`.player`);
* ``?page=live&player=TOKEN``: the student's screen, for a phone: their role and private type, the
  crisis so far, a countdown and one large button per move (:mod:`.player`).

The database is ``SIM_LIVE_DB`` (a SQLite path, by default ``~/.deterrence-sim/live.sqlite``, or any
SQLAlchemy URL such as ``postgresql+psycopg://...`` for a hosted class).
"""

from __future__ import annotations

import streamlit as st

from sim.webapp.pages.live import host, player
from sim.webapp.pages.live.common import DEFAULT_ROUNDS, DEFAULT_SECONDS
from sim.webapp.state import Current, Setting

TITLE = "Live"
ICON = "🎮"

SETTINGS: tuple[Setting, ...] = (
    Setting("live_rounds", DEFAULT_ROUNDS, low=1, high=50),
    Setting("live_seconds", DEFAULT_SECONDS, low=5, high=3600),
    # The tokens and the code travel in the link: a refresh or a new tab reopens the same view.
    Setting("host", ""),
    Setting("join", ""),
    Setting("player", ""),
)


def render(current: Current) -> None:
    """Draw the view the link asks for: a student's, the join form, the instructor's screen or the setup."""
    if st.session_state.get("player"):
        player.player_screen(str(st.session_state["player"]))
    elif st.session_state.get("join"):
        player.join_form(str(st.session_state["join"]))
    elif st.session_state.get("host"):
        host.host_screen(str(st.session_state["host"]))
    else:
        host.setup(current)
