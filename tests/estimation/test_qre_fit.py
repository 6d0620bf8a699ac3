"""Logit QRE maximum likelihood (``sim.fit_qre``, ``sim fit-qre``).

Checked against pygambit's ``logit_estimate`` (an independent implementation: Gambit's C++ path
tracer) on games not chosen for it, against closed forms where the MLE has one, by recovering a
known lambda from counts drawn with fixed seeds, and for its refusals of bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

import sim
from sim.cli.main import main
from sim.estimation.qre_fit import CountsError, QREFit, fit_qre
from sim.game.io import read_game
from sim.game.normal import NormalFormGame
from sim.game.qre import logit_qre
from sim.game.tree import ExtensiveFormGame, Node

ROOT = Path(__file__).resolve().parents[2]
GAMES = ROOT / "tests" / "data" / "games"
# Gambit's tracer stops within its own tolerance of the maximum, so its lambda can be off by more
# than ours: on these games the two agree to 1e-8 or better, except chain_store (6e-5 relative,
# where Gambit's reported point has a lower log-likelihood than ours when evaluated on the branch).
LAM_RTOL = 1e-4
LOGLIK_ATOL = 1e-6
# 3x3: a cyclic (rock-paper-scissors-like) game with unequal stakes, written down once, not tuned.
A3 = np.array([[0.0, -1.0, 2.0], [2.0, 0.0, -1.0], [-1.0, 3.0, 0.0]])
B3 = -0.5 * A3.T + 1.0


def drawn_counts(game, lam: float, n: int, seed: int) -> list[np.ndarray]:
    """``n`` choices per agent, drawn from the principal-branch QRE at ``lam``."""
    rng = np.random.default_rng(seed)
    return [rng.multinomial(n, p) for p in logit_qre(game, lam).profile]


def loglik_at(game, counts, lam: float) -> float:
    """The log-likelihood at ``lam``, from the QRE solver directly (no fitting code)."""
    profile = logit_qre(game, lam).profile
    return float(sum(np.asarray(c) @ np.log(p) for c, p in zip(counts, profile)))


# ---------------------------------------------------------------------------------- pygambit


def gambit_estimate(gbt, game, counts):
    """pygambit 17's ``logit_estimate`` of the same game and counts."""
    if isinstance(game, NormalFormGame):
        from sim.game.gambit_api import table_game

        theirs = table_game(gbt, list(game.payoffs))
        data = theirs.mixed_strategy_profile(rational=False)
        for player, c in zip(theirs.players, counts):
            data[player] = {s: float(x) for s, x in zip(theirs.get_strategies(player), c)}
        return gbt.qre.logit_estimate(data)
    raise AssertionError("trees are read by gambit from their file")


def gambit_tree_estimate(gbt, path: Path, game: ExtensiveFormGame, counts):
    """``logit_estimate`` on the tree read by Gambit from the same file: information sets matched
    player by player in order, their actions checked to be the same."""
    theirs = gbt.read_efg(str(path))
    data = theirs.mixed_behavior_profile(rational=False)
    ours = game.infosets()
    for i, player in enumerate(theirs.players):
        mine = [h for h, infoset in enumerate(ours) if infoset.player == i]
        histories = list(theirs.get_infosets(player))
        assert len(mine) == len(histories)
        for h, history in zip(mine, histories):
            selector = gbt.H.path(*history.actions)
            actions = list(theirs.get_actions(selector))
            assert actions == list(ours[h].actions)
            data[selector] = {a: float(c) for a, c in zip(actions, counts[h])}
    return gbt.qre.logit_estimate(data)


def assert_same_as_gambit(game, counts, theirs, fit: QREFit) -> None:
    assert not fit.boundary
    assert fit.lam == pytest.approx(theirs.lam, rel=LAM_RTOL)
    assert fit.loglik == pytest.approx(theirs.log_like, abs=LOGLIK_ATOL)
    # ours is the better maximiser: on the branch, Gambit's lambda does no better than ours
    assert fit.loglik >= loglik_at(game, counts, theirs.lam) - 1e-9


