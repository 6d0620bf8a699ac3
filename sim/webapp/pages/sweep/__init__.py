"""Sweep: vary assumptions of the current scenario and see what the outcome depends on.

Three sections share one outcome: a sweep of one or two parameters (a curve or a heatmap of
the outcome's probability), Sobol indices from a Saltelli sample of 2-4 parameters ("which
assumptions matter most?"), and scenario discovery with PRIM ("when does it happen?"),
described in words.

The numbers are those of ``sim.sweep`` with the same scenario, parameters, runs and seed: the
page builds the same design (``sim.sweeps.design_points``) and runs the same points with the same
seeds (``sim.sweeps.run_chunk``, point ``i`` seeded by ``point_seed(seed, i)``), in chunks so a
progress bar can move. Each chunk is cached with ``st.cache_data``, so a sweep already run on
this server shows again at once.

Small sweeps run straight away; bigger ones wait for their button, since a shared classroom
server should not spend half a minute on every click of a widget. Every request is capped at
:data:`MAX_POINTS` design points and :data:`MAX_TOTAL_RUNS` simulated crises.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import annotated_types
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sim.analysis import Box, _curve, _heatmap, discover, sobol_indices
from sim.ladder import ACTORS, OUTCOMES
from sim.scenario import Scenario
from sim.sweeps import (
    Parameter,
    SweepError,
    SweepSpec,
    _check_points_validate,
    _plain,
    design_points,
    run_chunk,
)
from sim.webapp.fields import GAME_FIELDS, Field, actor_field
from sim.webapp.state import Current, Setting, field_value
from sim.webapp.style import GRID, OKABE_ITO, OUTCOME_COLOURS, base_layout, font_size, ink, show_chart, words

TITLE = "Sweep"
ICON = "📈"

MAX_POINTS = 400
"""Design points per request in the browser (the CLI has no cap)."""
MAX_TOTAL_RUNS = 2_000_000
"""Simulated crises per request (points x runs per point): under a minute on one core."""
POINT_OVERHEAD_RUNS = 1_000
"""Setting up a design point (validating its scenario) costs about as much as this many runs."""
AUTO_RUN_WORK = 100_000
"""Requests of at most this much work (run-equivalents, about two seconds) run without a button."""
SECONDS_PER_RUN = 2e-5
"""Rough cost of one simulated crisis on the development machine: for the time estimates shown."""
PROGRESS_STEPS = 20
"""A sweep is run in about this many chunks, one progress-bar step each."""
MAX_RUNS_PER_POINT = 100_000
MAX_STEPS = 101
SOBOL_SAMPLES = (8, 16, 32, 64, 128, 256)
NONE = "none"
DISCOVER_ON = ("grid", "saltelli")


@dataclass(frozen=True)
class Swept:
    """A scenario field offered for sweeping: how a sentence names it, and the range it starts with."""

    path: str
    phrase: str
    low: float
    high: float


SWEEPABLE: dict[str, Swept] = {
    item.path: item
    for item in (
        Swept("russia.resolve_prior", "Russia's resolve prior", 0.0, 1.0),
        Swept("coalition.resolve_prior", "the coalition's resolve prior", 0.0, 1.0),
        Swept("us.resolve_prior", "the US's resolve prior", 0.0, 1.0),
        Swept("escalation.tripwire", "the escalation tripwire", 0.0, 0.45),
        Swept("escalation.backstop", "the escalation effect of the US backstop", 0.0, 0.45),
        Swept("escalation.base", "the base chance that a clash becomes a major war", 0.0, 0.5),
        Swept("accident.standoff", "the chance of an accident in a standoff", 0.0, 0.15),
        Swept("accident.declared_intent", "the chance of an accident while intent is only declared", 0.0, 0.05),
        Swept("accident.incident", "the chance that an incident spirals into a clash", 0.0, 0.5),
        Swept("russia.lambda", "Russia's rationality λ", 0.0, 5.0),
        Swept("coalition.lambda", "the coalition's rationality λ", 0.0, 5.0),
        Swept("us.lambda", "the US's rationality λ", 0.0, 5.0),
        Swept("russia.war_bonus", "Russia's war bonus", 0.0, 15.0),
        Swept("coalition.war_bonus", "the coalition's war bonus", 0.0, 10.0),
        Swept("russia.audience_cost", "Russia's audience cost", 0.0, 3.0),
        Swept("coalition.audience_cost", "the coalition's audience cost", 0.0, 3.0),
    )
}
DEFAULT_SOBOL = ("russia.resolve_prior", "escalation.tripwire", "coalition.resolve_prior")

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


# ---------------------------------------------------------------------------------------------
# Parameters: words, bounds and default ranges


def field_of(path: str) -> Field:
    """The sidebar's description of a field (label and help), reused so both say the same."""
    head, _, attribute = path.partition(".")
    if head in ACTORS:
        return actor_field(head, attribute)
    return next(item for item in GAME_FIELDS if item.path == path)


def label(path: str) -> str:
    return field_of(path).label if path in SWEEPABLE else path


