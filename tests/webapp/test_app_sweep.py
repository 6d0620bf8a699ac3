"""The Sweep page (sim/webapp/pages/sweep/), driven headless with streamlit's AppTest, and its helpers.

The page's numbers are compared with ``sim.sweep`` and ``sim.studies.analysis.sobol_indices`` run directly
with the same scenario, parameters, runs and seed. Sweeps are kept small (a few points, a few
hundred runs) so the file runs in well under a minute.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from apptest import chart, new_app, rendered
from streamlit.testing.v1 import AppTest

import sim
from sim.domain.scenario import load_scenario
from sim.studies.analysis import Box, sobol_indices
from sim.webapp.pages.sweep import run
from sim.webapp.pages.sweep.downloads import table_bytes
from sim.webapp.pages.sweep.parameters import (
    SWEEPABLE,
    default_range,
    field_of,
    label,
    parse_sobol,
    phrase,
    schema_bounds,
)
from sim.webapp.pages.sweep.plan import (
    MAX_POINTS,
    MAX_TOTAL_RUNS,
    PLAYED_SECONDS_PER_ROUND,
    SOBOL_SAMPLES,
    SOLVE_SECONDS_PER_ROUND,
    TREE_ROUNDS,
    Pace,
    Plan,
    plan_grid,
    plan_saltelli,
    range_problems,
)
from sim.webapp.pages.sweep.run import Request, prepare, run_sweep, shares_its_game
from sim.webapp.pages.sweep.wording import (
    box_sentence,
    condition_words,
    noise_share,
    percent,
    share,
    sobol_sentences,
)
from sim.webapp.state import field_value
from sim.webapp.style import capitalised

pytestmark = pytest.mark.slow  # the Sweep page solves a game per design point: left out by `make test-fast`

SCENARIO = "coalition_2026"
SEED = 7  # the sidebar's default


ROUNDS = "3"
"""The crisis is cut to three rounds in these tests (a link's ``rounds=3``): every design point is
a game solved before it is played, and three rounds solve in a fraction of a second."""


def open_page(query: dict[str, str] | None = None) -> AppTest:
    """The Sweep page opened from a link with these settings, rendered without an exception."""
    return rendered(new_app({"page": "sweep", "rounds": ROUNDS, **(query or {})}))


def chart_keys(at: AppTest) -> list[str]:
    return [element.key for element in at.get("plotly_chart")]


def curve(at: AppTest) -> tuple[list[float], list[float]]:
    """x and y of the curve's line (the trace named after the outcome)."""
    line = next(trace for trace in chart(at, "sweep_curve")["data"] if trace["name"].startswith("P("))
    return line["x"], line["y"]


def texts(elements) -> str:
    return "\n".join(element.value for element in elements)


def engine_sweep(params: dict, runs: int, **options) -> pd.DataFrame:
    return sim.sweep(short_scenario(), params, runs=runs, seed=SEED, executor="inline", **options)


def short_scenario():
    """The scenario the page sweeps: SCENARIO with the link's ``rounds``."""
    return load_scenario(SCENARIO, {"rounds": int(ROUNDS)})


# ---------------------------------------------------------------------------------------------
# The page as a user sees it


def test_default_page_renders_a_curve_and_explains_it() -> None:
    at = open_page({"sweep_outcome": "deterrence_holds", "sweep_above": "0.3"})
    assert "sweep_curve" in chart_keys(at)
    assert "sweep_discovery_chart" in chart_keys(at)
    assert not at.error
    markdown = texts(at.markdown)
    # The discovery box, in words: a challenger less likely resolute is deterred more often.
    assert "in 100% of the points where Russia's resolve prior is below 0.45" in markdown
    captions = texts(at.caption)
    assert captions.count("How to read it") == len(at.get("plotly_chart"))
    assert "Seed 7" in captions
    # the default Saltelli sample is too big to run on every click: it waits for its button
    assert at.button(key="sweep_run_sobol")
    assert "sweep_sobol_chart" not in chart_keys(at)


def test_every_widget_on_the_page_explains_itself() -> None:
    at = open_page()
    widgets = [*at.main.selectbox, *at.main.number_input, *at.main.slider, *at.main.multiselect, *at.main.radio]
    widgets += list(at.main.select_slider)
    assert len(widgets) >= 14
    for widget in widgets:
        assert widget.help, f"{widget.key} has no help"


def test_curve_numbers_equal_sim_sweep() -> None:
    at = open_page({"sweep_x_steps": "5", "sweep_runs": "300"})
    xs, ys = curve(at)
    expected = engine_sweep({"russia.resolve_prior": (0.0, 1.0, 5)}, runs=300)
    assert xs == pytest.approx(expected["russia.resolve_prior"].tolist(), abs=0)
    assert ys == expected["p_major_war"].tolist()
    band = next(trace for trace in chart(at, "sweep_curve")["data"] if trace["name"] == "95% interval")
    assert band["y"][:5] == expected["ci_high_major_war"].tolist()


def test_settings_are_read_from_the_url() -> None:
    query = {
        "sweep_x": "escalation.tripwire",
        "sweep_x_low": "0.05",
        "sweep_x_high": "0.3",
        "sweep_x_steps": "6",
        "sweep_runs": "250",
        "sweep_outcome": "limited_clash",
        "sweep_above": "0.3",
    }
    at = open_page(query)
    assert at.selectbox(key="sweep_x").value == "escalation.tripwire"
    assert at.selectbox(key="sweep_outcome").value == "limited_clash"
    assert at.number_input(key="sweep_x_low").value == 0.05
    assert at.slider(key="sweep_above").value == 0.3
    xs, ys = curve(at)
    expected = engine_sweep({"escalation.tripwire": (0.05, 0.3, 6)}, runs=250)
    assert xs == pytest.approx(np.linspace(0.05, 0.3, 6).tolist())
    assert ys == expected["p_limited_clash"].tolist()
    assert "Limited clash is above 30%" in texts(at.markdown)
    for key, value in query.items():  # and they stay in the URL
        assert at.query_params[key] == value


def test_changing_a_widget_changes_the_chart() -> None:
    at = open_page({"sweep_x_steps": "4", "sweep_runs": "200"})
    xs_before, ys_before = curve(at)
    at.number_input(key="sweep_x_high").set_value(0.6)
    rendered(at)
    xs, _ = curve(at)
    assert xs == pytest.approx([0.0, 0.2, 0.4, 0.6])
    assert at.query_params["sweep_x_high"] == "0.6"
    # a new parameter starts on its own default range: Russia's λ from 0 to 5
    at.selectbox(key="sweep_x").set_value("russia.lambda")
    rendered(at)
    xs, _ = curve(at)
    assert xs == pytest.approx(np.linspace(0, 5, 4).tolist())
    at.selectbox(key="sweep_outcome").set_value("deterrence_holds")
    rendered(at)
    _, ys = curve(at)
    expected = engine_sweep({"russia.lambda": (0.0, 5.0, 4)}, runs=200)
    assert ys == expected["p_deterrence_holds"].tolist()
    assert xs_before != xs and ys_before != ys


def test_two_parameters_draw_a_heatmap_of_the_engine_numbers() -> None:
    at = open_page(
        {"sweep_y": "escalation.tripwire", "sweep_y_high": "0.4", "sweep_x_steps": "3", "sweep_y_steps": "3",
         "sweep_runs": "200"}
    )  # fmt: skip
    heat = next(trace for trace in chart(at, "sweep_heatmap")["data"] if trace["type"] == "heatmap")
    expected = engine_sweep({"russia.resolve_prior": (0.0, 1.0, 3), "escalation.tripwire": (0.0, 0.4, 3)}, runs=200)
    table = expected.pivot(index="escalation.tripwire", columns="russia.resolve_prior", values="p_major_war")
    assert heat["z"] == table.to_numpy().tolist()
    assert heat["colorscale"][0][1] != heat["colorscale"][-1][1]
    assert heat["texttemplate"] == "%{z:.0%}"  # the numbers are written in the cells


def test_too_big_a_request_is_capped_with_a_message() -> None:
    at = open_page(
        {"sweep_y": "escalation.tripwire", "sweep_x_steps": "101", "sweep_y_steps": "101", "sweep_runs": "100000"}
    )
    warnings = texts(at.warning)
    assert f"at most {MAX_POINTS:,}" in warnings and "20 × 20" in warnings
    assert f"at most {MAX_TOTAL_RUNS:,}" in warnings and "5,000 runs" in warnings
    assert at.button(key="sweep_run_grid")  # a big sweep waits for its button
    assert "sweep_heatmap" not in chart_keys(at)


def test_a_bad_range_shows_an_error_and_the_page_goes_on() -> None:
    at = open_page({"sweep_x_low": "0.9", "sweep_x_high": "0.1"})
    assert "'From' (0.9) is above 'To' (0.1)" in texts(at.error)
    assert "sweep_curve" not in chart_keys(at)
    assert "When does it happen?" in [header.value for header in at.subheader]
    at = open_page({"sweep_x_low": "-0.5", "sweep_x_steps": "3", "sweep_runs": "50"})
    assert "greater than or equal to 0" in texts(at.error)
    at.number_input(key="sweep_x_low").set_value(0.0)  # fixing it brings the chart back
    rendered(at)
    assert "sweep_curve" in chart_keys(at) and not at.error


def test_the_same_parameter_twice_is_an_error() -> None:
    at = open_page({"sweep_y": "russia.resolve_prior"})
    assert "same field" in texts(at.error)


def test_sobol_chart_has_s1_and_st_for_each_parameter(tmp_path: Path) -> None:
    params = ["russia.resolve_prior", "escalation.tripwire"]
    at = open_page({"sweep_sobol": ",".join(params), "sweep_sobol_n": "8", "sweep_sobol_runs": "200"})
    bars = {trace["name"]: trace for trace in chart(at, "sweep_sobol_chart")["data"] if trace["type"] == "bar"}
    assert set(bars) == {"Total effect ST (alone and through interactions)", "First-order S1 (alone)"}
    sim.sweep(
        short_scenario(), {"russia.resolve_prior": (0.0, 1.0), "escalation.tripwire": (0.0, 0.45)},
        design="saltelli", samples=8, runs=200, seed=SEED, executor="inline", out=tmp_path / "s",
    )  # fmt: skip
    table = sobol_indices(*sim.read_sweep(tmp_path / "s"), "major_war")
    for name, index in (("Total effect ST (alone and through interactions)", "ST"), ("First-order S1 (alone)", "S1")):
        shown = {row[0]: value for row, value in zip(bars[name]["customdata"], bars[name]["x"], strict=True)}
        rows = table[table["index"] == index]
        assert shown == {label(p): pytest.approx(e) for p, e in zip(rows["parameter"], rows["estimate"])}
    markdown = texts(at.markdown)
    assert "drives P(major war) most" in markdown
    assert any(capitalised(phrase(p)) in markdown for p in params)


def test_discovery_on_the_sobol_sample_describes_a_box() -> None:
    query = {"sweep_sobol": "russia.resolve_prior,escalation.tripwire", "sweep_sobol_n": "8",
             "sweep_sobol_runs": "200", "sweep_discover_on": "saltelli", "sweep_above": "0.05"}  # fmt: skip
    at = open_page(query)
    markdown = texts(at.markdown)
    assert "Major war is above 5% at **2 of 32 points**" in markdown
    (box,) = [element.value for element in at.markdown if element.value.startswith("**Box 1.**")]
    # With 200 runs a point, the two points above 5% (seed 7) lie in one box of both parameters.
    assert "Major war is above 5% in 100% of the points where Russia's resolve prior is between" in box
    assert "and the escalation tripwire is above" in box
    assert "density" in texts(at.caption).lower() and "coverage" in texts(at.caption).lower()
    layout = chart(at, "sweep_discovery_chart")["layout"]
    assert "escalation.tripwire" in layout["xaxis"]["title"]["text"] + layout["yaxis"]["title"]["text"]
    assert layout["shapes"][0]["type"] == "rect"
    scattered = open_page({**query, "sweep_above": "0.04"})  # 4 points above, in no dense box
    assert "No box holds at least 80%" in texts(scattered.info)


def test_discovery_says_when_nothing_is_above_the_threshold() -> None:
    at = open_page({"sweep_x_steps": "3", "sweep_runs": "100", "sweep_above": "0.9"})
    assert "No point to explain" in texts(at.info)


def test_a_big_sweep_waits_for_its_button_then_shows_again_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "AUTO_RUN_WORK", 0)
    run.server_pace.clear()  # a server that has not swept yet
    query = {"sweep_x_steps": "3", "sweep_runs": "100", "seed": "9173"}  # a seed no other test uses
    at = open_page(query)
    assert "sweep_curve" not in chart_keys(at)
    assert "runs when you press the button" in texts(at.info)
    assert "on the development machine's pace" in texts(at.info)
    at.button(key="sweep_run_grid").click()
    rendered(at)
    assert "sweep_curve" in chart_keys(at)
    assert run.server_pace().ratio is not None, "the sweep that ran told the server its pace"
    other = open_page({**query, "seed": "9174"})
    assert "at the pace measured on this server" in texts(other.info)
    again = open_page(query)  # another session: the server already has it
    assert "sweep_curve" in chart_keys(again)
    assert not again.get("button") or all(button.key != "sweep_run_grid" for button in again.button)


