"""The crisis game of a scenario as a tree (``sim.game.crisis``), and its agreement with the simulator.

The whole multi-round game is checked against the engine's equilibrium outcomes in
tests/engine/test_equilibrium_exact.py; here: the tree's information structure, the one-round game against
the simulated agents at a decisive lambda, and every payoff along scripted paths of play against
what the engine pays.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import ACTIONS, ACTORS, OUTCOMES
from sim.domain.ladder import BACK_DOWN, DEPLOY, THREATEN
from sim.domain.scenario import builtin_scenarios, load_scenario, with_overrides
from sim.engine.model import CrisisModel
from sim.game.crisis import NATURE_NAMES, START, TYPE_WORDS, crisis_game, crisis_tree, modal_types, outcome_key
from sim.game.spe import backward_induction, outcome_distribution, subgame_perfect_equilibria
from sim.game.tree import ExtensiveFormGame, Node

BUILT_INS = sorted(builtin_scenarios())

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
        overrides |= {f"{key}.rule": "logit", f"{key}.lambda": DECISIVE, f"{key}.foresight": "forward"}
    return with_overrides(scenario, overrides), types


def main_moves(history: tuple[str, ...]) -> bool:
    """Histories of the coalition's, Russia's and the US's postures only (not the answers to a strike),
    whose movers' choices the engine records in ``last_action``."""
    return len(history) < 2 or (len(history) == 2 and history[1] == "threaten")


@pytest.mark.parametrize("case", sorted(TYPE_CASES))
@pytest.mark.parametrize("name", BUILT_INS)
def test_simulated_agents_play_the_subgame_perfect_equilibrium(name, case):
    """One round, complete information, large lambda: over 99% of simulated crises follow the
    equilibrium's postures, and the outcome frequencies match the equilibrium's outcome lottery."""
    scenario, types = complete_information_one_round(name, TYPE_CASES[case])
    game = crisis_game(scenario, types)
    equilibrium = backward_induction(game)
    model = CrisisModel(scenario, n_worlds=20_000, seed=17).run()
    moves = [model.actors[key].last_action for key in ACTORS]  # -1 where an actor did not move
    on_path = np.ones(model.n_worlds, dtype=bool)
    for history, action in equilibrium.choices.items():
        if history in equilibrium.ties or not main_moves(history):
            continue  # an indifferent mover may do either; the outcome check below still applies
        reached = np.ones(model.n_worlds, dtype=bool)
        for depth, earlier in enumerate(history):
            reached &= moves[depth] == ACTIONS.index(earlier)
        on_path &= ~reached | (moves[len(history)] == ACTIONS.index(action))
    assert on_path.mean() > 0.99, f"{name}: only {on_path.mean():.3f} of runs follow {equilibrium.path}"

    expected = outcome_distribution(game, equilibrium.choices)
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


# ------------------------------------------------------------------------------ scripted play

SCRIPTS = {
    # Troops stay and Russia keeps threatening; the US pledges its backstop each round (and would join).
    "standoff": (
        {"opening": "deploy", "responses": {"threaten": "deploy", "deploy": "deploy"}},
        {"opening": "threaten", "responses": {"deploy": "threaten", "threaten": "threaten"}},
        {"opening": "deploy", "responses": {"threaten": "deploy", "deploy": "deploy"}},
    ),
    # Round 1 a standoff under a US pledge; round 2 the coalition only threatens, Russia strikes, the
    # coalition resists and the US breaks its pledge (its audience cost).
    "strike after a pledge": (
        {"opening": "deploy", "responses": {"threaten": "threaten", "deploy": "deploy"}},
        {"opening": "threaten", "responses": {"deploy": "threaten", "threaten": "deploy"}},
        {"opening": "deploy", "responses": {"threaten": "deploy", "deploy": "back_down"}},
    ),
    # Russia strikes deployed troops at once and the coalition concedes (audience and tripwire costs).
    "concede under fire": (
        {"opening": "deploy", "responses": {"deploy": "back_down"}},
        {"opening": "deploy", "responses": {}},
        {"opening": "threaten", "responses": {}},
    ),
    # A round of words, then the coalition climbs down; the US distances itself.
    "climb-down": (
        {"opening": "threaten", "responses": {"threaten": "back_down"}},
        {"opening": "threaten", "responses": {}},
        {"opening": "back_down", "responses": {}},
    ),
    # Russia backs down before deployed troops.
    "russia backs down": (
        {"opening": "deploy", "responses": {}},
        {"opening": "threaten", "responses": {"deploy": "back_down"}},
        {"opening": "threaten", "responses": {}},
    ),
}