def phrase(path: str) -> str:
    """How a sentence names a parameter: ``Russia's resolve prior``."""
    return SWEEPABLE[path].phrase if path in SWEEPABLE else f"`{path}`"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@functools.cache
def schema_bounds(path: str) -> tuple[float | None, float | None]:
    """The valid (low, high) of a numeric scenario field, read from the scenario schema itself."""
    model: Any = Scenario
    parts = path.split(".")
    for number, part in enumerate(parts):
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        field = fields[part]
        if number < len(parts) - 1:
            model = field.annotation
            continue
        low = high = None
        for rule in field.metadata:
            if isinstance(rule, (annotated_types.Ge, annotated_types.Gt)):
                low = float(rule.ge if isinstance(rule, annotated_types.Ge) else rule.gt)
            if isinstance(rule, (annotated_types.Le, annotated_types.Lt)):
                high = float(rule.le if isinstance(rule, annotated_types.Le) else rule.lt)
        return low, high
    return None, None


def default_range(path: str, value: float) -> tuple[float, float]:
    """The range a parameter starts with: its usual span, widened to hold the scenario's value,
    kept within the values the schema allows."""
    item = SWEEPABLE[path]
    low, high = min(item.low, value), max(item.high, value)
    valid_low, valid_high = schema_bounds(path)
    if valid_low is not None:
        low = max(low, valid_low)
    if valid_high is not None:
        high = min(high, valid_high)
    return float(low), float(high)


def step_of(path: str) -> float:
    return float(field_of(path).step) or 0.05


def range_problems(ranges: Sequence[tuple[str, float, float, int | None]]) -> list[str]:
    """What is wrong with the ranges in the user's words (the schema's own checks come later)."""
    problems = []
    for path, low, high, _ in ranges:
        if not (math.isfinite(low) and math.isfinite(high)):
            problems.append(f"{label(path)} (`{path}`): 'From' and 'To' must be numbers.")
        elif low > high:
            problems.append(
                f"{label(path)} (`{path}`): 'From' ({number(low)}) is above 'To' ({number(high)}); swap them."
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Caps on a request


@dataclass(frozen=True)
class Plan:
    """What will run: grid steps or Saltelli N, runs per point, the points, and why it was capped."""

    steps: tuple[int, ...]
    samples: int | None
    runs: int
    points: int
    notes: tuple[str, ...] = ()

    @property
    def work(self) -> int:
        """Run-equivalents: what the request costs, counting each point's set-up."""
        return self.points * (self.runs + POINT_OVERHEAD_RUNS)

    @property
    def seconds(self) -> float:
        return self.work * SECONDS_PER_RUN

    @property
    def crises(self) -> int:
        return self.points * self.runs


def plan_grid(steps: Sequence[int], runs: int) -> Plan:
    """A grid of ``steps`` per parameter, shrunk (the finest axis first) to at most MAX_POINTS points."""
    asked = [int(s) for s in steps]
    capped = list(asked)
    while math.prod(capped) > MAX_POINTS:
        largest = max(range(len(capped)), key=lambda k: capped[k])
        capped[largest] -= 1
    notes = []
    if capped != asked:
        notes.append(
            f"You asked for {math.prod(asked):,} points ({' × '.join(map(str, asked))}); a request here may have "
            f"at most {MAX_POINTS:,}, so the grid is {' × '.join(map(str, capped))} = {math.prod(capped):,} points."
        )
    points = math.prod(capped)
    runs = _capped_runs(points, runs, notes)
    return Plan(tuple(capped), None, runs, points, tuple(notes))


def plan_saltelli(parameters: int, samples: int, runs: int) -> Plan:
    """A Saltelli sample of N(D+2) points, N cut to the largest power of two within MAX_POINTS."""
    notes = []
    capped = int(samples)
    if capped * (parameters + 2) > MAX_POINTS:
        capped = 2 ** int(math.log2(MAX_POINTS // (parameters + 2)))
        notes.append(
            f"You asked for N = {samples}, {samples * (parameters + 2):,} points for {parameters} parameters; a "
            f"request here may have at most {MAX_POINTS:,} points, so N = {capped} ({capped * (parameters + 2):,} "
            "points)."
        )
    points = capped * (parameters + 2)
    runs = _capped_runs(points, runs, notes)
    return Plan((), capped, runs, points, tuple(notes))


def _capped_runs(points: int, runs: int, notes: list[str]) -> int:
    if points * runs <= MAX_TOTAL_RUNS:
        return int(runs)
    capped = max(1, MAX_TOTAL_RUNS // points)
    notes.append(
        f"{points:,} points × {runs:,} runs would simulate {points * runs:,} crises; a request here may simulate at "
        f"most {MAX_TOTAL_RUNS:,}, so each point gets {capped:,} runs."
    )
    return capped


# ---------------------------------------------------------------------------------------------
# Running a sweep: the same points and seeds as sim.sweep, in chunks, cached


@dataclass(frozen=True)
class Request:
    """Everything that fixes a sweep's numbers (hashable, so it can key caches)."""

    scenario_json: str
    params: tuple[tuple[str, float, float, int | None], ...]
    design: str
    samples: int | None
    runs: int
    seed: int

    def parameters(self) -> list[Parameter]:
        return [Parameter.range(*param) for param in self.params]

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self)).encode()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def prepare(request: Request) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, Any]]:
    """The design points and the sweep's metadata, exactly as ``sim.sweep`` makes them.

    Raises SweepError for a range the sweep cannot use (low above high, values the scenario
    refuses), before anything runs."""
    scenario = Scenario.model_validate_json(request.scenario_json)
    parameters = request.parameters()
    table = design_points(parameters, request.design, request.samples, request.seed)
    points = [(index, _plain(row)) for index, row in enumerate(table.to_dict("records"))]
    _check_points_validate(scenario, points)
    spec = SweepSpec(
        scenario.name, scenario.sha256(), [asdict(p) for p in parameters], request.design, request.samples,
        False, int(request.seed), int(request.runs), len(points),
    )  # fmt: skip
    return points, spec.metadata(scenario)


