"""The instructor's side of the Live page, projector first: open a session, then run it and read the class.

The screen's first 720 pixels hold what the room needs while it plays: the join code, a QR code of
the join link and the link itself, the controls and live counts of who has moved (polled every
:data:`POLL`). Below come the class beside the model: its outcomes with their intervals beside the
model's prediction, each role's choices by private type beside the equilibrium, the rationality
``lambda`` that best fits its choices, one group's crisis told in words, and a CSV of every decision.
"""

from __future__ import annotations

import pandas as pd
import segno
import streamlit as st

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Scenario
from sim.live.analysis import LambdaFit, choices_by_type, class_outcomes, fit_lambda, model_outcomes
from sim.live.session import LiveError, control, host_session, open_session, rematch, scenario_of
from sim.live.store import SessionRow
from sim.live.views import ROLE_NAMES, HostView, decisions_frame, host_view
from sim.runs.trace import rounds_text
from sim.webapp.pages.classroom.controls import BIG_BUTTONS
from sim.webapp.pages.classroom.narration import ending_brief, story_so_far
from sim.webapp.pages.live.common import flash, link, show_flash, store
from sim.webapp.pages.live.figures import outcomes_figure, show_choices
from sim.webapp.pages.live.player import code_box
from sim.webapp.state import Current
from sim.webapp.style import capitalised, markdown_safe, plain, show_chart, story_markdown, words

QR_PX = 200
POLL = "2s"
"""How often the live counts are re-read."""
RESULTS_POLL = "5s"
"""How often the class's outcomes and choices are re-read (heavier: every group replayed)."""
STATUS_WORDS = {"lobby": "waiting to start", "playing": "playing", "paused": "paused", "ended": "ended"}
SCREEN_CSS = """<style>
.live-code {font-family: ui-monospace, monospace; font-size: 3.6rem; font-weight: 700; letter-spacing: 0.12em;
            line-height: 1.1;}
</style>"""

# ---------------------------------------------------------------------------------------------
# Opening a session


def setup(current: Current) -> None:
    """``?page=live``: the scenario in use, the rounds and time per move, and the button that opens a session."""
    scenario = current.loaded
    st.title("🎮 Live: the class plays the crisis")
    show_flash()
    st.markdown(
        "Students join from their phones with a code and take the roles (Russia, the coalition, the US), one "
        "group per crisis; roles left empty, and students who run out of time, are played by the computer "
        "with the equilibrium policy. Your screen then sets the class's play beside the equilibrium."
    )
    changed = f" with your {len(current.applied_edits)} changed values" if current.applied_edits else ""
    st.markdown(f"**Scenario:** {plain(scenario.title or scenario.name)}{changed} (pick another in the sidebar).")
    if current.problems:
        st.warning("Some changed values are not valid (see the sidebar): the session uses the scenario's own values "
                   "for them.")  # fmt: skip
    left, right = st.columns(2)
    left.number_input("Rounds", min_value=1, max_value=50, step=1, key="live_rounds",
                      help="How many rounds each group's crisis lasts at most (the scenario's own: "
                      f"{scenario.rounds}). Two or three fit a lesson.")  # fmt: skip
    right.number_input("Seconds per move", min_value=5, max_value=3600, step=5, key="live_seconds",
                       help="A student who has not chosen by then is played by the computer (the record says "
                       "so).")  # fmt: skip
    st.button("Open a session", key="live_open", type="primary", on_click=_open, args=(scenario,))
    with st.expander("A student? Type the code on the instructor's screen"):
        code_box()


def _open(scenario: Scenario) -> None:
    try:
        hosted = open_session(store(), scenario, int(st.session_state["live_rounds"]),
                              int(st.session_state["live_seconds"]))  # fmt: skip
    except LiveError as error:
        flash("warning", plain(str(error)))
        return
    st.session_state["host"] = hosted.host_token
    flash("success", f"Session {hosted.code} is open: students can join. Press Start when they are in.")


