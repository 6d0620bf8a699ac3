"""The on-disk cache of solved equilibria: a hit gives the very arrays of the solve, and a changed
scenario, grid, version or solver misses; a damaged, unwritable or switched-off cache is ignored."""

from __future__ import annotations

import weakref
from dataclasses import fields

import numpy as np
import pytest
from hand_scenarios import bare_scenario

from sim.engine.equilibrium import disk_cache, solver
from sim.engine.equilibrium.solver import equilibrium_for, solve_crisis
from sim.engine.equilibrium.states import RoundSolution

GRID = 3


def forget_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty the in-memory caches (equilibria, and the grids they share), as in a new process."""
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(solver, "_GRIDS", weakref.WeakValueDictionary())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder (not yet created) and an empty in-memory cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SIM_CACHE_DIR", str(folder))
    forget_solved(monkeypatch)
    monkeypatch.setattr(disk_cache, "ENABLED", True)
    return folder


def test_the_library_leaves_the_disk_alone_and_sim_run_uses_it(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SIM_CACHE_DIR", str(folder))
    forget_solved(monkeypatch)
    equilibrium_for(bare_scenario(), GRID)
    assert not folder.exists()  # off unless turned on: a sweep's design points write nothing
    from sim.cli.main import main

    assert main(["run", "classroom_chicken", "--runs", "10", "--seed", "1"]) == 0
    assert len(list(folder.glob("*.npz"))) == 2  # the solution and its policy tree
    assert disk_cache.ENABLED is False  # only for the command's own run


def assert_same_rounds(got: list[RoundSolution | None], expected: list[RoundSolution | None]) -> None:
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        assert (mine is None) == (theirs is None)
        if mine is None or theirs is None:
            continue
        for spec in fields(RoundSolution):
            a, b = getattr(mine, spec.name), getattr(theirs, spec.name)
            if spec.name == "posteriors":
                assert len(a) == len(b) and all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))
            elif spec.name == "residual":
                assert a == b and isinstance(a, float)
            else:
                assert np.array_equal(a, b) and a.dtype == b.dtype and a.shape == b.shape, spec.name


def test_a_saved_solution_loads_as_the_arrays_of_the_solve_with_round_1_still_unsolved(cache):
    scenario = bare_scenario()
    solved = solve_crisis(scenario, GRID).solved
    assert solved[0] is None and all(solution is not None for solution in solved[1:])
    assert disk_cache.load(scenario, GRID) is None
    disk_cache.save(scenario, GRID, solved)
    assert [path.name for path in cache.iterdir()] == [f"{disk_cache.cache_key(scenario, GRID)}.npz"]
    assert_same_rounds(disk_cache.load(scenario, GRID), solved)


def test_equilibrium_for_reads_the_disk_before_solving(cache, monkeypatch):
    scenario = bare_scenario()
    first = equilibrium_for(scenario, GRID)  # solved and saved
    forget_solved(monkeypatch)
    monkeypatch.setattr(solver, "solve_crisis", lambda *args: pytest.fail("solved again despite the cache"))
    second = equilibrium_for(scenario, GRID)
    assert second is not first
    assert_same_rounds(second.solved, first.solved)
    assert np.array_equal(second.value(), first.value())
    assert_same_rounds([second.grid_round(1)], [first.grid_round(1)])  # round 1 solved on demand, as before


@pytest.mark.parametrize("damage", [b"", b"not a zip file", "truncated"])
def test_a_damaged_file_is_ignored_and_replaced_by_a_fresh_solve(cache, damage):
    scenario = bare_scenario()
    solved = solve_crisis(scenario, GRID).solved
    disk_cache.save(scenario, GRID, solved)
    path = disk_cache.cache_path(scenario, GRID)
    assert path is not None
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2] if damage == "truncated" else damage)
    assert disk_cache.load(scenario, GRID) is None
    assert_same_rounds(equilibrium_for(scenario, GRID).solved, solved)
    assert_same_rounds(disk_cache.load(scenario, GRID), solved)  # the damaged file was replaced


def test_a_file_of_the_wrong_shape_is_ignored(cache):
    scenario = bare_scenario()
    other_grid = solve_crisis(scenario, GRID + 1).solved
    path = disk_cache.cache_path(scenario, GRID)
    assert path is not None
    disk_cache.save(scenario, GRID + 1, other_grid)
    disk_cache.cache_path(scenario, GRID + 1).replace(path)  # type: ignore[union-attr]
    assert disk_cache.load(scenario, GRID) is None


@pytest.mark.parametrize("change", ["scenario", "grid", "version", "solver source"])
def test_a_change_of_anything_the_solution_depends_on_misses(cache, monkeypatch, change):
    scenario = bare_scenario()
    disk_cache.save(scenario, GRID, solve_crisis(scenario, GRID).solved)
    assert disk_cache.load(scenario, GRID) is not None
    grid = GRID
    if change == "scenario":
        scenario = bare_scenario(discount=0.9)
    elif change == "grid":
        grid = GRID + 2
    elif change == "version":
        monkeypatch.setattr(disk_cache, "__version__", "0.0.0+other")
    else:
        monkeypatch.setattr(disk_cache, "solver_source_hash", lambda: "0" * 64)
    assert disk_cache.load(scenario, grid) is None


def test_the_solver_source_hash_covers_every_solver_module_and_the_payoffs():
    disk_cache.solver_source_hash.cache_clear()
    assert len(disk_cache.solver_source_hash()) == 64


def test_off_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CACHE_DIR", "off")
    scenario = bare_scenario()
    assert disk_cache.cache_dir() is None
    disk_cache.save(scenario, GRID, solve_crisis(scenario, GRID).solved)
    assert disk_cache.load(scenario, GRID) is None


def test_the_default_folder_is_in_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SIM_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert disk_cache.cache_dir() == tmp_path / "deterrence-sim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert disk_cache.cache_dir() == tmp_path / ".cache" / "deterrence-sim"


def test_a_cache_that_cannot_be_written_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SIM_CACHE_DIR", str(blocker / "cache"))
    forget_solved(monkeypatch)
    scenario = bare_scenario()
    assert equilibrium_for(scenario, GRID).solved[-1] is not None  # solved; the failed write is silent
    assert disk_cache.load(scenario, GRID) is None


def test_the_least_recently_used_files_beyond_the_limit_are_deleted(cache, monkeypatch):
    import os

    monkeypatch.setattr(disk_cache, "MAX_FILES", 3)
    solved = solve_crisis(bare_scenario(), GRID).solved
    first, second, third, fourth = (bare_scenario(discount=d) for d in (0.9, 0.8, 0.7, 0.6))
    for age, scenario in enumerate((first, second, third)):
        disk_cache.save(scenario, GRID, solved)
        path = disk_cache.cache_path(scenario, GRID)
        assert path is not None
        os.utime(path, (1e9 + age, 1e9 + age))
    assert disk_cache.load(first, GRID) is not None  # used: now the most recent, second the least
    disk_cache.save(fourth, GRID, solved)
    kept = {path.name for path in cache.iterdir()}
    assert kept == {f"{disk_cache.cache_key(s, GRID)}.npz" for s in (first, third, fourth)}


def test_the_policy_tree_is_kept_beside_the_solution_and_read_back(cache, monkeypatch):
    scenario = bare_scenario()
    built = equilibrium_for(scenario, GRID).policy_tree()  # built, and saved beside the solution
    forget_solved(monkeypatch)

    def no_build(*args, **kwargs):
        raise AssertionError("the tree was built again instead of read")

    monkeypatch.setattr("sim.engine.equilibrium.policy_tree.build_policy_trees", no_build)
    read = equilibrium_for(scenario, GRID).policy_tree()
    assert read.depth == built.depth
    for name in ("rows", "child", "level"):
        np.testing.assert_array_equal(getattr(read, name), getattr(built, name))
    np.testing.assert_array_equal(read.states.beliefs, built.states.beliefs)
