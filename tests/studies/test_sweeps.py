"""Parameter sweeps: designs, identical numbers on every executor, resuming, bounded memory."""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.runs.montecarlo as montecarlo
from sim.domain.scenario import load_scenario
from sim.runs.montecarlo import tally_monte_carlo
from sim.studies.sweeps import Parameter, SweepError, design_points, read_sweep, sweep

pytestmark = pytest.mark.slow  # sweeps, interrupted sweeps and Dask clusters: left out by `make test-fast`

PARAMS = {"russia.resolve_prior": (0.2, 0.9), "us.deploy_cost": (0.1, 2.0)}
SHORT = str(Path(__file__).resolve().parents[1] / "data" / "short_crisis.toml")
"""coalition_2026 with three rounds: each design point solves its own equilibrium."""

# Dask tests start worker processes that import the package (seconds each on a cold machine, with
# 2 shared cores): every wait is bounded but generous, and a hung test ends the whole run with the
# stack of every thread (method="thread": it interrupts waits in any thread, and Dask's worker
# processes exit with their parent) instead of stalling CI. The group takes about 15 to 30 s.
DASK_STARTUP_SECONDS = 60
DASK_SWEEP_SECONDS = 240  # each design point solves an equilibrium first (seconds on a busy machine)
dask_timeout = pytest.mark.timeout(420, method="thread")


def _import_sim() -> int:
    """Run in each Dask worker to warm it up: the package imported before the clock matters."""
    import sim.studies.sweeps  # noqa: F401

    return os.getpid()


