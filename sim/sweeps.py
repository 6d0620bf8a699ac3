"""Parameter sweeps: many design points, each a Monte Carlo run, on one machine or a Dask cluster.

A sweep varies scenario fields (by dotted path) over a design (a full grid, a Latin hypercube, a
scrambled Sobol sequence, or a Saltelli sample for Sobol indices), runs ``runs`` crises at each
design point, and keeps one row of aggregates per point: each outcome's probability with its 95%
interval, mean rounds and mean payoffs. Per-run rows are never held, so memory does not grow
with ``runs``.

Reproducible everywhere: point ``i`` is simulated with ``SeedSequence(seed, spawn_key=(i,))``,
so its numbers do not depend on how points are chunked or which worker runs them. The design
itself is drawn from ``SeedSequence(seed)``.

Nothing lost: with ``out`` set, the sweep is a Parquet dataset directory: ``_sweep.json`` (the
specification and provenance), then one ``part-*.parquet`` file per finished chunk, each written
atomically. An interrupted sweep (Ctrl-C, a killed process) restarts with ``resume=True`` and
runs only the points not yet on disk, so every point ends up there exactly once.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
import signal
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.files import is_temporary, write_atomically, write_text_atomically
from sim.montecarlo import as_scenario, tally_monte_carlo
from sim.scenario import Scenario, ScenarioError, parse_assignment, scenario_from_dict, with_overrides

DESIGNS = ("grid", "lhs", "sobol", "saltelli")
EXECUTORS = ("inline", "processes", "dask")
DEFAULT_GRID_STEPS = 5
METADATA_FILE = "_sweep.json"


class SweepError(ValueError):
    """A sweep that cannot be run or resumed: says which setting is wrong and how to fix it."""


# --------------------------------------------------------------------------------------------
# Parameters and designs


@dataclass(frozen=True)
class Parameter:
    """A swept scenario field: a numeric range ``low:high`` (``steps`` points on a grid), or a
    list of values (numbers, or categories such as decision rules)."""

    path: str
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    values: tuple[Any, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> Parameter:
        """``path=low:high``, ``path=low:high:steps`` or ``path=a,b,c`` (values read as TOML)."""
        if "=" not in text:
            raise SweepError(f"--param {text}: expected PATH=LOW:HIGH[:STEPS] or PATH=A,B,C")
        path, _, spec = text.partition("=")
        path, spec = path.strip(), spec.strip()
        dashed = re.fullmatch(r"(-?[\d.]+)\s*-\s*(-?[\d.]+)", spec)
        if dashed:
            low, high = dashed.groups()
            raise SweepError(
                f"--param {text}: write a range as LOW:HIGH ({path}={low}:{high}), or LOW:HIGH:STEPS for a grid"
            )
        if ":" in spec and "," not in spec:
            parts = spec.split(":")
            try:
                numbers = [float(part) for part in parts[:2]]
                steps = int(parts[2]) if len(parts) == 3 else None
            except ValueError:
                raise SweepError(f"--param {text}: LOW and HIGH must be numbers, STEPS a whole number") from None
            if len(parts) not in (2, 3):
                raise SweepError(f"--param {text}: expected LOW:HIGH or LOW:HIGH:STEPS")
            return cls.range(path, numbers[0], numbers[1], steps)
        values = tuple(parse_assignment(f"{path}={item.strip()}")[1] for item in spec.split(",") if item.strip())
        return cls.choice(path, values)

    @classmethod
    def range(cls, path: str, low: float, high: float, steps: int | None = None) -> Parameter:
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise SweepError(f"{path}: the range needs finite LOW <= HIGH (got {low}:{high})")
        if steps is not None and steps < 1:
            raise SweepError(f"{path}: STEPS must be at least 1 (got {steps})")
        return cls(path, float(low), float(high), steps)

    @classmethod
    def choice(cls, path: str, values: Sequence[Any]) -> Parameter:
        if not values:
            raise SweepError(f"{path}: give at least one value")
        return cls(path, values=tuple(values))

    @classmethod
    def from_spec(cls, path: str, spec: Any) -> Parameter:
        """From Python: ``(low, high)``, ``(low, high, steps)`` or a list of values."""
        if isinstance(spec, Parameter):
            return spec
        if isinstance(spec, tuple) and len(spec) in (2, 3) and all(isinstance(x, (int, float)) for x in spec):
            return cls.range(path, spec[0], spec[1], int(spec[2]) if len(spec) == 3 else None)
        if isinstance(spec, (list, tuple)):
            return cls.choice(path, list(spec))
        raise SweepError(f"{path}: give (low, high), (low, high, steps) or a list of values, not {spec!r}")

    @property
    def is_range(self) -> bool:
        return self.values is None

    def grid(self) -> list[Any]:
        if not self.is_range:
            return list(self.values)
        steps = self.steps or DEFAULT_GRID_STEPS
        return np.linspace(self.low, self.high, steps).tolist() if steps > 1 else [self.low]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map points of [0, 1) to the parameter: scaled into the range, or a category per bin."""
        if self.is_range:
            return (self.low + u * (self.high - self.low)).tolist()
        index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[k] for k in index]