@pytest.mark.parametrize(
    ("payoffs", "lam", "seed"),
    [
        ((np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[0.0, 1.0], [3.0, 0.0]])), 1.0, 11),  # 2x2, asymmetric pennies
        ((np.array([[3.0, 0.0], [5.0, 1.0]]), np.array([[3.0, 5.0], [0.0, 1.0]])), 0.5, 12),  # 2x2 prisoner's dilemma
        ((A3, B3), 0.8, 3),  # 3x3
    ],
    ids=["2x2-pennies", "2x2-dilemma", "3x3-cyclic"],
)
def test_normal_forms_equal_pygambit(payoffs, lam, seed):
    gbt = pytest.importorskip("pygambit")
    game = NormalFormGame.from_arrays(*payoffs)
    counts = drawn_counts(game, lam, 60, seed)
    assert_same_as_gambit(game, counts, gambit_estimate(gbt, game, counts), fit_qre(game, counts))


@pytest.mark.parametrize(
    ("path", "lam", "seed"),
    [
        (GAMES / "e02.efg", 1.5, 1),  # Selten's horse-like tree, one imperfect-information set
        (GAMES / "poker.efg", 1.0, 2),  # chance move, Bob's information set has two nodes
        (GAMES / "bayes1.efg", 0.3, 3),  # two chance moves, four information sets
        (ROOT / "games" / "chain_store.efg", 0.5, 4),  # perfect information
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_trees_equal_pygambit(path, lam, seed):
    gbt = pytest.importorskip("pygambit")
    game = read_game(path)
    counts = drawn_counts(game, lam, 100, seed)
    fit = fit_qre(path, counts)
    assert_same_as_gambit(game, counts, gambit_tree_estimate(gbt, path, game, counts), fit)


def test_maximum_at_the_end_of_the_branch_like_gambit():
    """Counts best explained by Nash play: Gambit runs to lambda of about 10^6; so does the fit,
    and says so."""
    game = NormalFormGame.from_arrays([[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]])
    fit = fit_qre(game, [[35, 15], [30, 20]])
    assert fit.boundary == "lam_max" and fit.lam == 1e6
    assert np.isnan(fit.se) and fit.interval[1] == np.inf
    assert fit.loglik == pytest.approx(-64.99949, abs=1e-5)  # pygambit 17.0.0b2: -64.9994900284628


# ---------------------------------------------------------------------------------- closed forms


def decision(payoffs: list[float]) -> ExtensiveFormGame:
    """One player choosing once among actions with these payoffs."""
    leaves = {f"a{k}": Node.terminal([u]) for k, u in enumerate(payoffs)}
    return ExtensiveFormGame(("chooser",), Node.decision(0, leaves, infoset="choice"))


@pytest.mark.parametrize("game", ["tree", "normal"])
def test_one_decision_has_the_logit_closed_form(game):
    """Two actions worth 0 and d: p = 1 / (1 + exp(-lam d)), so lam = log(n1 / n0) / d; the
    information is n p (1 - p) d^2; the LR interval solves the binomial log-likelihood equation."""
    d, n0, n1 = 2.0, 10.0, 30.0
    g = decision([0.0, d]) if game == "tree" else NormalFormGame(("chooser",), (("a0", "a1"),), np.array([[0.0, d]]))
    fit = fit_qre(g, [[n0, n1]])
    assert fit.lam == pytest.approx(np.log(n1 / n0) / d, rel=1e-9)
    p = n1 / (n0 + n1)
    assert fit.se == pytest.approx(1 / np.sqrt((n0 + n1) * p * (1 - p) * d**2), rel=1e-5)

    def loglik(lam: float) -> float:
        return n1 * -np.log1p(np.exp(-lam * d)) + n0 * -np.log1p(np.exp(lam * d))

    drop = stats.chi2.ppf(0.95, 1) / 2
    low = optimize.brentq(lambda lam: loglik(lam) - (loglik(fit.lam) - drop), 0.0, fit.lam)
    high = optimize.brentq(lambda lam: loglik(lam) - (loglik(fit.lam) - drop), fit.lam, 10.0)
    assert fit.interval == pytest.approx((low, high), rel=1e-8)
    assert fit.loglik == pytest.approx(loglik(fit.lam), abs=1e-10)


def test_dominant_strategies_with_equal_gains_pool_into_one_logit():
    """A 2x2 game where defecting gains 1 whatever the other does: each player's QRE is
    1 / (1 + exp(-lam)) apart from the other, so lam = log(defections / cooperations)."""
    a = np.array([[2.0, 0.0], [3.0, 1.0]])
    game = NormalFormGame.from_arrays(a, a.T)
    fit = fit_qre(game, [[12, 30], [9, 21]])
    assert fit.lam == pytest.approx(np.log(51 / 21), rel=1e-9)


def test_only_lambda_times_the_payoffs_is_identified():
    game = read_game(GAMES / "poker.efg")
    counts = drawn_counts(game, 1.0, 100, 5)
    fit = fit_qre(game, counts)
    scaled = ExtensiveFormGame(game.players, scale(game.root, 4.0))
    refit = fit_qre(scaled, counts)
    assert refit.lam == pytest.approx(fit.lam / 4, rel=1e-7)
    assert refit.loglik == pytest.approx(fit.loglik, abs=1e-8)


def scale(node: Node, k: float) -> Node:
    """The subtree with every payoff multiplied by ``k``."""
    if node.kind == "terminal":
        return Node.terminal([k * u for u in node.payoffs], node.outcome, node.label)
    children = tuple(scale(child, k) for child in node.children)
    return Node(node.kind, node.label, node.player, node.infoset, node.actions, node.probabilities, children)


def test_a_flat_likelihood_is_reported_not_fitted():
    """Uniform play is a QRE of the ordinal Cuban missile crisis game at every lambda."""
    fit = fit_qre(ROOT / "games" / "cuban_missile_crisis.nfg", [[38, 42], [35, 45]])
    assert fit.boundary == "flat" and fit.interval == (0.0, np.inf) and np.isnan(fit.se)
    assert "say nothing" in fit.summary()


def test_counts_leaning_against_the_equilibrium_give_lambda_zero():
    game = NormalFormGame.from_arrays([[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]])
    fit = fit_qre(game, [[30, 20], [10, 40]])  # pygambit 17.0.0b2 also gives 0.0
    assert fit.lam == 0.0 and fit.boundary == "zero" and fit.interval[0] == 0.0


# ---------------------------------------------------------------------------------- recovery


def test_recovers_a_known_lambda_from_drawn_counts():
    """One draw: close to the truth. Forty draws (seeds 0-39): the 95% interval covers the truth
    in at least 34 (expected 38; 34 or fewer has probability about 0.03 if coverage is 95%)."""
    game = NormalFormGame.from_arrays(A3, B3)
    truth = 1.2
    fit = fit_qre(game, drawn_counts(game, truth, 2000, seed=2026))
    assert abs(fit.lam - truth) < 3 * fit.se
    assert fit.interval[0] < truth < fit.interval[1]
    pennies = NormalFormGame.from_arrays([[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]])
    covered = sum(
        fit.interval[0] <= 0.7 <= fit.interval[1]
        for fit in (fit_qre(pennies, drawn_counts(pennies, 0.7, 200, seed), lam_max=50) for seed in range(40))
    )
    assert covered >= 34


# ---------------------------------------------------------------------------------- results


def test_result_carries_profile_version_and_hash():
    game = read_game(GAMES / "e02.efg")
    counts = drawn_counts(game, 1.5, 100, 1)
    fit = fit_qre(game, counts)
    assert fit.version == sim.__version__ and len(fit.data_sha256) == 64
    assert np.concatenate(fit.profile) == pytest.approx(np.concatenate(logit_qre(game, fit.lam).profile), abs=1e-9)
    data = json.loads(json.dumps(fit.to_dict()))
    assert (
        data["lam"] == fit.lam
        and data["n"] == 300
        and [a["infoset"] for a in data["agents"]]
        == [
            "(1,1)",
            "(2,1)",
            "(1,2)",
        ]
    )
    assert sim.fit_qre is fit_qre and sim.estimation.fit_qre is fit_qre


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([[1, 2]], "counts for 1 agents, but the game has 2"),
        ([[1, 2, 3], [1, 2]], "3 counts for 'Player 1', which has 2 actions"),
        ([[1, -2], [1, 2]], "must be finite and non-negative"),
        ([[1, np.nan], [1, 2]], "must be finite and non-negative"),
        ([[0, 0], [0, 0]], "every count is zero"),
        ([["a", 1], [1, 2]], "are not numbers"),
    ],
)
def test_bad_counts_are_refused(counts, message):
    game = NormalFormGame.from_arrays([[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]])
    with pytest.raises(CountsError, match=message):
        fit_qre(game, counts)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text(text, encoding="utf-8")
    return path