@contextlib.contextmanager
def warm_dask_cluster(workers: int = 2):
    """A local Dask cluster with all its workers registered and warm, and a client of the test's own
    (not dask's default client); both closed however the test ends."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client

    from sim.studies.sweeps import local_dask_cluster

    cluster = local_dask_cluster(workers)
    try:
        with Client(cluster, set_as_default=False, timeout=DASK_STARTUP_SECONDS) as client:
            client.wait_for_workers(workers, timeout=DASK_STARTUP_SECONDS)
            assert len(client.run(_import_sim)) == workers
            yield cluster, client
    finally:
        cluster.close(timeout=DASK_STARTUP_SECONDS)


def run_in_threads(*works, timeout: float = DASK_SWEEP_SECONDS) -> list:
    """Run the functions side by side in daemon threads, starting together; their results in order.
    A thread still running after ``timeout`` fails the test (and cannot keep the process alive)."""
    results: list = [None] * len(works)
    start = threading.Barrier(len(works))

    def call(index: int, work) -> None:
        try:
            start.wait(timeout=DASK_STARTUP_SECONDS)
            results[index] = work()
        except BaseException as error:  # re-raised in the test's thread below
            results[index] = error

    threads = [threading.Thread(target=call, args=item, daemon=True) for item in enumerate(works)]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), f"a sweep did not finish within {timeout} s"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_parameter_specs_from_the_command_line():
    assert Parameter.parse("russia.resolve_prior=0.2:0.9") == Parameter("russia.resolve_prior", 0.2, 0.9)
    assert Parameter.parse("rounds=5:20:4").grid() == [5.0, 10.0, 15.0, 20.0]
    assert Parameter.parse('russia.rule="logit","best_response"').values == ("logit", "best_response")
    assert Parameter.parse("russia.rule=logit,best_response").values == ("logit", "best_response")
    for bad in ("russia.resolve_prior", "x=0.9:0.2", "x=a:b", "x=1:2:0"):
        with pytest.raises(SweepError):
            Parameter.parse(bad)


def test_grid_is_the_full_product():
    table = design_points([Parameter("a", 0, 1, 3), Parameter.choice("b", ["x", "y"])], "grid", None, 0)
    assert len(table) == 6 and sorted(set(table["a"])) == [0.0, 0.5, 1.0] and set(table["b"]) == {"x", "y"}


def test_latin_hypercube_puts_one_point_in_every_stratum():
    n = 20
    table = design_points([Parameter("a", 0, 1), Parameter("b", 10, 20)], "lhs", n, seed=4)
    for column, (low, high) in {"a": (0, 1), "b": (10, 20)}.items():
        strata = np.floor((table[column] - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n))


def test_sobol_and_saltelli_sizes_and_bounds():
    params = [Parameter("a", 0, 1), Parameter("b", -1, 1), Parameter("c", 5, 6)]
    sobol = design_points(params, "sobol", 16, seed=1)
    assert len(sobol) == 16 and sobol["b"].between(-1, 1).all()
    assert len(design_points(params, "saltelli", 8, seed=1)) == 8 * (3 + 2)
    assert len(design_points(params, "saltelli", 8, seed=1, calc_second_order=True)) == 8 * (2 * 3 + 2)
    with pytest.raises(SweepError, match="numeric ranges"):
        design_points([Parameter.choice("r", ["logit"])], "saltelli", 8, seed=1)


def test_categorical_parameters_in_random_designs_take_their_listed_values():
    table = design_points([Parameter.choice("russia.rule", ["logit", "best_response"])], "lhs", 10, seed=2)
    assert set(table["russia.rule"]) == {"logit", "best_response"}


def test_same_numbers_whatever_the_chunking_or_executor():
    kwargs = dict(params=PARAMS, design="lhs", samples=6, runs=800, seed=7)
    inline = sweep(SHORT, executor="inline", chunk_size=1, **kwargs)
    chunked = sweep(SHORT, executor="inline", chunk_size=4, **kwargs)
    processes = sweep(SHORT, executor="processes", workers=2, **kwargs)
    pd.testing.assert_frame_equal(inline, chunked)
    pd.testing.assert_frame_equal(inline, processes)
    assert inline["point"].tolist() == list(range(6))
    assert np.allclose(inline.filter(like="p_").sum(axis=1), 1.0)


def test_points_that_share_a_grid_are_run_together_with_the_numbers_they_get_alone(monkeypatch):
    """A chunk runs the points that differ only in their starting beliefs together (one grid solve,
    their policy trees built in one pass) and the others apart; every row is the one its point
    gets alone, in the design's order."""
    from sim.engine.equilibrium import policy_tree, solver
    from sim.studies.sweeps import executors

    built: list[int] = []
    together = policy_tree.build_policy_trees

    def counted(equilibria, limit=None):
        built.append(len(equilibria))
        return together(equilibria, limit)

    monkeypatch.setattr(policy_tree, "build_policy_trees", counted)
    params = {"us.deploy_cost": [0.4, 1.5], "russia.resolve_prior": [0.2, 0.5, 0.8]}
    kwargs = dict(params=params, design="grid", runs=600, seed=11, executor="inline")
    in_one_chunk = sweep(SHORT, chunk_size=6, **kwargs)
    assert sorted(built) == [3, 3]  # two games, three starting beliefs each
    built.clear()
    monkeypatch.setattr(solver, "_CACHE", {})
    one_by_one = sweep(SHORT, chunk_size=1, **kwargs)
    assert built == [1] * 6
    pd.testing.assert_frame_equal(in_one_chunk, one_by_one)
    assert in_one_chunk["point"].tolist() == list(range(6))
    assert in_one_chunk["us.deploy_cost"].tolist() == [0.4, 0.4, 0.4, 1.5, 1.5, 1.5]
    built.clear()
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(executors, "TOGETHER", 2)  # a few at a time: what is held stays bounded
    pd.testing.assert_frame_equal(sweep(SHORT, chunk_size=6, **kwargs), one_by_one)
    assert built == [2, 1, 2, 1]