# ---------------------------------------------------------------------------------------------
# The instructor's screen


def host_screen(token: str) -> None:
    """``?page=live&host=TOKEN``: the join panel, controls and counts first, then the class beside the model."""
    st.markdown(BIG_BUTTONS + SCREEN_CSS, unsafe_allow_html=True)
    try:
        view = host_view(store(), token)
    except LiveError as error:
        st.title("🎮 Live")
        st.warning(plain(str(error)))
        st.button("Open a new session", key="live_new", on_click=_leave)
        return
    session = view.session
    st.markdown(
        f"#### 🎮 Live · {plain(session.scenario_name)} · {rounds_text(session.rounds)} · {session.seconds_per_move} s "
        f"per move · {STATUS_WORDS[session.status]}"
    )
    show_flash()
    rematched_from(session)
    join_panel(session, prominent=session.status != "ended" and not (view.groups and view.finished == len(view.groups)))
    controls(session, token)
    live_counts(token)
    st.divider()
    results(token)
    lambda_section(session, token)
    replay_section(token)
    downloads(session)
    with st.expander("Your link to this screen (it runs the session: keep it, do not project it)"):
        st.code(link(host=token), language=None, wrap_lines=True)
        st.button("Open a new session", key="live_new", on_click=_leave)


def _leave() -> None:
    st.session_state["host"] = ""


def rematched_from(session: SessionRow) -> None:
    """A rematch names the session it follows, with a link back to that one's screen."""
    if session.rematch_of is None:
        return
    before = store().session_by(id=session.rematch_of)
    if before is not None:
        st.caption(
            f"A rematch of session {before.code} with the roles swapped: [its screen]({link(host=before.host_token)})."
        )


def join_panel(session: SessionRow, prominent: bool) -> None:
    """The join code in large type, the link and a QR code of it (small once the class has played)."""
    address = link(join=session.code)
    if not prominent:
        st.caption(f"Join code {session.code} · {address}")
        return
    words_side, code_side = st.columns([3, 1], vertical_alignment="center")
    with words_side:
        st.markdown("**Join on your phone:** scan the code, or open the link and type your name")
        st.html(f'<div class="live-code">{session.code}</div>')
        st.markdown(f"[{address}]({address})")
    with code_side, st.container(key="live_qr"):
        st.image(qr_svg(address), width=QR_PX, caption="Scan to join")


def qr_svg(address: str) -> str:
    """A QR code of ``address`` as inline SVG (black on white whatever the theme, so phones read it)."""
    return str(segno.make(address, error="m").svg_inline(scale=1, omitsize=True, border=2, light="#ffffff"))


CONTROLS = (
    ("start", "▶ Start", ("lobby",)),
    ("pause", "⏸ Pause", ("playing",)),
    ("resume", "▶ Resume", ("paused",)),
    ("next", "⏭ Next round", ("playing",)),
    ("end", "⏹ End", ("lobby", "playing", "paused")),
)


def controls(session: SessionRow, token: str) -> None:
    """Start, pause or resume, move everyone to the next round, end, and a rematch with the roles swapped."""
    row = st.container(horizontal=True, key="live_controls")
    for command, label, allowed in CONTROLS:
        if command == ("pause" if session.status == "paused" else "resume"):
            continue  # one of pause and resume, never both
        row.button(label, key=f"live_{command}", disabled=session.status not in allowed, on_click=_control,
                   args=(token, command), help=CONTROL_HELP[command])  # fmt: skip
    row.button("🔁 Rematch, roles swapped", key="live_rematch", on_click=_rematch, args=(token,), help=REMATCH_HELP)