POKER = "player,infoset,action,count\nAlice,Alice has King,Bet,40\nAlice,Alice has Queen,Fold,10\nBob,,Call,7\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("player,action,count\nAlice,Bet,3\n", r"counts.csv:2: field 'infoset': player 'Alice' has several"),
        ("player,infoset,action,n\nAlice,Alice has King,Bet,3\n", "missing count"),
        ("player,infoset,action,count,notes\n", "unknown column 'notes'"),
        ("player,infoset,action,count\nAlise,Alice has King,Bet,3\n", "no player 'Alise'; did you mean 'Alice'"),
        ("player,infoset,action,count\nAlice,Alice has Kings,Bet,3\n", "did you mean 'Alice has King'"),
        ("player,infoset,action,count\nAlice,Alice has King,bet,3\n", r":2: field 'action'.*did you mean 'Bet'"),
        ("player,infoset,action,count\nAlice,Alice has King,Bet,-3\n", r":2: field 'count': .* >= 0, got -3"),
        ("player,infoset,action,count\nAlice,Alice has King,Bet,many\n", "expected a number, got 'many'"),
        ("player,infoset,action,count\nAlice,Alice has King,Bet,0\nBob,,Call,0\n", "no positive count"),
        ("player,infoset,action,count\n", "no positive count"),
        (POKER + "Alice,Alice has King,Bet,1\n", r":5: action 'Bet' of 'Alice has King' is listed twice"),
        ("player,infoset,action,count\nBob,x,Call,1,2\n", ":2: 5 fields, but the header has 4"),
    ],
)
def test_bad_counts_files_are_refused_with_file_line_and_field(tmp_path, text, message):
    with pytest.raises(CountsError, match=message):
        fit_qre(GAMES / "poker.efg", write(tmp_path, text))