@pytest.mark.parametrize(("cores", "workers", "solver_threads"), [(2, 2, 1), (2, 1, 2), (8, 2, 2), (1, 4, 1)])
def test_a_local_worker_solves_with_its_share_of_the_cores(monkeypatch, cores, workers, solver_threads):
    from sim.engine.equilibrium import threads
    from sim.studies.sweeps import executors

    monkeypatch.setattr(threads, "SOLVER_THREADS", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    previous = signal.getsignal(signal.SIGINT)
    try:
        executors._start_worker(workers)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # Ctrl-C is the parent's to handle
    finally:
        signal.signal(signal.SIGINT, previous)
    assert solver_threads == threads.SOLVER_THREADS


@pytest.mark.dask
@dask_timeout
def test_dask_local_cluster_gives_the_same_numbers():
    pytest.importorskip("dask.distributed")
    kwargs = dict(params=PARAMS, design="sobol", samples=4, runs=500, seed=3)
    inline = sweep(SHORT, executor="inline", **kwargs)
    on_dask = sweep(SHORT, executor="dask", workers=2, **kwargs)
    pd.testing.assert_frame_equal(inline, on_dask)


def test_a_point_matches_the_same_monte_carlo_run_on_its_own():
    frame = sweep("classroom_chicken", {"coalition.audience_cost": [5.0, 0.0]}, runs=300, seed=1, executor="inline")
    assert frame["p_deterrence_holds"].tolist() == [1.0, 0.0]  # docs/how-to/teaching.md's worked answer
    assert frame["p_coalition_backs_down"].tolist() == [0.0, 1.0]


def test_streamed_sweep_carries_its_provenance(tmp_path):
    out = tmp_path / "s.parquet"
    frame = sweep(SHORT, PARAMS, design="lhs", samples=4, runs=300, seed=2, out=out, executor="inline")
    again, metadata = read_sweep(out)
    pd.testing.assert_frame_equal(frame, again)
    assert metadata["scenario"] == "short_crisis" and metadata["seed"] == 2 and metadata["design"] == "lhs"
    assert metadata["scenario_sha256"] == load_scenario(SHORT).sha256() and metadata["n_points"] == 4
    assert "version" in metadata


def test_an_existing_sweep_is_never_overwritten_and_resume_must_match(tmp_path):
    out = tmp_path / "s.parquet"
    sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=2, out=out, executor="inline")
    with pytest.raises(SweepError, match="already holds a complete sweep"):
        sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=2, out=out, executor="inline")
    next(out.glob("part-*.parquet")).unlink()  # half done: the way on is --resume
    with pytest.raises(SweepError, match=r"\(1 of 2 points done\): add --resume"):
        sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=2, out=out, executor="inline")
    with pytest.raises(SweepError, match="seed"):
        sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=3, out=out, resume=True)


def test_a_sweep_started_by_another_version_is_not_resumed(tmp_path):
    out = tmp_path / "s.parquet"
    sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=2, out=out, executor="inline")
    metadata_file = out / "_sweep.json"
    metadata = json.loads(metadata_file.read_text())
    metadata["version"] = "0.0.1"
    metadata_file.write_text(json.dumps(metadata))
    with pytest.raises(SweepError, match=r"started by deterrence-sim 0\.0\.1"):
        sweep(SHORT, PARAMS, design="lhs", samples=2, runs=200, seed=2, out=out, resume=True)


SLOW_SWEEP = [
    "sweep", SHORT, "--param", "us.deploy_cost=0.1:2:10", "--runs", "5000",
    "--seed", "5", "--executor", "inline", "--chunk-size", "1",
]  # fmt: skip
"""A sweep slow enough to stop mid-way: its parameter changes the game, so every point solves its own
(a sweep of the starting beliefs would share one solve and end before the signal)."""


def start_sweep(out, *extra: str) -> subprocess.Popen:
    """The sweep as a user starts it in a terminal. Ctrl-C is restored in the child: a process
    inherits an ignored SIGINT (something earlier in the test session may ignore it), and Python
    then never raises KeyboardInterrupt."""
    command = [sys.executable, "-m", "sim", *SLOW_SWEEP, *extra, "--out", str(out)]
    return subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )


def wait_for_parts(out, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("part-*.parquet"))) < count:
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["killed", "interrupted"])
def test_a_stopped_sweep_resumes_with_every_point_exactly_once(tmp_path, how):
    out = tmp_path / "s.parquet"
    process = start_sweep(out)
    wait_for_parts(out, 3)
    process.send_signal(signal.SIGKILL if how == "killed" else signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if how == "interrupted":
        assert process.returncode == 130 and "--resume" in stderr
    saved = len(read_sweep(out)[0])
    assert 3 <= saved < 10, "stopped mid-way"
    resumed = subprocess.run(
        [sys.executable, "-m", "sim", *SLOW_SWEEP, "--out", str(out), "--resume"], capture_output=True
    )
    assert resumed.returncode == 0, resumed.stderr
    frame, _ = read_sweep(out)
    assert frame["point"].tolist() == list(range(10)), "every point exactly once"
    uninterrupted = sweep(SHORT, {"us.deploy_cost": (0.1, 2.0, 10)}, runs=5000, seed=5, executor="inline")
    pd.testing.assert_frame_equal(frame, uninterrupted, check_dtype=False)


def test_peak_memory_does_not_grow_with_runs(monkeypatch):
    """A sweep point keeps aggregates only: 8x the runs must not need 8x the memory."""
    monkeypatch.setattr(montecarlo, "BATCH_WORLDS", 2_000)
    scenario = load_scenario(SHORT)

    def peak(runs: int) -> int:
        tracemalloc.start()
        tally_monte_carlo(scenario, runs, np.random.SeedSequence(1))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2_000), peak(16_000)
    assert large < 1.5 * small, (small, large)


