"""Deterrence and escalation simulator in the browser: ``streamlit run app.py``.

The app opens on the Simulate page with ``coalition_2026``, 10,000 runs and seed 7, and shows
results at once. The sidebar picks the page, the scenario, runs, seed and the key assumptions;
each page lives in ``sim/webapp/pages/``. Every setting is kept in the URL (``?page=game&
russia.resolve_prior=0.7``), so a link reopens exactly the same view.
"""

from __future__ import annotations

import streamlit as st

import sim
from sim.webapp import screen, state
from sim.webapp.fields import field_input, key_fields
from sim.webapp.pages import classroom, game, live, scenario, simulate, sweep
from sim.webapp.share import copy_link_button
from sim.webapp.style import page_css, plain, presenter_css, presenting

PAGES = {"scenario": scenario, "simulate": simulate, "sweep": sweep, "game": game, "classroom": classroom, "live": live}
SETTINGS = (*state.CORE_SETTINGS, *(setting for page in PAGES.values() for setting in page.SETTINGS))


def scenario_picker() -> None:
    titles = state.scenario_titles()
    if st.session_state.get("scenario") not in titles:
        st.session_state["scenario"] = state.DEFAULT_SCENARIO
    st.selectbox(
        "Scenario",
        list(titles),
        format_func=lambda key: titles[key],
        key="scenario",
        on_change=state.reset_edits,
        help="A built-in crisis (scenarios/*.toml) or a file uploaded on the Scenario page. Every number in it "
        "is an assumption to vary, not an estimate.",
    )
    # The box cuts a long title at the sidebar's width: the whole title, and the name `sim run` takes, below it.
    choice = st.session_state["scenario"]
    name = plain(choice) if choice != state.UPLOADED else "uploaded on the Scenario page"
    st.caption(f"{plain(titles[choice])} ({name})")


def run_inputs() -> None:
    st.number_input(
        "Runs",
        min_value=1,
        step=1_000,
        key="runs",
        help="How many independent crises to simulate. More runs give narrower 95% intervals (the half-width is "
        f"at most about 1/√runs). Capped at {state.MAX_RUNS:,} here; `sim run --runs N` has no cap.",
    )
    if st.session_state["runs"] > state.MAX_RUNS:
        st.warning(f"Runs are capped at {state.MAX_RUNS:,} in the browser; using {state.MAX_RUNS:,}.")
    st.number_input(
        "Seed",
        min_value=0,
        step=1,
        key="seed",
        help="The random seed. The same scenario, runs and seed always give the same numbers.",
    )


def edits_summary(current: state.Current) -> None:
    """What the user changed, and a button to go back to the scenario's own values."""
    if not current.edits:
        st.caption("No assumption changed: these are the scenario's own values.")
        return
    lines = [f"- {plain(path)} = {plain(str(value))}"
             + (f" ⚠ not used: {plain(current.problems[path])}" if path in current.problems else "")
             for path, value in current.edits.items()]  # fmt: skip
    st.markdown("**Changed from the scenario file:**\n" + "\n".join(lines))
    st.button("Reset to the scenario's values", on_click=state.reset_edits, key="reset_edits")


def sidebar(current: state.Current) -> None:
    with st.sidebar:
        st.radio(
            "Page",
            list(PAGES),
            format_func=lambda key: f"{PAGES[key].ICON} {PAGES[key].TITLE}",
            key="page",
            help="Scenario: edit assumptions · Simulate: Monte Carlo · Sweep: vary parameters · Game: "
            "equilibria · Classroom: one crisis step by step · Live: the class plays it on their phones.",
        )
        for note in state.url_notes():
            st.warning(note)
        scenario_picker()
        run_inputs()
        if current.runs_asked is not None:
            members = len(current.scenario.coalition.members) if current.scenario is not None else 0
            rounds = current.scenario.rounds if current.scenario is not None else 0
            st.warning(
                f"This scenario has {rounds:,} rounds and {members:,} member states, so a run here simulates at most "
                f"{current.runs:,} crises (not {current.runs_asked:,}) to keep the shared server responsive; "
                "`sim run` allows far more."
            )
        if current.base is None:
            return
        st.header("Key assumptions")
        st.caption("They start at the scenario's own values; the ? by each says what it means. "
                   "The Scenario page has every field.")  # fmt: skip
        for item in key_fields():
            field_input(current, item, "sidebar")
        edits_summary(current)
        st.caption("The address bar holds every setting: its link reopens exactly this view.")
        copy_link_button("copy_link_sidebar")


def main() -> None:
    state.start_run(SETTINGS)
    st.set_page_config(
        page_title="Deterrence simulator",
        page_icon="⚖️",
        layout="wide",
        # A presenter's link (presenter=1) opens with the sidebar folded: the projector gets the page.
        initial_sidebar_state="collapsed" if presenting() else "auto",
    )
    if st.session_state.get("page") not in PAGES:
        st.session_state["page"] = "simulate"
    current = state.current()
    sidebar(current)
    page_css()
    presenter_css()
    page = PAGES[st.session_state["page"]]
    if current.scenario is None:
        st.title("Deterrence and escalation simulator")
        assert current.load_error is not None
        st.error(f"The scenario cannot be loaded:\n\n```\n{current.load_error}\n```\n\nPick another in the sidebar.")
        if page is scenario:
            scenario.upload_section()
    else:
        page.render(current)
    footer(current)
    state.save_to_url(SETTINGS)
    screen.probe()


def footer(current: state.Current) -> None:
    st.divider()
    copy_link_button("copy_link_footer")  # presenter mode hides the sidebar's
    if current.scenario is not None:
        st.caption(
            f"Scenario `{current.scenario.name}` · sha256 `{current.scenario.sha256()[:12]}` · seed {current.seed} · "
            f"{current.runs:,} runs · deterrence-sim {sim.__version__} · every number is an assumption, not a forecast"
        )


if __name__ == "__main__":
    main()