REMATCH_HELP = (
    "End this session and open a new one on the same scenario, each student in the same group in the next role "
    "(Russia → coalition → US → Russia); their pages offer the link to their new seat."
)
CONTROL_HELP = {
    "start": "Open the first turn of every group: the coalitions' students choose first.",
    "pause": "Stop the clocks; a choice sent while paused is refused with a message.",
    "resume": "Start the clocks again: every open turn gets its full time.",
    "next": "The computer plays every move still open in each group's current round (equilibrium policy).",
    "end": "End the session: nothing more is recorded; the results stay.",
}


def _control(token: str, command: str) -> None:
    try:
        control(store(), token, command)
    except LiveError as error:
        flash("warning", plain(str(error)))


def _rematch(token: str) -> None:
    try:
        hosted = rematch(store(), token)
    except LiveError as error:
        flash("warning", plain(str(error)))
        return
    st.session_state["host"] = hosted.host_token
    flash("success", f"Rematch opened: session {hosted.code}, roles swapped. Students' pages show a button to their "
          "new seat; press Start when they are there. This screen now runs the rematch (its link is in the address "
          "bar).")  # fmt: skip


@st.fragment(run_every=POLL)
def live_counts(token: str) -> None:
    """Who has joined, who has moved and who is still to move, group by group (re-read every :data:`POLL`)."""
    try:
        view = host_view(store(), token)
    except LiveError as error:
        st.warning(plain(str(error)))
        return
    people = sum(row.human for row in store().decisions(view.session.id))
    row = st.container(horizontal=True, key="live_counts")
    row.metric("Students", view.players)
    row.metric("Groups", len(view.groups))
    row.metric("To move", view.to_move, help="Groups waiting for a student's choice now")
    row.metric("Choices by students", people)
    row.metric("Crises over", view.finished)
    if view.groups:
        st.dataframe(group_rows(view), hide_index=True, width="stretch", key="live_groups",
                     height=min(35 * (len(view.groups) + 1) + 3, 260))  # fmt: skip
    else:
        st.caption("No student has joined yet.")


def group_rows(view: HostView) -> list[dict[str, str]]:
    """One row per group: who plays each role, the round, and whom it waits for (or how it ended)."""
    rows = []
    for group in view.groups:
        waiting = ""
        if group.outcome:
            now = f"over: {words(group.outcome).lower()}"
        elif group.waiting_role:
            waiting = group.players.get(group.waiting_role, "the computer")
            clock = f", {group.seconds_left:.0f} s left" if group.seconds_left is not None else ""
            now = f"to move: {waiting} ({ROLE_NAMES[group.waiting_role]}){clock}"
        else:
            now = "moved"
        seats = {
            capitalised(ROLE_NAMES[role]): group.players.get(role, "computer") for role in ("russia", "coalition", "us")
        }
        rows.append({"Group": str(group.group + 1), **seats, "Round": str(group.round), "Now": now})
    return rows


@st.cache_data(show_spinner="Solving the model for this scenario…", max_entries=16)
def predicted(scenario_json: str) -> pd.DataFrame:
    """The model's outcome probabilities for a session's scenario (cached: the same for every poll)."""
    return model_outcomes(scenario_of(scenario_json))


@st.fragment(run_every=RESULTS_POLL)
def results(token: str) -> None:
    """The class's outcomes beside the model's, and its choices by type beside the equilibrium."""
    try:
        session = host_session(store(), token)
    except LiveError as error:
        st.warning(plain(str(error)))
        return
    observed = class_outcomes(store(), session)
    finished = int(observed["count"].sum())
    st.subheader("The class beside the model", anchor="class-beside-the-model")
    show_chart(
        outcomes_figure(observed, predicted(session.scenario_json)),
        "live_outcomes",
        f"the blue bars are how the class's finished crises ({finished} so far) ended, with Wilson 95% intervals "
        "(few crises: wide intervals); beside them, the model's probabilities for the same scenario and rounds, with "
        "the scenario's rationalities (the quantal response equilibrium) and near the equilibrium (every λ = 25).",
    )
    st.markdown("**Each role's choices, by private type, beside the equilibrium**")
    choices = choices_by_type(store(), session)
    if choices.empty:
        st.caption("No student has chosen yet.")
    else:
        show_choices(choices)