def design_points(
    params: Sequence[Parameter], design: str, samples: int | None, seed: int, calc_second_order: bool = False
) -> pd.DataFrame:
    """The design as a table: one row per point, one column per parameter path."""
    if design not in DESIGNS:
        raise SweepError(f"--design {design}: choose one of {', '.join(DESIGNS)}")
    if not params:
        raise SweepError("give at least one --param to sweep")
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise SweepError("each parameter may be swept only once")
    if design == "grid":
        rows = pd.MultiIndex.from_product([p.grid() for p in params]).to_list()
        return pd.DataFrame(rows, columns=paths)
    if samples is None or samples < 1:
        raise SweepError(f"--design {design} needs --samples (a whole number of at least 1)")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if design == "saltelli":
        return _saltelli(params, samples, calc_second_order, int(rng.integers(2**31)))
    from scipy.stats import qmc

    engine = qmc.LatinHypercube(len(params), rng=rng) if design == "lhs" else qmc.Sobol(len(params), rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Sobol prefers powers of two; docs say so
        unit = engine.random(samples)
    return pd.DataFrame({p.path: p.from_unit(unit[:, k]) for k, p in enumerate(params)})


def _saltelli(params: Sequence[Parameter], samples: int, calc_second_order: bool, seed: int) -> pd.DataFrame:
    from SALib.sample import sobol

    if not all(p.is_range for p in params):
        raise SweepError("--design saltelli needs numeric ranges (Sobol indices are for continuous inputs)")
    problem = saltelli_problem(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when N is not a power of two
        matrix = sobol.sample(problem, samples, calc_second_order=calc_second_order, seed=seed)
    return pd.DataFrame(matrix, columns=[p.path for p in params])


def saltelli_problem(params: Sequence[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[p.low, p.high] for p in params]}


# --------------------------------------------------------------------------------------------
# Running points


def point_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed of design point ``index``: the same whatever the chunking or the worker."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def run_chunk(scenario_json: str, points: list[tuple[int, dict[str, Any]]], runs: int, seed: int) -> list[dict]:
    """Run some design points; a plain function of plain data so any executor can ship it."""
    scenario = Scenario.model_validate_json(scenario_json)
    rows = []
    for index, values in points:
        point = with_overrides(scenario, values, source=f"design point {index}")
        rows.append({"point": index, **values, **tally_monte_carlo(point, runs, point_seed(seed, index)).row()})
    return rows


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them all (no traceback from each worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk_task(task: tuple) -> list[dict]:
    return run_chunk(*task)


def _chunks(points: list[tuple[int, dict[str, Any]]], size: int) -> list[list[tuple[int, dict[str, Any]]]]:
    return [points[start : start + size] for start in range(0, len(points), size)]


class _Executor:
    """Runs chunks somewhere and yields each chunk's rows as soon as it is done."""

    def __init__(self, kind: str, workers: int | None, scheduler: str | None):
        self.kind, self.workers, self.scheduler = kind, workers, scheduler

    def map(self, chunks: list[list], scenario_json: str, runs: int, seed: int) -> Iterator[list[dict]]:
        if self.kind == "inline":
            for chunk in chunks:
                yield run_chunk(scenario_json, chunk, runs, seed)
        elif self.kind == "processes":
            pool = _process_context().Pool(self.workers, initializer=_ignore_interrupts)
            try:
                tasks = [(scenario_json, chunk, runs, seed) for chunk in chunks]
                yield from pool.imap_unordered(_run_chunk_task, tasks)
            finally:
                pool.terminate()  # on Ctrl-C or an error, stop the workers now instead of draining the queue
                pool.join()  # and leave no helper threads behind, so the next pool can fork
        else:
            yield from self._dask(chunks, scenario_json, runs, seed)

    def _dask(self, chunks: list[list], scenario_json: str, runs: int, seed: int) -> Iterator[list[dict]]:
        """Each sweep has a client of its own, never dask's default one: sweeps may run side by side
        in threads of one process, and a default client is shared by all of them.

        The scenario goes to the workers once, as the result of a task with a key of its own per
        sweep, not by ``scatter``: a scattered value cannot be computed again, and the scheduler's
        Active Memory Manager trims the copies of a broadcast down to what pending chunks need, so
        losing the worker that holds the last copy used to cancel every remaining chunk ("already
        forgotten"). A task's result is recomputed from its spec instead, and the chunks retried.
        """
        from dask.distributed import Client, as_completed

        cluster = client = None
        try:
            if self.scheduler:
                client = Client(self.scheduler, set_as_default=False)
            else:
                cluster = local_dask_cluster(self.workers or os.cpu_count() or 1)
                client = Client(cluster, set_as_default=False)
            scenario = client.submit(_same, scenario_json, key=f"sweep-scenario-{uuid.uuid4().hex}")
            futures = [
                client.submit(run_chunk, scenario, chunk, runs, seed, retries=3, pure=False)  # unique keys
                for chunk in chunks
            ]
            # loop= this client's: by default as_completed follows dask's default client (the newest
            # in the process), and a concurrent sweep's client stops its loop when that sweep ends.
            for future in as_completed(futures, loop=client.loop):
                yield future.result()
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()


def scheduler_threads(address: str) -> int:
    """How many tasks the Dask cluster at ``address`` runs at once (its workers' threads)."""
    from dask.distributed import Client

    with Client(address, set_as_default=False) as client:
        return max(1, sum(client.nthreads().values()))


def _same(value: str) -> str:
    """The task that holds a sweep's scenario on the Dask workers (recomputed if its worker is lost)."""
    return value


def local_dask_cluster(workers: int):
    """A Dask LocalCluster of single-threaded worker processes, tuned for this workload.

    Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which turns off glibc's adaptive mmap
    threshold: every multi-megabyte numpy temporary of the engine is then mapped and unmapped,
    and a design point runs about 3x slower than in-process. Unset it for the workers we start
    (docs/sweeps.md says how to do the same on a cluster of your own).
    """
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")


def _process_context() -> multiprocessing.context.BaseContext:
    """How to start local workers. Fork is fastest (workers inherit the imported package instead
    of importing it again, which costs about a second each) but is unsafe once other threads run;
    then a fork server with the package preloaded. Some libraries set the global default to
    spawn, so the choice is made here explicitly."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.sweeps"])
        return context
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------------------------
# Storage


@dataclass
class SweepSpec:
    """Everything that defines a sweep's numbers; a resumed sweep must match it exactly."""

    scenario: str
    scenario_sha256: str
    params: list[dict[str, Any]]
    design: str
    samples: int | None
    calc_second_order: bool
    seed: int
    runs: int
    n_points: int

    def metadata(self, scenario: Scenario) -> dict[str, Any]:
        scenario_json = scenario.model_dump(mode="json", by_alias=True)
        return {**asdict(self), "version": __version__, "scenario_json": scenario_json}


def _write_part(directory: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = min(row["point"] for row in rows)
    table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
    write_atomically(directory / f"part-{first:09d}-{len(rows):06d}.parquet", lambda tmp: pq.write_table(table, tmp))


def read_sweep(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep directory as (one row per finished point, sorted by point; its metadata)."""
    directory = Path(path)
    meta_path = directory / METADATA_FILE
    if not meta_path.exists():
        raise SweepError(f"{directory}: not a sweep (no {METADATA_FILE})")
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    parts = sorted(directory.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=["point"]), metadata
    frame = pd.concat([pd.read_parquet(part) for part in parts], ignore_index=True)
    return frame.sort_values("point", kind="stable").reset_index(drop=True), metadata


def _prepare_directory(directory: Path, spec: SweepSpec, scenario: Scenario, resume: bool) -> set[int]:
    """Create the sweep directory, or check it belongs to this sweep; return points already done."""
    meta_path = directory / METADATA_FILE
    if meta_path.exists():
        if not resume:
            finished = len(read_sweep(directory)[0])
            total = json.loads(meta_path.read_text(encoding="utf-8")).get("n_points")
            if finished == total:
                raise SweepError(
                    f"{directory} already holds a complete sweep ({finished} of {total} points): read it with "
                    "sim.read_sweep or sim sensitivity/discover/plot, or choose another --out for a new one"
                )
            raise SweepError(
                f"{directory} already holds a sweep ({finished} of {total} points done): add --resume to finish it, "
                "or choose another --out"
            )
        existing = json.loads(meta_path.read_text(encoding="utf-8"))
        changed = [key for key, value in asdict(spec).items() if existing.get(key) != value]
        if changed:
            raise SweepError(f"{directory}: cannot resume, the sweep differs in {', '.join(changed)}")
        if existing.get("version") != __version__:
            # Another version may simulate differently: the halves would not be one sweep.
            raise SweepError(
                f"{directory}: cannot resume, it was started by deterrence-sim {existing.get('version')} and this is "
                f"{__version__}; rerun it into a new --out, or finish it with version {existing.get('version')}"
            )
        for stray in filter(is_temporary, directory.iterdir()):
            stray.unlink()  # a write cut short; its points are not marked done and will run again
        frame, _ = read_sweep(directory)
        return set(frame["point"].astype(int))
    if directory.exists() and any(directory.iterdir()):
        raise SweepError(f"{directory} exists and is not empty; choose another --out")
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomically(meta_path, json.dumps(spec.metadata(scenario), indent=2))
    return set()


# --------------------------------------------------------------------------------------------
# The sweep


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
    if isinstance(params, Mapping):
        parameters = [Parameter.from_spec(path, spec) for path, spec in params.items()]
    else:
        parameters = list(params)
    if runs < 1 or int(runs) != runs:
        raise SweepError(f"--runs must be a whole number of at least 1 (got {runs})")
    table = design_points(parameters, design, samples, seed, calc_second_order)
    points = [(index, plain(row)) for index, row in enumerate(table.to_dict("records"))]
    check_points_validate(scenario, points)
    spec = SweepSpec(
        scenario.name, scenario.sha256(), [asdict(p) for p in parameters], design, samples,
        calc_second_order, int(seed), int(runs), len(points),
    )  # fmt: skip
    kind = executor or ("dask" if scheduler else "inline" if workers == 1 else "processes")
    if kind not in EXECUTORS:
        raise SweepError(f"--executor {kind}: choose one of {', '.join(EXECUTORS)}")
    directory = Path(out) if out is not None else None
    done = _prepare_directory(directory, spec, scenario, resume) if directory is not None else set()
    todo = [point for point in points if point[0] not in done]
    if kind == "dask" and scheduler and workers is None and chunk_size is None:
        workers = scheduler_threads(scheduler)  # size chunks for the cluster, not for this machine
    chunks = _chunks(todo, chunk_size or _default_chunk_size(len(todo), workers, runs))
    scenario_json = scenario.model_dump_json(by_alias=True)
    results = _Executor(kind, workers, scheduler).map(chunks, scenario_json, runs, seed)
    rows = _run(results, directory, progress, len(done), len(points))
    if directory is not None:
        frame = read_sweep(directory)[0]
    else:
        frame = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    # The metadata travels with the frame too, as read_sweep returns it beside the rows, so
    # sim.sobol_indices(frame, frame.attrs, ...) works on a sweep kept in memory.
    frame.attrs.update(spec.metadata(scenario))
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
                _write_part(directory, rows)
            else:
                collected.extend(rows)
            bar.update(len(rows))
    return collected


def _default_chunk_size(points: int, workers: int | None, runs: int) -> int:
    """Chunks of at least ~0.25 s of work (a run takes roughly 10 us), so thousands of small points
    do not drown in per-task overhead, but no more than a quarter of a worker's share, so every
    worker stays busy and progress shows."""
    workers = workers or os.cpu_count() or 1
    enough_work = math.ceil(0.25 / (runs * 1e-5))
    fair_share = math.ceil(points / (workers * 4)) if points else 1
    return max(1, min(enough_work, fair_share))


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """Design values as plain Python numbers/strings, so they round-trip through JSON and TOML."""
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}


def check_points_validate(scenario: Scenario, points: list[tuple[int, dict[str, Any]]]) -> None:
    """Fail before any work if a design point, alone or by its combination of values, makes an
    invalid scenario (about 0.2 ms a point: cheap next to running it)."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    for index, values in points:
        try:
            scenario_from_dict(raw, f"design point {index}", values)
        except ScenarioError as error:
            raise SweepError(str(error)) from None
