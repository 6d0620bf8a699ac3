"""Scenario: pick or upload a scenario, edit every assumption, download it as TOML.

Each field is a widget that says what the field means; the payoffs of the three actors are one
table. An edit the schema refuses is kept and shown with its problem right below the field, and
the other pages go on with the scenario's own value for it. The edited scenario downloads as a
TOML file that ``sim run FILE`` (and this page's upload) reads back unchanged.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import tomli_w

import sim
from sim.domain.fields import spec
from sim.domain.ladder import ACTORS, OUTCOME_MEANING, OUTCOMES
from sim.domain.scenario import Scenario, ScenarioError, builtin_scenarios, edited_scenario_text, scenario_from_dict
from sim.webapp import state
from sim.webapp.fields import GAME_FIELDS, actor_field, field_for, field_input
from sim.webapp.state import Current, Setting
from sim.webapp.style import ACTOR_SHORT, markdown_safe, plain, words

TITLE = "Scenario"
ICON = "📝"
SETTINGS: tuple[Setting, ...] = ()

UPLOADER = "scenario_upload"
UPLOAD_ERROR = "scenario_upload_error"
TABLE_VERSION = "scenario_table_version"
ACTOR_ATTRIBUTES = ("rule", "lambda", "resolve_prior", "war_bonus", "force_in_place", "backstop_effect",
                    "audience_cost", "deploy_cost", "threaten_cost", "back_down_cost")  # fmt: skip
MEMBER_COLUMNS = {
    key: (item.label, item.help_text(), item.low, item.high)
    for key in ("troops", "resolve_prior", "war_cost", "exit_cost")
    for item in [spec(f"coalition.members[].{key}")]
}
"""The members' fields in the table, with label, help and bounds from the field catalogue."""
MIN_TROOPS = field_for("coalition.min_troops")


def render(current: Current) -> None:
    """Draw the page: the scenario's title, then choosing, uploading and downloading it, then every
    field to edit (payoffs, actors, the crisis, the member states)."""
    scenario = current.scenario
    assert scenario is not None
    st.title("Scenario: every assumption, editable")
    st.markdown(
        f"**{plain(scenario.title or scenario.name)}** ({plain(scenario.name)}). " + plain(scenario.description)
    )
    st.caption(
        "Every number here is an assumption to vary, not an estimate. Change a value and every page uses it at "
        "once; the sidebar lists what you changed and resets it. Each field's ? says what it means."
    )
    field_reference()
    builtin_section(current)
    upload_section()
    download_section(current)
    payoff_section(current)
    actors_section(current)
    crisis_section(current)
    members_section(current)


FIELD_REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "scenarios.md"
"""Every field's meaning, unit, range and default: shown on the page from a source checkout."""