def scripted(name: str, script: str, **changes) -> object:
    overrides = {"rounds": 2, **changes}
    for key, doctrine in zip(ACTORS, SCRIPTS[script], strict=True):
        overrides |= {f"{key}.rule": "doctrine", f"{key}.doctrine": doctrine}
    return with_overrides(load_scenario(name), overrides)


def script_behaviour(scenario, game: ExtensiveFormGame) -> dict[tuple[int, str], np.ndarray]:
    """The doctrines as a behaviour profile of the tree, read off each information set's key
    (the actor, then the public history with rounds separated by `` | ``)."""
    behaviour = {}
    for infoset in game.infosets():
        actor = ACTORS[infoset.player]
        doctrine = scenario.actor(actor).doctrine
        history = infoset.key.split(": ", 1)[1]
        this_round = [event for event in history.split(" | ")[-1].split(", ") if event not in (START, "force holds")]
        first_round = " | " not in history
        if actor == "coalition" and this_round and this_round[-1] == "russia deploy":
            choice = "concede" if doctrine.action_for("deploy") == "back_down" else "resist"
        elif actor == "coalition":
            choice = doctrine.action_for(None if first_round else "threaten")
        elif actor == "russia":
            choice = doctrine.action_for(this_round[-1].removeprefix("coalition "))
        elif this_round[-1] == "coalition resist":
            choice = "join" if doctrine.action_for("deploy") == "deploy" else "stay_out"
        else:
            choice = doctrine.action_for("threaten")
        behaviour[(infoset.player, infoset.key)] = np.eye(len(infoset.actions))[infoset.actions.index(choice)]
    return behaviour


@pytest.mark.parametrize(
    ("script", "start_rung"),
    [(script, "declared_intent") for script in SCRIPTS]
    + [("standoff", "incident"), ("strike after a pledge", "incident")],
)
@pytest.mark.parametrize("name", BUILT_INS)
def test_scripted_play_pays_in_the_tree_what_the_engine_pays(name, script, start_rung):
    """Two rounds of scripted play (every actor on a doctrine): each actor's expected payoff in the
    tree (over Nature's types and every chance node) is what the simulated actors earn on average:
    costs, audience costs, flows, discounting, accidents, the members' collapse and the horizon."""
    scenario = scripted(name, script, start_rung=start_rung)
    game = crisis_tree(scenario)
    mean, variance = payoff_moments(game, script_behaviour(scenario, game))
    model = CrisisModel(scenario, n_worlds=40_000, seed=11).run()
    for position, key in enumerate(ACTORS):
        realised = model.actors[key].payoff
        error = 5 * np.sqrt(variance[position] / realised.size) + 1e-9  # rare events have a small share
        assert realised.mean() == pytest.approx(mean[position], abs=error), key


def payoff_moments(game: ExtensiveFormGame, behaviour) -> tuple[np.ndarray, np.ndarray]:
    """Each player's expected payoff and its variance under a behaviour profile, exactly."""
    keys = game.node_infosets()
    first, second = np.zeros(game.n_players), np.zeros(game.n_players)
    stack = [(game.root, 1.0)]
    while stack:
        node, probability = stack.pop()
        if node.kind == "terminal":
            first += probability * np.array(node.payoffs)
            second += probability * np.array(node.payoffs) ** 2
            continue
        weights = node.probabilities if node.kind == "chance" else behaviour[keys[id(node)]]
        stack.extend((child, probability * w) for w, child in zip(weights, node.children, strict=True) if w > 0)
    return first, np.maximum(second - first**2, 0.0)


# ------------------------------------------------------------------------------ the tree's information


def decision_nodes(game: ExtensiveFormGame):
    """Every decision node with the types Nature drew and the public history (every move and chance
    outcome after Nature's draw) that lead to it."""
    stack = [(game.root, None, ())]
    while stack:
        node, types, public = stack.pop()
        if node.kind == "decision":
            yield node, types, public
        for action, child in zip(node.actions, node.children, strict=True):
            if types is None and node.kind == "chance":
                drawn = dict(part.rsplit(" ", 1) if False else _drawn(part) for part in action.split(", "))
                stack.append((child, drawn, public))
            else:
                stack.append((child, types, (*public, action)))


def _drawn(part: str) -> tuple[str, bool]:
    name = {words: key for key, words in NATURE_NAMES.items()}
    for words, key in name.items():
        if part.startswith(words + " "):
            return key, part.removeprefix(words + " ") == TYPE_WORDS[True]
    raise AssertionError(part)