def test_the_pace_scales_the_estimate_by_what_this_server_measured() -> None:
    pace = Pace()
    plan = plan_grid([11], 1_000)
    planned = plan.seconds_with_solves(20)
    assert pace.seconds(plan, 20) == (planned, False)
    pace.record(10.0, 25.0)
    pace.record(30.0, 15.0)  # measured 40 s for 40 s planned: the ratio is of sums, a long sweep weighs more
    assert pace.ratio == pytest.approx(1.0)
    pace.record(0.0, 5.0)  # nothing planned: ignored, as are non-finite or non-positive times
    pace.record(5.0, float("nan"))
    assert pace.ratio == pytest.approx(1.0)
    for _ in range(Pace.REMEMBERED):
        pace.record(1.0, 3.0)  # only the recent sweeps count
    assert pace.ratio == pytest.approx(3.0)
    assert pace.seconds(plan, 20) == (pytest.approx(3 * planned), True)


# ---------------------------------------------------------------------------------------------
# The sweep behind the page is sim.sweep's


def test_run_sweep_equals_sim_sweep_for_grids_and_saltelli_samples() -> None:
    scenario = short_scenario()
    json_text = scenario.model_dump_json(by_alias=True)
    grid = Request(json_text, (("russia.resolve_prior", 0.2, 0.8, 3), ("us.lambda", 0.5, 3.0, 2)), "grid",
                        None, 150, 11)  # fmt: skip
    frame, metadata = run_sweep(grid, show_progress=False)
    expected = sim.sweep(scenario, {"russia.resolve_prior": (0.2, 0.8, 3), "us.lambda": (0.5, 3.0, 2)}, runs=150,
                         seed=11, executor="inline")  # fmt: skip
    pd.testing.assert_frame_equal(frame, expected)
    assert metadata["n_points"] == 6 and metadata["seed"] == 11 and metadata["scenario_sha256"] == scenario.sha256()
    ranges = (("russia.resolve_prior", 0.0, 1.0, None), ("accident.standoff", 0.0, 0.1, None))
    saltelli = Request(json_text, ranges, "saltelli", 4, 100, 3)
    frame, metadata = run_sweep(saltelli, show_progress=False)
    expected = sim.sweep(scenario, {"russia.resolve_prior": (0.0, 1.0), "accident.standoff": (0.0, 0.1)},
                         design="saltelli", samples=4, runs=100, seed=3, executor="inline")  # fmt: skip
    pd.testing.assert_frame_equal(frame, expected)
    assert metadata["design"] == "saltelli" and metadata["n_points"] == 16


