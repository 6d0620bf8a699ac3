"""The published games in games/: each file loads, and its equilibria are the published ones.

Every expected equilibrium here is computed by hand from the payoffs written in the file (the
numbers are repeated below), not taken from the solver's own output: the mixed equilibrium of
Chicken, the dominance argument of the Prisoners' Dilemma, the non-credible threat of the chain
store, the credibility thresholds of the Unilateral Deterrence Game and of the audience-cost game,
and the pure equilibria and the non-myopic compromise of Brams' Cuban missile crisis.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.game.io import read_game, write_game
from sim.game.nash import nash_equilibria
from sim.game.normal import NormalFormGame
from sim.game.qre import logit_qre
from sim.game.solve import solve
from sim.game.spe import backward_induction, subgame_perfect_equilibria
from sim.game.tree import ExtensiveFormGame, Node

ROOT = Path(__file__).resolve().parents[2]
GAMES = ROOT / "games"
DOCS = ROOT / "docs" / "explanation" / "game-theory.md"
FILES = sorted(path.name for path in GAMES.iterdir() if path.suffix in {".nfg", ".efg", ".toml"})
JSON_KEYS = {"game", "players", "strategies", "nash", "spe", "qre"}
EXACT = 1e-6  # how close a computed probability must be to the exact one

# Every equilibrium of the normal-form files, by hand: one probability vector per player.
NORMAL_FORM_EQUILIBRIA = {
    "chicken.nfg": [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0.9, 0.1], [0.9, 0.1]]],
    "prisoners_dilemma.nfg": [[[0, 1], [0, 1]]],
    "cuban_missile_crisis.nfg": [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]]],
}
# The subgame-perfect path of every perfect-information tree, by hand (None: imperfect information).
SUBGAME_PERFECT_PATHS = {
    "chain_store.efg": ("in", "accommodate"),
    "audience_costs.efg": ("threaten", "concede"),
    "audience_costs_low.efg": ("no threat",),
    "unilateral_deterrence_credible.efg": ("status quo",),
    "unilateral_deterrence_incredible.efg": ("challenge", "concede"),
    "unilateral_deterrence.efg": None,
}
# The subgame-perfect strategies (one action per information set, as the normal form labels them).
SUBGAME_PERFECT_STRATEGIES = {
    "chain_store.efg": ("in", "accommodate"),
    "audience_costs.efg": ("threaten/fight", "concede"),
    "audience_costs_low.efg": ("no threat/back down", "resist"),
    "unilateral_deterrence_credible.efg": ("status quo/fight", "resist"),
    "unilateral_deterrence_incredible.efg": ("challenge/fight", "concede"),
}


def load(name: str):
    return read_game(GAMES / name)


def labels_of(game: NormalFormGame, equilibrium) -> tuple[str, ...]:
    """The strategy labels of a pure equilibrium."""
    assert equilibrium.is_pure
    return tuple(labels[int(np.argmax(p))] for labels, p in zip(game.strategies, equilibrium.profile))


def pure_equilibria(game) -> set[tuple[str, ...]]:
    normal = game.to_normal_form() if isinstance(game, ExtensiveFormGame) else game
    return {labels_of(normal, e) for e in nash_equilibria(normal).equilibria if e.is_pure}


def profile(game: NormalFormGame, choice: dict[str, str]) -> list[np.ndarray]:
    """A pure profile from strategy labels, one per player."""
    return game.pure_profile([game.strategies[i].index(choice[p]) for i, p in enumerate(game.players)])


def with_payoffs(node: Node, changes: dict[str, dict[int, float]]) -> Node:
    """The tree with some terminal payoffs changed: ``{outcome label: {player index: payoff}}``."""
    if node.kind == "terminal":
        if node.outcome not in changes:
            return node
        payoffs = list(node.payoffs)
        for player, value in changes[node.outcome].items():
            payoffs[player] = value
        return replace(node, payoffs=tuple(payoffs))
    return replace(node, children=tuple(with_payoffs(child, changes) for child in node.children))


def variant(game: ExtensiveFormGame, changes: dict[str, dict[int, float]]) -> ExtensiveFormGame:
    return ExtensiveFormGame(game.players, with_payoffs(game.root, changes), game.title)


def assert_same_equilibria(found, expected) -> None:
    """Two lists of equilibria (or of profiles) agree, in any order, to EXACT."""
    found = [[np.asarray(p, dtype=float) for p in getattr(e, "profile", e)] for e in found]
    expected = [[np.asarray(p, dtype=float) for p in getattr(e, "profile", e)] for e in expected]
    assert len(found) == len(expected), (found, expected)
    for candidate in expected:
        assert any(all(np.allclose(p, q, rtol=0, atol=EXACT) for p, q in zip(candidate, other)) for other in found), (
            f"{candidate} not among {found}"
        )


# ---------------------------------------------------------------------------------- every file


def test_every_game_file_has_a_hand_checked_expectation():
    assert set(FILES) == set(NORMAL_FORM_EQUILIBRIA) | set(SUBGAME_PERFECT_PATHS)


@pytest.mark.parametrize("name", FILES)
def test_every_file_loads_names_its_source_and_says_how_to_reproduce_it(name):
    game = load(name)
    assert game.title
    text = (GAMES / name).read_text(encoding="utf-8")
    assert f"Reproduce with: sim solve games/{name}" in text
    assert any(str(year) in text for year in range(1950, 2021)), "the comment cites a dated source"
    kind = NormalFormGame if name.endswith(".nfg") else ExtensiveFormGame
    assert isinstance(game, kind)


@pytest.mark.parametrize("name", FILES)
def test_every_game_is_documented(name):
    assert f"games/{name}" in DOCS.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------- Chicken


def test_chicken_has_two_pure_equilibria_and_one_mixed_with_a_one_in_ten_dare():
    game = load("chicken.nfg")
    np.testing.assert_array_equal(game.payoffs[0], [[0, -1], [1, -10]])
    np.testing.assert_array_equal(game.payoffs[1], [[0, 1], [-1, -10]])
    # Against a rival who dares with probability q, Swerve is worth -q and Dare 1 - 11 q: q = 1/10.
    q = 1 / 10
    assert -q == pytest.approx(1 - 11 * q)
    result = nash_equilibria(game)
    assert result.complete and not result.degenerate
    assert_same_equilibria(result.equilibria, [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[1 - q, q], [1 - q, q]]])
    mixed = next(e for e in result.equilibria if not e.is_pure)
    assert mixed.profile[0][1] == pytest.approx(0.1, abs=EXACT)
    np.testing.assert_allclose(mixed.payoffs, [-q, -q], atol=EXACT)
    assert pure_equilibria(game) == {("Swerve", "Dare"), ("Dare", "Swerve")}


def test_chicken_logit_qre_stays_symmetric_and_approaches_the_mixed_equilibrium():
    game = load("chicken.nfg")
    qre = logit_qre(game, 1000.0).profile
    np.testing.assert_allclose(qre[0], qre[1], atol=1e-9)
    assert qre[0][1] == pytest.approx(0.1, abs=1e-3)


# ---------------------------------------------------------------------------------- Prisoners' Dilemma


def test_prisoners_dilemma_has_one_equilibrium_pareto_dominated_by_cooperation():
    game = load("prisoners_dilemma.nfg")
    T, R, P, S = 5, 3, 1, 0
    assert T > R > P > S
    np.testing.assert_array_equal(game.payoffs[0], [[R, S], [T, P]])
    np.testing.assert_array_equal(game.payoffs[1], [[R, T], [S, P]])
    # Defect strictly dominates Cooperate for both players.
    assert np.all(game.payoffs[0][1, :] > game.payoffs[0][0, :])
    assert np.all(game.payoffs[1][:, 1] > game.payoffs[1][:, 0])
    result = nash_equilibria(game)
    assert result.complete and len(result.equilibria) == 1
    (equilibrium,) = result.equilibria
    assert labels_of(game, equilibrium) == ("Defect", "Defect")
    np.testing.assert_allclose(equilibrium.payoffs, [P, P])
    cooperation = game.expected_payoffs(profile(game, {"Player 1": "Cooperate", "Player 2": "Cooperate"}))
    assert np.all(cooperation > equilibrium.payoffs), "(Cooperate, Cooperate) is better for both"


# ---------------------------------------------------------------------------------- chain store


def test_chain_store_subgame_perfect_equilibrium_is_entry_and_accommodation():
    game = load("chain_store.efg")
    equilibria = subgame_perfect_equilibria(game)
    assert len(equilibria) == 1 and not equilibria[0].has_ties
    assert equilibria[0].path == ("in", "accommodate")
    np.testing.assert_array_equal(equilibria[0].payoffs, [2, 2])


def test_chain_store_threat_to_fight_is_a_nash_equilibrium_but_not_subgame_perfect():
    game = load("chain_store.efg")
    assert pure_equilibria(game) == {("out", "fight"), ("in", "accommodate")}
    assert nash_equilibria(game).degenerate, "after 'out' the incumbent is indifferent, so the game is degenerate"
    # (out, fight) is not subgame perfect: in the subgame after entry, fighting earns the
    # incumbent 0 where accommodating earns 2 (Selten's payoffs).
    subgame = game.root.children[game.root.actions.index("in")]
    incumbent = {action: child.payoffs[1] for action, child in zip(subgame.actions, subgame.children)}
    assert incumbent == {"fight": 0.0, "accommodate": 2.0}
    assert all(e.choices[("in",)] != "fight" for e in subgame_perfect_equilibria(game))


def test_chain_store_agent_qre_at_lambda_one_by_hand():
    """The incumbent accommodates with probability e^2 / (1 + e^2); the entrant enters with the
    logit of entry's value 2 * that probability against 1 for staying out."""
    qre = logit_qre(load("chain_store.efg"), 1.0).behaviour()
    accommodate = np.exp(2) / (1 + np.exp(2))
    enter = 1 / (1 + np.exp(1 - 2 * accommodate))
    np.testing.assert_allclose(qre[(1, "Incumbent after entry")], [1 - accommodate, accommodate], atol=EXACT)
    np.testing.assert_allclose(qre[(0, "Entrant")], [1 - enter, enter], atol=EXACT)


