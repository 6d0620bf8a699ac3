"""Sweep: vary assumptions of the current scenario and see what the outcome depends on.

Three sections share one outcome: a sweep of one or two parameters (a curve or a heatmap of
the outcome's probability), Sobol indices from a Saltelli sample of 2-4 parameters ("which
assumptions matter most?"), and scenario discovery with PRIM ("when does it happen?"),
described in words.

The numbers are those of ``sim.sweep`` with the same scenario, parameters, runs and seed, run in
cached chunks with a progress bar. Small sweeps run straight away, bigger ones wait for their
button, and every request is capped at :data:`plan.MAX_POINTS` design points and
:data:`plan.MAX_TOTAL_RUNS` simulated crises.

This module is the page (``TITLE``, ``ICON``, ``SETTINGS``, ``render``) and its sections; the rest,
by concept:

- ``parameters``: the fields offered for sweeping, their names in words, bounds, default ranges;
- ``plan``: caps on a request and the plan that keeps to them; what is wrong with a range;
- ``controls``: the widgets, bound to the settings below;
- ``run``: running a sweep, the same numbers as ``sim.sweep``, cached and chunked;
- ``figures``: the curve, heatmap, Sobol bars and discovery scatter;
- ``wording``: numbers, PRIM boxes and Sobol indices in sentences;
- ``downloads``: the sweep table as CSV or Parquet, with its provenance.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from sim.domain.ladder import OUTCOMES
from sim.studies.analysis import Box, discover, sobol_indices
from sim.webapp.pages.sweep.controls import (
    DISCOVER_ON,
    NONE,
    discovery_controls,
    grid_controls,
    grid_plan,
    grid_ranges,
    scenario_values,
    sobol_controls,
    sobol_plan,
    sobol_ranges,
)
from sim.webapp.pages.sweep.downloads import download_buttons
from sim.webapp.pages.sweep.figures import curve_figure, discovery_figure, heatmap_figure, sobol_figure
from sim.webapp.pages.sweep.parameters import DEFAULT_SOBOL, SWEEPABLE, label, phrase
from sim.webapp.pages.sweep.plan import MAX_RUNS_PER_POINT, MAX_STEPS, SOBOL_SAMPLES, Plan, range_problems
from sim.webapp.pages.sweep.run import Request, SweepResult, obtain_or_error
from sim.webapp.pages.sweep.wording import (
    box_sentence,
    noise_share,
    number,
    outcome_name,
    percent,
    share,
    sobol_sentences,
)
from sim.webapp.state import Current, Setting, crises_that_fit, runs_that_fit
from sim.webapp.style import show_chart, words

TITLE = "Sweep"
ICON = "📈"

SETTINGS: tuple[Setting, ...] = (
    Setting("sweep_outcome", "major_war", choices=OUTCOMES),
    Setting("sweep_x", "russia.resolve_prior", choices=tuple(SWEEPABLE)),
    Setting("sweep_x_low", 0.0),
    Setting("sweep_x_high", 1.0),
    Setting("sweep_x_steps", 11, low=2, high=MAX_STEPS),
    Setting("sweep_y", NONE, choices=(NONE, *SWEEPABLE)),
    Setting("sweep_y_low", 0.0),
    Setting("sweep_y_high", 1.0),
    Setting("sweep_y_steps", 11, low=2, high=MAX_STEPS),
    Setting("sweep_runs", 1_000, low=1, high=MAX_RUNS_PER_POINT),
    Setting("sweep_sobol", ",".join(DEFAULT_SOBOL)),
    Setting("sweep_sobol_n", 32, choices=SOBOL_SAMPLES),
    Setting("sweep_sobol_runs", 1_000, low=1, high=MAX_RUNS_PER_POINT),
    Setting("sweep_discover_on", "grid", choices=DISCOVER_ON),
    Setting("sweep_above", 0.1, low=0.0, high=1.0),
    Setting("sweep_density", 0.8, low=0.05, high=1.0),
)


def render(current: Current) -> None:
    """Draw the page: the outcome chosen for the whole page, then the sweep of one or two
    assumptions, the Sobol indices and the scenario discovery."""
    header(current)  # it names the first section: the curve must start on a projector's first screen
    outcome_column, runs_column = st.columns([3, 1])
    outcome = outcome_column.selectbox(
        "Outcome (on the whole page)",
        OUTCOMES,
        format_func=words,
        key="sweep_outcome",
        help="The outcome whose probability every section of this page shows, explains and looks for.",
    )
    grid = sweep_section(current, outcome, runs_column)
    base_note(current)
    saltelli = sobol_section(current, outcome)
    discovery_section(outcome, grid, saltelli)


def header(current: Current) -> None:
    """The page's title and what it is for, and a warning when some of the user's edits are not valid."""
    scenario = current.scenario
    assert scenario is not None
    st.title(f"{TITLE}: which assumptions matter?")  # the menu name first, as on every page
    st.markdown(
        "**Sweep one or two assumptions** to see how an outcome responds; further down, which assumptions "
        "matter most and where the outcome becomes likely."
    )
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar), so the sweeps use the scenario's own values for them."
        )


def base_note(current: Current) -> None:
    """What every sweep starts from and how its points are seeded (under the first section's result)."""
    assert current.scenario is not None
    edits = ", ".join(f"`{path}` = {value}" for path, value in current.applied_edits.items())
    edited = f" with your edits ({edits})" if edits else ""
    st.caption(
        f"Base: scenario `{current.scenario.name}`{edited}; every field not "
        f"swept keeps this value. Every point of a sweep is a Monte Carlo of its own. Seed {current.seed} (from the "
        f"sidebar): point *i* of a sweep is seeded `SeedSequence({current.seed}, spawn_key=(i,))`, as `sim sweep` "
        "does. Runs per point are set on this page."
    )


def show_notes(plan: Plan) -> None:
    """Why a request was capped, as warnings above what runs."""
    for note in plan.notes:
        st.warning(note)


# ---------------------------------------------------------------------------------------------
# Sweep one or two assumptions


def sweep_section(current: Current, outcome: str, runs_column: Any) -> SweepResult | None:
    """The sweep of one parameter (a curve) or two (a heatmap): its controls, its plan within this
    server's caps, and its results once run.

    Parameters
    ----------
    current : Current
        The scenario in use, with the sidebar's runs and seed.
    outcome : str
        The outcome the page shows.
    runs_column : streamlit column
        Where the runs-per-point control goes.

    Returns
    -------
    SweepResult or None
        The sweep's table and metadata; None while it has not run, or when its set-up is refused
        (the reason shown on the page).
    """
    values = scenario_values(current)
    axes = grid_controls(values, runs_column)
    if len(set(axes)) < len(axes):
        st.error("Parameter 1 and parameter 2 are the same field: choose two different ones (or none for a curve).")
        return None
    plan = grid_plan(axes, runs_that_fit(current.loaded), crises_that_fit(current.loaded))
    show_notes(plan)
    ranges = grid_ranges(axes, plan.steps)
    if problems := range_problems(ranges):
        st.error("This sweep cannot run: " + " ".join(problems))
        return None
    request = Request(current.scenario_json, tuple(ranges), "grid", None, plan.runs, current.seed)
    result = obtain_or_error(request, plan, "Run sweep", "sweep_run_grid")
    if result is not None:
        grid_results(result, outcome, axes, values, plan, current.seed)
    return result


def grid_results(
    result: SweepResult, outcome: str, axes: list[str], values: dict[str, float], plan: Plan, seed: int
) -> None:
    """The curve or heatmap, the outcome's span in a sentence, the table and its downloads."""
    frame, metadata = result
    x = axes[0]
    if len(axes) == 1:
        show_chart(
            curve_figure(frame, metadata, outcome, x, values[x]),
            "sweep_curve",
            f"the line is the share of the {plan.runs:,} crises simulated at each value of {phrase(x)} that ended in "
            f"{words(outcome).lower()}, every other assumption held at the scenario's value. The shaded band is each "
            "point's 95% interval (Monte Carlo error of that many runs, not uncertainty about the assumptions). The "
            "dashed line marks the scenario's own value.",
        )
    else:
        y = axes[1]
        show_chart(
            heatmap_figure(frame, metadata, outcome, x, y, (values[x], values[y])),
            "sweep_heatmap",
            f"each cell is one combination of {phrase(x)} (across) and {phrase(y)} (up), and its colour and number are "
            f"{outcome_name(outcome)} among the {plan.runs:,} crises simulated there: darker blue is lower, "
            "brighter yellow higher (the Cividis scale reads the same to colour-blind eyes and in greyscale). The "
            "white × marks the scenario's own values. Each cell's 95% interval is in the table below "
            f"(ci_low_{outcome}, ci_high_{outcome}).",
        )
    column = frame[f"p_{outcome}"]
    st.markdown(
        f"Over this sweep, {outcome_name(outcome)} goes from **{percent(column.min())}** to "
        f"**{percent(column.max())}**."
    )
    with st.expander("The numbers behind the chart"):
        st.dataframe(frame, hide_index=True)
    stem = f"{metadata['scenario']}_sweep_{'_'.join(axes)}_seed{seed}"
    download_buttons(frame, metadata, stem, "sweep_grid_download")


# ---------------------------------------------------------------------------------------------
# Which assumptions matter most?


def sobol_section(current: Current, outcome: str) -> SweepResult | None:
    """Which assumptions matter most: the parameters chosen, a Saltelli sample over their ranges and
    the outcome's Sobol indices, computed by SALib.

    Returns
    -------
    SweepResult or None
        The Saltelli sample's table and metadata; None while it has not run, or with fewer than two
        parameters or a range that cannot be used.
    """
    st.subheader("Which assumptions matter most?")
    st.markdown(
        "Vary several assumptions at once and split the outcome's variation between them (Sobol indices, "
        "computed by SALib from a Saltelli sample). Sobol indices answer: *if we could pin down one assumption, "
        "how much of the spread in the outcome would go away?*"
    )
    paths = sobol_controls()
    if len(paths) < 2:
        st.info("Choose at least two parameters to compare.")
        return None
    ranges = sobol_ranges(paths, scenario_values(current))
    st.caption(
        "Ranges: " + "; ".join(f"{label(path)} {number(low)} to {number(high)}" for path, low, high, _ in ranges) + "."
    )
    plan = sobol_plan(paths, runs_that_fit(current.loaded), crises_that_fit(current.loaded))
    show_notes(plan)
    if problems := range_problems(ranges):
        st.error("The Sobol sample cannot run: " + " ".join(problems))
        return None
    request = Request(current.scenario_json, tuple(ranges), "saltelli", plan.samples, plan.runs, current.seed)
    result = obtain_or_error(request, plan, "Compute Sobol indices", "sweep_run_sobol")
    if result is not None:
        sobol_results(result, outcome, plan, current.seed)
    return result


def sobol_results(result: SweepResult, outcome: str, plan: Plan, seed: int) -> None:
    """The indices as bars and in words, how much is noise, the tables and the downloads."""
    frame, metadata = result
    try:
        table = sobol_indices(frame, metadata, outcome)
    except ValueError as error:
        st.info(f"No Sobol indices for {words(outcome).lower()}: {error}.")
        return
    show_chart(
        sobol_figure(table, outcome),
        "sweep_sobol_chart",
        f"for each assumption, the blue bar (S1) is the share of the variation of {outcome_name(outcome)} across "
        "the sample that it explains alone; the orange bar (ST) adds what it explains together with the others. "
        "A parameter whose ST is near 0 could be fixed anywhere in its range without changing the answer; ST well "
        "above S1 means its effect depends on the other assumptions. Whiskers are 95% bootstrap intervals; "
        "estimates can stray a little below 0 or above 1.",
    )
    st.markdown(" ".join(sobol_sentences(table, outcome)))
    noise_note(frame, outcome, plan)
    with st.expander("The indices and the sample"):
        st.dataframe(table, hide_index=True)
        st.dataframe(frame, hide_index=True)
    stem = f"{metadata['scenario']}_saltelli_N{plan.samples}_seed{seed}"
    download_buttons(frame, metadata, stem, "sweep_sobol_download")


def noise_note(frame: pd.DataFrame, outcome: str, plan: Plan) -> None:
    """How much of the sample's variation is Monte Carlo noise: a warning when it blurs the indices."""
    noise = noise_share(frame, outcome)
    note = (
        f"About {share(min(noise, 1.0))} of the variation across the {plan.points:,} points is Monte Carlo noise "
        f"({plan.runs:,} runs per point), which no parameter explains."
    )
    if noise > 0.1:
        st.warning(note + " Raise the runs per point to sharpen the indices.")
    else:
        st.caption(note)


# ---------------------------------------------------------------------------------------------
# When does it happen?


def discovery_section(outcome: str, grid: SweepResult | None, saltelli: SweepResult | None) -> None:
    """Scenario discovery: the boxes of parameters where ``outcome`` is above a threshold (PRIM), found
    in the sweep (``grid``) or the Sobol sample (``saltelli``), in words and as a chart."""
    st.subheader("When does it happen?")
    st.markdown(
        "Scenario discovery (PRIM, the Patient Rule Induction Method): find simple ranges of the parameters, "
        "*boxes*, inside which the outcome is above a threshold at most points."
    )
    source, above, density = discovery_controls()
    result = grid if source == "grid" else saltelli
    if result is None:
        where = "the sweep above" if source == "grid" else "the Sobol sample"
        st.info(f"Nothing to look in yet: run {where} first.")
        return
    frame, metadata = result
    if not something_to_explain(frame, outcome, above):
        return
    boxes = discover(frame, metadata, outcome, above, threshold_density=density)
    boxes_in_words(boxes, outcome, density)
    show_chart(
        discovery_figure(frame, metadata, outcome, above, boxes),
        "sweep_discovery_chart",
        f"each mark is one design point: a filled circle where {words(outcome).lower()} is above {percent(above)}, a "
        "light × where it is not. Dashed rectangles are the boxes (limits on parameters not on the axes are not "
        "drawn). With one swept parameter the vertical axis is the probability itself and the dotted line the "
        "threshold.",
    )


def something_to_explain(frame: pd.DataFrame, outcome: str, above: float) -> bool:
    """Say how many points are above the threshold; PRIM has something to explain unless none or all are."""
    values = frame[f"p_{outcome}"].to_numpy(dtype=float)
    cases = int((values > above).sum())
    st.markdown(
        f"{words(outcome)} is above {percent(above)} at **{cases:,} of {len(frame):,} points** "
        f"({share(cases / len(frame))})."
    )
    if cases == 0:
        st.info(f"No point to explain: the highest value is {percent(values.max())}. Lower the threshold.")
        return False
    if cases == len(frame):
        st.info(f"Every point is above the threshold (the lowest is {percent(values.min())}): raise it.")
        return False
    return True


def boxes_in_words(boxes: list[Box], outcome: str, density: float) -> None:
    """Each box as a sentence and in symbols, then what density and coverage mean."""
    if not boxes:
        st.info(
            f"No box holds at least {share(density)} of points above the threshold: those points are scattered. "
            "Lower the least density, or look at the chart."
        )
    for box in boxes:
        st.markdown(box_sentence(box, outcome))
        st.caption("In symbols: " + " and ".join(f"`{condition}`" for condition in box.conditions()))
    st.caption(
        "**Density** is the share of a box's points that are above the threshold (how reliably it happens there); "
        "**coverage** is the share of all such points that the box holds (how much of where it happens the box "
        "explains). A later box looks only among the points outside the earlier ones. Parameters not named are "
        "not restricted; limits are round numbers between the last point inside and the first outside."
    )