@st.cache_data(show_spinner=False, max_entries=4_000)
def run_points(scenario_json: str, points_json: str, runs: int, seed: int) -> list[dict[str, Any]]:
    """One chunk of design points (``sim.sweeps.run_chunk``), cached for every session."""
    points = [(int(index), values) for index, values in json.loads(points_json)]
    return run_chunk(scenario_json, points, runs, seed)


@st.cache_resource(show_spinner=False)
def _finished() -> tuple[OrderedDict[str, None], threading.Lock]:
    """Keys of the sweeps run on this server, newest last: they show again without a button."""
    return OrderedDict(), threading.Lock()


def already_run(request: Request) -> bool:
    store, lock = _finished()
    with lock:
        return request.key in store


def _mark_run(request: Request) -> None:
    store, lock = _finished()
    with lock:
        store[request.key] = None
        store.move_to_end(request.key)
        while len(store) > 256:
            store.popitem(last=False)


def run_sweep(request: Request, show_progress: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The sweep's table (one row per point, as ``sim.sweep`` returns it) and its metadata."""
    points, metadata = prepare(request)
    size = max(1, math.ceil(len(points) / PROGRESS_STEPS))
    slot = st.empty() if show_progress else None
    rows: list[dict[str, Any]] = []
    for start in range(0, len(points), size):
        if slot is not None:
            slot.progress(
                start / len(points),
                text=f"Sweeping: {start:,} of {len(points):,} points done ({request.runs:,} runs each)…",
            )
        rows += run_points(request.scenario_json, json.dumps(points[start : start + size]), request.runs, request.seed)
    if slot is not None:
        slot.empty()
    _mark_run(request)
    frame = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    return frame, metadata


def obtain(request: Request, plan: Plan, button: str, key: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Run the sweep if it is small or already run on this server; otherwise wait for its button."""
    if plan.work <= AUTO_RUN_WORK or already_run(request):
        return run_sweep(request, show_progress=not already_run(request))
    slot = st.empty()
    with slot.container():
        st.info(
            f"This sweep simulates {plan.points:,} points × {plan.runs:,} runs = {plan.crises:,} crises, roughly "
            f"{_duration(plan.seconds)} of computing on a shared server, so it runs when you press the button. Once "
            "run, it shows again at once."
        )
        pressed = st.button(
            button, key=key, type="primary", help="Run this sweep now; a progress bar shows the points."
        )
    if pressed:
        slot.empty()
        return run_sweep(request)
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} minutes"


# ---------------------------------------------------------------------------------------------
# Words


def percent(share: float) -> str:
    """0.125 -> ``12.5%``, 0.1 -> ``10%``, 0.004 -> ``0.4%``."""
    text = f"{100 * share:.1f}".removesuffix(".0")
    return f"{text}%"


def share(fraction: float) -> str:
    """A share of points or of variance, to the whole percent: estimates are not more precise."""
    return f"{fraction:.0%}"


def number(value: float) -> str:
    return f"{value:.4g}"


def condition_words(path: str, low: float | None, high: float | None) -> str:
    """``Russia's resolve prior is above 0.46`` (or below, or between)."""
    name = phrase(path)
    if low is not None and high is not None:
        return f"{name} is between {number(low)} and {number(high)}"
    if low is not None:
        return f"{name} is above {number(low)}"
    return f"{name} is below {number(high)}"  # type: ignore[arg-type]


def box_sentence(box: Box, outcome: str) -> str:
    """A PRIM box in plain words: where, how often, and how much of the sweep it holds."""
    what = f"{words(outcome)} is above {percent(box.above)}"
    scope = "of the points"
    if box.outside:
        scope = "of the points outside box " + " and ".join(str(earlier) for earlier in box.outside)
    conditions = [condition_words(path, *box.limits[path]) for path in box.order if path in box.limits]
    conditions += [f"{phrase(path)} is {' or '.join(map(str, values))}" for path, values in box.categories.items()]
    where = f"where {' and '.join(conditions)}" if conditions else "anywhere (no parameter restricts it)"
    return (
        f"**Box {box.number}.** {what} in {share(box.density)} {scope} {where}. The box holds {box.points:,} "
        f"points ({share(box.mass)} of the sweep) and {share(box.coverage)} of all the points where "
        f"{words(outcome).lower()} is above {percent(box.above)}."
    )


def noise_share(frame: pd.DataFrame, outcome: str) -> float:
    """Share of the outcome's variance across points that is Monte Carlo noise (docs/sweeps.md, section 2)."""
    p = frame[f"p_{outcome}"].to_numpy(dtype=float)
    spread = float(np.var(p, ddof=1)) if p.size > 1 else 0.0
    if spread <= 0:
        return math.inf
    return float(np.mean(p * (1 - p) / frame["runs"].to_numpy(dtype=float)) / spread)


def sobol_sentences(table: pd.DataFrame, outcome: str) -> list[str]:
    """What the Sobol indices say, in words: which parameter drives the outcome, and how surely."""
    first = table[table["index"] == "S1"].set_index("parameter")
    total = table[table["index"] == "ST"].set_index("parameter")  # ordered by ST, the largest first
    names = list(total.index)
    top = names[0]
    outcome_words = f"P({words(outcome).lower()})"
    lines = [
        f"**{capitalised(phrase(top))} drives {outcome_words} most**: alone it explains about "
        f"{share(max(0.0, first.loc[top, 'estimate']))} of its variation across the sample (first-order index S1), "
        f"and {share(max(0.0, total.loc[top, 'estimate']))} counting its interactions with the others (total index "
        "ST)."
    ]
    if len(names) > 1:
        second = names[1]
        if total.loc[top, "ci_low"] <= total.loc[second, "ci_high"]:
            lines.append(
                f"The 95% intervals of {phrase(top)} and {phrase(second)} overlap, so this sample cannot rank the "
                "two for sure: a larger N would."
            )
        else:
            lines.append(
                f"Next comes {phrase(second)} (ST {share(max(0.0, total.loc[second, 'estimate']))}); the "
                f"intervals show that {phrase(top)} matters more."
            )
    minor = [name for name in names if total.loc[name, "ci_high"] < 0.05]
    if minor:
        which = capitalised(" and ".join(phrase(name) for name in minor))
        one = len(minor) == 1
        lines.append(
            f"{which} hardly {'matters' if one else 'matter'} here (total index below 5% with 95% confidence): "
            f"{'it' if one else 'each'} could be fixed anywhere in its range without changing the answer."
        )
    s1_sum = float(first["estimate"].sum())
    lines.append(
        f"The first-order indices add up to {s1_sum:.2f}: about {share(max(0.0, 1 - s1_sum))} of the variation "
        "comes from interactions between the parameters (and Monte Carlo noise)."
    )
    return lines


def parse_sobol(text: str) -> tuple[list[str], list[str]]:
    """The ``sweep_sobol`` setting (comma-separated paths) as (known paths, unknown ones)."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    known = list(dict.fromkeys(item for item in items if item in SWEEPABLE))
    return known, [item for item in items if item not in SWEEPABLE]


# ---------------------------------------------------------------------------------------------
# Downloads: the sweep table with its provenance


def table_with_provenance(frame: pd.DataFrame, metadata: dict[str, Any]) -> pd.DataFrame:
    """The sweep's rows plus scenario, its SHA-256, design, seed and version on every row (as the
    per-run download has), so a CSV file says where it came from."""
    table = frame.copy()
    for column in ("scenario", "scenario_sha256", "design", "seed", "version"):
        table[column] = metadata.get(column)
    return table


def table_bytes(frame: pd.DataFrame, metadata: dict[str, Any], suffix: str) -> bytes:
    """CSV, or Parquet whose schema metadata ``sim.sweep`` holds what ``_sweep.json`` would."""
    table = table_with_provenance(frame, metadata)
    if suffix == ".csv":
        return table.to_csv(index=False).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"sim.sweep": json.dumps(metadata)})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, metadata: dict[str, Any], stem: str, key: str) -> None:
    formats = [
        ("CSV", ".csv", "text/csv",
         "One row per design point: the parameters, each outcome's probability and 95% interval, mean rounds and "
         "payoffs, and the provenance (scenario, SHA-256, design, seed, version) on every row."),
        ("Parquet", ".parquet", "application/vnd.apache.parquet",
         "The same table as Parquet; its schema metadata `sim.sweep` holds the full specification and scenario, "
         "as a sweep directory's _sweep.json does."),
    ]  # fmt: skip
    for column, (name, suffix, mime, explanation) in zip(st.columns([1, 1, 2]), formats):
        column.download_button(
            f"Download sweep {name}",
            data=lambda suffix=suffix: table_bytes(frame, metadata, suffix),
            file_name=f"{stem}{suffix}",
            mime=mime,
            on_click="ignore",
            key=f"{key}_{suffix[1:]}",
            help=explanation,
        )


# ---------------------------------------------------------------------------------------------
# Figures


def curve_figure(
    frame: pd.DataFrame, metadata: dict[str, Any], outcome: str, x: str, marker: float | None = None
) -> go.Figure:
    """P(outcome) against one parameter, with its 95% band, and the scenario's own value marked."""
    curve = _curve(frame, metadata, f"p_{outcome}", x, None)
    xs = [float(value) for value in curve["x"]]
    mean, low, high = (curve[key].tolist() for key in ("mean", "low", "high"))
    colour = OUTCOME_COLOURS[outcome]
    name = f"P({words(outcome).lower()})"
    figure = go.Figure()
    figure.add_scatter(
        x=xs + xs[::-1],
        y=high + low[::-1],
        fill="toself",
        fillcolor=_translucent(colour, 0.25),
        line={"width": 0},
        name="95% interval",
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=xs,
        y=mean,
        mode="lines+markers",
        line={"color": colour, "width": 3},
        marker={"size": 8, "color": colour, "line": {"color": "#000000", "width": 1}},
        name=name,
        customdata=[[lo, hi] for lo, hi in zip(low, high, strict=True)],
        hovertemplate=f"{label(x)} = %{{x:.4g}}<br>{name} = %{{y:.1%}} "
        "(95% interval %{customdata[0]:.1%} to %{customdata[1]:.1%})<extra></extra>",
    )
    if marker is not None:
        figure.add_vline(
            x=marker,
            line={"color": ink(), "dash": "dash", "width": 2},
            annotation_text="the scenario's value",
            annotation_font={"size": font_size() - 2, "color": ink()},
        )
    top = max(high) if high and all(math.isfinite(v) for v in high) else max(mean)
    figure.update_xaxes(title_text=f"{label(x)} ({x})", gridcolor=GRID)
    figure.update_yaxes(title_text=name, tickformat=".0%", range=[0, min(1.0, top * 1.1 + 0.02)], gridcolor=GRID)
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return base_layout(figure, height=430)


def heatmap_figure(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    x: str,
    y: str,
    marker: tuple[float, float] | None = None,
) -> go.Figure:
    """P(outcome) over two parameters: a Cividis heatmap with the percentage written in each cell."""
    heat = _heatmap(frame, metadata, f"p_{outcome}", x, y, None)
    z = heat["z"]
    name = f"P({words(outcome).lower()})"
    readable = z.size <= 225  # numbers in the cells only while they stay legible
    figure = go.Figure(
        go.Heatmap(
            z=[[None if not math.isfinite(v) else float(v) for v in row] for row in z],
            x=heat["x"],
            y=heat["y"],
            colorscale="Cividis",
            colorbar={"title": {"text": name}, "tickformat": ".0%"},
            texttemplate="%{z:.0%}" if readable else None,
            textfont={"size": max(11, font_size() - 4)},
            hovertemplate=f"{label(x)} = %{{x:.4g}}<br>{label(y)} = %{{y:.4g}}<br>{name} = %{{z:.1%}}<extra></extra>",
            name=name,
        )
    )
    if marker is not None:
        figure.add_scatter(
            x=[marker[0]],
            y=[marker[1]],
            mode="markers",
            marker={"symbol": "x", "size": 16, "color": "#FFFFFF", "line": {"color": "#000000", "width": 2}},
            name="the scenario's values",
            hovertemplate="the scenario's values<extra></extra>",
        )
    figure.update_xaxes(title_text=f"{label(x)} ({x})")
    figure.update_yaxes(title_text=f"{label(y)} ({y})")
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return base_layout(figure, height=520)


def sobol_figure(table: pd.DataFrame, outcome: str) -> go.Figure:
    """S1 and ST of each parameter with their 95% intervals, the most influential on top.

    Bars sit on a numeric axis (parameter k at k, ST just above, S1 just below) so each value can be
    written beyond its whisker, where no line crosses it."""
    names = list(table.loc[table["index"] == "ST", "parameter"])
    figure = go.Figure()
    series = [
        ("ST", "Total effect ST (alone and through interactions)", OKABE_ITO["orange"], -0.2, "/"),
        ("S1", "First-order S1 (alone)", OKABE_ITO["blue"], 0.2, ""),
    ]
    highest = max(1.0, float(table.loc[table["index"] != "S2", "ci_high"].max()))
    lowest = min(0.0, float(table.loc[table["index"] != "S2", "ci_low"].min()))
    for index, legend, colour, offset, pattern in series:
        rows = table[table["index"] == index].set_index("parameter").loc[names]
        estimate, low, high = (rows[key].to_numpy(dtype=float) for key in ("estimate", "ci_low", "ci_high"))
        positions = [k + offset for k in range(len(names))]
        figure.add_bar(
            x=estimate.tolist(),
            y=positions,
            width=0.38,
            orientation="h",
            name=legend,
            legendgroup=index,
            marker={"color": colour, "line": {"color": "#000000", "width": 1}, "pattern": {"shape": pattern}},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (high - estimate).tolist(),
                "arrayminus": (estimate - low).tolist(),
                "color": ink(),
                "thickness": 2,
                "width": 6,
            },
            customdata=[[label(name), lo, hi] for name, lo, hi in zip(names, low.tolist(), high.tolist(), strict=True)],
            hovertemplate=f"%{{customdata[0]}}: {index} = %{{x:.2f}} (95% interval %{{customdata[1]:.2f}} to "
            "%{customdata[2]:.2f})<extra></extra>",
        )
        figure.add_scatter(
            x=[max(value, 0.0) + 0.02 for value in high.tolist()],
            y=positions,
            mode="text",
            text=[f"{index} {value:.2f}" for value in estimate],
            textposition="middle right",
            textfont={"size": max(11, font_size() - 2), "color": ink()},
            legendgroup=index,
            showlegend=False,
            hoverinfo="skip",
        )
    figure.update_xaxes(
        title_text=f"Share of the variance of P({words(outcome).lower()})",
        range=[lowest - 0.02, highest + 0.3],
        gridcolor=GRID,
        zeroline=True,
        zerolinecolor=ink(),
    )
    figure.update_yaxes(
        tickvals=list(range(len(names))),
        ticktext=[label(name) for name in names],
        range=[len(names) - 0.5, -0.5],
        showgrid=False,
    )
    figure.update_layout(barmode="overlay", legend={"orientation": "h", "y": -0.3})
    return base_layout(figure, height=170 + 95 * len(names))