# ---------------------------------------------------------------------------------- Unilateral Deterrence Game

# Outcome labels of the two complete-information files; players: 0 Challenger, 1 Defender.
CONFLICT, CONCEDES, BACKS_DOWN, STATUS_QUO = "Conflict", "Challenger Wins", "Defender Wins", "Status Quo"


def test_udg_credible_defender_deters_a_challenger_that_would_fight():
    equilibrium = backward_induction(load("unilateral_deterrence_credible.efg"))
    assert not equilibrium.has_ties
    assert equilibrium.path == ("status quo",)
    assert equilibrium.choices[("challenge",)] == "resist"
    assert equilibrium.choices[("challenge", "resist")] == "fight"
    np.testing.assert_array_equal(equilibrium.payoffs, [3, 4])


def test_udg_incredible_defender_concedes_and_deterrence_fails():
    equilibrium = backward_induction(load("unilateral_deterrence_incredible.efg"))
    assert not equilibrium.has_ties
    assert equilibrium.path == ("challenge", "concede")
    np.testing.assert_array_equal(equilibrium.payoffs, [4, 2])


@pytest.mark.parametrize("conflict", [0.5, 0.9, 0.999, 1.001, 1.1, 1.5])
def test_udg_outcome_switches_exactly_where_the_defender_prefers_conflict_to_conceding(conflict):
    """The Defender's threat is credible iff its Conflict payoff exceeds its Challenger Wins
    payoff (1 in the credible file); only that payoff is changed."""
    game = variant(load("unilateral_deterrence_credible.efg"), {CONFLICT: {1: conflict}})
    equilibrium = backward_induction(game)
    assert not equilibrium.has_ties
    assert equilibrium.path == (("status quo",) if conflict > 1 else ("challenge", "concede"))


