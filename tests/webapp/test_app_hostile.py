"""Hostile links (Issue 10): what a link shared with a whole class may carry, the app reads with the
same limits it writes with, shows user text literally, and never lets one link take the server's memory.

The browser half (a Markdown-laden link makes no request to the address it names) is in
tests/webapp/test_browser.py; these run the app headless with AppTest.
"""

from __future__ import annotations

import tracemalloc

import pytest
from apptest import new_app, rendered, shown

from sim.domain.limits import MAX_MEMBERS, run_work
from sim.domain.scenario import ScenarioError, load_scenario
from sim.webapp import state
from sim.webapp.pages.sweep.plan import MAX_TOTAL_RUNS, plan_grid

SMALL_RUNS = "2000"
TRACKER = "http://127.0.0.1:9/tracker.png?who=student"
PHISH = "http://127.0.0.1:9/phish"
INJECTED = f"![x]({TRACKER}) [Log in to see the classified annex]({PHISH}) :red[alarm] $x^2$ <b>bold</b>"


def page_markdown(at: object) -> str:
    return "\n".join(m.value for m in at.main.markdown)  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["simulate", "scenario", "sweep", "game", "classroom"])
def test_a_title_or_description_from_a_link_is_shown_as_text(page: str) -> None:
    query = {"page": page, "runs": SMALL_RUNS, "title": INJECTED, "description": INJECTED,
             "sweep_x_steps": "3", "sweep_runs": "50"}  # fmt: skip
    at = rendered(new_app(query))
    source = page_markdown(at) + "\n".join(c.value for c in at.sidebar.caption)
    # No Markdown construct survives: every bracket, parenthesis, bang, colon and dollar is escaped.
    for construct in ("![x](", "](http", ":red[", "$x^2$", "<b>"):
        assert construct not in source, f"{construct!r} would be rendered on the {page} page"
    if page != "sweep":  # the Sweep page names the scenario by its file name only
        assert "Log in to see the classified annex" in shown(source), "the text itself is still shown"


def test_a_member_name_from_a_link_is_shown_as_text_in_the_story() -> None:
    at = rendered(new_app({"page": "classroom", "runs": SMALL_RUNS, "coalition.members.0.name": f"![x]({TRACKER})"}))
    source = page_markdown(at)
    assert "![x](" not in source
    assert f"![x]({TRACKER})" in shown(source)


def test_an_upload_in_a_link_longer_than_a_link_may_be_is_left_out_with_a_note() -> None:
    text = "title = 'padding'\n" + "# " + "x" * 60_000 + "\n"
    encoded = state.encode_upload("big.toml", text + "".join(f"# {i} {i * 7919 % 104729}\n" for i in range(4000)))
    assert len(encoded) > state.MAX_LINKED_UPLOAD
    at = rendered(new_app({"runs": SMALL_RUNS, "scenario": state.UPLOADED, "upload": encoded}))
    notes = " ".join(w.value for w in at.sidebar.warning)
    assert f"longer than {state.MAX_LINKED_UPLOAD:,} characters" in notes
    assert at.session_state["scenario"] == state.DEFAULT_SCENARIO


def test_an_overlong_or_overnumerous_link_is_cut_with_a_note() -> None:
    long_value = "9" * (state.MAX_LINK_VALUE + 1)
    at = rendered(new_app({"runs": SMALL_RUNS, "russia.lambda": long_value}))
    assert "longer than" in " ".join(w.value for w in at.sidebar.warning)
    assert "russia.lambda" not in at.session_state["overrides"]
    many = {f"nonsense{i}.field": "1" for i in range(state.MAX_LINK_PARAMETERS + 20)}
    at = rendered(new_app({"runs": SMALL_RUNS, **many}))
    assert f"only the first {state.MAX_LINK_PARAMETERS}" in " ".join(w.value for w in at.sidebar.warning)
    assert len(at.session_state["overrides"]) <= state.MAX_LINK_PARAMETERS


def members_toml(count: int) -> str:
    member = '[[coalition.members]]\nname = "Member {}"\ntroops = 1.0\nresolve_prior = 0.5\nwar_cost = 8.0\n'
    members = "".join(member.format(i) for i in range(count))
    return f'extends = "coalition_2026"\ntitle = "Many members"\n[coalition]\nmin_troops = 2.0\n{members}'


