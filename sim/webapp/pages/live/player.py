"""The student's side of the Live page, phone first: the join form, then their role in their group's crisis.

The student's screen polls the database (``st.fragment(run_every=...)``), so their turn, the others'
moves and the countdown appear without a refresh. A choice goes through
:func:`sim.live.session.submit` with the round and decision the student saw, so a tap meant for one
turn never lands on the next, and a double tap records one decision. Every refusal is shown in
words. Names are the students' own text: shown escaped (:func:`sim.webapp.style.plain`).
"""

from __future__ import annotations

import streamlit as st

from sim.domain.ladder import RUNGS
from sim.live.replay import NODES
from sim.live.session import LiveError, join, submit
from sim.live.views import NODE_QUESTION, ROLE_NAMES, Move, PlayerView, player_view
from sim.webapp.pages.classroom.controls import BIG_BUTTONS
from sim.webapp.pages.live.common import flash, show_flash, store
from sim.webapp.style import capitalised, plain, type_words, verb, words

POLL = "2s"
"""How often a student's screen asks the database for news."""
NAME_KEY = "live_name"
CODE_KEY = "live_code"

# ---------------------------------------------------------------------------------------------
# Words


def role_name(role: str) -> str:
    """``coalition`` -> ``The coalition`` (a sentence's subject)."""
    return capitalised(ROLE_NAMES.get(role, role))


def does(role: str, action: str) -> str:
    """A move in the third person: Russia's ``deploy`` is the use of force."""
    return "uses force" if (role, action) == ("russia", "deploy") else verb(action)[1]


def move_label(role: str, action: str) -> str:
    """A move's button label: ``Use force``, ``Threaten``, ``Stay out``."""
    return "Use force" if (role, action) == ("russia", "deploy") else capitalised(verb(action)[0])


def move_line(move: Move, you: str) -> str:
    """One public move as a Markdown list item, such as ``- Round 1: the coalition deploys``."""
    mine = move.role == you
    verb_form = move_label(move.role, move.action).lower() if mine else does(move.role, move.action)
    after = "after the strike, " if move.node in ("resist", "join") else ""
    sentence = f"{after}{'you' if mine else ROLE_NAMES[move.role]} {verb_form}"
    return f"- Round {move.round}: {sentence}" + ("" if move.human else " *(the computer)*")


def ladder_line(rung: str) -> str:
    """The ladder in one line, the crisis's rung marked."""
    return " · ".join(f"**▶ {words(step)}**" if step == rung else words(step) for step in RUNGS)


def equilibrium_words(probabilities: dict[str, float], role: str) -> str:
    """``use force 62% · threaten 30% · back down 8%``."""
    return " · ".join(f"{move_label(role, action).lower()} {p:.0%}" for action, p in probabilities.items())


# ---------------------------------------------------------------------------------------------
# Joining


def join_form(code: str) -> None:
    """``?page=live&join=CODE``: a student types a name and is seated (or is told, in words, why not)."""
    st.title("🎮 Join the class's crisis")
    show_flash()
    found = store().session_by(code=code.strip().upper())
    if found is None:
        st.warning(f"No session has the code {plain(code.strip()[:12])}: check it with your instructor.")
        code_box()
        return
    st.markdown(f"Session **{plain(found.code)}**: {plain(found.scenario_name)}, {found.rounds} rounds.")
    st.text_input("Your name (the class sees it)", key=NAME_KEY, max_chars=30, placeholder="First name")
    st.button("Join", key="live_join", type="primary", on_click=_join, args=(found.code,), width="stretch")


def _join(code: str) -> None:
    """Button callback: seat the student and switch the link to their own (the join code leaves it)."""
    try:
        seated = join(store(), code, str(st.session_state.get(NAME_KEY, "")))
    except LiveError as error:
        flash("warning", plain(str(error)))
        return
    st.session_state["player"] = seated.token
    st.session_state["join"] = ""
    flash(
        "success", f"Welcome, {plain(seated.name)}: you play {ROLE_NAMES[seated.role]} in group {seated.group_no + 1}."
    )


def code_box() -> None:
    """A box to type a session's code (a student who arrived without the link)."""
    st.text_input("The session's code (on the instructor's screen)", key=CODE_KEY, max_chars=12)
    st.button("Go to the session", key="live_go", on_click=_go)


def _go() -> None:
    typed = str(st.session_state.get(CODE_KEY, "")).strip().upper()
    if typed:
        st.session_state["join"] = typed
        st.session_state["player"] = ""


# ---------------------------------------------------------------------------------------------
# Playing