def test_every_offered_parameter_sweeps_over_its_default_range() -> None:
    scenario = load_scenario(SCENARIO)
    for path in SWEEPABLE:
        value = float(field_value(scenario, path))
        low, high = default_range(path, value)
        assert low <= value <= high, path
        request = Request(scenario.model_dump_json(by_alias=True), ((path, low, high, 2),), "grid", None, 1, 0)
        points, _ = prepare(request)  # raises SweepError if the schema refuses either end
        assert [values[path] for _, values in points] == [low, high]
        field_of(path)  # every one has a label and help


# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_caps_are_module_constants_and_every_plan_keeps_to_them() -> None:
    assert MAX_POINTS == 400 and MAX_TOTAL_RUNS == 2_000_000
    for steps in ([11], [101], [101, 101], [101, 3], [2, 2], [20, 21]):
        for runs in (1, 1_000, 100_000):
            plan = plan_grid(steps, runs)
            assert plan.points <= MAX_POINTS and plan.points * plan.runs <= MAX_TOTAL_RUNS
            assert bool(plan.notes) == (math.prod(steps) > MAX_POINTS or math.prod(steps) * runs > 2_000_000)
    for parameters in (2, 3, 4):
        for samples in SOBOL_SAMPLES:
            plan = plan_saltelli(parameters, samples, 100_000)
            assert plan.points <= MAX_POINTS and plan.points * plan.runs <= MAX_TOTAL_RUNS
            assert plan.samples & (plan.samples - 1) == 0  # still a power of two


