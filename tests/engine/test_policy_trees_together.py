"""Policy trees built together (a sweep of the starting beliefs) equal the trees built alone, to the
last bit: a state's solution does not depend on the states solved beside it."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from hand_scenarios import bare_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.domain.scenario import load_scenario, with_overrides
from sim.engine.equilibrium import disk_cache, equilibria_for, solver
from sim.engine.equilibrium.policy_tree import PolicyTree, build_policy_tree, build_policy_trees
from sim.engine.equilibrium.solver import equilibrium_for

GRID = 4
BUILT_IN = ("coalition_2026", "divided_coalition", "korea_1953_tripwire", "us_backstop", "classroom_chicken")


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Nothing solved in memory, and the disk cache off."""
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(solver, "_GRIDS", weakref.WeakValueDictionary())
    monkeypatch.setattr(disk_cache, "ENABLED", False)


def assert_same_tree(got: PolicyTree, expected: PolicyTree) -> None:
    assert got.depth == expected.depth
    for name in ("rows", "child", "level"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name in ("beliefs", "incident", "pledged"):
        np.testing.assert_array_equal(getattr(got.states, name), getattr(expected.states, name), err_msg=name)


def starts(base, priors):
    """The scenario started from each (Russia's, the US's) prior, and one from the incident rung."""
    made = [with_overrides(base, {"russia.resolve_prior": r, "us.resolve_prior": u}) for r, u in priors]
    return [*made, with_overrides(base, {"start_rung": "incident", "coalition.resolve_prior": 0.8})]


@pytest.mark.parametrize("name", BUILT_IN)
def test_trees_built_together_equal_the_trees_built_alone(name):
    base = load_scenario(name, {"rounds": 3})
    equilibria = [equilibrium_for(s, GRID) for s in starts(base, [(0.1, 0.9), (0.5, 0.5), (0.85, 0.2), (0.33, 0.61)])]
    assert all(e.grid is equilibria[0].grid for e in equilibria)  # one grid: they may be built together
    alone = [build_policy_tree(e) for e in equilibria]
    for got, expected in zip(build_policy_trees(equilibria), alone, strict=True):
        assert_same_tree(got, expected)


def test_crises_that_stop_at_different_depths_are_built_together_as_alone():
    """With a small limit some points' trees stop a round earlier than others'; each tree still
    equals its own built alone (and the check is not vacuous: the depths differ)."""
    base = load_scenario("korea_1953_tripwire", {"rounds": 5})
    equilibria = [equilibrium_for(s, GRID) for s in starts(base, [(0.97, 0.03), (1.0, 0.0), (0.5, 0.5), (0.02, 0.98)])]
    depths = set()
    for limit in (100, 300):
        alone = [build_policy_tree(e, limit) for e in equilibria]
        depths |= {len({tree.depth for tree in alone})}
        for got, expected in zip(build_policy_trees(equilibria, limit), alone, strict=True):
            assert_same_tree(got, expected)
    assert max(depths) > 1, "every limit gave all points the same depth: nothing was tested"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(priors=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=5))
def test_any_starting_beliefs_built_together_give_the_trees_built_alone(priors):
    base = bare_scenario(**{"accident.standoff": 0.05, "accident.incident": 0.2})
    equilibria = [equilibrium_for(s, GRID) for s in starts(base, priors)]
    alone = [build_policy_tree(e) for e in equilibria]
    for got, expected in zip(build_policy_trees(equilibria), alone, strict=True):
        assert_same_tree(got, expected)


def test_trees_are_built_together_only_on_one_grid():
    base = bare_scenario()
    other_game = with_overrides(base, {"us.deploy_cost": 0.3})
    with pytest.raises(ValueError, match="share one grid"):
        build_policy_trees([equilibrium_for(base, GRID), equilibrium_for(other_game, GRID)])
    assert build_policy_trees([]) == []


def test_equilibria_for_builds_each_tree_as_alone_and_groups_by_grid():
    base = load_scenario("us_backstop", {"rounds": 3})
    shared = starts(base, [(0.2, 0.8), (0.6, 0.3)])
    other = [with_overrides(s, {"us.deploy_cost": 0.45}) for s in shared[:2]]
    scenarios = [shared[0], other[0], shared[1], shared[0], other[1], shared[2]]  # interleaved, one twice
    equilibria = equilibria_for(scenarios, GRID)
    assert [e.scenario for e in equilibria] == scenarios
    assert equilibria[0] is equilibria[3]  # the same scenario: the same equilibrium
    assert equilibria[0].grid is equilibria[2].grid is equilibria[5].grid
    assert equilibria[1].grid is equilibria[4].grid is not equilibria[0].grid
    assert equilibria[0].game is equilibria[2].game  # the round game is shared with the grid
    for equilibrium, scenario in zip(equilibria, scenarios, strict=True):
        assert equilibrium._tree is not None  # built already
        alone = build_policy_tree(solver.solve_crisis(scenario, GRID))
        assert_same_tree(equilibrium.policy_tree(), alone)


def test_equilibria_for_reads_trees_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(disk_cache, "ENABLED", True)
    scenarios = starts(bare_scenario(), [(0.3, 0.6)])
    built = [e.policy_tree() for e in equilibria_for(scenarios, GRID)]  # built together, and saved
    assert len(list((tmp_path / "cache").glob(f"*{disk_cache.TREE_SUFFIX}"))) == len(scenarios)
    monkeypatch.setattr(solver, "_CACHE", {})
    monkeypatch.setattr(solver, "_GRIDS", weakref.WeakValueDictionary())

    def no_build(*args, **kwargs):
        raise AssertionError("a tree was built again instead of read")

    monkeypatch.setattr("sim.engine.equilibrium.policy_tree.build_policy_trees", no_build)
    for equilibrium, tree in zip(equilibria_for(scenarios, GRID), built, strict=True):
        assert_same_tree(equilibrium.policy_tree(), tree)