def player_screen(token: str) -> None:
    """``?page=live&player=TOKEN``: the student's screen, polled so their turn appears by itself."""
    st.markdown(BIG_BUTTONS, unsafe_allow_html=True)
    try:
        view = player_view(store(), token)
    except LiveError as error:
        st.title("🎮 Live")
        st.warning(plain(str(error)))
        code_box()
        return
    st.title(f"🎮 You are {ROLE_NAMES[view.role]}")
    st.caption(f"{plain(view.name)} · group {view.group + 1}")
    live_part(token)


@st.fragment(run_every=POLL)
def live_part(token: str) -> None:
    """Everything that changes as the crisis goes on (re-read every :data:`POLL`)."""
    show_flash()
    try:
        view = player_view(store(), token)
    except LiveError as error:
        st.warning(plain(str(error)))
        return
    if view.outcome is not None:
        ending(view)
    else:
        turn(view, token)
    st.markdown(f"**Your private type: {type_words(view.resolute)}.** {view.type_meaning}")
    st.markdown(f"**The ladder:** {ladder_line(view.rung)}")
    beliefs = ", ".join(f"{ROLE_NAMES[role]} {value:.2f}" for role, value in view.beliefs.items())
    st.caption(f"Public beliefs that each is resolute: {beliefs}.")
    st.markdown("**What has happened**")
    lines = [move_line(move, view.role) for move in view.history]
    st.markdown("\n".join(lines) if lines else "Nothing yet: the crisis starts with the coalition's move.")
    rematch_link(view)


def turn(view: PlayerView, token: str) -> None:
    """The student's move (a countdown and one large button per move), or what the group waits for."""
    if view.status == "lobby":
        st.info("You are seated. Wait for your instructor to start the game.")
        return
    if view.status == "paused":
        st.info("Your instructor has paused the game: wait, your time starts again when it resumes.")
        return
    if view.status == "ended" and not view.your_turn:
        st.info("This session has ended.")
        return
    if not view.your_turn:
        st.info(f"Round {view.round}: waiting for {view.waiting_for}…")
        return
    st.subheader(f"Round {view.round}: {NODE_QUESTION[view.node].lower()}")
    if view.seconds_left is not None:
        st.markdown(f"⏱ **{view.seconds_left:.0f} s** left, then the computer chooses for you.")
    for action, meaning in view.actions:
        with st.container(border=True):
            st.button(
                move_label(view.role, action), key=f"live_move_{view.round}_{view.node}_{action}", type="primary",
                width="stretch", on_click=_choose, args=(token, view.round, view.node, action),
            )  # fmt: skip
            st.caption(capitalised(meaning))


def _choose(token: str, round_number: int, node: str, action: str) -> None:
    """Button callback: record the choice once (a second tap says it is already in)."""
    try:
        done = submit(store(), token, round_number, node, action)
    except LiveError as error:
        flash("warning", plain(str(error)))
        return
    said = "Recorded" if done.status == "recorded" else "Already recorded"
    flash("success", f"{said}: round {round_number}, {move_label(NODES[node], done.action).lower()}.")


def ending(view: PlayerView) -> None:
    """How the crisis ended, the student's payoff and what the equilibrium would have played for them."""
    assert view.outcome is not None
    st.subheader(f"The crisis is over: {words(view.outcome)}")
    st.markdown(f"{capitalised(view.outcome_meaning)}.")
    st.metric("Your payoff", f"{view.payoff:+.2f}", help="The outcome's value to your role plus the costs it paid "
              "along the way, in its own units (comparable within a role, not across roles).")  # fmt: skip
    if view.your_decisions:
        st.markdown("**Your choices, and what the equilibrium would have played in your place**")
        lines = []
        for decision in view.your_decisions:
            chose = move_label(view.role, decision["action"]).lower()
            lines.append(
                f"- Round {decision['round']}, {NODE_QUESTION[decision['node']].lower()}: you chose **{chose}**; "
                f"the equilibrium plays {equilibrium_words(decision['equilibrium'], view.role)}"
            )
        st.markdown("\n".join(lines))
    else:
        st.caption("The crisis ended before your role had a move to make.")


def rematch_link(view: PlayerView) -> None:
    """The student's seat in the rematch (roles swapped), once the instructor has opened one."""
    if view.rematch_token:
        st.success("Your instructor opened a rematch with the roles swapped.")
        st.button("Go to your seat in the rematch", key="live_rematch_seat", on_click=_to_seat,
                  args=(view.rematch_token,), width="stretch")  # fmt: skip


def _to_seat(token: str) -> None:
    st.session_state["player"] = token
