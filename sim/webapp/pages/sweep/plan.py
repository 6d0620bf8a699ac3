"""How big a request may be on a shared classroom server, and what runs when it asks for more.

A request over a cap is not refused: the plan shrinks it (a grid loses steps from its finest axis
first, a Saltelli sample's N drops to a power of two that fits, then runs per point go down) and
says so in notes the page shows as warnings. The CLI has none of these caps. The plan of every
sweep (``sim.studies.sweeps.plan_sweep``) is given :data:`MAX_POINTS` and the cap on crises too, and
refuses a request past them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sim.studies.sweeps import saltelli_size
from sim.webapp.pages.sweep.parameters import label
from sim.webapp.pages.sweep.wording import number

MAX_POINTS = 400
"""Design points per request in the browser (the CLI has no cap)."""
MAX_TOTAL_RUNS = 2_000_000
"""Simulated crises per request (points x runs per point): under a minute on one core."""
POINT_OVERHEAD_RUNS = 1_000
"""Setting up a design point (validating its scenario) costs about as much as this many runs."""
SECONDS_PER_RUN = 2e-5
"""Cost of one simulated crisis on the development machine: the time estimate before this server has
measured its own pace (:class:`Pace`)."""
SOLVE_SECONDS_PER_ROUND = 0.12
"""Cost of solving one round of a design point's game, on the generous side: 2.4 s for the 20 rounds of
coalition_2026, where benchmarks/bench_solver.py measures about 0.7 s on the development machine when
quiet and 1.0 s with both cores busy, as a shared server often is (a slower server, or one with more
sessions, needs the margin). Replaced by the measured pace once a sweep has run on this server."""
PLAYED_SECONDS_PER_ROUND = 0.016
"""What a design point still solves when it shares its game (a sweep of the starting beliefs only,
:mod:`sim.engine.equilibrium.grid_identity`): round 1 and the policy tree, per round of the tree
(at most :data:`TREE_ROUNDS`), on the development machine: about 80 ms a point for the 20 rounds of
coalition_2026, whose tree solves 5 (a generous bound for a short crisis: 10 ms for 3 rounds)."""
TREE_ROUNDS = 5
"""Rounds the policy tree solves exactly in the built-in scenarios (sim.engine.equilibrium.policy_tree)."""
MAX_RUNS_PER_POINT = 100_000
MAX_STEPS = 101
SOBOL_SAMPLES = (8, 16, 32, 64, 128, 256)


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
        """Simulating the runs, without solving the points' games (see :meth:`seconds_with_solves`)."""
        return self.work * SECONDS_PER_RUN

    def seconds_with_solves(self, rounds: int, shared: bool = False) -> float:
        """The time estimate shown: the runs, and one game of ``rounds`` rounds solved per point; or,
        when the points share their game (``shared``: they differ only in their starting beliefs),
        the game solved once and what each point plays from its own start solved per point."""
        if not shared:
            return self.seconds + self.points * rounds * SOLVE_SECONDS_PER_ROUND
        played = min(rounds, TREE_ROUNDS) * PLAYED_SECONDS_PER_ROUND
        return self.seconds + rounds * SOLVE_SECONDS_PER_ROUND + self.points * played

    @property
    def crises(self) -> int:
        """The crises simulated in all: points times runs per point."""
        return self.points * self.runs


def plan_grid(steps: Sequence[int], runs: int, most_crises: int = MAX_TOTAL_RUNS) -> Plan:
    """A grid of ``steps`` per parameter, shrunk (the finest axis first) to at most MAX_POINTS points,
    with at most ``most_crises`` runs in all (MAX_TOTAL_RUNS, or fewer for a large scenario:
    ``state.crises_that_fit``)."""
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
    runs = _capped_runs(points, runs, notes, min(most_crises, MAX_TOTAL_RUNS))
    return Plan(tuple(capped), None, runs, points, tuple(notes))


def plan_saltelli(parameters: int, samples: int, runs: int, most_crises: int = MAX_TOTAL_RUNS) -> Plan:
    """A Saltelli sample of N(D+2) points (``sim.studies.sweeps.saltelli_size``), N cut to the largest
    power of two within MAX_POINTS, with at most ``most_crises`` runs in all."""
    notes = []
    capped = int(samples)
    if saltelli_size(capped, parameters) > MAX_POINTS:
        capped = 2 ** int(math.log2(MAX_POINTS // saltelli_size(1, parameters)))
        notes.append(
            f"You asked for N = {samples}, {saltelli_size(samples, parameters):,} points for {parameters} parameters; "
            f"a request here may have at most {MAX_POINTS:,} points, so N = {capped} "
            f"({saltelli_size(capped, parameters):,} points)."
        )
    points = saltelli_size(capped, parameters)
    runs = _capped_runs(points, runs, notes, min(most_crises, MAX_TOTAL_RUNS))
    return Plan((), capped, runs, points, tuple(notes))


def _capped_runs(points: int, runs: int, notes: list[str], most_crises: int) -> int:
    if points * runs <= most_crises:
        return int(runs)
    capped = max(1, most_crises // points)
    why = (
        "" if most_crises == MAX_TOTAL_RUNS else " of this scenario (its rounds and member states make each run large)"
    )
    notes.append(
        f"{points:,} points × {runs:,} runs would simulate {points * runs:,} crises; a request here may simulate at "
        f"most {most_crises:,}{why}, so each point gets {capped:,} runs."
    )
    return capped


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


class Pace:
    """How fast this server really sweeps: the time estimates shown follow the machine, not a constant.

    Every finished sweep reports its planned seconds (from the development machine's constants) and
    the seconds it took; the estimate of the next sweep is its planned seconds times the ratio of the
    recent sweeps (measured over planned, summed over the last :data:`Pace.REMEMBERED`, so a long
    sweep weighs more than a short one). Thread-safe: one instance serves every session."""

    REMEMBERED = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: list[tuple[float, float]] = []

    def record(self, planned_seconds: float, measured_seconds: float) -> None:
        """A sweep that was estimated at ``planned_seconds`` took ``measured_seconds``."""
        if planned_seconds <= 0 or not math.isfinite(measured_seconds) or measured_seconds <= 0:
            return
        with self._lock:
            self._history = [*self._history, (planned_seconds, measured_seconds)][-self.REMEMBERED :]

    @property
    def ratio(self) -> float | None:
        """Measured over planned seconds on this server so far; None before any sweep finished."""
        with self._lock:
            if not self._history:
                return None
            planned = sum(p for p, _ in self._history)
            measured = sum(m for _, m in self._history)
        return measured / planned

    def seconds(self, plan: Plan, rounds: int, shared: bool = False) -> tuple[float, bool]:
        """The estimate for ``plan`` (solving ``rounds`` rounds per point, or once if ``shared``:
        :meth:`Plan.seconds_with_solves`), and whether it is measured here."""
        planned = plan.seconds_with_solves(rounds, shared)
        ratio = self.ratio
        return (planned, False) if ratio is None else (planned * ratio, True)