def discovery_axes(frame: pd.DataFrame, metadata: dict[str, Any], boxes: list[Box]) -> list[str]:
    """The (at most two) parameters to draw: those the boxes restrict first, then the sweep's own order."""
    swept = [param["path"] for param in metadata["params"] if frame[param["path"]].nunique() > 1]
    restricted = [path for box in boxes for path in box.order if path in box.limits]
    return list(dict.fromkeys([*restricted, *swept]))[:2]


def discovery_figure(
    frame: pd.DataFrame, metadata: dict[str, Any], outcome: str, above: float, boxes: list[Box]
) -> go.Figure:
    """Every point, marked above or not above the threshold, with the boxes PRIM found drawn on it."""
    column = f"p_{outcome}"
    axes = discovery_axes(frame, metadata, boxes)
    x = axes[0]
    y = axes[1] if len(axes) > 1 else column
    interest = frame[column].to_numpy(dtype=float) > above
    figure = go.Figure()
    kinds = [
        (interest, f"{words(outcome)} above {percent(above)}", OUTCOME_COLOURS[outcome], "circle"),
        (~interest, f"not above {percent(above)}", OKABE_ITO["sky_blue"], "x"),
    ]
    for chosen, name, colour, symbol in kinds:
        figure.add_scatter(
            x=frame.loc[chosen, x].tolist(),
            y=frame.loc[chosen, y].tolist(),
            mode="markers",
            name=name,
            marker={"color": colour, "symbol": symbol, "size": 9, "line": {"color": "#000000", "width": 0.5}},
            customdata=frame.loc[chosen, column].tolist(),
            hovertemplate=f"{label(x)} = %{{x:.4g}}<br>"
            + (f"{label(y)} = %{{y:.4g}}<br>" if y != column else "")
            + f"P({words(outcome).lower()}) = %{{customdata:.1%}}<extra>{name}</extra>",
        )
    xs = frame[x].to_numpy(dtype=float)
    ys = frame[y].to_numpy(dtype=float)
    pad_x = 0.03 * (np.ptp(xs) or 1.0)
    pad_y = 0.03 * (np.ptp(ys) or 1.0)
    for box in boxes:
        x_low, x_high = box.limits.get(x, (None, None))
        y_low, y_high = box.limits.get(y, (None, None)) if y != column else (None, None)
        figure.add_shape(
            type="rect",
            x0=xs.min() - pad_x if x_low is None else x_low,
            x1=xs.max() + pad_x if x_high is None else x_high,
            y0=ys.min() - pad_y if y_low is None else y_low,
            y1=ys.max() + pad_y if y_high is None else y_high,
            line={"color": ink(), "width": 2, "dash": "dash"},
            fillcolor="rgba(0,0,0,0)",
            label={"text": f"Box {box.number}", "textposition": "top left", "font": {"size": font_size() - 2}},
        )
    if y == column:
        figure.add_hline(
            y=above,
            line={"color": ink(), "dash": "dot", "width": 1.5},
            annotation_text=f"threshold {percent(above)}",
            annotation_position="bottom left",
            annotation_font={"size": font_size() - 2, "color": ink()},
        )
        figure.update_yaxes(title_text=f"P({words(outcome).lower()})", tickformat=".0%")
    else:
        figure.update_yaxes(title_text=f"{label(y)} ({y})")
    figure.update_xaxes(title_text=f"{label(x)} ({x})", gridcolor=GRID)
    figure.update_yaxes(gridcolor=GRID)
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return base_layout(figure, height=440)