def test_plans_say_what_was_capped() -> None:
    assert plan_grid([11], 1_000) == Plan((11,), None, 1_000, 11)
    plan = plan_grid([101, 101], 1_000)
    assert plan.steps == (20, 20) and "10,201 points (101 × 101)" in plan.notes[0]
    plan = plan_grid([40], 100_000)
    assert plan.runs == 50_000 and "4,000,000 crises" in plan.notes[0]
    plan = plan_saltelli(4, 256, 1_000)
    assert (plan.samples, plan.points) == (64, 384) and "N = 64" in plan.notes[0]
    assert plan_saltelli(3, 32, 1_000).work == 160 * 2_000
    # The estimate shown counts the 160 games solved, one per point, not only the runs.
    sobol = plan_saltelli(3, 32, 1_000)
    assert sobol.seconds_with_solves(20) == pytest.approx(sobol.seconds + 160 * 20 * SOLVE_SECONDS_PER_ROUND)
    assert sobol.seconds_with_solves(20) > 60 * sobol.seconds
    # Points that differ only in their starting beliefs share one game: it is solved once, and each
    # point solves only what it plays from its own start (round 1 and the policy tree).
    shared = sobol.seconds_with_solves(20, shared=True)
    assert shared == pytest.approx(
        sobol.seconds + 20 * SOLVE_SECONDS_PER_ROUND + 160 * TREE_ROUNDS * PLAYED_SECONDS_PER_ROUND
    )
    assert shared < sobol.seconds_with_solves(20) / 10