def test_many_members_and_the_most_runs_fit_the_memory_bound() -> None:
    """A link with a scenario of many members and the most runs: the runs are cut to fit
    ``MAX_WORLD_CELLS`` with a note, and the page's peak allocation stays bounded (tracemalloc sees
    numpy's arrays); the schema itself refuses more than ``sim.domain.limits.MAX_MEMBERS`` members."""
    count = MAX_MEMBERS
    encoded = state.encode_upload("many.toml", members_toml(count))
    assert len(encoded) <= state.MAX_LINKED_UPLOAD
    at = new_app({"runs": str(state.MAX_RUNS), "scenario": state.UPLOADED, "upload": encoded})
    tracemalloc.start()
    try:
        rendered(at)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    fitting = min(state.MAX_WORLD_CELLS // (5 + count), state.MAX_SESSION_WORK // (20 * (5 + count)))  # 20 rounds
    assert fitting < state.MAX_RUNS
    assert f"at most {fitting:,} crises (not {state.MAX_RUNS:,})" in " ".join(w.value for w in at.sidebar.warning)
    assert f"{fitting:,} runs" in " ".join(c.value for c in at.main.caption)  # the footer: what was run
    assert peak < 1_500_000_000, f"peak {peak / 1e9:.2f} GB"


def test_a_long_crisis_gets_fewer_runs_and_a_smaller_sweep_in_the_browser() -> None:
    """Runs x rounds x (5 + members) is capped per Monte Carlo (``MAX_SESSION_WORK``) and per sweep
    request (``MAX_SWEEP_WORK``): a 1,000-round scenario gets 5,000 runs, not 200,000, and a sweep of
    it 50,000 crises in all; the default scenario keeps the caps it had."""
    default = load_scenario("coalition_2026")
    assert state.runs_that_fit(default) == state.MAX_RUNS
    assert state.crises_that_fit(default) >= MAX_TOTAL_RUNS
    long = load_scenario("coalition_2026", {"rounds": 1_000})
    per_run = run_work(1, 1_000, len(long.coalition.members))
    assert state.runs_that_fit(long) == state.MAX_SESSION_WORK // per_run == 5_000
    assert state.crises_that_fit(long) == state.MAX_SWEEP_WORK // per_run == 50_000
    plan = plan_grid([11], 100_000, state.crises_that_fit(long))
    assert plan.points * plan.runs <= 50_000 and plan.runs == 50_000 // 11
    assert "at most 50,000 of this scenario (its rounds and member states make each run large)" in plan.notes[0]
    assert plan_grid([40], 100_000, state.crises_that_fit(default)).runs == MAX_TOTAL_RUNS // 40


def test_the_sidebar_says_why_a_long_crisis_gets_fewer_runs() -> None:
    at = new_app({"runs": str(state.MAX_RUNS), "rounds": "100", "page": "scenario"})
    rendered(at)
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "This scenario has 100 rounds and 3 member states" in warnings, warnings
    assert f"at most 50,000 crises (not {state.MAX_RUNS:,})" in warnings, warnings


def test_more_rounds_than_the_app_solves_are_left_out_with_the_reason() -> None:
    """A link (or an upload) asking for 1,000 rounds would hold a core for a minute per edit while the
    equilibrium is solved: the edit is left out, saying why, and the scenario keeps its 20 rounds."""
    at = new_app({"rounds": "1000", "page": "scenario"})
    rendered(at)
    said = " ".join(shown(element.value) for element in [*at.warning, *at.error, *at.caption, *at.markdown])
    assert f"1,000 rounds: the app solves and simulates at most {state.MAX_APP_ROUNDS} rounds" in said, said[:3000]
    base = load_scenario("coalition_2026")
    scenario, problems = state.apply_valid_edits(base, {"rounds": 1000, "russia.lambda": 2.0})
    assert scenario.rounds == base.rounds and scenario.russia.rationality == 2.0 and list(problems) == ["rounds"]
    upload = 'extends = "coalition_2026"\ntitle = "Long"\nrounds = 500\n'
    with pytest.raises(ScenarioError, match="rounds: 500 rounds: the app solves and simulates at most"):
        state.scenario_from_upload("long.toml", upload)
