"""Scenarios that differ only in what is played (starting beliefs, start rung, names) share one grid
solution: solved apart, their grids are equal to the last bit; solved through ``equilibrium_for``, the
second reads the first's grid (in memory or on disk) and its runs are those of a fresh solve."""

from __future__ import annotations

import sys
import threading
import time
import weakref
from dataclasses import fields

import numpy as np
import pytest
from hand_scenarios import bare_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.equilibrium import disk_cache, solver
from sim.engine.equilibrium.grid_identity import PLAY_ONLY_ACTOR_FIELDS, PLAY_ONLY_FIELDS, grid_hash, play_only
from sim.engine.equilibrium.solver import equilibrium_for, solve_crisis
from sim.engine.equilibrium.states import RoundSolution
from sim.runs.montecarlo import run_monte_carlo

GRID = 4
PLAYED = {
    "name": "other",
    "title": "Another title",
    "description": "Another crisis with the same game",
    "start_rung": "incident",
    "coalition.name": "Coalition of others",
    "coalition.resolve_prior": 0.9,
    "coalition.believed_resolve": 0.4,
    "russia.name": "Another Russia",
    "russia.resolve_prior": 0.15,
    "russia.believed_resolve": 0.6,
    "us.name": "Another US",
    "us.resolve_prior": 0.7,
    "us.believed_resolve": 0.2,
}
"""Every play-only field changed at once."""


def with_members(**changes):
    """A small scenario with two members, so the members' game (which reads their priors) is solved."""
    members = [{"name": "A", "troops": 6.0, "resolve_prior": 0.7}, {"name": "B", "troops": 4.0}]
    return bare_scenario(**{"coalition.members": members, "coalition.min_troops": 5.0, **changes})


@pytest.fixture
def fresh(monkeypatch):
    """Nothing solved in memory, and the disk cache off."""
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(solver, "_GRIDS", weakref.WeakValueDictionary())
    monkeypatch.setattr(disk_cache, "ENABLED", False)


def assert_same_grid(got: list[RoundSolution], expected: list[RoundSolution]) -> None:
    for mine, theirs in zip(got, expected, strict=True):
        for spec in fields(RoundSolution):
            a, b = getattr(mine, spec.name), getattr(theirs, spec.name)
            if spec.name == "posteriors":
                assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
            else:
                assert np.array_equal(a, b), spec.name


def test_the_tests_change_every_play_only_field():
    actors = ("coalition", "russia", "us")
    per_actor = {f"{actor}.{name}" for actor in actors for name in PLAY_ONLY_ACTOR_FIELDS}
    assert set(PLAYED) == {*PLAY_ONLY_FIELDS, *per_actor}


@pytest.mark.parametrize("path", sorted(PLAYED))
def test_a_play_only_path_leaves_the_grid_hash_alone(path):
    assert play_only(path)
    assert grid_hash(with_members(**{path: PLAYED[path]})) == grid_hash(with_members())


@pytest.mark.parametrize("path", ["coalition.members.0.resolve_prior", "russia.payoffs.clash", "rounds", "russia", ""])
def test_other_paths_are_not_play_only(path):
    assert not play_only(path)


def test_solved_apart_the_grids_are_equal_to_the_last_bit():
    """The claim itself, without any cache: every grid round (round 1's too) of the two solves."""
    base, played = with_members(), with_members(**PLAYED)
    assert base.sha256() != played.sha256() and grid_hash(base) == grid_hash(played)
    assert_same_grid(solve_crisis(played, GRID).rounds, solve_crisis(base, GRID).rounds)