def _translucent(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# ---------------------------------------------------------------------------------------------
# The page


def render(current: Current) -> None:
    header(current)
    outcome = st.selectbox(
        "Outcome",
        OUTCOMES,
        format_func=words,
        key="sweep_outcome",
        help="The outcome whose probability every section below shows, explains and looks for.",
    )
    grid = sweep_section(current, outcome)
    saltelli = sobol_section(current, outcome)
    discovery_section(outcome, grid, saltelli)


def header(current: Current) -> None:
    scenario = current.scenario
    assert scenario is not None
    st.title("Which assumptions matter?")
    st.markdown(
        f"Vary one or two assumptions of **{scenario.title or scenario.name}** over a range and see how an outcome's "
        "probability responds; rank several assumptions by how much of the outcome they explain; and find where in "
        "the ranges the outcome becomes likely. Every point of a sweep is a Monte Carlo of its own."
    )
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar), so the sweeps use the scenario's own values for them."
        )
    edits = ", ".join(f"`{path}` = {value}" for path, value in current.applied_edits.items())
    st.caption(
        f"Base: scenario `{scenario.name}`{' with your edits (' + edits + ')' if edits else ''}; every field not "
        f"swept keeps this value. Seed {current.seed} (from the sidebar): point *i* of a sweep is seeded "
        f"`SeedSequence({current.seed}, spawn_key=(i,))`, as `sim sweep` does. Runs per point are set on this page."
    )