def test_a_sweep_of_the_starting_beliefs_only_shares_its_game() -> None:
    json_text = load_scenario("coalition_2026").model_dump_json(by_alias=True)
    beliefs = (("russia.resolve_prior", 0.2, 0.8, 3), ("us.believed_resolve", 0.1, 0.5, 2))
    assert shares_its_game(Request(json_text, beliefs, "grid", None, 100, 0))
    mixed = (*beliefs, ("us.deploy_cost", 0.1, 2.0, 2))
    assert not shares_its_game(Request(json_text, mixed, "grid", None, 100, 0))
    members = (("coalition.members.0.resolve_prior", 0.2, 0.8, 3),)  # the members' game reads it
    assert not shares_its_game(Request(json_text, members, "grid", None, 100, 0))


def test_schema_bounds_and_default_ranges() -> None:
    assert schema_bounds("russia.resolve_prior") == (0.0, 1.0)
    assert schema_bounds("escalation.tripwire") == (-1.0, 1.0)
    assert schema_bounds("russia.lambda") == (0.0, 10_000.0)
    assert default_range("russia.lambda", 1.5) == (0.0, 5.0)
    assert default_range("russia.lambda", 20.0) == (0.0, 20.0)  # widened to hold the scenario's value
    assert default_range("escalation.tripwire", -0.2) == (-0.2, 0.45)
    assert default_range("accident.standoff", 0.03) == (0.0, 0.15)


def test_range_problems_name_the_field_and_the_fix() -> None:
    assert range_problems([("russia.resolve_prior", 0.0, 1.0, 5)]) == []
    (problem,) = range_problems([("russia.resolve_prior", 0.9, 0.1, 5)])
    assert "Russia: resolve prior" in problem and "'From' (0.9) is above 'To' (0.1)" in problem
    assert range_problems([("russia.lambda", math.nan, 1.0, None)])


def test_words_for_numbers() -> None:
    assert percent(0.1) == "10%" and percent(0.125) == "12.5%" and percent(0.004) == "0.4%"
    assert share(0.856) == "86%"
    assert condition_words("russia.resolve_prior", 0.46, None) == "Russia's resolve prior is above 0.46"
    assert condition_words("escalation.tripwire", None, 0.2) == "the escalation tripwire is below 0.2"
    assert condition_words("escalation.tripwire", 0.042, 0.2) == "the escalation tripwire is between 0.042 and 0.2"
    assert parse_sobol("russia.lambda, nonsense.field,russia.lambda") == (["russia.lambda"], ["nonsense.field"])