def test_invalid_values_are_refused_before_any_work(tmp_path):
    with pytest.raises(SweepError, match=r"russia\.resolve_prior"):
        sweep(SHORT, {"russia.resolve_prior": (0.5, 1.5)}, runs=100, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()
    with pytest.raises(SweepError, match="unknown field"):
        sweep(SHORT, {"russia.resolv": (0.1, 0.2)}, runs=100)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sweep", SHORT, "--param", "russia.resolve_prior=0.9:0.1"], "LOW <= HIGH"),
        (["sweep", SHORT, "--param", "x=1:2", "--resume"], "--resume needs --out"),
        (["sweep", SHORT, "--param", "russia.resolve_prior=0:1", "--design", "lhs"], "--samples"),
        (["sweep", SHORT], "--param"),
    ],
)
def test_sweep_command_errors_exit_2(args, words):
    completed = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, check=False)
    assert completed.returncode == 2 and words in completed.stderr and "Traceback" not in completed.stderr


def test_sweep_command_writes_the_dataset(tmp_path):
    out = tmp_path / "cli.parquet"
    command = [sys.executable, "-m", "sim", "sweep", "classroom_chicken", "--param", "russia.resolve_prior=0,1",
               "--runs", "50", "--workers", "1", "--out", str(out)]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env={**os.environ})
    assert completed.returncode == 0, completed.stderr
    frame, _ = read_sweep(out)
    assert len(frame) == 2 and json.loads((out / "_sweep.json").read_text())["runs"] == 50


def test_python_api_is_sim_sweep():
    import sim

    frame = sim.sweep("classroom_chicken", {"coalition.audience_cost": [5.0, 0.0]}, runs=50, seed=1, workers=1)
    assert frame["p_deterrence_holds"].tolist() == [1.0, 0.0]
    assert callable(sim.read_sweep)


def _die_once_then_work(flag: str) -> int:
    """Installed in Dask workers: the first chunk any worker starts kills that worker's process.

    Exactly one worker dies: the flag file is created atomically (O_EXCL), so two workers that start
    their first chunks at the same moment cannot both see it missing and both die."""
    import os as worker_os

    import sim.studies.sweeps.executors as worker_sweeps

    original = worker_sweeps.run_chunk

    def run_chunk(*args):
        try:
            file = worker_os.open(flag, worker_os.O_CREAT | worker_os.O_EXCL | worker_os.O_WRONLY)
        except FileExistsError:
            return original(*args)
        worker_os.write(file, str(worker_os.getpid()).encode())
        worker_os.close(file)
        worker_os._exit(1)  # the worker process dies mid-task, as on a lost cluster node

    worker_sweeps.run_chunk = run_chunk
    return worker_os.getpid()


@pytest.mark.dask
@dask_timeout
def test_a_chunk_on_a_dying_dask_worker_is_retried(tmp_path):
    flag = tmp_path / "a-worker-died"
    kwargs = dict(params=PARAMS, design="lhs", samples=6, runs=300, seed=11)
    with warm_dask_cluster(2) as (cluster, client):
        pids = client.run(_die_once_then_work, str(flag))
        on_dask = sweep(SHORT, scheduler=cluster.scheduler_address, chunk_size=1, **kwargs)
    assert int(flag.read_text()) in pids.values(), "a worker really died"
    pd.testing.assert_frame_equal(on_dask, sweep(SHORT, executor="inline", **kwargs))


