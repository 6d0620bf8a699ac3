"""Monte Carlo runs of a scenario: many worlds at once, in memory-bounded batches.

Seeds go through ``numpy.random.SeedSequence``: the run's seed gives one stream key, and world ``w``
of the run draws from its own counter-based stream (:mod:`sim.engine.streams`), so the same seed gives
the same numbers on every machine, whatever the batch size, the number of threads or the engine.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim._version import __version__
from sim.domain.ladder import ACTORS, OUTCOMES, RUNGS
from sim.domain.limits import MAX_RUN_WORK, MAX_RUNS, run_work
from sim.domain.scenario import Scenario, load_scenario, with_overrides
from sim.engine import ahead_of_time
from sim.engine.equilibrium import CrisisEquilibrium, equilibrium_for
from sim.engine.fused import ACTIVE_RUNGS, WorldBatch, simulate_worlds
from sim.engine.jit import numba_works
from sim.engine.streams import draw_seed, stream_key
from sim.runs.results import LADDER_COLUMNS, Results, wilson_interval

if TYPE_CHECKING:
    from sim.engine.model import CrisisModel  # imported where used: Mesa is not on the compiled path

BATCH_WORLDS = 250_000
"""Worlds simulated together in one batch: bounds memory (about 9 MB of results per batch with the
compiled kernel, about 0.5 GB of working arrays with the numpy model)."""


def as_scenario(scenario: Scenario | str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """A validated scenario from a Scenario, a file path or a built-in name, with overrides applied."""
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, overrides or {})
    return load_scenario(scenario, overrides)


ENGINES = ("compiled", "numpy")
"""The compiled kernel (:mod:`sim.engine.fused`, the default) or the numpy model
(:class:`sim.engine.model.CrisisModel`): the same numbers for the same seed, by test."""


def run_monte_carlo(
    scenario: Scenario | str | Path,
    runs: int = 10_000,
    seed: int | None = None,
    *,
    progress: Callable[[float, int], None] | None = None,
    engine: str = "compiled",
    **overrides: Any,
) -> Results:
    """Simulate ``runs`` independent crises; overrides are dotted paths (``russia__lambda=3``).

    Without a ``seed`` one is drawn (:func:`sim.engine.streams.draw_seed`) and kept in the results, so the
    same numbers come back with ``seed=results.seed``. ``engine`` is ``"compiled"`` (the fused kernel)
    or ``"numpy"`` (the Mesa model, array by array): they give the same numbers. Without numba
    (:mod:`sim.engine.jit`) the numpy model plays either."""
    scenario = as_scenario(scenario, overrides)
    runs = check_run_size(scenario, runs)
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")
    if seed is None:
        seed = draw_seed()  # drawn and carried by the results: the run can be repeated exactly
    batches = list(simulated_batches(scenario, runs, np.random.SeedSequence(seed), progress, engine))
    return results_from_batches(scenario, seed, batches)


def simulated_batches(
    scenario: Scenario,
    runs: int,
    seed_sequence: np.random.SeedSequence,
    progress: Callable[[float, int], None] | None = None,
    engine: str = "compiled",
    equilibrium: CrisisEquilibrium | None = None,
) -> Iterator[WorldBatch]:
    """Finished worlds in batches of at most BATCH_WORLDS (memory stays bounded by one batch).

    Every world draws from its own stream (:mod:`sim.engine.streams`), numbered across the whole run,
    so the batch size changes nothing. ``progress(done, runs)`` is called after every batch (and,
    with the numpy model, after every round, ``done`` counting a batch's worlds in proportion to the
    rounds it has played). ``equilibrium`` is the scenario's, if already at hand
    (:func:`~sim.engine.equilibrium.equilibria_for`); else :func:`~sim.engine.equilibrium.equilibrium_for` finds it.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if engine == "compiled" and not (ahead_of_time.kernel_for(0, runs) or numba_works()):
        engine = "numpy"  # the same worlds and numbers, played array by array (sim.engine.jit)
    if equilibrium is None:
        equilibrium = equilibrium_for(scenario)
    key = stream_key(seed_sequence)
    for start in range(0, runs, BATCH_WORLDS):
        size = min(BATCH_WORLDS, runs - start)
        if engine == "compiled":
            yield simulate_worlds(equilibrium, key, start, size)
        else:
            yield _numpy_batch(scenario, seed_sequence, start, size, runs, progress)
        if progress is not None:
            progress(start + size, runs)