def _values(current: Current) -> dict[str, float]:
    assert current.scenario is not None
    return {path: float(field_value(current.scenario, path)) for path in SWEEPABLE}


def _reset_range(axis: str, values: dict[str, float]) -> None:
    """A new parameter starts on its default range (around the scenario's value)."""
    path = st.session_state[f"sweep_{axis}"]
    if path in SWEEPABLE:
        low, high = default_range(path, values[path])
        st.session_state[f"sweep_{axis}_low"] = low
        st.session_state[f"sweep_{axis}_high"] = high


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


def sweep_section(current: Current, outcome: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    st.header("Sweep one or two assumptions")
    values = _values(current)
    parameter_row("x", values)
    parameter_row("y", values)
    st.columns([1, 3])[0].number_input(
        "Runs per point",
        min_value=1,
        max_value=MAX_RUNS_PER_POINT,
        step=500,
        key="sweep_runs",
        help="Crises simulated at each design point. More runs narrow each point's 95% interval (about ±2% for a "
        f"probability near 10% at 1,000 runs). At most {MAX_TOTAL_RUNS:,} crises per request (points × runs).",
    )
    x, y = st.session_state["sweep_x"], st.session_state["sweep_y"]
    axes = [x] if y == NONE else [x, y]
    if len(set(axes)) < len(axes):
        st.error("Parameter 1 and parameter 2 are the same field: choose two different ones (or none for a curve).")
        return None
    plan = plan_grid(
        [st.session_state[f"sweep_{a}_steps"] for a in ("x", "y")[: len(axes)]], st.session_state["sweep_runs"]
    )
    for note in plan.notes:
        st.warning(note)
    ranges = [
        (path, float(st.session_state[f"sweep_{a}_low"]), float(st.session_state[f"sweep_{a}_high"]), steps)
        for path, a, steps in zip(axes, ("x", "y"), plan.steps)
    ]
    if problems := range_problems(ranges):
        st.error("This sweep cannot run: " + " ".join(problems))
        return None
    request = Request(current.scenario_json, tuple(ranges), "grid", None, plan.runs, current.seed)
    result = _obtain_or_error(request, plan, "Run sweep", "sweep_run_grid")
    if result is None:
        return None
    frame, metadata = result
    column = f"p_{outcome}"
    name = f"P({words(outcome).lower()})"
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
        show_chart(
            heatmap_figure(frame, metadata, outcome, x, y, (values[x], values[y])),
            "sweep_heatmap",
            f"each cell is one combination of {phrase(x)} (across) and {phrase(y)} (up), and its colour and number are "
            f"{name} among the {plan.runs:,} crises simulated there: darker blue is lower, brighter yellow higher (the "
            "Cividis scale reads the same to colour-blind eyes and in greyscale). The white × marks the scenario's "
            f"own values. Each cell's 95% interval is in the table below (ci_low_{outcome}, ci_high_{outcome}).",
        )
    low, high = frame[column].min(), frame[column].max()
    st.markdown(f"Over this sweep, {name} goes from **{percent(low)}** to **{percent(high)}**.")
    with st.expander("The numbers behind the chart"):
        st.dataframe(frame, hide_index=True)
    stem = f"{metadata['scenario']}_sweep_{'_'.join(axes)}_seed{current.seed}"
    downloads(frame, metadata, stem, "sweep_grid_download")
    return frame, metadata


def _obtain_or_error(request: Request, plan: Plan, button: str, key: str) -> tuple[pd.DataFrame, dict] | None:
    """:func:`obtain`, with a sweep the engine refuses shown as an error (the page goes on)."""
    try:
        return obtain(request, plan, button, key)
    except SweepError as error:
        reason = str(error).replace(" [overridden]", "")
        st.error(f"This sweep cannot run: {reason}. Change the range and it runs again.")
        return None


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


def sobol_ranges(paths: list[str], values: dict[str, float]) -> list[tuple[str, float, float, None]]:
    """Each parameter's range: the one set in the sweep above, or its default range."""
    ranges = []
    for path in paths:
        for axis in ("x", "y"):
            if st.session_state.get(f"sweep_{axis}") == path:
                low, high = st.session_state[f"sweep_{axis}_low"], st.session_state[f"sweep_{axis}_high"]
                break
        else:
            low, high = default_range(path, values[path])
        ranges.append((path, float(low), float(high), None))
    return ranges


def sobol_section(current: Current, outcome: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    st.header("Which assumptions matter most?")
    st.markdown(
        "Vary several assumptions at once and split the outcome's variation between them (Sobol indices, "
        "computed by SALib from a Saltelli sample). Sobol indices answer: *if we could pin down one assumption, "
        "how much of the spread in the outcome would go away?*"
    )
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
    if len(paths) < 2:
        st.info("Choose at least two parameters to compare.")
        return None
    ranges = sobol_ranges(paths, _values(current))
    st.caption(
        "Ranges: " + "; ".join(f"{label(path)} {number(low)} to {number(high)}" for path, low, high, _ in ranges) + "."
    )
    plan = plan_saltelli(len(paths), st.session_state["sweep_sobol_n"], st.session_state["sweep_sobol_runs"])
    for note in plan.notes:
        st.warning(note)
    if problems := range_problems(ranges):
        st.error("The Sobol sample cannot run: " + " ".join(problems))
        return None
    request = Request(current.scenario_json, tuple(ranges), "saltelli", plan.samples, plan.runs, current.seed)
    result = _obtain_or_error(request, plan, "Compute Sobol indices", "sweep_run_sobol")
    if result is None:
        return None
    frame, metadata = result
    try:
        table = sobol_indices(frame, metadata, outcome)
    except ValueError as error:
        st.info(f"No Sobol indices for {words(outcome).lower()}: {error}.")
        return frame, metadata
    show_chart(
        sobol_figure(table, outcome),
        "sweep_sobol_chart",
        f"for each assumption, the blue bar (S1) is the share of the variation of P({words(outcome).lower()}) across "
        "the sample that it explains alone; the orange bar (ST) adds what it explains together with the others. "
        "A parameter whose ST is near 0 could be fixed anywhere in its range without changing the answer; ST well "
        "above S1 means its effect depends on the other assumptions. Whiskers are 95% bootstrap intervals; "
        "estimates can stray a little below 0 or above 1.",
    )
    st.markdown(" ".join(sobol_sentences(table, outcome)))
    noise = noise_share(frame, outcome)
    note = (
        f"About {share(min(noise, 1.0))} of the variation across the {plan.points:,} points is Monte Carlo noise "
        f"({plan.runs:,} runs per point), which no parameter explains."
    )
    if noise > 0.1:
        st.warning(note + " Raise the runs per point to sharpen the indices.")
    else:
        st.caption(note)
    with st.expander("The indices and the sample"):
        st.dataframe(table, hide_index=True)
        st.dataframe(frame, hide_index=True)
    stem = f"{metadata['scenario']}_saltelli_N{plan.samples}_seed{current.seed}"
    downloads(frame, metadata, stem, "sweep_sobol_download")
    return frame, metadata


def discovery_section(
    outcome: str,
    grid: tuple[pd.DataFrame, dict[str, Any]] | None,
    saltelli: tuple[pd.DataFrame, dict[str, Any]] | None,
) -> None:
    st.header("When does it happen?")
    st.markdown(
        "Scenario discovery (PRIM, the Patient Rule Induction Method): find simple ranges of the parameters, "
        "*boxes*, inside which the outcome is above a threshold at most points."
    )
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
    result = grid if source == "grid" else saltelli
    if result is None:
        where = "the sweep above" if source == "grid" else "the Sobol sample"
        st.info(f"Nothing to look in yet: run {where} first.")
        return
    frame, metadata = result
    column = f"p_{outcome}"
    values = frame[column].to_numpy(dtype=float)
    cases = int((values > above).sum())
    what = f"{words(outcome)} is above {percent(above)}"
    st.markdown(f"{what} at **{cases:,} of {len(frame):,} points** ({share(cases / len(frame))}).")
    if cases == 0:
        st.info(f"No point to explain: the highest value is {percent(values.max())}. Lower the threshold.")
        return
    if cases == len(frame):
        st.info(f"Every point is above the threshold (the lowest is {percent(values.min())}): raise it.")
        return
    boxes = discover(frame, metadata, outcome, above, threshold_density=density)
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
    show_chart(
        discovery_figure(frame, metadata, outcome, above, boxes),
        "sweep_discovery_chart",
        f"each mark is one design point: a filled circle where {words(outcome).lower()} is above {percent(above)}, a "
        "light × where it is not. Dashed rectangles are the boxes (limits on parameters not on the axes are not "
        "drawn). With one swept parameter the vertical axis is the probability itself and the dotted line the "
        "threshold.",
    )
