"""The crisis game of a scenario, and its agreement with the simulator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim import ACTIONS, ACTORS, OUTCOMES
from sim.game.crisis import crisis_game, modal_types
from sim.game.spe import backward_induction, outcome_distribution, subgame_perfect_equilibria
from sim.game.tree import ExtensiveFormGame, Node
from sim.ladder import BACK_DOWN
from sim.model import CrisisModel
from sim.payoffs import round_payoffs
from sim.scenario import load_scenario, with_overrides
from tests.test_scenario import BUILT_INS

DECISIVE = 1e4  # lambda: logit choice this sharp is best response up to payoff gaps of ~1e-3


TYPE_CASES = {
    "modal": None,
    "russia resolute": {"coalition": False, "russia": True, "us": False},
    "all resolute": {"coalition": True, "russia": True, "us": True},
    "none resolute": {"coalition": False, "russia": False, "us": False},
}


def complete_information_one_round(name: str, types: dict[str, bool] | None = None):
    """The scenario as a one-round game of complete information played by near-best responders."""
    scenario = load_scenario(name)
    types = types or modal_types(scenario)
    overrides = {"rounds": 1, "coalition.members": [], "coalition.min_troops": 0}
    for key in ACTORS:
        certain = 1.0 if types[key] else 0.0
        overrides |= {f"{key}.resolve_prior": certain, f"{key}.believed_resolve": certain}
        overrides |= {f"{key}.rule": "logit", f"{key}.lambda": DECISIVE}
    return with_overrides(scenario, overrides), types


@pytest.mark.parametrize("case", sorted(TYPE_CASES))
@pytest.mark.parametrize("name", BUILT_INS)
def test_simulated_agents_play_the_subgame_perfect_equilibrium(name, case):
    """One round, complete information, large lambda: over 99% of simulated crises follow the
    equilibrium path, and the outcome frequencies match the equilibrium's outcome lottery."""
    scenario, types = complete_information_one_round(name, TYPE_CASES[case])
    equilibrium = backward_induction(crisis_game(scenario, types))
    model = CrisisModel(scenario, n_worlds=20_000, seed=17).run()
    moves = [model.actors[key].last_action for key in ACTORS]  # -1 where an actor did not move
    on_path = np.ones(model.n_worlds, dtype=bool)
    for history, action in equilibrium.choices.items():
        if history in equilibrium.ties:
            continue  # an indifferent mover may do either; the outcome check below still applies
        reached = np.ones(model.n_worlds, dtype=bool)
        for depth, earlier in enumerate(history):
            reached &= moves[depth] == ACTIONS.index(earlier)
        on_path &= ~reached | (moves[len(history)] == ACTIONS.index(action))
    assert on_path.mean() > 0.99, f"{name}: only {on_path.mean():.3f} of runs follow {equilibrium.path}"

    expected = outcome_distribution(crisis_game(scenario, types), equilibrium.choices)
    observed = np.bincount(model.outcome, minlength=len(OUTCOMES)) / model.n_worlds
    for code, outcome in enumerate(OUTCOMES):
        tolerance = 4 * np.sqrt(max(expected.get(outcome, 0.0), 1e-4) / model.n_worlds) + 0.01
        assert observed[code] == pytest.approx(expected.get(outcome, 0.0), abs=tolerance), outcome


@pytest.mark.parametrize("name", BUILT_INS)
def test_equilibrium_payoffs_are_what_the_agents_earn_on_average(name):
    scenario, types = complete_information_one_round(name)
    game = crisis_game(scenario, types)
    equilibrium = backward_induction(game)
    if equilibrium.has_ties:
        pytest.skip("ties: the agents split between equally good moves")
    model = CrisisModel(scenario, n_worlds=40_000, seed=3).run()
    for position, key in enumerate(ACTORS):
        realised = model.actors[key].payoff
        error = 5 * realised.std() / np.sqrt(realised.size) + 1e-6
        assert realised.mean() == pytest.approx(equilibrium.payoffs[position], abs=error), key