def test_box_sentence() -> None:
    box = Box(
        number=2, column="p_major_war", above=0.2,
        limits={"russia.resolve_prior": (0.6, None), "escalation.tripwire": (0.05, 0.25)}, categories={},
        coverage=0.5, density=0.854, mass=0.1, points=40, cases=34, outside=(1,),
        order=("russia.resolve_prior", "escalation.tripwire"),
    )  # fmt: skip
    assert box_sentence(box, "major_war") == (
        "**Box 2.** Major war is above 20% in 85% of the points outside box 1 where Russia's resolve prior is above "
        "0.6 and the escalation tripwire is between 0.05 and 0.25. The box holds 40 points (10% of the sweep) and 50% "
        "of all the points where major war is above 20%."
    )


def sobol_table(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """A table shaped like ``sobol_indices``'s: (index, parameter, estimate, conf), ST first per parameter."""
    return pd.DataFrame(
        [{"index": i, "parameter": p, "parameter_2": None, "estimate": e, "conf": c, "ci_low": e - c,
          "ci_high": e + c} for i, p, e, c in rows]
    )  # fmt: skip


def test_sobol_sentences_name_the_driver_and_how_sure_it_is() -> None:
    clear = sobol_table(
        [("ST", "escalation.tripwire", 0.75, 0.1), ("S1", "escalation.tripwire", 0.56, 0.1),
         ("ST", "russia.resolve_prior", 0.3, 0.1), ("S1", "russia.resolve_prior", 0.12, 0.1),
         ("ST", "us.resolve_prior", 0.02, 0.01), ("S1", "us.resolve_prior", -0.01, 0.05)]
    )  # fmt: skip
    lines = sobol_sentences(clear, "major_war")
    assert lines[0].startswith("**The escalation tripwire drives P(major war) most**: alone it explains about 56%")
    assert "and 75% counting its interactions" in lines[0]
    assert "Next comes Russia's resolve prior (ST 30%)" in lines[1]
    assert lines[2].startswith("The US's resolve prior hardly matters here")
    assert "add up to 0.67: about 33% of the variation comes from interactions" in lines[3]
    close = sobol_table(
        [("ST", "russia.lambda", 0.5, 0.3), ("S1", "russia.lambda", 0.3, 0.2),
         ("ST", "us.lambda", 0.4, 0.3), ("S1", "us.lambda", 0.3, 0.2)]
    )  # fmt: skip
    assert "overlap, so this sample cannot rank the two" in sobol_sentences(close, "limited_clash")[1]


def test_noise_share() -> None:
    frame = pd.DataFrame({"p_major_war": [0.1, 0.3], "runs": [100, 100]})
    assert noise_share(frame, "major_war") == pytest.approx(((0.09 + 0.21) / 2 / 100) / 0.02)
    assert noise_share(frame.assign(p_major_war=0.2), "major_war") == math.inf


def test_downloads_carry_provenance() -> None:
    scenario = short_scenario()
    request = Request(scenario.model_dump_json(by_alias=True), (("russia.resolve_prior", 0.0, 1.0, 3),), "grid",
                           None, 50, 5)  # fmt: skip
    frame, metadata = run_sweep(request, show_progress=False)
    csv = pd.read_csv(io.BytesIO(table_bytes(frame, metadata, ".csv")))
    assert len(csv) == 3
    assert set(csv["scenario_sha256"]) == {scenario.sha256()} and set(csv["seed"]) == {5}
    assert set(csv["version"]) == {sim.__version__} and set(csv["design"]) == {"grid"}
    parquet = pq.read_table(io.BytesIO(table_bytes(frame, metadata, ".parquet")))
    stored = json.loads(parquet.schema.metadata[b"sim.sweep"])
    assert stored["scenario_sha256"] == scenario.sha256() and stored["runs"] == 50 and stored["n_points"] == 3
    assert stored["scenario_json"]["name"] == SCENARIO
    assert parquet.to_pandas()["p_major_war"].tolist() == frame["p_major_war"].tolist()


def test_a_link_with_unknown_or_too_few_sobol_parameters_is_explained() -> None:
    at = open_page({"sweep_sobol": "russia.lambda,no.such_field"})
    assert "no.such_field" in texts(at.warning)
    assert "Choose at least two parameters" in texts(at.info)
    assert at.multiselect(key="sweep_sobol_pick").value == ["russia.lambda"]


def test_progress_says_the_time_left_from_the_pace_so_far() -> None:
    from sim.webapp.pages.sweep.run import _time_left

    assert _time_left(0.0, 0, 10) == ""  # nothing done yet: no guess
    assert _time_left(30.0, 3, 10) == ", about 70 s left"
    assert _time_left(300.0, 3, 30) == ", about 45 minutes left"