@pytest.mark.parametrize("name", ["coalition_2026", "korea_1953_tripwire"])
def test_information_sets_are_the_own_type_and_the_public_history(name):
    """In the two-round game, two decision nodes share an information set exactly when they have
    the same mover, the mover's type is the same and so is everything public before them."""
    game = crisis_tree(load_scenario(name, {"rounds": 2}))
    assert game.root.kind == "chance" and len(game.root.actions) == 8
    assert sum(game.root.probabilities) == pytest.approx(1.0)
    key_of: dict[tuple, str] = {}
    seen: dict[str, tuple] = {}
    for node, types, public in decision_nodes(game):
        actor = ACTORS[node.player]
        information = (actor, types[actor], public)
        assert key_of.setdefault(information, node.infoset) == node.infoset, information
        assert seen.setdefault(node.infoset, information) == information, node.infoset
        assert node.infoset.startswith(f"{actor} {TYPE_WORDS[types[actor]]}: ")
    assert len(seen) == len(game.infosets())


def test_every_terminal_is_labelled_with_its_outcome_and_round():
    game = crisis_tree(load_scenario("coalition_2026", {"rounds": 2}))
    labels = {node.outcome for node in game.nodes() if node.kind == "terminal"}
    assert {outcome_key(label) for label in labels} == set(OUTCOMES)
    assert "major_war in round 2" in labels and "deterrence_holds after round 2" in labels
    one_round = crisis_game(load_scenario("coalition_2026"))
    assert {node.outcome for node in one_round.nodes() if node.kind == "terminal"} <= set(OUTCOMES)


def test_the_one_round_game_has_the_after_a_strike_stage_and_the_members():
    game = crisis_game(load_scenario("coalition_2026"), {"coalition": False, "russia": True, "us": False})
    assert game.root.kind == "chance" and game.root.actions == ("force collapses", "force holds")
    coalition = game.root.children[1]
    assert coalition.infoset == "coalition not resolute: force holds"
    strike = coalition.children[DEPLOY].children[DEPLOY]
    assert strike.infoset == "coalition not resolute: force holds, coalition deploy, russia deploy"
    assert strike.actions == ("resist", "concede")
    assert strike.children[0].actions == ("join", "stay_out")
    assert coalition.children[THREATEN].children[BACK_DOWN].outcome == "russia_backs_down"


def test_classroom_game_by_hand():
    """The worked answer in the scenario file (and docs/how-to/teaching.md), from the game solver."""
    scenario = load_scenario("classroom_chicken")
    equilibrium = backward_induction(crisis_game(scenario))
    assert equilibrium.path[:2] == ("deploy", "threaten")
    assert list(equilibrium.payoffs[:2]) == [3.0, -3.0]
    assert equilibrium.choices[("deploy", "deploy")] == "resist", "conceding under fire costs the declaration"
    assert equilibrium.ties, "the US's words change nothing here, so its indifference is reported"
    resolute = backward_induction(crisis_game(scenario, {"russia": True}))
    assert resolute.path[:2] == ("threaten", "threaten")
    assert resolute.choices[("deploy",)] == "deploy", "a resolute Russia would strike deployed troops"
    cheap_talk = backward_induction(crisis_game(with_overrides(scenario, {"coalition.audience_cost": 0})))
    assert cheap_talk.choices[("deploy", "deploy")] == "concede", "without the audience cost resisting is not credible"
    assert cheap_talk.choices[("deploy",)] == "deploy"


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
    assert game.root.kind == "chance" and game.root.actions == ("Russia resolute", "Russia not resolute")
    assert not game.is_perfect_information()
    others = [i for i in game.infosets() if i.player != 1]
    assert all(len(i.nodes) == 2 for i in others), "the coalition and the US cannot tell Russia's types apart"
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


def test_one_player_per_round_values_the_crisis_from_the_start_of_its_round():
    """``per_round_players``: the same tree, each actor split into one player per round whose payoffs
    are valued at the start of its round (a logit QRE at one lambda then weighs each round's choice
    in that round's values, as the engine's actors do)."""
    scenario = load_scenario("coalition_2026", {"rounds": 2})
    whole, split = crisis_tree(scenario), crisis_tree(scenario, per_round_players=True)
    assert split.players == tuple(f"{key} in round {t}" for t in (1, 2) for key in ACTORS)
    pairs = list(zip(whole.nodes(), split.nodes(), strict=True))
    for one, other in pairs:
        assert one.kind == other.kind and one.infoset == other.infoset and one.actions == other.actions
        if one.kind == "terminal":
            np.testing.assert_allclose(other.payoffs[:3], one.payoffs)
            np.testing.assert_allclose(other.payoffs[3:], np.array(one.payoffs) / scenario.discount)
        elif one.kind == "decision":
            later = " | " in one.infoset
            assert other.player == one.player + (3 if later else 0)