def _numpy_batch(
    scenario: Scenario,
    seed_sequence: np.random.SeedSequence,
    start: int,
    size: int,
    runs: int,
    progress: Callable[[float, int], None] | None,
) -> WorldBatch:
    """One batch played by the numpy model, as the kernel's batch."""
    from sim.engine.model import CrisisModel

    model = CrisisModel(scenario, n_worlds=size, seed=seed_sequence, first_world=start)
    while model.running:
        model.step()
        if progress is not None and model.running:
            progress(start + size * min(1.0, model.steps / scenario.rounds), runs)
    batch = batch_from_model(model)
    model.release()
    # A model and its agents refer to each other, so only the cycle collector frees a
    # finished batch: run it now, or memory would grow with the number of batches.
    del model
    gc.collect()
    return batch


def batch_from_model(model: CrisisModel) -> WorldBatch:
    """A finished numpy model's worlds as a :class:`~sim.engine.fused.WorldBatch`."""
    frame = model.datacollector.get_model_vars_dataframe()
    ladder = np.zeros((model.scenario.rounds + 1, ACTIVE_RUNGS), dtype=np.int64)
    shares = frame[[f"rung:{rung}" for rung in RUNGS[:ACTIVE_RUNGS]]].to_numpy()
    ladder[1 : len(shares) + 1] = np.rint(shares * model.n_worlds).astype(np.int64)
    return WorldBatch(
        outcome=model.outcome,
        rounds_played=model.rounds_played,
        max_rung=model.max_rung,
        rung=model.rung,
        payoff=np.stack([model.actors[key].payoff for key in ACTORS], axis=1),
        resolute=np.stack([model.actors[key].resolute for key in ACTORS], axis=1),
        us_committed_at_end=model.us_committed_at_end,
        force_collapsed=model.force_collapsed,
        troops_deployed=model.troops_deployed,
        ladder=ladder,
    )


@dataclass
class Tally:
    """Aggregates of a Monte Carlo run, kept instead of per-run rows (sweeps hold only these)."""

    runs: int = 0
    outcome_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(OUTCOMES), dtype=np.int64))
    rounds_total: int = 0
    payoff_totals: np.ndarray = field(default_factory=lambda: np.zeros(len(ACTORS)))

    def add(self, batch: WorldBatch) -> None:
        """Add a finished batch: its worlds' outcomes, rounds played and payoffs.

        Parameters
        ----------
        batch : WorldBatch
            Worlds that have all ended.
        """
        self.runs += batch.n_worlds
        self.outcome_counts += np.bincount(batch.outcome, minlength=len(OUTCOMES))
        self.rounds_total += int(batch.rounds_played.sum())
        self.payoff_totals += batch.payoff.sum(axis=0)

    def row(self) -> dict[str, float]:
        """One tidy row: each outcome's probability and 95% Wilson interval, mean rounds and payoffs."""
        row: dict[str, float] = {"runs": self.runs}
        for outcome, count in zip(OUTCOMES, self.outcome_counts):
            low, high = wilson_interval(int(count), self.runs)
            row |= {f"p_{outcome}": count / self.runs, f"ci_low_{outcome}": low, f"ci_high_{outcome}": high}
        row["mean_rounds"] = self.rounds_total / self.runs
        row |= {f"mean_payoff_{key}": total / self.runs for key, total in zip(ACTORS, self.payoff_totals)}
        return row


def tally_monte_carlo(
    scenario: Scenario,
    runs: int,
    seed_sequence: np.random.SeedSequence,
    engine: str = "compiled",
    equilibrium: CrisisEquilibrium | None = None,
) -> Tally:
    """The same simulation as :func:`run_monte_carlo`, keeping aggregates only: memory stays
    bounded by one batch however many runs are asked for. ``equilibrium``: the scenario's, if at
    hand (a sweep's points, :func:`~sim.engine.equilibrium.equilibria_for`)."""
    tally = Tally()
    batches = simulated_batches(
        scenario, check_run_size(scenario, runs), seed_sequence, engine=engine, equilibrium=equilibrium
    )
    for batch in batches:
        tally.add(batch)
    return tally