def field_reference() -> None:
    """``docs/reference/scenarios.md`` on the page, folded (an installed package without the docs names the file)."""
    if not FIELD_REFERENCE.is_file():
        st.caption("Every field's meaning, unit and range: `docs/reference/scenarios.md` in the project's repository.")
        return
    with st.expander("What every field means (docs/reference/scenarios.md)"):
        st.markdown(markdown_safe(FIELD_REFERENCE.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------
# Pick, upload, download


def builtin_section(current: Current) -> None:
    """The built-in scenarios with what each is for, and a button to start from one."""
    with st.expander("Start from a built-in scenario", expanded=current.choice == state.UPLOADED):
        for name in state.builtin_scenarios():
            try:
                scenario = state.base_scenario(name)
            except ScenarioError as error:
                st.error(str(error))
                continue
            left, right = st.columns([4, 1])
            left.markdown(f"**{plain(scenario.title or name)}** ({plain(name)}): " + plain(scenario.description))
            right.button(
                "In use" if name == current.choice else "Use this one",
                key=f"use:{name}",
                disabled=name == current.choice,
                on_click=_choose,
                args=(name,),
                help="Start from this scenario; your changes to the current one are dropped (download them first).",
            )


def _choose(name: str) -> None:
    st.session_state["scenario"] = name
    state.reset_edits()


def upload_section() -> None:
    """A TOML file from the user's computer; parsed as data only, never run."""
    # No ``type=`` filter: Streamlit would reject another file with a small red chip and no reason on the
    # page. Every file is read here and a wrong one gets its reason in words, replacing any earlier error.
    st.file_uploader(
        "Upload a scenario (.toml)",
        key=UPLOADER,
        on_change=_read_upload,
        help=f"A scenario file like those in scenarios/ (at most {state.MAX_UPLOAD_BYTES // 1000} kB). It is read "
        "as TOML data only; it may extend a built-in scenario by name. It becomes the sidebar's scenario.",
    )
    error = st.session_state.get(UPLOAD_ERROR)
    if error:
        st.error(error)


def _read_upload() -> None:
    """On a new upload: check it, then make it the current scenario (a callback, so before the sidebar draws)."""
    uploaded = st.session_state.get(UPLOADER)
    st.session_state[UPLOAD_ERROR] = None
    if uploaded is None:
        return
    data = uploaded.getvalue()
    try:
        if not uploaded.name.lower().endswith(".toml"):
            raise ScenarioError(
                f"uploaded file {uploaded.name}",
                [
                    (
                        "",
                        "not a .toml file: a scenario is a TOML text file like those in scenarios/ "
                        "(`sim new NAME` writes one)",
                    )
                ],
            )
        if len(data) > state.MAX_UPLOAD_BYTES:
            raise ScenarioError(
                f"uploaded file {uploaded.name}", [("", f"larger than {state.MAX_UPLOAD_BYTES:,} bytes")]
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(f"uploaded file {uploaded.name}", [("", "not UTF-8 text")]) from None
        state.scenario_from_upload(uploaded.name, text)
    except ScenarioError as error:
        st.session_state[UPLOAD_ERROR] = upload_error_text(error)
        return
    st.session_state[state.UPLOAD] = (uploaded.name, text)
    st.session_state["scenario"] = state.UPLOADED
    state.reset_edits()


def upload_error_text(error: ScenarioError) -> str:
    """The file, each field and its problem, as Markdown; the current scenario is kept."""
    lines = [f"**{error.source} cannot be used; the scenario in use has not changed.**"]
    lines += [f"- `{path}`: {problem}" if path else f"- {problem}" for path, problem in error.problems]
    return "\n".join(lines)


def scenario_toml(current: Current) -> str:
    """The scenario in use as a TOML file, a header saying where it came from: the original file
    (the built-in one or the upload) with its comments and the changes written into it, or, where
    that cannot be done faithfully, every field written out."""
    scenario = current.scenario
    assert scenario is not None
    original = _original_text(current)
    if original is not None:
        based_on = current.choice if current.choice != state.UPLOADED else "the uploaded file"
        edited = edited_scenario_text(original, current.applied_edits, scenario.name, based_on)
        if edited is not None and _same_scenario(edited, scenario):
            saved = f"deterrence-sim {sim.__version__}"
            header = [f"# Saved from the deterrence simulator app ({saved}), based on {based_on}."]
            if current.applied_edits:
                header.append("# Changed in the app (each changed line says so in its comment):")
                header += [f"#   {path} = {value!r}" for path, value in current.applied_edits.items()]
            header.append("# Everything else, comments included, is the original file.")
            return "\n".join(header) + "\n\n" + edited
    header = [
        f"# {scenario.title or scenario.name}",
        f"# Saved from the deterrence simulator app (deterrence-sim {sim.__version__}).",
        f"# Based on: {current.choice if current.choice != state.UPLOADED else 'an uploaded file'}.",
    ]
    if current.applied_edits:
        header.append("# Changed from it:")
        header += [f"#   {path} = {value!r}" for path, value in current.applied_edits.items()]
    header.append("# Every number is an assumption to vary, not an estimate (docs/reference/scenarios.md).")
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return "\n".join(header) + "\n\n" + tomli_w.dumps(data)


def _original_text(current: Current) -> str | None:
    """The text of the file the scenario in use comes from: the built-in file, or the upload."""
    if current.choice == state.UPLOADED:
        upload = st.session_state.get(state.UPLOAD)
        return None if upload is None else upload[1]
    path = builtin_scenarios().get(current.choice)
    return None if path is None else path.read_text(encoding="utf-8")


def _same_scenario(text: str, scenario: Scenario) -> bool:
    """The written file gives back exactly the scenario in use."""
    try:
        return scenario_from_dict(tomllib.loads(text), "download.toml").sha256() == scenario.sha256()
    except (tomllib.TOMLDecodeError, ScenarioError):
        return False


def download_section(current: Current) -> None:
    """The button that downloads the scenario in use as TOML, edits included (invalid ones left out, with a warning)."""
    assert current.scenario is not None
    st.download_button(
        "Download this scenario as TOML",
        data=scenario_toml(current),
        file_name=f"{current.scenario.name}{'_edited' if current.applied_edits else ''}.toml",
        mime="application/toml",
        on_click="ignore",
        help="Every field, with your changes. Run it with `sim run FILE.toml`, or upload it here again later.",
    )
    if current.problems:
        st.warning("Changes that are not valid are left out of the file until they are fixed (see below).")


# ---------------------------------------------------------------------------------------------
# The payoff table


def payoff_frame(scenario: Scenario) -> pd.DataFrame:
    """Outcomes as rows, actors as columns: what each actor gets from each way a crisis ends."""
    return pd.DataFrame(
        {ACTOR_SHORT[actor]: [float(getattr(scenario.actor(actor).payoffs, o)) for o in OUTCOMES] for actor in ACTORS},
        index=[words(o) for o in OUTCOMES],
    )


def payoff_section(current: Current) -> None:
    """The payoff table to edit (outcomes by actors), how to read it, and each refused entry's problem."""
    st.subheader("Payoffs: what each outcome is worth to each actor")
    table = payoff_frame(current.scenario)  # type: ignore[arg-type]
    key = f"payoffs:{state.edit_generation()}:{st.session_state.get(TABLE_VERSION, 0)}"
    column_config = {
        ACTOR_SHORT[actor]: st.column_config.NumberColumn(
            ACTOR_SHORT[actor], min_value=-1e6, max_value=1e6, step=0.5, format="%.2f",
            help=f"Utils the {ACTOR_SHORT[actor]} gets from each outcome. Only the order and gaps matter for best "
            "replies; with logit choice the size matters together with λ.",
        )
        for actor in ACTORS
    }  # fmt: skip
    edited = st.data_editor(table, key=key, column_config=column_config, width="stretch")
    record_table_edits(payoff_edits(table, edited), current)
    st.caption(
        "**How to read it:** rows are the five ways a crisis can end ("
        + "; ".join(f"*{words(o)}*: {OUTCOME_MEANING[o]}" for o in OUTCOMES)
        + "). Columns are utils on each actor's own scale: compare down a column, not across. A resolute type adds "
        "its war bonus to the two fighting outcomes; costs paid along the way come on top."
    )
    for actor in ACTORS:
        for outcome in OUTCOMES:
            path = f"{actor}.payoffs.{outcome}"
            if path in current.problems:
                st.error(f"`{path}`: {current.problems[path]}. The scenario's own value is used until this is fixed.")


def changed_cells(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[int, str, float]]:
    """(row number, column, new value) of every cell a table editor changed (emptied cells are ignored)."""
    return [
        (row, column, float(after.iloc[row][column]))
        for column in before.columns
        for row in range(len(before))
        if pd.notna(after.iloc[row][column]) and float(after.iloc[row][column]) != float(before.iloc[row][column])
    ]


def payoff_edits(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, float]:
    """The payoff table's changed cells as scenario paths (``russia.payoffs.major_war``)."""
    actor_of = {ACTOR_SHORT[actor]: actor for actor in ACTORS}
    return {f"{actor_of[column]}.payoffs.{OUTCOMES[row]}": value for row, column, value in changed_cells(before, after)}


def record_table_edits(changes: dict[str, float], current: Current) -> None:
    """Keep a table's changed cells as edits, then draw the page again with them in use.

    The table editor's key carries a version that the change bumps, so the redrawn editor starts
    from the new values instead of replaying its own edits on top of them.
    """
    if not changes:
        return
    for path, value in changes.items():
        state.set_edit(path, value, _base_value(current, path))
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1
    st.rerun()


# ---------------------------------------------------------------------------------------------
# Actors, the crisis, the coalition's members


def actors_section(current: Current) -> None:
    """One column per actor with its decision rule, resolve and costs to edit, and its doctrine if it has one."""
    st.subheader("The actors: how they decide, their resolve and their costs")
    st.caption(
        "Each actor is *resolute* with its resolve prior; only it knows its type, the others infer it from its "
        "moves (Bayes' rule). λ sets how reliably it picks its best move (logit quantal response)."
    )
    for column, actor in zip(st.columns(len(ACTORS)), ACTORS, strict=True):
        with column:
            st.markdown(f"**{ACTOR_SHORT[actor]}**: {current.scenario.actor(actor).name or actor}")  # type: ignore[union-attr]
            for attribute in ACTOR_ATTRIBUTES:
                field_input(current, actor_field(actor, attribute), "scenario")
            doctrine = current.loaded.actor(actor).doctrine
            if doctrine is not None:
                st.caption(f"Doctrine (used when the rule is 'doctrine'): {doctrine.model_dump()}")


def crisis_section(current: Current) -> None:
    """The fields of the crisis as a whole to edit (``GAME_PATHS``): rounds, starting rung, escalation and accidents."""
    st.subheader("The crisis: horizon, escalation and accidents")
    st.caption(
        "Schelling's *risk that leaves something to chance*: incidents nobody chose, and clashes that may widen "
        "into a major war more easily with troops on the ground (tripwire) or a nuclear power committed (backstop)."
    )
    columns = st.columns(2)
    for number, item in enumerate(GAME_FIELDS):
        with columns[number % 2]:
            field_input(current, item, "scenario")


def member_frame(scenario: Scenario) -> pd.DataFrame:
    """The coalition's member states as rows (by name), their fields of ``MEMBER_COLUMNS`` as columns."""
    members = scenario.coalition.members
    return pd.DataFrame(
        {column: [float(getattr(m, column)) for m in members] for column in MEMBER_COLUMNS},
        index=[m.name for m in members],
    )


def members_section(current: Current) -> None:
    """The minimum troops and the member states' table to edit, how to read it, and each refused entry's problem."""
    scenario = current.scenario
    assert scenario is not None
    st.subheader("The coalition's member states")
    field_input(current, MIN_TROOPS, "scenario")
    if not scenario.coalition.members:
        st.caption("This scenario has no member states: the force cannot collapse from members leaving.")
        return
    key = f"members:{state.edit_generation()}:{st.session_state.get(TABLE_VERSION, 0)}"
    table = member_frame(scenario)
    config = {
        column: st.column_config.NumberColumn(label, help=meaning, min_value=low, max_value=high, format="%.2f")
        for column, (label, meaning, low, high) in MEMBER_COLUMNS.items()
    }
    edited = st.data_editor(table, key=key, column_config=config, width="stretch")
    record_table_edits(member_edits(table, edited), current)
    st.caption(
        "**How to read it:** one row per member state. Each round a member that is not resolute weighs its war "
        "cost times the risk of a strike against its exit cost, and may leave; if the troops left fall below the "
        "minimum, the force collapses (the coalition backs down). Add or remove members in a TOML file and upload it."
    )
    for path, problem in current.problems.items():
        if path.startswith("coalition.members") or path == "coalition.min_troops":
            st.error(f"`{path}`: {problem}. The scenario's own value is used until this is fixed.")


def member_edits(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, float]:
    """The member table's changed cells as scenario paths (``coalition.members.0.troops``)."""
    return {f"coalition.members.{row}.{column}": value for row, column, value in changed_cells(before, after)}


def _base_value(current: Current, path: str) -> Any:
    assert current.base is not None
    try:
        return state.field_value(current.base, path)
    except (KeyError, IndexError):
        return None
