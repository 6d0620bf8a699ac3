"""The Classroom page's controls: the step buttons (and a clicker's keys), the round, the seed, the modes.

The buttons change ``st.session_state`` in callbacks, which run before the widgets are drawn, so the
round slider and the seed box always show what the page then shows. Every key here is a page
setting, so it is also in the link.
"""

from __future__ import annotations

import secrets

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sim.webapp import state

DEFAULT_CLASS_SEED = 69
"""The crisis the page opens on: nobody is resolute, and in round 4 Russia strikes a guarantee left on
paper and the coalition concedes (docs/how-to/app/classroom.md lists other stories)."""
COMPARE_DEFAULT = "us_backstop"
SEED_RANGE = 100_000
"""New seeds are drawn below this: five digits at most, easy to read out and write on the board."""
BIG_BUTTONS = (
    "<style>.stMainBlockContainer .stButton button {min-height: 3.4rem;}"
    " .stMainBlockContainer .stButton button p {font-size: 1.25rem !important; font-weight: 600;}</style>"
)
"""Large buttons for a projector (more specific than presenter mode's text size, so labels still fit)."""

# ---------------------------------------------------------------------------------------------
# Which round, which seed


def settle_round(last: int, horizon: int) -> int:
    """The round to show: the requested one, or the last one if the crisis ended before it."""
    requested = int(st.session_state.get("class_round", 0))
    shown = clamp_round(requested, last)
    if requested > last:
        if requested > horizon:
            st.info(f"Round {requested} is past this scenario's horizon; its last round, {last}, is shown.")
        st.session_state["class_round"] = shown  # before the slider is drawn, so it may still be set
    return shown


def clamp_round(requested: int, last: int) -> int:
    """A round between 0 (before the first move) and the crisis's last."""
    return max(0, min(int(requested), last))


def go_to(round_number: int) -> None:
    """Button callback: show another round (callbacks run before the slider is drawn)."""
    st.session_state["class_round"] = max(0, round_number)


def new_seed() -> None:
    """Button callback: a fresh world, told from its start."""
    st.session_state["class_seed"] = fresh_seed(int(st.session_state.get("class_seed", DEFAULT_CLASS_SEED)))
    st.session_state["class_round"] = 0


def fresh_seed(old: int) -> int:
    """A random seed below :data:`SEED_RANGE` that differs from the one in use."""
    while (seed := secrets.randbelow(SEED_RANGE)) == old:
        pass
    return seed


# ---------------------------------------------------------------------------------------------
# The widgets


def control_panel(shown: int, last: int, horizon: int, side_by_side: bool) -> None:
    """Big buttons first (a projector, a mouse or a presentation clicker), then the settings, folded: the round
    itself must start on a projector's first screen."""
    step_buttons(shown, last)
    with st.expander("Round shown, class seed, presenter mode, two scenarios side by side"):
        round_and_seed(horizon)
        modes_row(side_by_side)


def step_buttons(shown: int, last: int) -> None:
    """Next and Back (also a clicker's Page Down and Page Up), Replay, End and New seed."""
    columns = st.columns([1.9, 1.5, 1.3, 1.1, 1.5])
    columns[0].button(
        "▶ Next round",
        key="class_next",
        type="primary",
        on_click=go_to,
        args=(shown + 1,),
        disabled=shown >= last,
        width="stretch",
        wrap=True,
        shortcut="PageDown",  # a presentation clicker's 'next' key; no tooltip: it would cover the round
    )
    columns[1].button(
        "◀ Back",
        key="class_back",
        on_click=go_to,
        args=(shown - 1,),
        disabled=shown <= 0,
        width="stretch",
        wrap=True,
        shortcut="PageUp",  # a clicker's 'back' key
    )
    columns[2].button(
        "⏮ Replay",
        key="class_replay",
        on_click=go_to,
        args=(0,),
        width="stretch",
        wrap=True,
        help="Back to before the first move. The same seed replays exactly the same crisis.",
    )
    columns[3].button(
        "⏭ End",
        key="class_end",
        on_click=go_to,
        args=(last,),
        disabled=shown >= last,
        width="stretch",
        wrap=True,
        help="Show the last round and how the crisis ended.",
    )
    columns[4].button(
        "🎲 New seed",
        key="class_new_seed",
        on_click=new_seed,
        width="stretch",
        wrap=True,
        help="Draw a new random world (new private types, new dice) and start it from the beginning. "
        "The seed is shown so the class can come back to it.",
    )


def round_and_seed(horizon: int) -> None:
    """The round slider and the class seed, on one row."""
    columns = st.columns([3, 1.2])
    columns[0].slider(
        "Round shown",
        min_value=0,
        max_value=max(horizon, 1),
        step=1,
        key="class_round",
        help="Jump to any round; 0 is the start, before anyone moves. If the crisis ended earlier, its last "
        "round is shown.",
    )
    columns[1].number_input(
        "Class seed",
        min_value=0,
        step=1,
        key="class_seed",
        on_change=go_to,
        args=(0,),
        help="The random seed of the world shown: it fixes each actor's private type and every roll of the "
        "dice. Type a seed the class suggests, or press New seed. Separate from the sidebar's seed, which "
        "drives the Monte Carlo odds.",
    )


def modes_row(side_by_side: bool) -> None:
    """Presenter mode and side by side on a row of their own (room for large type), then the comparison."""
    columns = st.columns([1.5, 1.9, 2.6], vertical_alignment="center")
    columns[0].toggle(
        "Presenter mode",
        key="presenter",
        wrap=True,
        help="Large type and charts on every page, for a projector; hides the expandable detail. "
        "In the link as presenter=1.",
    )
    columns[1].toggle(
        "Two scenarios side by side",
        key="class_side_by_side",
        wrap=True,
        help="Play a second built-in scenario with the same seed next to this one, each with its Monte Carlo "
        "odds: what one assumption changes in one history and in the odds.",
    )
    if side_by_side:
        compare_picker(columns[2])


def compare_picker(column: DeltaGenerator) -> None:
    """Which built-in scenario goes on the right; not an uploaded file (``class_compare`` takes built-in names)."""
    titles = {name: title for name, title in state.scenario_titles().items() if name != state.UPLOADED}
    if st.session_state.get("class_compare") not in titles:
        st.session_state["class_compare"] = COMPARE_DEFAULT if COMPARE_DEFAULT in titles else next(iter(titles))
    column.selectbox(
        "Compare with",
        list(titles),
        format_func=lambda name: titles[name],
        key="class_compare",
        help="The built-in scenario shown on the right, as its file has it (the sidebar's changes apply to "
        "the left one only).",
    )