def check_run_size(scenario: Scenario, runs: int) -> int:
    """``runs`` as an int, refused before any work if it is not a whole number from 1 to
    :data:`~sim.domain.limits.MAX_RUNS` (the command line checks the same limit while reading its options),
    or if the Monte Carlo would draw more than :data:`~sim.domain.limits.MAX_RUN_WORK` random numbers
    (``runs x rounds x (5 + members)``)."""
    if isinstance(runs, bool) or int(runs) != runs or runs < 1:
        raise ValueError(f"runs must be a whole number of at least 1 (got {runs})")
    if runs > MAX_RUNS:
        raise ValueError(f"runs must be at most {MAX_RUNS:,} (sim.domain.limits.MAX_RUNS), got {runs:,}")
    members = len(scenario.coalition.members)
    work = run_work(int(runs), scenario.rounds, members)
    if work > MAX_RUN_WORK:
        most = MAX_RUN_WORK // run_work(1, scenario.rounds, members)
        raise ValueError(
            f"{runs:,} runs of {scenario.rounds:,} rounds with {members} member states would draw {work:,} random "
            f"numbers (runs x rounds x (5 + members)), more than the {MAX_RUN_WORK:,} one Monte Carlo may "
            f"(sim.domain.limits.MAX_RUN_WORK): ask for at most {most:,} runs of this scenario"
        )
    return int(runs)


def results_from_batches(scenario: Scenario, seed: int | None, batches: list[WorldBatch]) -> Results:
    """Concatenate the worlds of several batches into one Results."""

    def joined(get: Callable[[WorldBatch], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(batch) for batch in batches])

    payoff, resolute = joined(lambda b: b.payoff), joined(lambda b: b.resolute)
    return Results(
        scenario=scenario,
        seed=seed,
        version=__version__,
        outcome=joined(lambda b: b.outcome),
        rounds_played=joined(lambda b: b.rounds_played),
        max_rung=joined(lambda b: b.max_rung),
        final_rung=joined(lambda b: b.rung),
        payoff={key: payoff[:, i].copy() for i, key in enumerate(ACTORS)},
        resolute={key: resolute[:, i].copy() for i, key in enumerate(ACTORS)},
        us_committed_at_end=joined(lambda b: b.us_committed_at_end),
        force_collapsed=joined(lambda b: b.force_collapsed),
        troops_deployed_at_end=joined(lambda b: b.troops_deployed),
        ladder_shares=ladder_shares(scenario, batches),
    )


def ladder_shares(scenario: Scenario, batches: list[WorldBatch]) -> np.ndarray:
    """Shares of all worlds by round: still in crisis by rung, ended by outcome (they sum to one).

    Row 0 is the start (every world on the scenario's starting rung); row t is after round t, up to
    the last round any world played (the rows Mesa's data collector records). Columns:
    :data:`~sim.runs.results.LADDER_COLUMNS`; :attr:`Results.ladder` is the table.
    """
    total = sum(batch.n_worlds for batch in batches)
    rounds = max(int(batch.rounds_played.max()) for batch in batches)
    active = np.sum([batch.ladder for batch in batches], axis=0)[1 : rounds + 1]
    ended = np.zeros((rounds, len(OUTCOMES)), dtype=np.int64)
    for batch in batches:
        np.add.at(ended, (batch.rounds_played.astype(np.intp) - 1, batch.outcome.astype(np.intp)), 1)
    ended = np.cumsum(ended, axis=0)
    shares = np.concatenate([active, ended], axis=1) / total
    start = np.zeros((1, len(LADDER_COLUMNS)))
    start[0, LADDER_COLUMNS.index(f"rung:{scenario.start_rung}")] = 1.0
    return np.concatenate([start, shares])


def run_one_world_at_a_time(scenario: Scenario, runs: int, seed: int | None = None) -> np.ndarray:
    """The slow reference: ``runs`` separate one-world models in a Python loop; returns outcomes.

    Used by the tests (the vectorised engine must agree with it in distribution) and the benchmark.
    """
    from sim.engine.model import CrisisModel

    outcomes = np.empty(runs, dtype=np.int8)
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(runs)):
        model = CrisisModel(scenario, n_worlds=1, seed=child).run()
        outcomes[k] = model.outcome[0]
        model.release()
    return outcomes


__all__ = [
    "ENGINES",
    "Tally",
    "as_scenario",
    "batch_from_model",
    "run_monte_carlo",
    "run_one_world_at_a_time",
    "simulated_batches",
    "tally_monte_carlo",
]
