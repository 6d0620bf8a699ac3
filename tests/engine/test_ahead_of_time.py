"""The world-playing kernel compiled ahead of time (sim.engine.ahead_of_time): the same worlds as the
just-in-time kernel to the last bit, used for a run's first worlds while numba is not loaded, never handed
arguments it would misread, and a short ``sim run`` with it loads neither numba nor scipy."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sim.domain.scenario import builtin_scenarios, load_scenario
from sim.engine import ahead_of_time, fused, jit
from sim.engine.equilibrium import equilibrium_for
from sim.engine.fused import WorldBatch, kernel_inputs, simulate_worlds


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder holding a fresh build of the kernel, made as the Makefile makes it
    (``python -m sim.engine.fused``, about 11 s), set as ``SIM_CACHE_DIR``."""
    if importlib.util.find_spec("numba.pycc") is None:
        pytest.skip("this numba has no numba.pycc: the just-in-time kernel plays every run")
    folder = tmp_path_factory.mktemp("kernel-cache")
    done = subprocess.run(
        [sys.executable, "-m", "sim.engine.fused"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "SIM_CACHE_DIR": str(folder)},
    )
    if done.returncode != 0 and not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip(f"no C compiler to build the kernel ahead of time: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert "kernel compiled ahead of time" in done.stdout
    patch = pytest.MonkeyPatch()
    patch.setenv("SIM_CACHE_DIR", str(folder))
    try:
        yield folder
    finally:
        patch.undo()


def played(kernel, equilibrium, key: int, first: int, n: int) -> tuple[np.ndarray, WorldBatch]:
    batch = WorldBatch.empty(n, equilibrium.scenario.rounds)
    arguments = (0, n, np.uint64(key), first, *kernel_inputs(equilibrium), *fused._outputs(batch))
    assert ahead_of_time.fits(arguments), "what simulate_worlds passes fits the build's signature"
    return kernel(*arguments), batch


@pytest.mark.parametrize("name", builtin_scenarios())
def test_the_kernel_compiled_ahead_plays_the_worlds_of_the_just_in_time_kernel(cache, name):
    ahead = ahead_of_time.kernel()
    assert ahead is not None, "built, so found"
    equilibrium = equilibrium_for(load_scenario(name))
    for key, first in [(12345, 0), (2**63 + 17, 40_000)]:
        ladder, batch = played(ahead, equilibrium, key, first, 4000)
        reference_ladder, reference = played(fused._play_worlds, equilibrium, key, first, 4000)
        np.testing.assert_array_equal(ladder, reference_ladder)
        for mine, theirs in zip(fused._outputs(batch), fused._outputs(reference), strict=True):
            np.testing.assert_array_equal(mine, theirs)
        if name == "coalition_2026":
            assert len(np.unique(batch.outcome)) >= 3, "worlds that differ, not one trivial ending"


def test_simulate_worlds_uses_it_for_a_runs_first_worlds_before_numba_is_loaded(cache, monkeypatch):
    """Before numba is loaded, a run's first MOST_WORLDS worlds are played ahead of time; later ones,
    or any once numba is loaded, by the just-in-time kernel. The worlds are the same."""
    real = ahead_of_time.kernel()
    calls: list[tuple[int, int]] = []

    def counted(*arguments):
        calls.append((arguments[3], arguments[1]))  # first world, how many
        return real(*arguments)

    monkeypatch.setattr(ahead_of_time, "kernel", lambda: counted)
    monkeypatch.setattr(ahead_of_time, "MOST_WORLDS", 3000)
    equilibrium = equilibrium_for(load_scenario("coalition_2026"))
    reference = simulate_worlds(equilibrium, 7, 0, 3000)  # numba is loaded in this process
    later_reference = simulate_worlds(equilibrium, 7, 2000, 1001)
    assert calls == []
    monkeypatch.setattr(jit, "numba", None)  # as in a process that has not loaded it
    assert ahead_of_time.kernel_for(0, 3000) is counted and ahead_of_time.kernel_for(2000, 1001) is None
    short = simulate_worlds(equilibrium, 7, 0, 3000)
    assert calls == [(0, 3000)]
    later = simulate_worlds(equilibrium, 7, 2000, 1001)
    assert calls == [(0, 3000)], "worlds past the first MOST_WORLDS go to the threads of the just-in-time kernel"
    for mine, theirs in [(short, reference), (later, later_reference)]:
        for got, expected in zip(fused._outputs(mine), fused._outputs(theirs), strict=True):
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(mine.ladder, expected_ladder := theirs.ladder)
        assert expected_ladder.sum() > 0


def replaced(arguments: list, index: int, value: object) -> tuple:
    return (*arguments[:index], value, *arguments[index + 1 :])


def test_arguments_it_would_misread_are_refused():
    equilibrium = equilibrium_for(load_scenario("classroom_chicken"))
    batch = WorldBatch.empty(10, equilibrium.scenario.rounds)
    good = [0, 10, np.uint64(1), 0, *kernel_inputs(equilibrium), *fused._outputs(batch)]
    assert ahead_of_time.fits(tuple(good))
    assert not ahead_of_time.fits(tuple(good[:-1])), "one argument short"
    cost = good[14]  # the actors' costs by action
    assert cost.ndim == 2 and min(cost.shape) > 1
    for wrong in (
        np.asfortranarray(cost),  # would be read with the wrong strides
        np.ascontiguousarray(cost, dtype=np.float32),
        cost.ravel(),
        np.stack([cost, cost], axis=1)[:, 0],  # the right shape, not contiguous
        cost.tolist(),
    ):
        assert not ahead_of_time.fits(replaced(good, 14, wrong))
    assert not ahead_of_time.fits(replaced(good, 4, True)), "a bool is not a round count"
    assert isinstance(good[20], float) and not ahead_of_time.fits(replaced(good, 20, 1))


def test_a_damaged_or_missing_build_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CACHE_DIR", str(tmp_path))
    assert ahead_of_time.kernel() is None, "never built here"
    path = ahead_of_time.build_path()
    assert path is not None and path.parent.parent == tmp_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a shared library")
    ahead_of_time._LOADED.clear()
    assert ahead_of_time.kernel() is None
    monkeypatch.setenv("SIM_CACHE_DIR", "off")
    assert ahead_of_time.build_path() is None and ahead_of_time.kernel() is None


def test_every_module_the_kernel_reads_names_the_build():
    """A build is named by a hash of its sources: every ``sim`` module that the kernel's modules import
    from (functions it calls, constants compiled into it) is among them, so changing any of them
    names a new build and an old one is never loaded."""
    hashed = {path.resolve() for path in ahead_of_time.sources()}
    root = Path(ahead_of_time.__file__).resolve().parents[2]
    for kernel_module in ("sim.engine.fused", "sim.engine.streams", "sim.engine.equilibrium.kernels"):
        path = Path(importlib.import_module(kernel_module).__file__).resolve()
        assert path in hashed
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
                module = root / Path(*node.module.split("."))
                file = module.with_suffix(".py") if module.with_suffix(".py").exists() else module / "__init__.py"
                assert file.resolve() in hashed, f"{path.name} imports {node.module}, not hashed into the build's name"
    name = ahead_of_time._file_name()
    assert name is not None and name.startswith(ahead_of_time.MODULE)


SHORT_RUN = """
import json, sys
from sim.cli.main import main
main(["run", "classroom_chicken", "--runs", "300", "--seed", "4"])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite", "scipy")})))
"""


def test_a_short_run_with_the_build_loads_neither_numba_nor_scipy(cache):
    """The first run solves (numba) and keeps the equilibrium on disk; the second reads it and plays
    its worlds ahead of time: the same printed numbers, with no numba, llvmlite or scipy loaded."""
    environment = {**os.environ, "SIM_CACHE_DIR": str(cache)}

    def run() -> tuple[str, list[str]]:
        done = subprocess.run(
            [sys.executable, "-c", SHORT_RUN], capture_output=True, text=True, env=environment, timeout=600
        )
        assert done.returncode == 0, done.stderr
        *printed, modules = done.stdout.strip().splitlines()
        return "\n".join(printed), json.loads(modules)

    first, first_modules = run()
    second, second_modules = run()
    assert "numba" in first_modules, "the first run solves: the check is not vacuous"
    assert second_modules == []
    assert second == first