@pytest.mark.parametrize("start_rung", ["declared_intent", "incident"])
@pytest.mark.parametrize("name", BUILT_INS)
def test_every_joint_action_is_worth_in_the_tree_what_the_simulator_pays(name, start_rung):
    """Below the three moves only chance is left: its expected value is the entry of the
    simulator's one-round payoff tensor, for every type of every actor."""
    scenario = with_overrides(load_scenario(name), {"start_rung": start_rung})
    tensors = round_payoffs(scenario)
    for types in itertools.product([False, True], repeat=len(ACTORS)):
        resolute = dict(zip(ACTORS, types))
        root = crisis_game(scenario, resolute).root
        for c, r, u in itertools.product(range(len(ACTIONS)), repeat=3):
            node = root.children[c]  # a back-down ends the round before the later movers act
            if c != BACK_DOWN:
                node = node.children[r]
                if r != BACK_DOWN:
                    node = node.children[u]
            value = ExtensiveFormGame(ACTORS, node).behaviour_value({})
            expected = [tensors[key][int(resolute[key]), int(start_rung == "incident"), c, r, u] for key in ACTORS]
            np.testing.assert_allclose(value, expected, rtol=0, atol=1e-12, err_msg=f"{types} {(c, r, u)}")


def test_classroom_game_by_hand():
    """The worked answer of docs/teaching.md, from the game solver."""
    game = crisis_game(load_scenario("classroom_chicken"))
    equilibrium = backward_induction(game)
    assert equilibrium.path[:2] == ("deploy", "threaten")
    assert list(equilibrium.payoffs[:2]) == [3.0, -3.0]
    assert equilibrium.ties, "the US's words change nothing here, so its indifference is reported"
    resolute = backward_induction(crisis_game(load_scenario("classroom_chicken"), {"russia": True}))
    assert resolute.path == ("back_down",)
    assert resolute.choices[("deploy",)] == "deploy", "a resolute Russia would strike deployed troops"


def test_ties_are_reported_with_every_equilibrium():
    t = Node.terminal
    defender = Node.decision(1, {"concede": t([1, 0]), "resist": t([-1, 0])})
    game_tree = Node.decision(0, {"no": t([0, 1]), "challenge": defender})
    from sim.game.tree import ExtensiveFormGame

    equilibria = subgame_perfect_equilibria(ExtensiveFormGame(("challenger", "defender"), game_tree))
    assert {e.path for e in equilibria} == {("challenge", "concede"), ("no",)}
    assert all(e.ties == (("challenge",),) for e in equilibria)


def test_resolve_chance_makes_an_imperfect_information_game():
    scenario = load_scenario("coalition_2026")
    game = crisis_game(scenario, resolve_chance=True)
    assert game.root.kind == "chance" and not game.is_perfect_information()
    us_sets = [i for i in game.infosets() if i.player == 2]
    assert all(len(i.nodes) == 2 for i in us_sets), "the US cannot tell Russia's types apart"
    russia_sets = [i for i in game.infosets() if i.player == 1]
    assert all(len(i.nodes) == 1 for i in russia_sets), "Russia knows its own type"


def test_a_mixed_equilibrium_can_be_subgame_perfect():
    """Mixing where the mover is indifferent is still sequentially rational."""
    from sim.game.solve import solve
    from sim.game.tree import ExtensiveFormGame

    t = Node.terminal
    game = ExtensiveFormGame(
        ("P1", "P2"), Node.decision(0, {"L": t([1, 0]), "R": Node.decision(1, {"a": t([2, 1]), "b": t([0, 1])})})
    )
    solution = solve(game)
    flags = solution.subgame_perfect_flags()
    for equilibrium, flag in zip(solution.nash.equilibria, flags):
        mixes_where_indifferent = not equilibrium.is_pure
        assert flag or not mixes_where_indifferent, equilibrium.profile
    assert all(flags), "P2 is indifferent, so every Nash equilibrium here is subgame perfect"


def test_non_credible_threat_is_not_subgame_perfect():
    from sim.game import read_game, solve

    solution = solve(read_game("games/chain_store.efg"))
    verdict = {
        tuple(int(v.argmax()) for v in e.profile): flag
        for e, flag in zip(solution.nash.equilibria, solution.subgame_perfect_flags())
        if e.is_pure
    }
    entrant, incumbent = solution.normal_form.strategies
    assert verdict[(entrant.index("in"), incumbent.index("accommodate"))] is True
    assert verdict[(entrant.index("out"), incumbent.index("fight"))] is False