def test_udg_at_the_threshold_both_equilibria_are_reported():
    game = variant(load("unilateral_deterrence_credible.efg"), {CONFLICT: {1: 1.0}})
    equilibria = subgame_perfect_equilibria(game)
    assert {e.path for e in equilibria} == {("status quo",), ("challenge", "concede")}
    assert all(e.ties == (("challenge",),) for e in equilibria)


@pytest.mark.parametrize("conflict", [0.5, 0.999, 1.001, 1.5])
def test_udg_challenger_that_would_back_down_is_deterred_even_by_an_incredible_defender(conflict):
    """Credibility is not necessary: the Challenger's Conflict payoff against its Defender Wins
    payoff (1) decides whether it fights; if it would back down, the incredible Defender resists."""
    game = variant(load("unilateral_deterrence_incredible.efg"), {CONFLICT: {0: conflict}})
    equilibrium = backward_induction(game)
    if conflict < 1:
        assert equilibrium.choices[("challenge",)] == "resist"
        assert equilibrium.path == ("status quo",)
    else:
        assert equilibrium.path == ("challenge", "concede")


def test_udg_credible_threat_is_not_sufficient_when_the_challenger_prefers_conflict_to_the_status_quo():
    game = variant(load("unilateral_deterrence_credible.efg"), {CONFLICT: {0: 3.5}})  # Status Quo is 3
    equilibrium = backward_induction(game)
    assert equilibrium.path == ("challenge", "resist", "fight")
    np.testing.assert_array_equal(equilibrium.payoffs, [3.5, 2])