def fitted(setting: str, host_token: str, decisions: int) -> LambdaFit | None:
    """:func:`sim.live.analysis.fit_lambda` (``decisions`` only keys the cache: a new choice refits)."""
    return fit_lambda(store(), host_session(store(), host_token))


_fitted = st.cache_data(show_spinner=False, max_entries=32)(fitted)


def lambda_section(session: SessionRow, token: str) -> None:
    """The rationality that best explains the class's choices, fitted on request (seconds to a minute)."""
    st.markdown("**The class's rationality λ**")
    scenario = scenario_of(session.scenario_json)
    assumed = ", ".join(f"{ROLE_NAMES[key]} {scenario.actor(key).rationality:g}" for key in ACTORS)
    key = f"live_fit_{session.id}"
    if st.button("Fit the class's λ", key="live_fit", help="The logit quantal response equilibrium's λ that makes the "
                 "students' choices most likely (maximum likelihood); it takes seconds to a minute."):  # fmt: skip
        count = sum(row.human for row in store().decisions(session.id))
        with st.spinner("Solving the game at many values of λ…"):
            st.session_state[key] = (_fitted(store().url, token, count), count)
    if key not in st.session_state:
        st.caption(f"The scenario assumes λ = {assumed}. Fit the class's own once it has played.")
        return
    fit, count = st.session_state[key]
    if fit is None:
        st.caption("No student has chosen yet: there is nothing to fit.")
        return
    low, high = fit.interval
    st.metric("λ that fits the class best", f"{fit.lam:.2f}", help="0 is choosing at random; the larger λ, the more "
              "surely each choice is the best reply.")  # fmt: skip
    st.caption(
        f"95% interval {low:.2f} to {high:.2f} (likelihood ratio), from {fit.decisions} choices by students "
        f"(fitted at {count}; press again to refit). The scenario assumes λ = {assumed}. An interval reaching "
        "0.02 or 50 is not bounded on that side by so few choices."
    )


@st.fragment(run_every=RESULTS_POLL)
def replay_section(token: str) -> None:
    """One finished group's crisis told round by round, in the Classroom page's words (re-read as groups finish)."""
    try:
        view = host_view(store(), token)
    except LiveError as error:
        st.warning(plain(str(error)))
        return
    finished = [group for group in view.groups if group.outcome and group.state.model is not None]
    st.markdown("**One group's crisis, replayed**")
    if not finished:
        st.caption("No group's crisis is over yet.")
        return
    names = {group.group: group for group in finished}
    chosen = st.selectbox(
        "Group", list(names), key=f"live_replay_{view.session.id}",
        format_func=lambda number: f"Group {number + 1}: {words(names[number].outcome or '').lower()}",
    )  # fmt: skip
    group = names[chosen]
    model = group.state.model
    assert model is not None
    players = "; ".join(f"{ROLE_NAMES[role]}: {plain(group.players[role]) if role in group.players else 'the computer'}"
                        for role in ("russia", "coalition", "us"))  # fmt: skip
    st.caption(f"Played by {players}.")
    st.markdown(markdown_safe(ending_brief(model)))
    with st.expander("The whole crisis, in words"):
        st.markdown(story_markdown(story_so_far(model, len(model.trace or []))[1:]))


def downloads(session: SessionRow) -> None:
    """Every decision of the session as a CSV (built when clicked)."""
    st.download_button(
        "Download every decision (CSV)", data=lambda: decisions_frame(store(), session).to_csv(index=False).encode(),
        file_name=f"live_{session.code}.csv", mime="text/csv", on_click="ignore", key="live_csv",
        help="One row per decision: session, group, round, role, type, belief shown, move, the equilibrium's "
        "probability of it, seconds taken, and who chose (a student or the computer).",
    )  # fmt: skip
