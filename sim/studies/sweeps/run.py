"""Running a sweep: its plan, on an executor, into memory or a resumable directory.

:func:`sweep` sets the sweep up with :func:`~sim.studies.sweeps.plan.plan_sweep`, takes the
directory's lock and skips the points already there (:mod:`~sim.studies.sweeps.store`), runs the
rest in chunks on an executor (:mod:`~sim.studies.sweeps.executors`) and saves each chunk as it
finishes, with a progress bar.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.domain.choices import EXECUTORS
from sim.domain.limits import MAX_WORKERS
from sim.domain.scenario import Scenario
from sim.runs.montecarlo import as_scenario
from sim.studies.sweeps.design import Parameter, SweepError
from sim.studies.sweeps.executors import Executor, chunked, default_chunk_size, scheduler_threads
from sim.studies.sweeps.plan import plan_sweep
from sim.studies.sweeps.store import METADATA_FILE, has_content, prepare_directory, read_sweep, write_part, writing_to


def sweep(
    scenario: Scenario | str | Path,
    params: Mapping[str, Any] | Iterable[Parameter],
    design: str = "grid",
    samples: int | None = None,
    runs: int = 1_000,
    seed: int = 0,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    calc_second_order: bool = False,
    progress: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run a sweep and return one row per design point (``params``: path -> (low, high[, steps])
    or a list of values). With ``out`` the rows also stream to a resumable Parquet dataset.

    ``executor``: "inline" (this process), "processes" (local processes, the default when
    ``workers`` is not 1) or "dask" (a ``scheduler`` address, or a local cluster of ``workers``).
    """
    scenario = as_scenario(scenario, dict(overrides or {}))
    if workers is not None and workers > MAX_WORKERS:
        raise SweepError(f"--workers {workers:,}: at most {MAX_WORKERS:,} (sim.domain.limits.MAX_WORKERS)")
    plan = plan_sweep(scenario, params, design, samples, runs, seed, calc_second_order=calc_second_order)
    points = plan.points
    kind = executor or ("dask" if scheduler else "inline" if workers == 1 else "processes")
    if kind not in EXECUTORS:
        raise SweepError(f"--executor {kind}: choose one of {', '.join(EXECUTORS)}")
    directory = Path(out) if out is not None else None
    if directory is not None and not (directory / METADATA_FILE).exists() and has_content(directory):
        # Checked again under the lock; here so that no lock file is left in a folder that is not a sweep's.
        raise SweepError(f"{directory} exists and is not empty; choose another --out")
    with writing_to(directory) if directory is not None else contextlib.nullcontext():
        done = prepare_directory(directory, plan.spec, scenario, resume) if directory is not None else set()
        todo = [point for point in points if point[0] not in done]
        if kind == "dask" and scheduler and workers is None and chunk_size is None:
            workers = scheduler_threads(scheduler)  # size chunks for the cluster, not for this machine
        chunks = chunked(todo, chunk_size or default_chunk_size(len(todo), workers, runs))
        scenario_json = scenario.model_dump_json(by_alias=True)
        results = Executor(kind, workers, scheduler).map(chunks, scenario_json, runs, seed)
        rows = _run(results, directory, progress, len(done), len(points))
        if directory is not None:
            frame = read_sweep(directory, complete=True)[0]  # every point exactly once, or an error
        else:
            frame = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    # The metadata travels with the frame too, as read_sweep returns it beside the rows, so
    # sim.sobol_indices(frame, frame.attrs, ...) works on a sweep kept in memory.
    frame.attrs.update(plan.metadata())
    return frame


def _run(results: Iterator[list[dict]], directory: Path | None, progress: bool, already: int, total: int) -> list[dict]:
    """Save each chunk's rows as it finishes (or collect them), with a progress bar. ``results`` is
    lazy: the executor starts its workers only when asked for the first chunk, after tqdm is told
    to start no monitor thread."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: a lone main thread lets workers start by fork
    collected: list[dict] = []
    with tqdm(total=total, initial=already, unit="point", desc="sweep", disable=not progress, smoothing=0.1) as bar:
        for rows in results:
            if directory is not None:
                write_part(directory, rows)
            else:
                collected.extend(rows)
            bar.update(len(rows))
    return collected