def with_credibility(game: ExtensiveFormGame, p: float) -> ExtensiveFormGame:
    """The uncertain UDG with Nature's probability that the Defender is credible set to ``p``."""
    assert game.root.kind == "chance" and game.root.actions == ("credible", "not credible")
    return ExtensiveFormGame(game.players, replace(game.root, probabilities=(p, 1 - p)), game.title)


DETERRED = {"Challenger": "status quo/fight", "Defender": "resist/concede"}
CHALLENGES = {"Challenger": "challenge/fight", "Defender": "resist/concede"}


def test_udg_with_uncertain_credibility_is_read_with_nature_and_information_sets():
    game = load("unilateral_deterrence.efg")
    assert not game.is_perfect_information()
    assert game.root.probabilities == pytest.approx((0.6, 0.4))
    assert all(len(infoset.nodes) == 2 for infoset in game.infosets_of(0)), "the Challenger cannot see the type"
    assert all(len(infoset.nodes) == 1 for infoset in game.infosets_of(1)), "the Defender knows its type"
    assert solve(game).spe is None


@pytest.mark.parametrize("p", [0.3, 0.49, 0.499, 0.501, 0.51, 0.6, 0.9])
def test_udg_deterrence_holds_iff_credibility_exceeds_one_half(p):
    """By hand: challenging is worth 2p + 4(1 - p) against 3 for the status quo, so the Challenger
    is deterred iff p > (4 - 3) / (4 - 2) = 1/2."""
    game = with_credibility(load("unilateral_deterrence.efg"), p)
    normal = game.to_normal_form()
    challenge_value = game.outcome_of([("challenge", "fight"), ("resist", "concede")])[0]
    assert challenge_value == pytest.approx(2 * p + 4 * (1 - p))
    deterred, challenges = normal.regret(profile(normal, DETERRED)), normal.regret(profile(normal, CHALLENGES))
    if p > 0.5:
        assert deterred == pytest.approx(0, abs=1e-12) and challenges > 0
    else:
        assert challenges == pytest.approx(0, abs=1e-12) and deterred > 0


def test_udg_every_nash_equilibrium_at_credibility_three_fifths_keeps_the_status_quo():
    game = load("unilateral_deterrence.efg")
    normal = game.to_normal_form()
    challenge = [k for k, label in enumerate(normal.strategies[0]) if label.startswith("challenge")]
    result = nash_equilibria(game)
    assert result.equilibria
    for equilibrium in result.equilibria:
        assert equilibrium.profile[0][challenge].sum() == pytest.approx(0, abs=1e-9)
        np.testing.assert_allclose(equilibrium.payoffs, [3, 4])


@pytest.mark.parametrize(("p", "deterred"), [(0.6, True), (0.4, False)])
def test_udg_logit_qre_approaches_the_perfect_bayesian_equilibrium(p, deterred):
    game = with_credibility(load("unilateral_deterrence.efg"), p)
    qre = logit_qre(game, 40.0).behaviour()
    status_quo = qre[(0, "Challenger: challenge?")][0]
    assert status_quo > 0.99 if deterred else status_quo < 0.01
    assert qre[(0, "Challenger: after resistance")][1] > 0.99, "the Challenger fights"
    assert qre[(1, "Defender (credible): respond")][1] > 0.99, "the credible Defender resists"
    assert qre[(1, "Defender (not credible): respond")][0] > 0.99, "the incredible Defender concedes"


# ---------------------------------------------------------------------------------- audience costs


def test_audience_costs_make_the_threat_credible_and_b_concedes():
    high, low = backward_induction(load("audience_costs.efg")), backward_induction(load("audience_costs_low.efg"))
    assert high.path == ("threaten", "concede") and not high.has_ties
    assert high.choices[("threaten", "resist")] == "fight"
    np.testing.assert_array_equal(high.payoffs, [1, -1])
    assert low.path == ("no threat",) and not low.has_ties
    assert low.choices[("threaten", "resist")] == "back down"
    np.testing.assert_array_equal(low.payoffs, [0, 0])


