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

Nothing doubled: a sweep holds a lock on its directory (``.lock``) while it writes there, so a
second sweep into the same directory is refused instead of computing the same points again;
:func:`read_sweep` refuses a directory where a point appears twice, or lies outside the design,
and with ``complete=True`` (every analysis) one where a point is missing. A damaged part file is
named; ``resume=True`` moves it aside and computes its points again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import multiprocessing
import os
import re
import signal
import sys
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
from sim.files import FileRefused, is_temporary, read_regular_file, write_atomically, write_text_atomically
from sim.limits import MAX_DESIGN_POINTS, MAX_GRID_STEPS, MAX_METADATA_BYTES, MAX_RUNS, MAX_WORKERS
from sim.montecarlo import as_scenario, check_run_size, tally_monte_carlo
from sim.scenario import Scenario, ScenarioError, parse_assignment, scenario_from_dict, with_overrides

DESIGNS = ("grid", "lhs", "sobol", "saltelli")
EXECUTORS = ("inline", "processes", "dask")
DEFAULT_GRID_STEPS = 5
METADATA_FILE = "_sweep.json"
LOCK_FILE = ".lock"  # hidden, so Parquet readers skip it, like the temporary files
CORRUPT_PREFIX = "_"  # a corrupt part moved aside: "_part-...parquet.corrupt", skipped by Parquet readers too
PART_NAME = re.compile(r"part-(\d+)-(\d+)\.parquet")  # first point, number of points
POINTS_NAMED = 5  # duplicated or missing points named in a message; the count says how many more


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

    def ends(self) -> tuple[float, float]:
        """``(low, high)`` of a range parameter."""
        if self.low is None or self.high is None:
            raise SweepError(f"{self.path}: a list of values has no range")
        return self.low, self.high

    def grid(self) -> list[Any]:
        if self.values is not None:
            return list(self.values)
        low, high = self.ends()
        steps = self.steps or DEFAULT_GRID_STEPS
        return np.linspace(low, high, steps).tolist() if steps > 1 else [low]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map points of [0, 1) to the parameter: scaled into the range, or a category per bin."""
        if self.values is None:
            low, high = self.ends()
            return (low + u * (high - low)).tolist()
        index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[k] for k in index]


def design_size(params: Sequence[Parameter], design: str, samples: int | None, second_order: bool = False) -> int:
    """How many design points a sweep will have, counted without building them: the product of
    the grid's steps, the ``samples`` of a Latin hypercube or Sobol design, and ``N (D + 2)`` (or
    ``N (2D + 2)`` with second-order indices) for a Saltelli design of D parameters. 0 when the
    design cannot be built (no samples given); the sweep then says what is missing."""
    if design == "grid":
        counts = [len(p.values) if p.values is not None else p.steps or DEFAULT_GRID_STEPS for p in params]
        return math.prod(counts)
    if samples is None:
        return 0
    if design == "saltelli":
        return samples * ((2 if second_order else 1) * len(params) + 2)
    return samples


def check_sweep_size(params: Sequence[Parameter], design: str, samples: int | None, second_order: bool) -> None:
    """Refuse a sweep that asks for more than :data:`~sim.limits.MAX_GRID_STEPS` values of one
    parameter or more than :data:`~sim.limits.MAX_DESIGN_POINTS` points in all, before it starts:
    a billion grid steps would otherwise be allocated (and fail with a MemoryError) before the
    sweep could say anything.

    Raises
    ------
    SweepError
        Naming the parameter or the design, the size asked for and the limit.
    """
    for parameter in params:
        count = len(parameter.values) if parameter.values is not None else parameter.steps or DEFAULT_GRID_STEPS
        if count > MAX_GRID_STEPS:
            raise SweepError(
                f"--param {parameter.path}: {count:,} values; at most {MAX_GRID_STEPS:,} are allowed per parameter "
                "(sim.limits.MAX_GRID_STEPS)"
            )
    points = design_size(params, design, samples, second_order)
    if points > MAX_DESIGN_POINTS:
        if design == "grid":
            how = "the product of the grid's steps"
        elif design == "saltelli":
            factor = (2 if second_order else 1) * len(params) + 2
            how = f"--samples {samples:,} x {factor} for a Saltelli design of {len(params)} parameters"
        else:
            how = f"--samples of the {design} design"
        raise SweepError(
            f"the sweep would have {points:,} design points ({how}); at most {MAX_DESIGN_POINTS:,} are allowed "
            "(sim.limits.MAX_DESIGN_POINTS): use fewer steps or samples, or split the sweep"
        )


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
    check_sweep_size(params, design, samples, calc_second_order)  # before anything is allocated
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


SCHEDULER_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^\s:/]+:\d{1,5}/?$", re.IGNORECASE)
"""What a Dask scheduler's address looks like: ``[protocol://]host:port`` (``tcp://10.0.0.5:8786``)."""


