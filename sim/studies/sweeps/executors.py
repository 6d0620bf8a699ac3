"""Where a sweep's design points run: in this process, in local worker processes, or on Dask.

Points travel in chunks of plain data (the scenario as JSON, ``(index, values)`` pairs), so any
executor can ship them, and each chunk comes back as rows of aggregates as soon as it is done.
Point ``i`` is simulated with ``SeedSequence(seed, spawn_key=(i,))`` (:func:`point_seed`), so its
numbers do not depend on how points are chunked or which worker runs them.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import signal
import threading
import uuid
from collections.abc import Iterator

import numpy as np

from sim.domain.scenario import Scenario, with_overrides
from sim.engine.equilibrium import equilibria_for, threads
from sim.engine.equilibrium.grid_identity import grid_hash
from sim.engine.equilibrium.policy_tree import TOGETHER
from sim.runs.montecarlo import tally_monte_carlo
from sim.studies.sweeps.design import Point, SweepError


def point_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed of design point ``index``: the same whatever the chunking or the worker."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def run_chunk(scenario_json: str, points: list[Point], runs: int, seed: int) -> list[dict]:
    """Run some design points; a plain function of plain data so any executor can ship it.

    Points that share a grid solve (they differ only in where the crisis starts:
    :mod:`~sim.engine.equilibrium.grid_identity`) are run together, a few at a time
    (:data:`~sim.engine.equilibrium.policy_tree.TOGETHER`), their policy trees built in one pass
    (:func:`~sim.engine.equilibrium.equilibria_for`); the others one at a time, as a run of each
    would be. Either way each point's numbers are the ones it gets alone.
    """
    scenario = Scenario.model_validate_json(scenario_json)
    groups: dict[str, list[tuple[int, dict, Scenario]]] = {}
    for index, values in points:
        made = with_overrides(scenario, values, source=f"design point {index}")
        groups.setdefault(grid_hash(made), []).append((index, values, made))
    rows: dict[int, dict] = {}
    for group in groups.values():
        for start in range(0, len(group), TOGETHER):
            rows |= _run_together(group[start : start + TOGETHER], runs, seed)
    return [rows[index] for index, _ in points]


def _run_together(points: list[tuple[int, dict, Scenario]], runs: int, seed: int) -> dict[int, dict]:
    """Rows of points that share a grid, their trees built in one pass; nothing of theirs is
    held once this returns (beyond the solver's cache of the last few equilibria)."""
    equilibria = equilibria_for([made for _, _, made in points])
    rows = {}
    for (index, values, made), equilibrium in zip(points, equilibria, strict=True):
        tally = tally_monte_carlo(made, runs, point_seed(seed, index), equilibrium=equilibrium)
        rows[index] = {"point": index, **values, **tally.row()}
    return rows


def chunked(points: list[Point], size: int) -> list[list[Point]]:
    """The points in consecutive chunks of ``size`` (the last may be shorter)."""
    return [points[start : start + size] for start in range(0, len(points), size)]


def default_chunk_size(points: int, workers: int | None, runs: int) -> int:
    """Chunks of at least ~0.25 s of work (a run takes roughly 10 us), so thousands of small points
    do not drown in per-task overhead, but no more than a quarter of a worker's share, so every
    worker stays busy and progress shows."""
    workers = workers or os.cpu_count() or 1
    enough_work = math.ceil(0.25 / (runs * 1e-5))
    fair_share = math.ceil(points / (workers * 4)) if points else 1
    return max(1, min(enough_work, fair_share))


def _start_worker(workers: int) -> None:
    """A local worker process leaves Ctrl-C to the parent, which stops them all (no traceback from
    each worker), and solves with its share of the cores: one solver thread when there are as many
    workers as cores (threads on top would oversubscribe them: 2 workers with 2 threads each were
    about 10% slower on 2 cores, ``benchmarks/bench_sweep.py``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threads.SOLVER_THREADS = max(1, min(threads.SOLVER_THREADS, threads.usable_cores() // workers))


def _run_chunk_task(task: tuple) -> list[dict]:
    return run_chunk(*task)


class Executor:
    """Runs chunks somewhere and yields each chunk's rows as soon as it is done.

    Parameters
    ----------
    kind
        One of :data:`sim.domain.choices.EXECUTORS`.
    workers
        Local processes, or the workers of a local Dask cluster (None: one per core).
    scheduler
        The address of a Dask scheduler to run on, instead of a local cluster.
    """

    def __init__(self, kind: str, workers: int | None, scheduler: str | None):
        self.kind, self.workers, self.scheduler = kind, workers, scheduler

    def map(self, chunks: list[list[Point]], scenario_json: str, runs: int, seed: int) -> Iterator[list[dict]]:
        """Each chunk's rows (:func:`run_chunk`), in the order the chunks finish; lazy: nothing
        starts before the first chunk is asked for."""
        if self.kind == "inline":
            for chunk in chunks:
                yield run_chunk(scenario_json, chunk, runs, seed)
        elif self.kind == "processes":
            workers = self.workers or os.cpu_count() or 1
            pool = _process_context().Pool(workers, initializer=_start_worker, initargs=(workers,))
            try:
                tasks = [(scenario_json, chunk, runs, seed) for chunk in chunks]
                yield from pool.imap_unordered(_run_chunk_task, tasks)
            finally:
                pool.terminate()  # on Ctrl-C or an error, stop the workers now instead of draining the queue
                pool.join()  # and leave no helper threads behind, so the next pool can fork
        else:
            yield from self._dask(chunks, scenario_json, runs, seed)

    def _dask(self, chunks: list[list[Point]], scenario_json: str, runs: int, seed: int) -> Iterator[list[dict]]:
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
    (docs/how-to/sweeps.md says how to do the same on a cluster of your own).
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
        context.set_forkserver_preload(["sim.studies.sweeps"])
        return context
    return multiprocessing.get_context("spawn")