@pytest.mark.parametrize("audience_cost", [0.5, 1.0, 1.99, 2.01, 3.0, 10.0])
def test_audience_cost_threshold_is_where_war_beats_backing_down(audience_cost):
    """A fights iff its war payoff (-2) exceeds minus its audience cost: iff a > 2."""
    game = variant(load("audience_costs.efg"), {"A backs down": {0: -audience_cost}})
    equilibrium = backward_induction(game)
    assert not equilibrium.has_ties
    if audience_cost > 2:
        assert equilibrium.path == ("threaten", "concede")
    else:
        assert equilibrium.path == ("no threat",)
        assert equilibrium.choices[("threaten",)] == "resist"


def test_audience_cost_at_the_threshold_reports_the_tie():
    game = variant(load("audience_costs.efg"), {"A backs down": {0: -2.0}})
    equilibria = subgame_perfect_equilibria(game)
    assert (("threaten", "resist")) in equilibria[0].ties
    assert {e.choices[("threaten", "resist")] for e in equilibria} == {"back down", "fight"}


def test_low_audience_cost_threat_to_fight_is_nash_but_not_subgame_perfect():
    game = load("audience_costs_low.efg")
    assert ("threaten/fight", "concede") in pure_equilibria(game)
    fight, back_down = -2, -1  # after resistance, with a = 1
    assert back_down > fight
    assert backward_induction(game).choices[("threaten", "resist")] == "back down"


# ---------------------------------------------------------------------------------- Cuban missile crisis


def moves_away(matrix: np.ndarray, start: tuple[int, int], mover: int) -> bool:
    """Brams' theory of moves on a 2x2 game: whether ``mover`` leaves ``start``, by backward
    induction over the at most four alternating switches that bring play back to ``start``."""
    states, movers = [start], []
    for step in range(4):
        who = (mover + step) % 2
        row, column = states[-1]
        states.append((1 - row, column) if who == 0 else (row, 1 - column))
        movers.append(who)
    survivor = states[4]  # the fourth switch returns to the start
    for k in (3, 2, 1):  # the player at state k stays there or moves on to the survivor
        who = movers[k]
        if matrix[(who, *states[k])] >= matrix[(who, *survivor)]:
            survivor = states[k]
    return bool(matrix[(mover, *survivor)] > matrix[(mover, *start)])


def test_cuban_missile_crisis_pure_equilibria_and_the_compromise_that_is_not_one():
    game = load("cuban_missile_crisis.nfg")
    us, ussr = game.payoffs
    np.testing.assert_array_equal(us, [[3, 2], [4, 1]])
    np.testing.assert_array_equal(ussr, [[3, 4], [2, 1]])
    assert sorted(us.ravel()) == sorted(ussr.ravel()) == [1, 2, 3, 4], "ranks, 4 best"
    assert pure_equilibria(game) == {("Air strike", "Withdraw"), ("Blockade", "Maintain")}
    compromise = profile(game, {"United States": "Blockade", "Soviet Union": "Withdraw"})
    np.testing.assert_array_equal(game.expected_payoffs(compromise), [3, 3])
    assert game.regret(compromise) == 1, "each side gains one rank by defecting from (3, 3)"
    result = nash_equilibria(game)
    assert result.complete
    assert_same_equilibria(result.equilibria, [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]]])


def test_cuban_missile_crisis_qre_is_uniform_at_every_lambda():
    """Against a rival who mixes evenly, each side's two strategies are worth 5/2, so the uniform
    profile is a logit QRE for every lambda."""
    game = load("cuban_missile_crisis.nfg")
    for lam in (0.5, 5.0, 50.0):
        for p in logit_qre(game, lam).profile:
            np.testing.assert_allclose(p, [0.5, 0.5], atol=EXACT)


def test_cuban_missile_crisis_compromise_is_the_non_myopic_equilibrium_from_the_compromise():
    payoffs = load("cuban_missile_crisis.nfg").payoffs
    compromise = (0, 0)  # (Blockade, Withdraw)
    assert not moves_away(payoffs, compromise, 0), "the US does not move to an air strike"
    assert not moves_away(payoffs, compromise, 1), "the Soviet Union does not move to maintain"
    # By hand, for the US: air strike (4, 2) -> Soviets maintain (1, 1) -> US blockade (2, 4) -> Soviets
    # withdraw (3, 3). Backwards: the Soviets stay at (2, 4) (4 > 3), so the US leaves (1, 1) for it
    # (2 > 1), so the Soviets leave (4, 2) for it (4 > 2); the US would end at 2 < 3 and stays put.