def scheduler_threads(address: str) -> int:
    """How many tasks the Dask cluster at ``address`` runs at once (its workers' threads).

    An address that cannot be one is refused at once, and one that does not answer is reported as
    a SweepError (Dask would otherwise end in a TimeoutError traceback after a minute)."""
    from dask.distributed import Client

    if not SCHEDULER_ADDRESS.match(address):
        raise SweepError(f"--scheduler {address}: not a Dask scheduler address; write it as tcp://HOST:PORT")
    try:
        with Client(address, set_as_default=False) as client:
            return max(1, sum(client.nthreads().values()))
    except (OSError, TimeoutError) as error:
        raise SweepError(f"--scheduler {address}: no Dask scheduler answered there ({error})") from None


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


def read_sweep(path: str | Path, *, complete: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep directory as (one row per finished point, sorted by point; its metadata).

    The points read are checked against the metadata's ``n_points``: a point that appears twice
    (two sweeps wrote into one directory) or lies outside ``0 .. n_points - 1`` raises
    :class:`SweepError` naming the first few, the part files and the directory, so no analysis
    counts a point twice. An unfinished sweep gives the points finished so far; with
    ``complete=True`` (every analysis asks for it) a missing point is refused the same way. A part
    file that cannot be read is named, and ``sim sweep ... --resume`` recomputes it.
    """
    directory = Path(path)
    metadata = read_metadata(directory)
    parts = sorted(directory.glob("part-*.parquet"))
    frames = []
    for part in parts:
        frame, problem = _read_part(part)
        if problem:
            raise SweepError(
                f"{part}: this part file is corrupt ({problem}); sim sweep ... --out {directory} --resume "
                "moves it aside and computes its points again"
            )
        frames.append(frame)
    if frames:
        frame = pd.concat(frames, ignore_index=True).sort_values("point", kind="stable").reset_index(drop=True)
    else:
        frame = pd.DataFrame(columns=["point"])
    _check_points(directory, metadata, frame["point"].astype(int).tolist(), parts, frames, complete)
    return frame, metadata


def read_metadata(directory: Path) -> dict[str, Any]:
    """``_sweep.json`` of a sweep directory, checked: a regular file of at most
    :data:`~sim.limits.MAX_METADATA_BYTES`, valid JSON, an object with a whole ``n_points``. Every problem
    raises :class:`SweepError` naming the file."""
    meta_path = directory / METADATA_FILE
    if not meta_path.exists():
        raise SweepError(f"{directory}: not a sweep (no {METADATA_FILE})")
    try:
        metadata = json.loads(read_regular_file(meta_path, MAX_METADATA_BYTES).decode("utf-8"))
    except FileRefused as refusal:
        raise SweepError(f"{meta_path}: {refusal}; it is not a file sim sweep wrote") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SweepError(
            f"{meta_path}: the sweep's metadata is damaged, not valid JSON ({error}); it cannot be read or resumed: "
            "run the sweep again into a new --out"
        ) from None
    if not isinstance(metadata, dict):
        raise SweepError(f"{meta_path}: the sweep's metadata is damaged: a JSON object was expected")
    n_points = metadata.get("n_points")
    if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 0:
        raise SweepError(
            f"{meta_path}: the sweep's metadata is damaged: 'n_points' should be the number of design points, "
            f"found {n_points!r}"
        )
    return metadata


def _read_part(part: Path) -> tuple[pd.DataFrame, str | None]:
    """One part file's rows, or the reason it is corrupt (unreadable, no whole ``point`` column, or
    not the points its name promises: ``part-FIRST-COUNT.parquet``)."""
    import pyarrow as pa

    try:
        frame = pd.read_parquet(part)
    except (OSError, ValueError, pa.ArrowException) as error:
        text = re.sub(r"^Could not open Parquet input source '.*?': ", "", str(error).strip())  # names the file again
        return pd.DataFrame(), f"unreadable: {text.splitlines()[0] if text else type(error).__name__}"
    if "point" not in frame.columns or not pd.api.types.is_integer_dtype(frame["point"]):
        return frame, "it has no column of whole point numbers"
    named = PART_NAME.fullmatch(part.name)
    if named and (len(frame) != int(named[2]) or (len(frame) and int(frame["point"].min()) != int(named[1]))):
        return frame, (
            f"it holds {len(frame)} points from {frame['point'].min() if len(frame) else '-'}, but its name promises "
            f"{int(named[2])} from {int(named[1])}"
        )
    return frame, None


def _check_points(
    directory: Path,
    metadata: dict[str, Any],
    points: list[int],
    parts: Sequence[Path],
    frames: Sequence[pd.DataFrame],
    complete: bool,
) -> None:
    """Every point in ``0 .. n_points - 1`` at most once (exactly once with ``complete``), else SweepError."""
    total = metadata["n_points"]
    seen: dict[int, int] = {}
    for point in points:
        seen[point] = seen.get(point, 0) + 1
    repeated = sorted(point for point, count in seen.items() if count > 1)
    if repeated:
        holders = sorted(
            {part.name for part, frame in zip(parts, frames) if frame["point"].isin(repeated[:POINTS_NAMED]).any()}
        )
        raise SweepError(
            f"{directory}: {_points(repeated)} {'appears' if len(repeated) == 1 else 'appear'} more than once "
            f"(in {', '.join(holders)}): two sweeps wrote "
            "into this folder at once, and no analysis can use it as it is. Delete the part files that repeat "
            "points, or run the sweep again into a new --out"
        )
    outside = sorted(point for point in seen if not 0 <= point < total)
    if outside:
        raise SweepError(
            f"{directory}: {_points(outside)} {'is' if len(outside) == 1 else 'are'} not in this sweep, whose design "
            f"has points 0 to {total - 1} "
            f"({METADATA_FILE} says n_points = {total}); the part files belong to another sweep"
        )
    if complete and len(seen) < total:
        if not seen:
            raise SweepError(
                f"{directory}: the sweep has no finished points yet; finish it with sim sweep ... --out {directory} "
                "--resume"
            )
        missing = [point for point in range(total) if point not in seen]
        raise SweepError(
            f"{directory}: the sweep is unfinished, {len(seen):,} of {total:,} points done ({_points(missing)} "
            f"missing); finish it with sim sweep ... --out {directory} --resume"
        )


def _points(points: Sequence[int]) -> str:
    """``points 3, 4 and 7``, or ``points 3, 4, 5, 6, 7 and 12 more``."""
    named = ", ".join(str(point) for point in points[:POINTS_NAMED])
    if len(points) == 1:
        return f"point {named}"
    if len(points) <= POINTS_NAMED:
        head, _, last = named.rpartition(", ")
        return f"points {head} and {last}"
    return f"points {named} and {len(points) - POINTS_NAMED:,} more"


def _notify(message: str) -> None:
    """Tell the person running the sweep (standard error: the CLI's channel for progress, too)."""
    print(f"sim: {message}", file=sys.stderr, flush=True)


_LOCKED_HERE: set[str] = set()  # directories a sweep of this process writes to
_LOCKED_HERE_GUARD = threading.Lock()


@contextlib.contextmanager
def _writing(directory: Path) -> Iterator[None]:
    """Hold the directory's lock while a sweep writes there; refuse (SweepError) if another holds it.

    A POSIX record lock (``fcntl.lockf``) on ``DIR/.lock``, taken without waiting. Unlike
    ``flock``, it is not inherited by forked worker processes, so a killed sweep's workers cannot
    keep it, and the system drops it when the process ends however it ends (``kill -9`` too), so a
    lock is never stale. Record locks do not exclude threads of one process, and closing any
    descriptor of the file drops them: sweeps of this process are kept apart by a set of
    directories, checked before the file is opened. Without ``fcntl`` (not POSIX) only that set
    applies. The lock file stays; it holds the writer's process id, for the message.
    """
    key = str(directory.resolve())
    with _LOCKED_HERE_GUARD:
        if key in _LOCKED_HERE:
            raise SweepError(_busy(directory, os.getpid()))
        _LOCKED_HERE.add(key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _lock(directory, descriptor)
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(descriptor)  # drops the record lock
    finally:
        with _LOCKED_HERE_GUARD:
            _LOCKED_HERE.discard(key)


def _lock(directory: Path, descriptor: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: the in-process check is all there is
        return
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        raise SweepError(_busy(directory, int(holder) if holder.isdigit() else None)) from None


def _busy(directory: Path, pid: int | None) -> str:
    who = f"another sweep (process {pid})" if pid is not None else "another sweep"
    return (
        f"{directory}: {who} is writing to this folder; wait for it to finish (then add --resume if points are "
        "left), or choose another --out"
    )


def _prepare_directory(directory: Path, spec: SweepSpec, scenario: Scenario, resume: bool) -> set[int]:
    """Check the directory belongs to this sweep, or start it (called holding its lock); return the
    points already done. On resume, corrupt part files are named and moved aside (their points
    run again)."""
    meta_path = directory / METADATA_FILE
    if meta_path.exists():
        existing = read_metadata(directory)
        if not resume:
            finished = len(read_sweep(directory)[0])
            total = existing["n_points"]
            if finished == total:
                raise SweepError(
                    f"{directory} already holds a complete sweep ({finished} of {total} points): read it with "
                    "sim.read_sweep or sim sensitivity/discover/plot, or choose another --out for a new one"
                )
            raise SweepError(
                f"{directory} already holds a sweep ({finished} of {total} points done): add --resume to finish it, "
                "or choose another --out"
            )
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
        _set_aside_corrupt_parts(directory)
        frame, _ = read_sweep(directory)
        return set(frame["point"].astype(int))
    if _has_content(directory):
        raise SweepError(f"{directory} exists and is not empty; choose another --out")
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomically(meta_path, json.dumps(spec.metadata(scenario), indent=2))
    return set()


def _set_aside_corrupt_parts(directory: Path) -> None:
    """Rename each part file that cannot be used to ``_part-...parquet.corrupt`` (kept for a look,
    skipped by Parquet readers) and say so: its points are then simply not done."""
    for part in sorted(directory.glob("part-*.parquet")):
        _, problem = _read_part(part)
        if problem:
            aside = part.with_name(f"{CORRUPT_PREFIX}{part.name}.corrupt")
            os.replace(part, aside)
            _notify(f"{part} is corrupt ({problem}): moved aside as {aside.name}; its points will be computed again")


def _has_content(directory: Path) -> bool:
    """Whether a would-be sweep directory holds anything but a lock file (left by an earlier attempt)."""
    if directory.exists() and not directory.is_dir():
        raise SweepError(f"{directory} is a file, not a folder; choose another --out")
    return directory.exists() and any(entry.name != LOCK_FILE for entry in directory.iterdir())


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
    if runs > MAX_RUNS:
        raise SweepError(f"--runs {runs:,}: at most {MAX_RUNS:,} runs per point (sim.limits.MAX_RUNS)")
    if workers is not None and workers > MAX_WORKERS:
        raise SweepError(f"--workers {workers:,}: at most {MAX_WORKERS:,} (sim.limits.MAX_WORKERS)")
    check_parameter_values(scenario, parameters)
    table = design_points(parameters, design, samples, seed, calc_second_order)
    points = [(index, plain(row)) for index, row in enumerate(table.to_dict("records"))]
    check_points_validate(scenario, points, int(runs))
    spec = SweepSpec(
        scenario.name, scenario.sha256(), [asdict(p) for p in parameters], design, samples,
        calc_second_order, int(seed), int(runs), len(points),
    )  # fmt: skip
    kind = executor or ("dask" if scheduler else "inline" if workers == 1 else "processes")
    if kind not in EXECUTORS:
        raise SweepError(f"--executor {kind}: choose one of {', '.join(EXECUTORS)}")
    directory = Path(out) if out is not None else None
    if directory is not None and not (directory / METADATA_FILE).exists() and _has_content(directory):
        # Checked again under the lock; here so that no lock file is left in a folder that is not a sweep's.
        raise SweepError(f"{directory} exists and is not empty; choose another --out")
    with _writing(directory) if directory is not None else contextlib.nullcontext():
        done = _prepare_directory(directory, spec, scenario, resume) if directory is not None else set()
        todo = [point for point in points if point[0] not in done]
        if kind == "dask" and scheduler and workers is None and chunk_size is None:
            workers = scheduler_threads(scheduler)  # size chunks for the cluster, not for this machine
        chunks = _chunks(todo, chunk_size or _default_chunk_size(len(todo), workers, runs))
        scenario_json = scenario.model_dump_json(by_alias=True)
        results = _Executor(kind, workers, scheduler).map(chunks, scenario_json, runs, seed)
        rows = _run(results, directory, progress, len(done), len(points))
        if directory is not None:
            frame = read_sweep(directory, complete=True)[0]  # every point exactly once, or an error
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


def check_parameter_values(scenario: Scenario, parameters: Sequence[Parameter]) -> None:
    """Fail before any design point is drawn if a parameter names no field, or if an end of its
    range (or one of its listed values) is a value its field does not take, naming the parameter:
    ``--param russia.resolve_prior=0.5:1.5`` is refused for its end 1.5, not for whichever design
    point first falls past 1."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    for parameter in parameters:
        if parameter.values is not None:
            tried, spec = parameter.values, ",".join(map(str, parameter.values))
        else:
            tried, spec = (parameter.low, parameter.high), f"{parameter.low:g}:{parameter.high:g}"
        for value in dict.fromkeys(tried):
            try:
                scenario_from_dict(raw, "--param", {parameter.path: value})
            except ScenarioError as error:
                field, message = error.problems[0]
                message = message.removesuffix(" [overridden]")
                known = parameter.values is None and not message.startswith("unknown field")
                where = " (both ends of a range must be values the field takes)" if known else ""
                raise SweepError(f"--param {parameter.path}={spec}: {field}: {message}{where}") from None


def check_points_validate(scenario: Scenario, points: list[tuple[int, dict[str, Any]]], runs: int) -> None:
    """Fail before any work if a design point, alone or by its combination of values, makes an
    invalid scenario, or one whose ``runs`` would be more work than one Monte Carlo may be
    (:func:`sim.montecarlo.check_run_size`: a swept ``rounds``); about 0.2 ms a point, cheap next
    to running it."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    for index, values in points:
        try:
            check_run_size(scenario_from_dict(raw, f"design point {index}", values), runs)
        except ScenarioError as error:
            raise SweepError(str(error)) from None
        except ValueError as error:
            raise SweepError(f"design point {index}: {error}") from None
