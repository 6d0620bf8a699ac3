"""The Sweep page's controls: the parameter rows, runs per point, the Sobol parameters and sample,
and the discovery threshold. Their widget keys are the page's settings (``SETTINGS`` in
``__init__``), so every choice lives in the URL; the functions here read them back for the sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from sim.webapp.pages.sweep.parameters import SWEEPABLE, default_range, field_of, label, parse_sobol, step_of
from sim.webapp.pages.sweep.plan import (
    MAX_POINTS,
    MAX_RUNS_PER_POINT,
    MAX_STEPS,
    MAX_TOTAL_RUNS,
    SOBOL_SAMPLES,
    Plan,
    plan_grid,
    plan_saltelli,
)
from sim.webapp.state import Current, field_value

NONE = "none"
"""Parameter 2's choice for no second parameter: a curve instead of a heatmap."""
DISCOVER_ON = ("grid", "saltelli")
"""Which sweep scenario discovery explains: the grid of the first section or the Sobol sample."""
AXES = ("x", "y")

Range = tuple[str, float, float, int | None]
"""(path, low, high, steps) of a swept parameter; steps None in a Saltelli sample."""


def scenario_values(current: Current) -> dict[str, float]:
    """The current scenario's value of every sweepable field (where default ranges start)."""
    assert current.scenario is not None
    return {path: float(field_value(current.scenario, path)) for path in SWEEPABLE}


# ---------------------------------------------------------------------------------------------
# Sweep one or two assumptions


def grid_controls(values: dict[str, float], runs_column: Any) -> list[str]:
    """The runs per point (in ``runs_column``, a column of the page's first row) and the two parameter rows;
    the parameters chosen (two for a heatmap)."""
    runs_column.number_input(
        "Runs per point",
        min_value=1,
        max_value=MAX_RUNS_PER_POINT,
        step=500,
        key="sweep_runs",
        help="Crises simulated at each design point. More runs narrow each point's 95% interval (about ±2% for a "
        f"probability near 10% at 1,000 runs). At most {MAX_TOTAL_RUNS:,} crises per request (points × runs).",
    )
    parameter_row("x", values)
    parameter_row("y", values)
    x, y = st.session_state["sweep_x"], st.session_state["sweep_y"]
    return [x] if y == NONE else [x, y]


def parameter_row(axis: str, values: dict[str, float]) -> None:
    """One row of controls: which parameter, from, to, steps."""
    first = axis == "x"
    choices = list(SWEEPABLE) if first else [NONE, *SWEEPABLE]
    chosen = st.session_state.get(f"sweep_{axis}", NONE)
    columns = st.columns([3, 1, 1, 1])
    columns[0].selectbox(
        "Parameter 1" if first else "Parameter 2 (optional: a heatmap)",
        choices,
        format_func=lambda path: "none: a curve of one parameter" if path == NONE else f"{label(path)} ({path})",
        key=f"sweep_{axis}",
        on_change=_reset_range,
        args=(axis, values),
        help=(
            "The scenario field to vary. Its range starts at the values it usually takes, widened to hold the "
            "current scenario's value."
            if first
            else "A second field to vary: every combination of the two is run and drawn as a heatmap."
        )
        + (f" Now: {field_of(chosen).help}" if chosen in SWEEPABLE else ""),
    )
    off = chosen not in SWEEPABLE
    step = step_of(chosen) if not off else 0.05
    text = "%.4f" if step < 0.01 else "%.3f"
    columns[1].number_input(
        "From",
        step=step,
        format=text,
        key=f"sweep_{axis}_low",
        disabled=off,
        help="The lowest value swept. The scenario schema says which values are valid; a range outside them is "
        "refused with the schema's message.",
    )
    columns[2].number_input(
        "To",
        step=step,
        format=text,
        key=f"sweep_{axis}_high",
        disabled=off,
        help="The highest value swept; it must not be below 'From'.",
    )
    columns[3].number_input(
        "Steps",
        min_value=2,
        max_value=MAX_STEPS,
        step=1,
        key=f"sweep_{axis}_steps",
        disabled=off,
        help=f"Evenly spaced values from 'From' to 'To', both included (2 to {MAX_STEPS}). Each is a design point; "
        f"with two parameters every combination is one. At most {MAX_POINTS:,} points per request.",
    )


def _reset_range(axis: str, values: dict[str, float]) -> None:
    """A new parameter starts on its default range (around the scenario's value)."""
    path = st.session_state[f"sweep_{axis}"]
    if path in SWEEPABLE:
        low, high = default_range(path, values[path])
        st.session_state[f"sweep_{axis}_low"] = low
        st.session_state[f"sweep_{axis}_high"] = high


def grid_plan(axes: Sequence[str], most_runs: int, most_crises: int = MAX_TOTAL_RUNS) -> Plan:
    """The grid the controls ask for, within the caps (``most_runs`` per point: ``state.runs_that_fit``;
    ``most_crises`` in all: ``state.crises_that_fit``)."""
    steps = [st.session_state[f"sweep_{axis}_steps"] for axis in AXES[: len(axes)]]
    asked = st.session_state["sweep_runs"]
    return _fitted(plan_grid(steps, min(asked, most_runs), most_crises), asked, most_runs)