def test_counts_file_reads_names_numbers_and_blank_lines(tmp_path):
    game = read_game(GAMES / "poker.efg")
    fit = fit_qre(game, write(tmp_path, POKER.replace("Bob,,", "2,Bob's response,") + "\n"))
    assert [c.tolist() for c in fit.counts] == [[40, 0], [7, 0], [0, 10]]
    normal = write(tmp_path, "action,count,player\nSwerve,66,Player 1\nDare,14,Player 1\nSwerve,63,Player 2\n")
    assert [c.tolist() for c in fit_qre(ROOT / "games" / "chicken.nfg", normal).counts] == [[66, 14], [63, 0]]


# ---------------------------------------------------------------------------------- command line


def test_cli_prints_the_fit_and_json(tmp_path, capsys):
    counts = write(tmp_path, "player,action,count\nPlayer 1,Swerve,66\nPlayer 1,Dare,14\nPlayer 2,Swerve,63\n"
                             "Player 2,Dare,17\n")  # fmt: skip
    assert main(["fit-qre", "chicken", "--counts", str(counts)]) == 0
    text = capsys.readouterr().out
    assert "lambda     1.5208" in text and "95% LR interval" in text
    out = tmp_path / "fit.json"
    chicken = str(ROOT / "games" / "chicken.nfg")
    assert main(["fit-qre", chicken, "--counts", str(counts), "--json", "--out", str(out)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == json.loads(out.read_text()) and shown["lam"] == pytest.approx(1.52088021, rel=1e-6)
    assert shown["data_sha256"] == __import__("hashlib").sha256(counts.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit-qre", "chiken", "--counts", "COUNTS"], "no such game file or bundled game; did you mean 'chicken'"),
        (["fit-qre", "chicken", "--counts", "missing.csv"], "--counts missing.csv: no such file"),
        (["fit-qre", "chicken", "--counts", "COUNTS"], "field 'action': 'Player 1' has no action 'Swerv'"),
    ],
)
def test_cli_errors_exit_2_without_traceback(tmp_path, capsys, argv, message):
    counts = write(tmp_path, "player,action,count\nPlayer 1,Swerv,3\n")
    argv = [str(counts) if a == "COUNTS" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sim: error: ") and message in err and "Traceback" not in err


def test_cli_refuses_a_bad_lam_max(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["fit-qre", "chicken", "--counts", "x.csv", "--lam-max", "-1"])
    assert exit.value.code == 2 and "--lam-max" in capsys.readouterr().err
