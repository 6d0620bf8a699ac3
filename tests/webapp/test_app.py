"""The app's frame (sidebar, settings in the URL) and its Simulate page, driven headless with AppTest.

Each test checks what a user would see: the charts and numbers, and that they follow the widgets.
Numbers on the page are compared with the engine run directly with the same scenario, runs and seed.
The other pages have their own files (tests/webapp/test_app_<page>.py).
"""

from __future__ import annotations

import io
import math

import pandas as pd
import pyarrow.parquet as pq
import pytest
from apptest import chart, new_app, rendered, shown
from streamlit.testing.v1 import AppTest

import sim
from sim.domain.ladder import OUTCOMES
from sim.domain.scenario import builtin_scenarios, load_scenario, with_overrides
from sim.webapp.compute import per_run_file
from sim.webapp.style import story_markdown

SMALL_RUNS = 2_000
DEFAULT = "coalition_2026"


def words(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


@pytest.fixture
def app() -> AppTest:
    """The page as opened, then with the runs widget turned down to keep the tests fast."""
    at = rendered(new_app())
    at.number_input(key="runs").set_value(SMALL_RUNS)
    return rendered(at)


def shown_probabilities(at: AppTest, trace_name: str = "these assumptions") -> dict[str, float]:
    """Outcome label -> probability, read from the bars of the outcome chart (the scenario in use; the
    trace ``"the scenario's own values"`` holds the frames drawn for comparison when a field is edited)."""
    bars = [trace for trace in chart(at, "outcome_chart")["data"] if trace["type"] == "bar"]
    chosen = next(trace for trace in bars if trace.get("name") == trace_name)
    return dict(zip(chosen["y"], chosen["x"], strict=True))


def engine_probabilities(scenario: sim.Scenario, runs: int, seed: int) -> dict[str, float]:
    results = sim.run_monte_carlo(scenario, runs=runs, seed=seed)
    return {words(name): value for name, value in results.probabilities().items()}


def footer(at: AppTest) -> str:
    lines = [caption.value for caption in at.main.caption if "sha256" in caption.value]
    assert len(lines) == 1
    return lines[0]


def test_opens_on_coalition_2026_and_shows_results_without_any_action():
    at = rendered(new_app())

    assert at.selectbox(key="scenario").value == DEFAULT
    assert at.number_input(key="runs").value == 10_000
    assert at.number_input(key="seed").value == 7
    assert at.title[0].value == "Simulate: how the crises end"
    scenario = load_scenario(DEFAULT)
    assert scenario.title in shown(at.main.markdown[0].value)
    assert not at.error
    assert not at.warning

    assert shown_probabilities(at) == pytest.approx(engine_probabilities(scenario, 10_000, 7))
    assert len(at.metric) == 4
    assert at.metric[0].label == "Mean rounds"
    assert [button.label for button in at.get("download_button")] == [
        "Download per-run CSV",
        "Download per-run Parquet",
    ]
    text = footer(at)
    assert scenario.sha256()[:12] in text
    assert "seed 7" in text
    assert sim.__version__ in text
    assert at.query_params == {"page": "simulate", "scenario": DEFAULT, "runs": "10000", "seed": "7"}


def test_outcome_chart_and_numbers_match_the_engine(app: AppTest):
    scenario = load_scenario(DEFAULT)
    expected = engine_probabilities(scenario, SMALL_RUNS, 7)
    assert shown_probabilities(app) == pytest.approx(expected)
    assert sum(shown_probabilities(app).values()) == pytest.approx(1.0)
    assert f"{SMALL_RUNS:,} runs" in footer(app)

    # Wilson whiskers surround each bar and stay inside [0, 1].
    bars = next(trace for trace in chart(app, "outcome_chart")["data"] if trace["type"] == "bar")
    for p, up, down in zip(bars["x"], bars["error_x"]["array"], bars["error_x"]["arrayminus"], strict=True):
        assert up >= 0 and down >= 0
        assert 0.0 <= p - down <= p <= p + up <= 1.0

    # The table behind the chart has the same numbers.
    table = app.dataframe[0].value
    assert list(table["outcome"]) == [words(name) for name in OUTCOMES]
    assert list(table["probability"]) == pytest.approx([expected[words(name)] for name in OUTCOMES])

    # The ladder's bands stack to every simulated world in every round.
    traces = chart(app, "ladder_chart")["data"]
    assert {trace["legendgroup"] for trace in traces} == {"ended", "ongoing"}
    for round_shares in zip(*(trace["y"] for trace in traces), strict=True):
        assert math.fsum(round_shares) == pytest.approx(1.0)

    # Every chart has a caption saying how to read it.
    assert sum("How to read it" in caption.value for caption in app.main.caption) >= 2


def test_changing_russias_resolve_prior_changes_the_result(app: AppTest):
    before = shown_probabilities(app)
    app.number_input(key="sidebar:russia.resolve_prior").set_value(0.9)
    rendered(app)

    after = shown_probabilities(app)
    assert after != before
    changed = with_overrides(load_scenario(DEFAULT), {"russia.resolve_prior": 0.9})
    assert after == pytest.approx(engine_probabilities(changed, SMALL_RUNS, 7))
    assert changed.sha256()[:12] in footer(app)
    assert app.query_params["russia.resolve_prior"] == "0.9"


def test_changing_the_seed_changes_the_numbers_but_not_the_scenario(app: AppTest):
    sha = load_scenario(DEFAULT).sha256()[:12]
    before = shown_probabilities(app)
    app.number_input(key="seed").set_value(8)
    rendered(app)
    assert shown_probabilities(app) != before
    assert sha in footer(app)
    assert "seed 8" in footer(app)


@pytest.mark.skipif(len(builtin_scenarios()) < 2, reason="needs a second built-in scenario")
def test_picking_another_scenario_changes_the_result_and_its_assumptions(app: AppTest):
    app.number_input(key="sidebar:russia.resolve_prior").set_value(0.9)
    rendered(app)
    other = next(name for name in builtin_scenarios() if name != DEFAULT)
    app.selectbox(key="scenario").select(other)
    rendered(app)

    scenario = load_scenario(other)
    assert scenario.title in shown(app.main.markdown[0].value)
    # The inputs now hold the new scenario's own values, not those typed for the old one.
    assert app.number_input(key="sidebar:russia.resolve_prior").value == pytest.approx(scenario.russia.resolve_prior)
    assert app.number_input(key="sidebar:rounds").value == scenario.rounds
    assert shown_probabilities(app) == pytest.approx(engine_probabilities(scenario, SMALL_RUNS, 7))
    assert scenario.sha256()[:12] in footer(app)
    assert app.query_params == {"page": "simulate", "scenario": other, "runs": str(SMALL_RUNS), "seed": "7"}


def test_the_selectbox_offers_every_builtin_scenario_by_title():
    at = rendered(new_app())
    box = at.selectbox(key="scenario")
    assert len(box.options) == len(builtin_scenarios())
    assert load_scenario(DEFAULT).title in box.options


@pytest.mark.parametrize(
    ("key", "bad", "good"),
    [("russia.resolve_prior", 1.5, 0.6), ("rounds", 0, 5), ("escalation.tripwire", 2.0, 0.2), ("us.lambda", -1.0, 3.0)],
)
def test_an_invalid_value_shows_an_error_and_the_page_keeps_working(app: AppTest, key, bad, good):
    defaults = shown_probabilities(app)
    app.number_input(key=f"sidebar:{key}").set_value(bad)
    rendered(app)

    errors = [error.value for error in app.sidebar.error]
    assert len(errors) == 1
    assert key in errors[0]
    assert "--set" not in errors[0]
    assert len(app.main.warning) == 1
    # The page still renders, with the scenario's own values.
    assert shown_probabilities(app) == pytest.approx(defaults)
    assert len(app.metric) == 4

    app.number_input(key=f"sidebar:{key}").set_value(good)
    rendered(app)
    assert not app.error
    assert not app.warning
    assert shown_probabilities(app) != defaults


def test_runs_are_capped_with_a_message(app: AppTest):
    app.number_input(key="runs").set_value(500_000)
    rendered(app)
    assert any("200,000" in warning.value for warning in app.sidebar.warning)
    assert "200,000 runs" in footer(app)


def test_settings_are_read_from_the_url():
    query = {"runs": str(SMALL_RUNS), "seed": "11", "russia.resolve_prior": "0.8", "rounds": "12"}
    at = rendered(new_app(query))

    assert at.number_input(key="runs").value == SMALL_RUNS
    assert at.number_input(key="seed").value == 11
    assert at.number_input(key="sidebar:russia.resolve_prior").value == pytest.approx(0.8)
    assert at.number_input(key="sidebar:rounds").value == 12
    changed = with_overrides(load_scenario(DEFAULT), {"russia.resolve_prior": 0.8, "rounds": 12})
    assert shown_probabilities(at) == pytest.approx(engine_probabilities(changed, SMALL_RUNS, 11))
    assert at.query_params == {"page": "simulate", "scenario": DEFAULT, **query}


def test_unusable_url_values_are_ignored():
    at = rendered(new_app({"scenario": "no_such_scenario", "runs": "lots", "seed": "1e300", "us.lambda": "nan"}))
    assert at.selectbox(key="scenario").value == DEFAULT
    assert at.number_input(key="runs").value == 10_000
    assert at.number_input(key="seed").value == 7
    assert at.number_input(key="sidebar:us.lambda").value == pytest.approx(load_scenario(DEFAULT).us.rationality)
    # Each unusable part of the link is named; the invalid edit is kept (and named) but not used.
    notes = " ".join(warning.value for warning in at.sidebar.warning)
    assert "runs=lots" in notes and "seed=1e300" in notes and "no_such_scenario" in notes
    assert [error.value.split("`")[1] for error in at.sidebar.error] == ["us.lambda"]
    assert shown_probabilities(at) == pytest.approx(engine_probabilities(load_scenario(DEFAULT), 10_000, 7))


def test_one_run_is_told_in_words(app: AppTest):
    expander = next(block for block in app.expander if block.label.startswith("One crisis told in words"))
    text = "\n".join(markdown.value for markdown in expander.markdown)
    assert "**Round 1:**" in text
    assert "Outcome after" in text
    assert "Realised payoffs" in text


def test_downloads_hold_one_row_per_run_with_provenance():
    scenario = load_scenario(DEFAULT)
    scenario_json = scenario.model_dump_json(by_alias=True)

    csv = pd.read_csv(io.BytesIO(per_run_file(scenario_json, 500, 7, ".csv")))
    assert len(csv) == 500
    assert set(csv["outcome"]) <= set(OUTCOMES)
    assert set(csv["scenario_sha256"]) == {scenario.sha256()}

    table = pq.read_table(io.BytesIO(per_run_file(scenario_json, 500, 7, ".parquet")))
    assert table.num_rows == 500
    assert table.schema.metadata[b"sim.scenario_sha256"].decode() == scenario.sha256()
    assert table.schema.metadata[b"sim.seed"] == b"7"


def test_story_markdown_formats_rounds_and_decisions():
    lines = [
        "Title (seed 1)",
        "Types.",
        "",
        "Round 1: the crisis stands at x.",
        "  Russia expects $5.",
        "    It chose.",
        "  Member ![x](http://host/t.png) stays.",  # a member's name is user text: never Markdown
    ]
    assert story_markdown(lines).splitlines() == [
        r"**Title \(seed 1\)**",
        "",
        r"Types\.",
        "",
        "",
        r"**Round 1:** the crisis stands at x\.",
        r"- Russia expects \$5\.",
        r"    - It chose\.",
        "- Member \\!\\[x\\]\\(http\u2060\\://host/t\\.png\\) stays\\.",  # a word joiner: no autolink
    ]
    assert shown(story_markdown(lines)).splitlines()[5] == "**Round 1:** the crisis stands at x."


def test_the_paths_chart_accounts_for_every_run_and_every_outcome(app: AppTest):
    results = sim.run_monte_carlo(load_scenario(DEFAULT), runs=SMALL_RUNS, seed=7)
    sankey = chart(app, "paths_chart")["data"][0]
    labels, link = sankey["node"]["label"], sankey["link"]
    flows = list(zip(link["source"], link["target"], link["value"], strict=True))
    types = {i for i, label in enumerate(labels) if label.startswith("Russia ")}
    outcomes = {words(name): i for i, name in enumerate(labels) if name in {words(o) for o in OUTCOMES}}
    # Every run leaves Russia's type once and arrives at one outcome once.
    assert sum(value for source, _, value in flows if source in types) == SMALL_RUNS
    into = {label: sum(v for _, target, v in flows if target == i) for label, i in outcomes.items()}
    counts = results.outcome_counts()
    assert into == {words(name): count for name, count in counts.items() if count}
    resolute = int(results.resolute["russia"].sum())
    from_resolute = sum(v for s, _, v in flows if labels[s] == "Russia resolute")
    assert from_resolute == resolute


def test_the_payoff_chart_spreads_each_actors_runs_and_marks_the_mean(app: AppTest):
    results = sim.run_monte_carlo(load_scenario(DEFAULT), runs=SMALL_RUNS, seed=7)
    spec = chart(app, "payoff_chart")
    bars = [trace for trace in spec["data"] if trace["type"] == "bar"]
    by_axis: dict[str, float] = {}
    for trace in bars:
        by_axis[trace.get("xaxis", "x")] = by_axis.get(trace.get("xaxis", "x"), 0.0) + math.fsum(trace["y"])
    assert sorted(by_axis.values()) == pytest.approx([1.0, 1.0, 1.0])
    means = sorted(shape["x0"] for shape in spec["layout"]["shapes"])
    assert means == pytest.approx(sorted(float(results.payoff[a].mean()) for a in ("coalition", "russia", "us")))
    assert {trace["name"] for trace in bars} <= {words(o) for o in OUTCOMES}


def test_edits_survive_page_changes_and_reset_clears_them(app: AppTest):
    app.number_input(key="sidebar:russia.resolve_prior").set_value(0.9)
    rendered(app)
    for page in ("scenario", "game", "simulate"):
        app.radio(key="page").set_value(page)
        rendered(app)
        assert app.query_params["page"] == page
        assert app.query_params["russia.resolve_prior"] == "0.9"
    assert app.number_input(key="sidebar:russia.resolve_prior").value == pytest.approx(0.9)
    assert app.number_input(key="runs").value == SMALL_RUNS

    app.button(key="reset_edits").click()
    rendered(app)
    assert "russia.resolve_prior" not in app.query_params
    assert app.number_input(key="sidebar:russia.resolve_prior").value == pytest.approx(0.5)
    assert shown_probabilities(app) == pytest.approx(engine_probabilities(load_scenario(DEFAULT), SMALL_RUNS, 7))


def test_a_link_opens_the_page_it_names():
    at = rendered(new_app({"page": "scenario", "runs": str(SMALL_RUNS)}))
    assert at.radio(key="page").value == "scenario"
    assert at.title[0].value.startswith("Scenario")


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_the_progress_callback_reports_every_batch_and_ends_at_all_runs(engine: str, monkeypatch):
    """The compiled kernel reports after every batch; the numpy model after every round as well."""
    monkeypatch.setattr("sim.runs.montecarlo.BATCH_WORLDS", 100)
    seen: list[float] = []
    report = lambda done, total: seen.append(done)  # noqa: E731
    sim.run_monte_carlo(load_scenario(DEFAULT), runs=300, seed=1, progress=report, engine=engine)
    assert seen == sorted(seen)
    assert seen[-1] == 300
    assert {100, 200, 300} <= set(seen)
    assert len(seen) > 3 if engine == "numpy" else len(seen) == 3


# ---------------------------------------------------------------------------------------------
# Every page: captions and colours

PAGE_VIEWS = {
    "simulate": {},
    "sweep": {"sweep_x_steps": "3"},  # three solves: the captions are the point here
    "game": {},
    "classroom": {"class_round": "20"},
    "classroom side by side": {"class_side_by_side": "1", "class_round": "2"},
}


@pytest.mark.parametrize("view", sorted(PAGE_VIEWS))
def test_every_chart_has_a_caption_that_says_how_to_read_it(view: str):
    page = view.split()[0]
    at = rendered(new_app({"page": page, "runs": str(SMALL_RUNS), **PAGE_VIEWS[view]}))
    charts = at.get("plotly_chart")
    assert charts, f"the {view} view draws no chart"
    captions = [caption.value for caption in at.main.caption if "How to read it" in caption.value]
    assert len(captions) >= len(charts), (view, [c.key for c in charts], len(captions))


def test_outcome_and_actor_colours_are_distinct_okabe_ito_colours():
    from sim.webapp.style import ACTION_COLOURS, ACTOR_COLOURS, OKABE_ITO, OUTCOME_COLOURS

    for palette in (OUTCOME_COLOURS, ACTOR_COLOURS, ACTION_COLOURS):
        assert set(palette.values()) <= set(OKABE_ITO.values())
        assert len(set(palette.values())) == len(palette)
    assert set(OUTCOME_COLOURS) == set(OUTCOMES)


def test_a_link_that_sets_an_unknown_field_says_so_and_runs_the_scenario():
    at = rendered(new_app({"runs": str(SMALL_RUNS), "russia.nerve": "3"}))
    summary = shown(" ".join(markdown.value for markdown in at.sidebar.markdown))
    assert "russia.nerve = 3 ⚠ not used: unknown field" in summary
    assert shown_probabilities(at) == pytest.approx(engine_probabilities(load_scenario(DEFAULT), SMALL_RUNS, 7))


@pytest.mark.parametrize("page", ["scenario", "sweep", "game", "classroom"])
def test_a_pages_title_begins_with_its_name_in_the_menu(page: str):
    """The menu says "Sweep"; the page it opens says "Sweep: ..." (Simulate, the first page, is
    titled with the app's name)."""
    import importlib

    menu_name = importlib.import_module(f"sim.webapp.pages.{page}").TITLE
    query = {"page": page, "runs": "1000", "class_round": "2", "sweep_runs": "100", "sweep_x_steps": "2"}
    at = rendered(new_app(query))
    title = at.title[0].value
    assert title.lstrip("🎓 ").startswith(f"{menu_name}:"), title


@pytest.mark.parametrize("scenario", sorted(builtin_scenarios()))
@pytest.mark.parametrize("page", ["scenario", "simulate", "sweep", "game", "classroom"])
def test_every_page_renders_for_every_builtin_scenario(page: str, scenario: str):
    query = {"page": page, "scenario": scenario, "runs": "1000", "class_round": "20", "sweep_runs": "200"}
    query["sweep_x_steps"] = "3"  # the sweep page solves one game per point: three keep this quick
    at = rendered(new_app(query))
    assert not at.error, [e.value for e in at.error]
    assert scenario in footer(at) and f"`{load_scenario(scenario).name}`" in footer(at)


def test_an_edit_keeps_the_scenarios_own_shares_beside_the_new_ones_with_the_change_in_points():
    scenario = load_scenario(DEFAULT)
    at = rendered(new_app({"runs": str(SMALL_RUNS), "russia.resolve_prior": "0.9"}))
    edited = with_overrides(scenario, {"russia.resolve_prior": 0.9})
    now = shown_probabilities(at)
    before = shown_probabilities(at, "the scenario's own values")
    assert now == pytest.approx(engine_probabilities(edited, SMALL_RUNS, 7))
    assert before == pytest.approx(engine_probabilities(scenario, SMALL_RUNS, 7))
    assert now != before, "the edit moved the outcomes"
    labels = next(t for t in chart(at, "outcome_chart")["data"] if t.get("name") == "labels")["text"]
    for label, (outcome, p) in zip(labels, now.items(), strict=True):
        assert f"({100 * (p - before[outcome]):+.1f})" in label
    assert "black frames are the same runs with the scenario's own values" in " ".join(c.value for c in at.caption)


def test_without_edits_the_outcome_chart_has_no_comparison_frames():
    at = rendered(new_app({"runs": str(SMALL_RUNS)}))
    names = [t.get("name") for t in chart(at, "outcome_chart")["data"] if t["type"] == "bar"]
    assert names == ["these assumptions"]


def test_the_sidebar_writes_the_whole_title_the_box_may_cut():
    at = rendered(new_app({"runs": str(SMALL_RUNS)}))
    scenario = load_scenario(DEFAULT)
    assert f"{scenario.title} ({DEFAULT})" in [shown(c.value) for c in at.sidebar.caption]


def test_every_payoff_panel_shows_its_outermost_bins_whole():
    at = rendered(new_app({"runs": str(SMALL_RUNS)}))
    results = sim.run_monte_carlo(load_scenario(DEFAULT), runs=SMALL_RUNS, seed=7)
    layout = chart(at, "payoff_chart")["layout"]
    for axis, actor in zip(("xaxis", "xaxis2", "xaxis3"), ("coalition", "russia", "us"), strict=True):
        low, high = layout[axis]["range"]
        assert low < results.payoff[actor].min() and high > results.payoff[actor].max(), actor