@pytest.mark.parametrize(
    "change",
    [
        {"russia.deploy_cost": 0.4},
        {"coalition.members": [{"name": "A", "troops": 6.0, "resolve_prior": 0.2}, {"name": "B", "troops": 4.0}]},
        {"rounds": 4},
        {"discount": 0.9},
        {"accident.incident": 0.3},
        {"us.lambda": 2.0},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_change_to_the_game_is_a_different_grid(change):
    """What the grid rounds do read (a member's prior among them) changes the hash, and the grid."""
    base, changed = with_members(), with_members(**change)
    assert grid_hash(base) != grid_hash(changed)
    assert not play_only(next(iter(change)))
    if "rounds" not in change:
        values = [np.stack([r.values for r in solve_crisis(s, GRID).solved[1:]]) for s in (base, changed)]
        assert not np.array_equal(*values)


@settings(max_examples=30, deadline=None)
@given(
    prior=st.floats(0.0, 1.0),
    believed=st.none() | st.floats(0.0, 1.0),
    name=st.text(max_size=12),
    start=st.sampled_from(["declared_intent", "deployed", "standoff", "incident"]),
)
def test_the_play_only_fields_never_change_the_grid_hash(prior, believed, name, start):
    changes = {"russia.resolve_prior": prior, "us.believed_resolve": believed, "russia.name": name, "start_rung": start}
    assert grid_hash(bare_scenario(**changes)) == grid_hash(bare_scenario())


def test_equilibrium_for_shares_the_grid_and_runs_as_a_fresh_solve(fresh, monkeypatch):
    base, played = with_members(), with_members(**PLAYED)
    first = equilibrium_for(base)
    first.policy_tree()
    calls = []
    monkeypatch.setattr(solver, "solve_crisis", lambda *args, **kwargs: calls.append(args))
    second = equilibrium_for(played)
    assert second.grid is first.grid and not calls  # no solve: the grid is read, not solved again
    assert second.policy_tree() is not first.policy_tree()  # what is played is its own
    assert second.initial_state().beliefs.tolist() == [[0.4, 0.6, 0.2]]
    shared = run_monte_carlo(played, 3_000, seed=11)
    monkeypatch.undo()
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(solver, "_GRIDS", weakref.WeakValueDictionary())
    alone = run_monte_carlo(played, 3_000, seed=11)
    assert solver._CACHE[(played.sha256(), solver.GRID_POINTS)].grid is not first.grid  # solved alone
    for name in ("outcome", "rounds_played", "max_rung", "final_rung"):
        np.testing.assert_array_equal(getattr(shared, name), getattr(alone, name))
    for actor in shared.payoff:
        np.testing.assert_array_equal(shared.payoff[actor], alone.payoff[actor])


def test_a_grid_is_shared_only_while_an_equilibrium_holds_it(fresh):
    equilibrium_for(bare_scenario(), GRID)
    assert len(solver._GRIDS) == 1
    solver._CACHE.clear()
    assert len(solver._GRIDS) == 0  # nothing kept beyond the equilibria


def test_on_disk_the_grid_file_is_shared_and_the_tree_is_not(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(disk_cache, "ENABLED", True)
    base, played = bare_scenario(), bare_scenario(**PLAYED)
    equilibrium_for(base, GRID).policy_tree()
    solver._CACHE.clear()  # a new process: only the disk remembers
    monkeypatch.setattr(solver, "solve_crisis", lambda *args, **kwargs: pytest.fail("solved despite the file"))
    equilibrium_for(played, GRID).policy_tree()
    assert disk_cache.cache_path(base, GRID) == disk_cache.cache_path(played, GRID)
    trees = {disk_cache.cache_path(s, GRID, disk_cache.TREE_SUFFIX) for s in (base, played)}
    assert len(trees) == 2 and all(path is not None and path.is_file() for path in trees)


def test_two_threads_asking_for_one_grid_solve_it_once(fresh, monkeypatch):
    """The app's sessions are threads: a second session asking for a grid being solved waits for it."""
    release, calls = threading.Event(), []
    solve = solver.solve_crisis

    def slow_solve(*args, **kwargs):
        calls.append(args[0].name)
        assert release.wait(timeout=120)
        return solve(*args, **kwargs)

    monkeypatch.setattr(solver, "solve_crisis", slow_solve)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", equilibrium_for(bare_scenario(), GRID)))
    second = threading.Thread(
        target=lambda: results.setdefault("second", equilibrium_for(bare_scenario(**PLAYED), GRID))
    )
    first.start()
    wait_until(lambda: calls == ["bare"])
    second.start()
    # The second thread either waits in equilibrium_for (for the first's grid) or, unguarded, solves too.
    wait_until(lambda: "slow_solve" in stack(second) or stack(second)[:1] == ["equilibrium_for"])
    release.set()
    first.join(timeout=120)
    second.join(timeout=120)
    assert calls == ["bare"]  # solved once
    assert results["second"].grid is results["first"].grid


def wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def stack(thread: threading.Thread) -> list[str]:
    """The functions the thread is in, innermost first (a wait on a lock is in C: its caller is first)."""
    frame, names = sys._current_frames().get(thread.ident or -1), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names
