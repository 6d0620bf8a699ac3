"""Running a sweep for the page: the same numbers as ``sim.sweep``, in chunks, cached.

The page sets the sweep up with the one plan of every sweep (``sim.studies.sweeps.plan_sweep``, given
this server's caps) and runs the same points with the same seeds (``sim.studies.sweeps.run_chunk``,
point ``i`` seeded by ``point_seed(seed, i)``), in chunks so a progress bar can move. Each chunk is
cached with ``st.cache_data``, so a sweep already run on this server shows again at once. Small
sweeps run straight away; bigger ones wait for their button, since a shared classroom server
should not spend half a minute on every click.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import streamlit as st

from sim.domain.scenario import Scenario
from sim.engine.equilibrium.grid_identity import play_only
from sim.studies.sweeps import Parameter, SweepError, plan_sweep, run_chunk
from sim.webapp.compute import Recent
from sim.webapp.pages.sweep.plan import MAX_POINTS, MAX_TOTAL_RUNS, Pace, Plan
from sim.webapp.state import crises_that_fit

AUTO_RUN_WORK = 100_000
"""Requests of at most this much work (run-equivalents, about two seconds) run without a button."""
PROGRESS_STEPS = 20
"""A sweep is run in about this many chunks, one progress-bar step each."""
REMEMBERED = 256
"""How many finished sweeps the server remembers as run (they show again without a button)."""

SweepResult = tuple[pd.DataFrame, dict[str, Any]]
"""A sweep's table (one row per design point, as ``sim.sweep`` returns it) and its metadata."""


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
        """The swept ranges as :class:`sim.studies.sweeps.Parameter` (path, low, high, steps).

        Raises
        ------
        SweepError
            For a range that is not finite with low at most high, or fewer than one step.
        """
        return [Parameter.range(*param) for param in self.params]

    @property
    def key(self) -> str:
        """The request's SHA-256 (of its fields as JSON): the same sweep has the same key in every session."""
        return hashlib.sha256(json.dumps(asdict(self)).encode()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def prepare(request: Request) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, Any]]:
    """The design points and the sweep's metadata, from the plan ``sim.sweep`` makes too
    (``sim.studies.sweeps.plan_sweep``), within this server's caps on points and crises.

    Raises SweepError for a range the sweep cannot use (low above high, values the scenario
    refuses, named by the first design point refused), before anything runs."""
    scenario = Scenario.model_validate_json(request.scenario_json)
    plan = plan_sweep(
        scenario, request.parameters(), request.design, request.samples, request.runs, request.seed,
        check_ends=False, max_points=MAX_POINTS, max_crises=min(MAX_TOTAL_RUNS, crises_that_fit(scenario)),
    )  # fmt: skip
    return plan.points, plan.metadata()


@st.cache_data(show_spinner=False, max_entries=4_000)
def run_points(scenario_json: str, points_json: str, runs: int, seed: int) -> list[dict[str, Any]]:
    """One chunk of design points (``sim.studies.sweeps.run_chunk``), cached for every session."""
    points = [(int(index), values) for index, values in json.loads(points_json)]
    return run_chunk(scenario_json, points, runs, seed)


@st.cache_resource(show_spinner=False)
def server_pace() -> Pace:
    """The server's measured sweeping pace (one for every session)."""
    return Pace()


@st.cache_resource(show_spinner=False)
def _finished() -> Recent[str, None]:
    """Keys of the sweeps run on this server: they show again without a button."""
    return Recent(REMEMBERED)


def already_run(request: Request) -> bool:
    """Whether this sweep has been run on this server (among the last ``REMEMBERED``), so it shows without a button."""
    return request.key in _finished()


def run_sweep(request: Request, plan: Plan | None = None, show_progress: bool = True) -> SweepResult:
    """The sweep's table (one row per point, as ``sim.sweep`` returns it) and its metadata.

    A sweep not run on this server before tells :func:`server_pace` how long it took against the
    ``plan``'s estimate, so the next estimates follow this machine."""
    fresh = not already_run(request)
    points, metadata = prepare(request)
    size = max(1, math.ceil(len(points) / PROGRESS_STEPS))
    slot = st.empty() if show_progress else None
    rows: list[dict[str, Any]] = []
    began = time.monotonic()
    for start in range(0, len(points), size):
        if slot is not None:
            slot.progress(
                start / len(points),
                text=f"Sweeping: {start:,} of {len(points):,} points done ({request.runs:,} runs each)"
                + _time_left(time.monotonic() - began, start, len(points))
                + "…",
            )
        rows += run_points(request.scenario_json, json.dumps(points[start : start + size]), request.runs, request.seed)
    if slot is not None:
        slot.empty()
    if fresh and plan is not None:
        planned = plan.seconds_with_solves(_rounds(request), shares_its_game(request))
        server_pace().record(planned, time.monotonic() - began)
    _finished().put(request.key, None)
    frame = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    return frame, metadata


def obtain(request: Request, plan: Plan, button: str, key: str) -> SweepResult | None:
    """Run the sweep if it is small or already run on this server; otherwise wait for its button."""
    run_before = already_run(request)
    if plan.work <= AUTO_RUN_WORK or run_before:
        return run_sweep(request, plan, show_progress=not run_before)
    shared = shares_its_game(request)
    seconds, measured = server_pace().seconds(plan, _rounds(request), shared)
    basis = "at the pace measured on this server" if measured else "on the development machine's pace"
    games = (
        f"one game for all its {plan.points:,} points (they differ only in where the crisis starts)"
        if shared
        else f"{plan.points:,} games, one per point,"
    )
    slot = st.empty()
    with slot.container():
        st.info(
            f"This sweep solves {games} and simulates {plan.runs:,} runs of each = "
            f"{plan.crises:,} crises: about {_duration(seconds)} {basis}, so it runs when you press the button. "
            "A progress bar counts the points and the time left. Once run, it shows again at once."
        )
        pressed = st.button(
            button, key=key, type="primary", help="Run this sweep now; a progress bar shows the points."
        )
    if pressed:
        slot.empty()
        return run_sweep(request, plan)
    return None


def obtain_or_error(request: Request, plan: Plan, button: str, key: str) -> SweepResult | None:
    """:func:`obtain`, with a sweep the engine refuses shown as an error (the page goes on)."""
    try:
        return obtain(request, plan, button, key)
    except SweepError as error:
        reason = str(error).replace(" [overridden]", "")
        st.error(f"This sweep cannot run: {reason}. Change the range and it runs again.")
        return None


def shares_its_game(request: Request) -> bool:
    """Whether the sweep's points share one solved game: every swept field is play-only, so the
    points differ only in where the crisis starts (:func:`sim.engine.equilibrium.grid_identity.play_only`)."""
    return all(play_only(path) for path, *_ in request.params)


def _rounds(request: Request) -> int:
    return int(json.loads(request.scenario_json)["rounds"])


def _time_left(elapsed: float, done: int, total: int) -> str:
    """``, about 40 s left`` from the pace so far (each point solves a game, then plays it)."""
    if done == 0 or elapsed <= 0:
        return ""
    return f", about {_duration(elapsed / done * (total - done))} left"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} minutes"