# ---------------------------------------------------------------------------------- round trips and the CLI


def equilibria_of(game):
    return nash_equilibria(game.to_normal_form() if isinstance(game, ExtensiveFormGame) else game).equilibria


@pytest.mark.parametrize("name", FILES)
def test_every_game_round_trips_through_gambit_formats_with_the_same_equilibria(name, tmp_path):
    game = load(name)
    suffixes = [".nfg", ".toml"] + ([".efg"] if isinstance(game, ExtensiveFormGame) else [])
    for suffix in suffixes:
        path = tmp_path / f"copy{suffix}"
        write_game(game, path)
        again = read_game(path)
        assert again.players == game.players
        assert_same_equilibria(equilibria_of(again), equilibria_of(game))
        if isinstance(again, ExtensiveFormGame) and game.is_perfect_information():
            before, after = subgame_perfect_equilibria(game), subgame_perfect_equilibria(again)
            assert [e.path for e in after] == [e.path for e in before]
            np.testing.assert_allclose(after[0].payoffs, before[0].payoffs)


def solve_json(capsys, *args: str) -> dict:
    assert main(["solve", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", FILES)
def test_sim_solve_json_gives_the_published_equilibria(name, capsys):
    solution = solve_json(capsys, str(GAMES / name), "--json")
    game = load(name)
    normal = game.to_normal_form() if isinstance(game, ExtensiveFormGame) else game
    assert set(solution) >= JSON_KEYS
    assert solution["game"] == game.title and solution["players"] == list(game.players)
    assert solution["strategies"] == {p: list(s) for p, s in zip(game.players, normal.strategies)}
    assert solution["qre"] is None
    profiles = [[e["profile"][p] for p in game.players] for e in solution["nash"]]
    if name in NORMAL_FORM_EQUILIBRIA:
        assert solution["spe"] is None
        assert_same_equilibria(profiles, NORMAL_FORM_EQUILIBRIA[name])
    else:
        assert_same_equilibria(profiles, equilibria_of(game))
        expected = SUBGAME_PERFECT_PATHS[name]
        assert (solution["spe"] and tuple(solution["spe"]["path"])) == expected
        if expected is not None:
            assert solution["spe"]["ties"] is False
            # Preferences are strict, so the subgame-perfect equilibrium is unique and pure: every
            # other Nash equilibrium, pure or mixed, rests on a threat that would not be carried out.
            for equilibrium in solution["nash"]:
                chosen = tuple(
                    normal.strategies[i][int(np.argmax(equilibrium["profile"][p]))]
                    if max(equilibrium["profile"][p]) > 1 - EXACT
                    else None
                    for i, p in enumerate(game.players)
                )
                assert equilibrium["subgame_perfect"] is (chosen == SUBGAME_PERFECT_STRATEGIES[name])


@pytest.mark.parametrize("name", FILES)
def test_sim_solve_qre_at_lambda_zero_is_uniform(name, capsys):
    qre = solve_json(capsys, str(GAMES / name), "--json", "--qre", "0")["qre"]
    game = load(name)
    assert qre["lambda"] == 0.0
    if isinstance(game, NormalFormGame):
        expected = {p: [1 / len(s)] * len(s) for p, s in zip(game.players, game.strategies)}
    else:
        expected = {p: [] for p in game.players}
        for infoset in game.infosets():
            expected[game.players[infoset.player]] += [1 / len(infoset.actions)] * len(infoset.actions)
        assert {p: len(a) for p, a in qre["actions"].items()} == {p: len(v) for p, v in expected.items()}
    for player, probabilities in expected.items():
        np.testing.assert_allclose(qre["profile"][player], probabilities, atol=EXACT)


def test_sim_solve_qre_path_starts_uniform_and_approaches_the_chain_store_equilibrium(capsys):
    solution = solve_json(capsys, str(GAMES / "chain_store.efg"), "--json", "--qre-path", "30")
    path = solution["qre_path"]
    assert path[0]["lambda"] == 0.0 and path[-1]["lambda"] == pytest.approx(30.0)
    np.testing.assert_allclose(path[0]["profile"]["Entrant"], [0.5, 0.5])
    assert path[-1]["actions"]["Incumbent"] == ["Incumbent after entry: fight", "Incumbent after entry: accommodate"]
    assert path[-1]["profile"]["Entrant"][1] > 0.99 and path[-1]["profile"]["Incumbent"][1] > 0.99
