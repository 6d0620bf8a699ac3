"""The Scenario page and the settings machinery behind every page (sim/webapp/state.py).

AppTest drives the page headless: uploads, table edits, field edits with their errors beside them,
and the TOML download, which must read back as the same scenario.
"""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from apptest import chart, new_app, rendered
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import sim
from sim.domain.scenario import builtin_scenarios, load_scenario, scenario_from_dict, with_overrides
from sim.webapp import state
from sim.webapp.pages.scenario import changed_cells, member_edits, payoff_edits, payoff_frame

DEFAULT = "coalition_2026"
RUNS = "2000"


def page(query: dict[str, str] | None = None, which: str = "scenario") -> AppTest:
    return rendered(new_app({"page": which, "runs": RUNS, **(query or {})}))


def outcome_bars(at: AppTest) -> dict[str, float]:
    bars = next(trace for trace in chart(at, "outcome_chart")["data"] if trace["type"] == "bar")
    return dict(zip(bars["y"], bars["x"], strict=True))


def engine(scenario: sim.Scenario, seed: int = 7) -> dict[str, float]:
    results = sim.run_monte_carlo(scenario, runs=int(RUNS), seed=seed)
    return {name.replace("_", " ").capitalize(): p for name, p in results.probabilities().items()}


def download_text(at: AppTest) -> str:
    """The TOML the download button would serve, from the page's own function with the page's state."""
    button = next(b for b in at.get("download_button") if b.proto.label.startswith("Download this scenario"))
    assert button.proto.label == "Download this scenario as TOML"
    from sim.webapp.pages import scenario as module

    current = state.Current(
        choice=at.session_state["scenario"],
        base=load_scenario(at.session_state["scenario"]),
        scenario=with_overrides(load_scenario(at.session_state["scenario"]), dict(at.session_state["overrides"])),
        runs=int(RUNS),
        seed=7,
        edits=dict(at.session_state["overrides"]),
    )
    return module.scenario_toml(current)


# ---------------------------------------------------------------------------------------------
# The page


def test_the_page_shows_every_field_with_its_meaning():
    at = page()
    scenario = load_scenario(DEFAULT)
    assert at.title[0].value.startswith("Scenario")
    for path in ("russia.lambda", "coalition.resolve_prior", "us.audience_cost", "rounds", "accident.standoff"):
        widget = at.number_input(key=f"scenario:{path}")
        assert widget.value == pytest.approx(state.field_value(scenario, path))
        assert widget.help  # every field says what it means
    assert at.selectbox(key="scenario:start_rung").value == scenario.start_rung
    tables = at.data_editor
    assert len(tables) == 2  # payoffs, member states
    assert tables[0].value.shape == (5, 3)
    assert list(tables[1].value.index) == [m.name for m in scenario.coalition.members]


def test_a_field_edit_is_used_by_every_page_and_kept_in_the_url():
    at = page()
    at.number_input(key="scenario:russia.war_bonus").set_value(12.0)
    rendered(at)
    assert at.query_params["russia.war_bonus"] == "12.0"
    assert at.number_input(key="sidebar:russia.war_bonus").value == pytest.approx(12.0)  # the sidebar agrees

    at.radio(key="page").set_value("simulate")
    rendered(at)
    changed = with_overrides(load_scenario(DEFAULT), {"russia.war_bonus": 12.0})
    assert outcome_bars(at) == pytest.approx(engine(changed))
    at.radio(key="page").set_value("scenario")
    rendered(at)
    assert at.number_input(key="scenario:russia.war_bonus").value == pytest.approx(12.0)  # survives page changes


