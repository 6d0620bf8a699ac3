"""Without numba (a platform it has no wheels for) the package still runs: the solver iterates its
numpy reference, the engine plays the numpy model, and the grid reads and the members' game use
their numpy twins (sim.engine.jit, sim.engine.equilibrium.numpy_twins). The twins are held to the
compiled kernels here, and a whole crisis is run in a Python where ``import numba`` fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sim import load_scenario
from sim.engine.equilibrium import numpy_twins
from sim.engine.equilibrium.kernels import _cohesion_kernel, _interpolate, _interpolate_rows
from sim.engine.equilibrium.round_game import RoundGame
from sim.runs.montecarlo import run_monte_carlo

G = 9


def beliefs(n: int, rng: np.random.Generator) -> np.ndarray:
    """Random beliefs, with grid points, 0 and 1 mixed in (where corners weigh nothing)."""
    values = rng.random((n, 3))
    values[::3] = np.round(values[::3] * (G - 1)) / (G - 1)
    values[1::7, 0], values[2::7, 1] = 0.0, 1.0
    return values


def test_the_grid_read_is_the_kernels_to_the_last_bit():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(4 * G**3, 53))
    states = beliefs(500, rng)
    flags = rng.integers(0, 4, size=500)
    np.testing.assert_array_equal(
        numpy_twins.interpolate_rows(table, G, states, flags), _interpolate_rows(table, G, states, flags)
    )


def test_the_continuation_read_is_the_kernels_to_the_last_bit():
    rng = np.random.default_rng(2)
    table = rng.normal(size=(2, 2, G, G, G, 3, 2))
    points = rng.random((300, 10))
    points[::4] = np.round(points[::4] * (G - 1)) / (G - 1)
    points[1::5, 3] = 1.0
    np.testing.assert_array_equal(numpy_twins.interpolate(table, G, points), _interpolate(table, G, points))
    assert not numpy_twins.interpolate(np.zeros((0, 2, G, G, G, 3, 2)), G, points).any()  # the last round


@pytest.mark.parametrize("name", ["coalition_2026", "divided_coalition"])
def test_the_members_game_is_the_kernels(name):
    game = RoundGame(load_scenario(name))
    rng = np.random.default_rng(3)
    risk = np.concatenate([rng.random(200), [0.0, 1.0]])
    inputs = game.cohesion_inputs(risk)
    pi, collapse = np.ones((len(risk), len(game.member_troops))), np.zeros(len(risk))
    _cohesion_kernel(pi, collapse, 0, len(risk), *inputs)
    twin_pi, twin_collapse = numpy_twins.cohesion(*inputs)
    np.testing.assert_allclose(twin_pi, pi, rtol=0, atol=1e-13)
    np.testing.assert_allclose(twin_collapse, collapse, rtol=0, atol=1e-13)


WITHOUT_NUMBA = textwrap.dedent(
    """
    import json, sys
    sys.modules["numba"] = None  # "import numba" now fails, as where it is not installed
    import sim
    from sim.engine.equilibrium import equilibrium_for
    from sim.engine.jit import HAVE_NUMBA
    results = sim.run_monte_carlo("coalition_2026", 3000, seed=5, rounds=3)
    from sim.cli.main import main
    assert main(["trace", "coalition_2026", "--set", "rounds=3", "--seed", "2"]) == 0  # the traced story
    swept = sim.sweep("coalition_2026", {"russia.resolve_prior": [0.3, 0.7]}, runs=200, seed=1, workers=1,
                      overrides={"rounds": 2})
    assert len(swept) == 2
    print(json.dumps({
        "have_numba": HAVE_NUMBA,
        "compiled": equilibrium_for(results.scenario).game.compiled,
        "outcome": results.outcome.tolist(),
    }))
    """
)


def test_a_whole_crisis_runs_without_numba_and_gives_the_compiled_numbers():
    """A run, a trace and a sweep in a Python where ``import numba`` fails. The run is solved by the
    numpy reference (the same fixed points to the solver's tolerance) and played by the numpy model
    (the kernel's numbers): the same outcomes world by world, but for a world whose draw falls within
    the tolerance of a policy (none in practice; at most 1 in 1,000 allowed)."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMBA],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SIM_CACHE_DIR": "off"},
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["have_numba"] is False and got["compiled"] is False
    compiled = run_monte_carlo("coalition_2026", 3000, seed=5, rounds=3).outcome
    assert np.mean(np.array(got["outcome"]) != compiled) <= 0.001
    assert len(set(got["outcome"])) >= 3  # a crisis with several outcomes, not a trivial one


BROKEN_NUMBA = (
    """raise ImportError("Numba needs NumPy 2.3 or less (a stand-in for a numba that cannot be imported)")\n"""
)


def test_a_numba_that_cannot_be_imported_means_the_numpy_paths(tmp_path):
    """numba installed but failing to import (as beside a numpy newer than it supports): found, but
    :func:`sim.engine.jit.numba_works` is False, so the solver, the engine and the grid reads take
    their numpy paths, as without numba, and give the compiled numbers."""
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "__init__.py").write_text(BROKEN_NUMBA)
    code = textwrap.dedent(
        """
        import json
        import sim
        from sim.engine import jit
        from sim.engine.equilibrium import equilibrium_for
        results = sim.run_monte_carlo("coalition_2026", 2000, seed=5, rounds=3)
        print(json.dumps({
            "installed": jit.HAVE_NUMBA,
            "works": jit.numba_works(),
            "why": jit._BROKEN,
            "compiled": equilibrium_for(results.scenario).game.compiled,
            "outcome": results.outcome.tolist(),
        }))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "SIM_CACHE_DIR": "off"},
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["installed"] is True and got["works"] is False and got["compiled"] is False
    assert "Numba needs NumPy" in got["why"][0]
    compiled = run_monte_carlo("coalition_2026", 2000, seed=5, rounds=3).outcome
    assert np.mean(np.array(got["outcome"]) != compiled) <= 0.001
    assert len(set(got["outcome"])) >= 3
