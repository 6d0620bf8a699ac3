"""Monte Carlo runs of a scenario: many worlds at once, in memory-bounded batches.

Seeds go through ``numpy.random.SeedSequence``: batch ``k`` of a run with seed ``s`` uses the
``k``-th child of ``SeedSequence(s)``, and the batch size is a constant, so the same seed gives
the same numbers on every machine.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.domain.ladder import ACTORS, OUTCOMES
from sim.domain.limits import MAX_RUN_WORK, MAX_RUNS, run_work
from sim.domain.scenario import Scenario, load_scenario, with_overrides
from sim.engine.model import CrisisModel, draw_seed
from sim.runs.results import Results, wilson_interval

BATCH_WORLDS = 250_000
"""Worlds simulated together in one model; bounds memory (about 0.5 GB at this size)."""


def as_scenario(scenario: Scenario | str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """A validated scenario from a Scenario, a file path or a built-in name, with overrides applied."""
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, overrides or {})
    return load_scenario(scenario, overrides)


def run_monte_carlo(
    scenario: Scenario | str | Path,
    runs: int = 10_000,
    seed: int | None = None,
    *,
    progress: Callable[[float, int], None] | None = None,
    **overrides: Any,
) -> Results:
    """Simulate ``runs`` independent crises; overrides are dotted paths (``russia__lambda=3``).

    Without a ``seed`` one is drawn (:func:`sim.engine.model.draw_seed`) and kept in the results, so the
    same numbers come back with ``seed=results.seed``."""
    scenario = as_scenario(scenario, overrides)
    runs = check_run_size(scenario, runs)
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")
    if seed is None:
        seed = draw_seed()  # drawn and carried by the results: the run can be repeated exactly
    models = list(batched_models(scenario, runs, np.random.SeedSequence(seed), progress))
    return results_from_models(scenario, seed, models)


def batched_models(
    scenario: Scenario,
    runs: int,
    seed_sequence: np.random.SeedSequence,
    progress: Callable[[float, int], None] | None = None,
) -> Iterator[CrisisModel]:
    """Finished models of at most BATCH_WORLDS worlds each; batch k uses child k of the seed.

    ``progress(done, runs)`` is called after every round (``done`` counts a batch's worlds in
    proportion to the rounds it has played, so it may be fractional) and after every batch.
    """
    sizes = [min(BATCH_WORLDS, runs - start) for start in range(0, runs, BATCH_WORLDS)]
    done = 0
    for size, child in zip(sizes, seed_sequence.spawn(len(sizes))):
        model = CrisisModel(scenario, n_worlds=size, seed=child)
        while model.running:
            model.step()
            if progress is not None and model.running:
                progress(done + size * min(1.0, model.steps / scenario.rounds), runs)
        yield model
        model.release()
        done += size
        if progress is not None:
            progress(done, runs)
        if done < runs:
            # A model and its agents refer to each other, so only the cycle collector frees a
            # finished batch: run it now, or memory would grow with the number of batches.
            del model
            gc.collect()


@dataclass
class Tally:
    """Aggregates of a Monte Carlo run, kept instead of per-run rows (sweeps hold only these)."""

    runs: int = 0
    outcome_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(OUTCOMES), dtype=np.int64))
    rounds_total: int = 0
    payoff_totals: np.ndarray = field(default_factory=lambda: np.zeros(len(ACTORS)))

    def add(self, model: CrisisModel) -> None:
        """Add a finished batch: its worlds' outcomes, rounds played and payoffs.

        Parameters
        ----------
        model : CrisisModel
            A model whose worlds have all ended.
        """
        self.runs += model.n_worlds
        self.outcome_counts += np.bincount(model.outcome, minlength=len(OUTCOMES))
        self.rounds_total += int(model.rounds_played.sum())
        self.payoff_totals += [model.actors[key].payoff.sum() for key in ACTORS]

    def row(self) -> dict[str, float]:
        """One tidy row: each outcome's probability and 95% Wilson interval, mean rounds and payoffs."""
        row: dict[str, float] = {"runs": self.runs}
        for outcome, count in zip(OUTCOMES, self.outcome_counts):
            low, high = wilson_interval(int(count), self.runs)
            row |= {f"p_{outcome}": count / self.runs, f"ci_low_{outcome}": low, f"ci_high_{outcome}": high}
        row["mean_rounds"] = self.rounds_total / self.runs
        row |= {f"mean_payoff_{key}": total / self.runs for key, total in zip(ACTORS, self.payoff_totals)}
        return row


def tally_monte_carlo(scenario: Scenario, runs: int, seed_sequence: np.random.SeedSequence) -> Tally:
    """The same simulation as :func:`run_monte_carlo`, keeping aggregates only: memory stays
    bounded by one batch however many runs are asked for."""
    tally = Tally()
    for model in batched_models(scenario, check_run_size(scenario, runs), seed_sequence):
        tally.add(model)
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


def results_from_models(scenario: Scenario, seed: int | None, models: list[CrisisModel]) -> Results:
    """Concatenate the worlds of several models into one Results."""

    def joined(get: Callable[[CrisisModel], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(model) for model in models])

    def actors(name: str) -> dict[str, np.ndarray]:
        return {key: np.concatenate([getattr(model.actors[key], name) for model in models]) for key in ACTORS}

    return Results(
        scenario=scenario,
        seed=seed,
        version=__version__,
        outcome=joined(lambda m: m.outcome),
        rounds_played=joined(lambda m: m.rounds_played),
        max_rung=joined(lambda m: m.max_rung),
        final_rung=joined(lambda m: m.rung),
        payoff=actors("payoff"),
        resolute=actors("resolute"),
        us_committed_at_end=joined(lambda m: m.us_committed_at_end),
        force_collapsed=joined(lambda m: m.force_collapsed),
        troops_deployed_at_end=joined(lambda m: m.troops_deployed),
        ladder=_pooled_ladder(models),
    )


def _pooled_ladder(models: list[CrisisModel]) -> pd.DataFrame:
    """Per-round shares averaged over models, weighted by their worlds; ended crises stay ended.

    Row 0 is the start (every world on the scenario's starting rung); row t is after round t.
    """
    frames = [model.datacollector.get_model_vars_dataframe() for model in models]
    rounds = max(len(frame) for frame in frames)
    total = sum(model.n_worlds for model in models)
    pooled = sum(
        frame.set_axis(range(1, len(frame) + 1)).reindex(range(1, rounds + 1)).ffill() * (model.n_worlds / total)
        for frame, model in zip(frames, models)
    )
    start = pd.DataFrame(0.0, index=[0], columns=pooled.columns)
    start.loc[0, f"rung:{models[0].scenario.start_rung}"] = 1.0
    ladder = pd.concat([start, pooled])
    ladder.index.name = "round"
    return ladder


def run_one_world_at_a_time(scenario: Scenario, runs: int, seed: int | None = None) -> np.ndarray:
    """The slow reference: ``runs`` separate one-world models in a Python loop; returns outcomes.

    Used by the tests (the vectorised engine must agree with it in distribution) and the benchmark.
    """
    outcomes = np.empty(runs, dtype=np.int8)
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(runs)):
        model = CrisisModel(scenario, n_worlds=1, seed=child).run()
        outcomes[k] = model.outcome[0]
        model.release()
    return outcomes


__all__ = ["Tally", "as_scenario", "run_monte_carlo", "run_one_world_at_a_time", "tally_monte_carlo"]