@pytest.mark.parametrize(("path", "bad"), [("accident.standoff", 1.5), ("russia.resolve_prior", -0.2), ("rounds", 0)])
def test_an_invalid_edit_is_shown_beside_its_field_and_kept(path: str, bad: float):
    at = page()
    at.number_input(key=f"scenario:{path}").set_value(bad)
    rendered(at)
    errors = [error.value for error in at.main.error]
    assert len(errors) == 1 and f"`{path}`" in errors[0]
    assert at.number_input(key=f"scenario:{path}").value == pytest.approx(bad)  # what the user typed is not lost
    # The download leaves the invalid edit out, and says so.
    assert any("not valid" in warning.value for warning in at.main.warning)
    # Other pages go on with the scenario's own value.
    at.radio(key="page").set_value("simulate")
    rendered(at)
    assert outcome_bars(at) == pytest.approx(engine(load_scenario(DEFAULT)))


def test_a_payoff_table_edit_changes_the_scenario():
    at = page()
    table = at.data_editor[0]
    at.session_state[table.key] = {"edited_rows": {4: {"Russia": -60.0}}, "added_rows": [], "deleted_rows": []}
    rendered(at)
    assert at.session_state["overrides"] == {"russia.payoffs.major_war": -60.0}
    assert at.data_editor[0].value.loc["Major war", "Russia"] == -60.0
    assert at.query_params["russia.payoffs.major_war"] == "-60.0"


def test_a_member_table_edit_changes_the_scenario():
    at = page()
    table = at.data_editor[1]
    at.session_state[table.key] = {"edited_rows": {0: {"troops": 9.0}}, "added_rows": [], "deleted_rows": []}
    rendered(at)
    assert at.session_state["overrides"] == {"coalition.members.0.troops": 9.0}


def test_payoffs_from_the_url_fill_the_table_and_change_the_results():
    at = page({"coalition.payoffs.major_war": "-80"})
    assert at.data_editor[0].value.loc["Major war", "Coalition"] == -80.0
    at.radio(key="page").set_value("simulate")
    rendered(at)
    changed = with_overrides(load_scenario(DEFAULT), {"coalition.payoffs.major_war": -80})
    assert outcome_bars(at) == pytest.approx(engine(changed))


def test_the_downloaded_toml_reads_back_as_the_same_scenario():
    at = page({"russia.resolve_prior": "0.8", "escalation.base": "0.2"})
    text = download_text(at)
    assert "russia.resolve_prior = 0.8" in text  # the header says what changed
    again = scenario_from_dict(tomllib.loads(text), "downloaded.toml")
    expected = with_overrides(load_scenario(DEFAULT), {"russia.resolve_prior": 0.8, "escalation.base": 0.2})
    assert again.sha256() == expected.sha256()


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_round_trips_through_toml(name: str):
    scenario = load_scenario(name)
    current = state.Current(name, scenario, scenario, 1, 0)
    from sim.webapp.pages.scenario import scenario_toml

    assert scenario_from_dict(tomllib.loads(scenario_toml(current)), "x.toml").sha256() == scenario.sha256()


def test_a_builtin_scenario_is_picked_on_the_page_and_edits_are_dropped():
    other = next(name for name in sorted(builtin_scenarios()) if name != DEFAULT)
    at = page({"russia.lambda": "3"})
    at.button(key=f"use:{other}").click()
    rendered(at)
    assert at.session_state["scenario"] == other
    assert at.selectbox(key="scenario").value == other
    assert at.session_state["overrides"] == {}
    assert at.button(key=f"use:{other}").disabled


# ---------------------------------------------------------------------------------------------
# Uploads


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="scenario_upload").set_value((name, content, "application/toml"))
    return rendered(at)