def grid_ranges(axes: Sequence[str], steps: Sequence[int]) -> list[Range]:
    """Each chosen parameter with the range set in its row and the steps the plan allows."""
    return [
        (path, float(st.session_state[f"sweep_{axis}_low"]), float(st.session_state[f"sweep_{axis}_high"]), count)
        for path, axis, count in zip(axes, AXES, steps)
    ]


# ---------------------------------------------------------------------------------------------
# Which assumptions matter most?


def sobol_controls() -> list[str]:
    """The Sobol parameters, the base sample N and the runs per point; the parameters chosen."""
    paths = sobol_pick()
    columns = st.columns(2)
    columns[0].select_slider(
        "Base sample N",
        SOBOL_SAMPLES,
        key="sweep_sobol_n",
        help="The Saltelli sample runs N × (parameters + 2) points. A larger N narrows the indices' intervals "
        f"(like 1/√N); powers of two suit the sample best. At most {MAX_POINTS:,} points per request.",
    )
    columns[1].number_input(
        "Runs per point",
        min_value=1,
        max_value=MAX_RUNS_PER_POINT,
        step=500,
        key="sweep_sobol_runs",
        help="Crises at each point of the sample. Their Monte Carlo noise is variance no parameter explains: it "
        "lowers S1 and widens the intervals, so keep it small (the page says how much it is).",
    )
    return paths


def sobol_pick() -> list[str]:
    """The Sobol parameters: a multiselect kept in step with the ``sweep_sobol`` setting (one URL value)."""
    known, unknown = parse_sobol(st.session_state["sweep_sobol"])
    if unknown:
        st.warning(f"Not parameters this page can sweep, left out: {', '.join(unknown)}.")
    if len(known) > 4:
        st.warning(f"At most four parameters: the first four are used, {', '.join(known[4:])} left out.")
    st.session_state["sweep_sobol_pick"] = known[:4]

    def record() -> None:
        st.session_state["sweep_sobol"] = ",".join(st.session_state["sweep_sobol_pick"])

    return st.multiselect(
        "Parameters (2 to 4)",
        list(SWEEPABLE),
        format_func=lambda path: f"{label(path)} ({path})",
        max_selections=4,
        key="sweep_sobol_pick",
        on_change=record,
        help="The assumptions to rank. Each varies over the range set above if it is a swept parameter there, "
        "otherwise over its default range (shown below).",
    )


def sobol_plan(paths: Sequence[str], most_runs: int, most_crises: int = MAX_TOTAL_RUNS) -> Plan:
    """The Saltelli sample the controls ask for, within the caps (``most_runs`` per point, ``most_crises`` in all)."""
    asked = st.session_state["sweep_sobol_runs"]
    return _fitted(
        plan_saltelli(len(paths), st.session_state["sweep_sobol_n"], min(asked, most_runs), most_crises),
        asked,
        most_runs,
    )


def _fitted(plan: Plan, asked: int, most_runs: int) -> Plan:
    """The plan, with a note when the scenario's size cut the runs per point (``state.MAX_WORLD_CELLS``)."""
    if most_runs >= asked or plan.runs < most_runs:  # not cut, or cut further by the request's own cap
        return plan
    note = (
        f"This scenario's rounds and member states make each run large, so each point gets {plan.runs:,} runs here "
        f"(not {asked:,}) to keep the shared server responsive; `sim sweep` allows far more."
    )
    return replace(plan, notes=(*plan.notes, note))


def sobol_ranges(paths: Sequence[str], values: dict[str, float]) -> list[Range]:
    """Each parameter's range: the one set in the sweep above, or its default range."""
    ranges: list[Range] = []
    for path in paths:
        for axis in AXES:
            if st.session_state.get(f"sweep_{axis}") == path:
                low, high = st.session_state[f"sweep_{axis}_low"], st.session_state[f"sweep_{axis}_high"]
                break
        else:
            low, high = default_range(path, values[path])
        ranges.append((path, float(low), float(high), None))
    return ranges


# ---------------------------------------------------------------------------------------------
# When does it happen?


def discovery_controls() -> tuple[str, float, float]:
    """Which sweep to explain, the threshold and the least density of a box."""
    columns = st.columns(3)
    source = columns[0].radio(
        "Look in",
        DISCOVER_ON,
        format_func=lambda key: "the sweep above" if key == "grid" else "the Sobol sample (2-4 parameters)",
        key="sweep_discover_on",
        help="Which sweep's points to explain: the grid of one or two parameters, or the Saltelli sample of the "
        "section above, spread over 2-4 parameters.",
    )
    above = columns[1].slider(
        "Threshold",
        0.0,
        1.0,
        step=0.01,
        key="sweep_above",
        format="%.2f",
        help="The points of interest are those where the outcome's probability is above this value.",
    )
    density = columns[2].slider(
        "Least density of a box",
        0.05,
        1.0,
        step=0.05,
        key="sweep_density",
        format="%.2f",
        help="The least share of a box's points that must be above the threshold (PRIM's threshold density). "
        "Lower it to find larger, looser boxes.",
    )
    return source, above, density