def test_ctrl_c_stops_local_worker_processes_at_once(tmp_path):
    """The queued chunks are not drained: the command ends within seconds, then resumes."""
    out = tmp_path / "s.parquet"
    process = start_sweep(out, "--executor", "processes", "--workers", "2")
    wait_for_parts(out, 2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=15)
    assert process.returncode == 130 and "--resume" in stderr and "Traceback" not in stderr
    assert len(read_sweep(out)[0]) < 10


@pytest.mark.dask
@dask_timeout
def test_chunks_on_a_remote_scheduler_are_sized_for_its_workers():
    from sim.studies.sweeps import scheduler_threads

    with warm_dask_cluster(2) as (cluster, _):
        assert scheduler_threads(cluster.scheduler_address) == 2


@pytest.mark.dask
@dask_timeout
def test_two_sweeps_on_one_dask_scheduler_keep_their_own_results():
    def run(seed: int, scheduler: str | None = None) -> pd.DataFrame:
        options = {"scheduler": scheduler} if scheduler else {"executor": "inline"}
        return sweep(SHORT, PARAMS, design="lhs", samples=4, runs=300, seed=seed, **options)

    with warm_dask_cluster(2) as (cluster, _):
        address = cluster.scheduler_address
        first, second = run_in_threads(lambda: run(1, address), lambda: run(2, address))
    pd.testing.assert_frame_equal(first, run(1))
    pd.testing.assert_frame_equal(second, run(2))


@pytest.mark.dask
@dask_timeout
def test_a_dask_sweep_waits_on_its_own_client_not_the_default_one():
    """Dask's as_completed follows the default client (the newest, or the current one) unless told
    otherwise. When that client was another sweep's and closed first, a sweep waited forever; this
    is the same thing made certain: another client is current, and closes mid-sweep."""
    Client = pytest.importorskip("dask.distributed").Client

    kwargs = dict(params=PARAMS, design="lhs", samples=12, runs=20_000, seed=4, chunk_size=1)  # about 1 s on 2 workers
    with warm_dask_cluster(2) as (cluster, _), Client(cluster.scheduler_address, timeout=60) as other:
        context = contextvars.copy_context()  # `other` is the current client here, as in a user's with-block
        address = cluster.scheduler_address
        closer = threading.Timer(0.3, other.close)
        closer.start()
        try:
            (on_dask,) = run_in_threads(lambda: context.run(sweep, SHORT, scheduler=address, **kwargs))
        finally:
            closer.cancel()
    pd.testing.assert_frame_equal(on_dask, sweep(SHORT, executor="inline", **kwargs))


def test_an_invalid_combination_of_values_is_refused_before_any_work(tmp_path):
    """Each value is fine alone; together some design points ask for more troops than exist."""
    params = {"coalition.min_troops": (5.0, 20.0, 4)}  # the members have 15 thousand troops in all
    with pytest.raises(SweepError, match="min_troops"):
        sweep(SHORT, params, runs=100, out=tmp_path / "never", executor="processes", workers=2)
    assert not (tmp_path / "never").exists()


def test_a_sweep_in_memory_carries_its_design_for_sobol_and_a_finished_one_says_so(tmp_path):
    """sim.sweep's frame holds the sweep's metadata in ``attrs`` (as read_sweep returns it), so the
    Sobol indices work on a sweep kept in memory; a second sweep into a finished directory is told
    that it is complete, not to resume it."""
    from sim.studies.analysis import sobol_indices

    params = {"russia.resolve_prior": (0.2, 0.8), "escalation.tripwire": (0.0, 0.4)}
    frame = sweep(SHORT, params, design="saltelli", samples=4, runs=100, seed=1, executor="inline", out=tmp_path / "s")
    assert frame.attrs["design"] == "saltelli" and frame.attrs["n_points"] == len(frame) == 16
    indices = sobol_indices(frame, frame.attrs, "deterrence_holds")
    on_disk = sobol_indices(*read_sweep(tmp_path / "s"), "deterrence_holds")
    pd.testing.assert_frame_equal(indices, on_disk)
    with pytest.raises(SweepError, match=r"complete sweep \(16 of 16 points\)"):
        sweep(SHORT, params, design="saltelli", samples=4, runs=100, seed=1, executor="inline", out=tmp_path / "s")