def test_an_uploaded_scenario_becomes_the_current_one_and_its_link_reopens_it():
    text = 'extends = "coalition_2026"\ntitle = "My classroom variant"\n[russia]\nresolve_prior = 0.9\n'
    at = upload(page(), "variant.toml", text.encode())
    assert at.selectbox(key="scenario").value == state.UPLOADED
    assert at.session_state["scenario"] == state.UPLOADED
    assert "My classroom variant" in at.main.markdown[0].value
    assert at.number_input(key="scenario:russia.resolve_prior").value == pytest.approx(0.9)
    link = dict(at.query_params)
    assert link["scenario"] == state.UPLOADED and state.UPLOAD in link

    reopened = page({key: value for key, value in link.items() if key not in ("page", "runs")}, which="simulate")
    expected = with_overrides(load_scenario(DEFAULT), {"russia.resolve_prior": 0.9, "title": "My classroom variant"})
    assert outcome_bars(reopened) == pytest.approx(engine(expected))


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (b"rounds = [", "not valid TOML"),
        (b"rounds = 0\n", "rounds"),
        (b"[russia]\nlambda = -2\n", "russia.lambda"),
        (b'extends = "/etc/passwd"\n', "extends"),
        (b'extends = "../scenarios/coalition_2026.toml"\n', "extends"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"x" * (state.MAX_UPLOAD_BYTES + 1), "larger than"),
        (b"x = " + b"[" * 500 + b"]" * 500, "nested more than"),  # was a RecursionError before the sidebar drew
        (b'extends = "coalition_2026"\nrounds = 500\n', f"at most {state.MAX_APP_ROUNDS} rounds"),
    ],
)
def test_a_bad_upload_names_the_file_and_field_and_the_app_goes_on(content: bytes, names: str):
    at = page({"russia.resolve_prior": "0.8"})
    at = upload(at, "broken.toml", content)
    errors = [error.value for error in at.main.error]
    assert len(errors) == 1 and not at.exception
    assert "broken.toml" in errors[0] and names in errors[0]
    # The sidebar drew in full: another scenario can be picked.
    assert at.selectbox(key="scenario").value == DEFAULT and at.sidebar.number_input
    # Nothing was lost: the same scenario, the same edit.
    assert at.session_state["scenario"] == DEFAULT
    assert at.session_state["overrides"] == {"russia.resolve_prior": 0.8}
    at.radio(key="page").set_value("simulate")
    rendered(at)
    assert outcome_bars(at)


def test_the_field_reference_unfolds_on_the_page():
    at = page()
    reference = next(e for e in at.expander if e.label.startswith("What every field means"))
    shown = " ".join(m.value for m in reference.markdown)
    assert "# Scenarios" in shown and "resolve_prior" in shown


def test_a_file_that_is_not_toml_is_refused_in_words_and_the_next_good_one_clears_the_error():
    at = upload(page(), "notes.txt", b'title = "looks like TOML"\n')
    errors = [error.value for error in at.main.error]
    assert len(errors) == 1 and "notes.txt" in errors[0] and "not a .toml file" in errors[0]
    assert at.session_state["scenario"] == DEFAULT
    text = 'extends = "coalition_2026"\ntitle = "My classroom variant"\n'
    at = upload(at, "variant.toml", text.encode())
    assert not at.main.error, "the earlier file's error is gone once a good file is read"
    assert at.session_state["scenario"] == state.UPLOADED


# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_table_edits_become_scenario_paths():
    before = payoff_frame(load_scenario(DEFAULT))
    after = before.copy()
    after.loc["Limited clash", "US"] = -9.0
    after.loc["Deterrence holds", "Coalition"] = None  # an emptied cell is not an edit
    assert changed_cells(before, after) == [(3, "US", -9.0)]
    assert payoff_edits(before, after) == {"us.payoffs.limited_clash": -9.0}
    members = pd.DataFrame({"troops": [6.0, 5.0], "war_cost": [8.0, 8.0]}, index=["France", "UK"])
    changed = members.copy()
    changed.loc["UK", "war_cost"] = 2.5
    assert member_edits(members, changed) == {"coalition.members.1.war_cost": 2.5}


def test_valid_edits_are_applied_and_each_invalid_one_is_named():
    base = load_scenario(DEFAULT)
    edits = {"russia.lambda": 3.0, "rounds": -1, "accident.standoff": 2.0, "coalition.min_troops": 1e5}
    scenario, problems = state.apply_valid_edits(base, edits)
    assert set(problems) == {"rounds", "accident.standoff", "coalition.min_troops"}
    assert scenario.russia.rationality == 3.0
    assert scenario.rounds == base.rounds
    assert "greater than or equal to 1" in problems["rounds"]


@given(name=st.text(min_size=1, max_size=40).filter(lambda s: "\n" not in s), text=st.text(max_size=3000))
def test_an_upload_survives_the_trip_through_a_link(name: str, text: str):
    encoded = state.encode_upload(name, text)
    assert encoded.replace("-", "").replace("_", "").isalnum()  # URL-safe
    assert state.decode_upload(encoded) == (name, text)


@pytest.mark.parametrize("garbage", ["", "%%%", "abc", state.encode_upload("a", "b")[:-3]])
def test_a_broken_upload_link_is_refused_not_raised(garbage: str):
    assert state.decode_upload(garbage) is None


def test_a_link_cannot_inflate_past_the_upload_limit():
    bomb = state.encode_upload("big.toml", "a" * (state.MAX_UPLOAD_BYTES * 4))
    assert len(bomb) < 1000
    assert state.decode_upload(bomb) is None


@given(value=st.integers(min_value=-(2**40), max_value=2**40))
def test_integer_settings_accept_exactly_the_whole_numbers_in_bounds(value: int):
    runs = state.Setting("runs", 10_000, low=1)
    assert runs.parse(str(value)) == (value if value >= 1 else None)
    assert runs.parse(f"{value}.5") is None
    assert runs.parse(runs.to_text(10_000)) == 10_000


def test_settings_refuse_what_they_cannot_hold():
    flag = state.Setting("presenter", False)
    assert flag.parse("1") is True and flag.parse("false") is False and flag.parse("maybe") is None
    choice = state.Setting("colour", "red", choices=("red", "blue"))
    assert choice.parse("blue") == "blue" and choice.parse("green") is None
    number = state.Setting("x", 0.5, low=0.0, high=1.0)
    assert number.parse("nan") is None and number.parse("inf") is None and number.parse("1.5") is None


def test_the_downloaded_toml_keeps_the_original_files_comments_and_marks_the_changes():
    at = page({"russia.resolve_prior": "0.8", "coalition.payoffs.major_war": "-80"})
    text = download_text(at)
    original = builtin_scenarios()[DEFAULT].read_text(encoding="utf-8")
    kept = [line for line in original.splitlines() if line.startswith("#")]
    assert all(line in text.splitlines() for line in kept)  # every comment line of the file is still there
    changed = [line for line in text.splitlines() if line.endswith("(changed in the app)")]
    assert len(changed) == 2 and any(line.startswith("resolve_prior = 0.8 # was 0.5 in") for line in changed)
    expected = with_overrides(load_scenario(DEFAULT), {"russia.resolve_prior": 0.8, "coalition.payoffs.major_war": -80})
    assert scenario_from_dict(tomllib.loads(text), "downloaded.toml").sha256() == expected.sha256()


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_edits_written_into_any_builtin_file_read_back_as_the_edited_scenario(name: str):
    from sim.domain.scenario import edited_scenario_text

    edits = {"russia.resolve_prior": 0.8, "escalation.base": 0.2, "us.payoffs.major_war": -33.0}
    edits["coalition.lambda"] = 3.0
    text = edited_scenario_text(builtin_scenarios()[name].read_text(encoding="utf-8"), edits, name, name)
    assert text is not None
    again = scenario_from_dict(tomllib.loads(text), "x.toml")
    assert again.sha256() == with_overrides(load_scenario(name), edits).sha256()


def test_an_edit_the_file_cannot_hold_falls_back_to_every_field():
    """An edit inside a list the file does not write out cannot be written into it: the download
    then writes every field, and still reads back as the scenario in use."""
    from sim.domain.scenario import edited_scenario_text
    from sim.webapp.pages.scenario import scenario_toml

    assert edited_scenario_text('title = "x"\n', {"coalition.members.0.troops": 9.0}, "x") is None
    base = load_scenario("divided_coalition")
    edits = {"coalition.members.0.troops": 9.0}
    scenario = with_overrides(base, edits)
    text = scenario_toml(state.Current("divided_coalition", base, scenario, 1, 0, edits=edits))
    assert scenario_from_dict(tomllib.loads(text), "x.toml").sha256() == scenario.sha256()
