"""One recursion for every tree (sim.estimation.trees): the R package's egame122 and egame123 formulas
written out by hand, a tree read from a file equal to the fixed tree it draws, a choice among three
actions, recovery of known coefficients for every tree, link and error, and refusals in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, ndtr

from sim.estimation import FormulaError, fit
from sim.estimation.games import EGAME12, EGAME122, EGAME123, GAMES
from sim.estimation.trees import EstimationTree, Slot
from sim.game.tree import ExtensiveFormGame, Node

ROOT2 = np.sqrt(2.0)


def hand_egame122(u: np.ndarray, link: str, error: str) -> np.ndarray:
    """The R package's egame122 probabilities, written from its formulas (not from the recursion)."""
    f = ndtr if link == "probit" else expit
    u11, u12, u13, u14, u22, u24 = u.T
    p4 = f(u22 / ROOT2)
    p3 = 1 - p4
    p6 = f(u24 / ROOT2)
    p5 = 1 - p6
    scale = ROOT2 if error == "agent" else np.sqrt(p3**2 + p4**2 + p5**2 + p6**2)
    p2 = f((p5 * u13 + p6 * u14 - p3 * u11 - p4 * u12) / scale)
    p1 = 1 - p2
    return np.column_stack([p1 * p3, p1 * p4, p2 * p5, p2 * p6])


def hand_egame123(u: np.ndarray, link: str, error: str) -> np.ndarray:
    """The R package's egame123 probabilities, written from its formulas."""
    f = ndtr if link == "probit" else expit
    u11, u13, u15, u16, u23, u25, u26, u36 = u.T
    p6 = f(u36 / ROOT2)
    p5 = 1 - p6
    scale2 = ROOT2 if error == "agent" else np.sqrt(1 + p5**2 + p6**2)
    p4 = f((p5 * u25 + p6 * u26 - u23) / scale2)
    p3 = 1 - p4
    scale1 = ROOT2 if error == "agent" else np.sqrt(1 + p3**2 + p4**2 * p5**2 + p4**2 * p6**2)
    p2 = f((p3 * u13 + p4 * (p5 * u15 + p6 * u16) - u11) / scale1)
    p1 = 1 - p2
    return np.column_stack([p1, p2 * p3, p2 * p4 * p5, p2 * p4 * p6])


CASES = [("probit", "agent"), ("logit", "agent"), ("probit", "private")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-4, 4), min_size=8, max_size=8), st.sampled_from(CASES))
def test_the_recursion_gives_the_r_package_formulas(utilities, case):
    link, error = case
    u122 = np.array([utilities[:6]])
    assert EGAME122.probabilities(u122, link, error) == pytest.approx(hand_egame122(u122, link, error), abs=1e-12)
    u123 = np.array([utilities])
    assert EGAME123.probabilities(u123, link, error) == pytest.approx(hand_egame123(u123, link, error), abs=1e-12)


def test_the_fixed_trees_name_their_utilities_and_outcomes_as_the_r_package():
    assert EGAME122.utilities == ("u11", "u12", "u13", "u14", "u22", "u24")
    assert EGAME123.utilities == ("u11", "u13", "u15", "u16", "u23", "u25", "u26", "u36")
    assert EGAME122.terminal_names(("a1", "a2")) == ("~a1,~a2", "~a1,a2", "a1,~a2", "a1,a2")
    assert EGAME123.terminal_names(("a1", "a2", "a3")) == ("~a1", "a1,~a2", "a1,a2,~a3", "a1,a2,a3")
    decisions = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]])
    assert EGAME122.outcomes_from_decisions(decisions[:, :2]).tolist() == [0, 1, 2, 3, 3]
    assert EGAME123.outcomes_from_decisions(decisions).tolist() == [0, 0, 1, 2, 3]


def simulate(tree: EstimationTree, utilities: np.ndarray, link: str, error: str, seed: int) -> np.ndarray:
    """Each row's terminal, drawn from the tree's outcome probabilities."""
    p = tree.probabilities(utilities, link, error)
    u = np.random.default_rng(seed).random(len(p))[:, None]
    return (u > np.cumsum(p, axis=1)).sum(axis=1)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("model", ["egame122", "egame123"])
def test_known_coefficients_are_recovered_for_every_tree_link_and_error(model, case):
    """3,000 cases from known coefficients; every estimate within 4 standard errors of the truth."""
    link, error = case
    tree = GAMES[model]
    rng = np.random.default_rng(7)
    n = 3000
    x, z = rng.normal(size=n), rng.normal(size=n)
    if model == "egame122":
        formula = "a1 + a2 ~ x | 0 | 1 | 0 | z | 1"  # u11: 1 + x; u13: 1; u22: 1 + z; u24: 1
        truth = np.array([0.2, 0.8, -0.4, 0.3, -1.0, 0.5])
        u = np.column_stack([truth[0] + truth[1] * x, 0 * x, np.full(n, truth[2]), 0 * x,
                             truth[3] + truth[4] * z, np.full(n, truth[5])])  # fmt: skip
        names = ("a1", "a2")
    else:
        formula = "a1 + a2 + a3 ~ x | 0 | 1 | 0 | 0 | 1 | 0 | z"  # u11: 1 + x; u15: 1; u25: 1; u36: 1 + z
        truth = np.array([-0.3, 0.8, 0.6, 0.7, 0.2, 1.0])
        u = np.column_stack([truth[0] + truth[1] * x, 0 * x, np.full(n, truth[2]), 0 * x, 0 * x,
                             np.full(n, truth[3]), 0 * x, truth[4] + truth[5] * z])  # fmt: skip
        names = ("a1", "a2", "a3")
    end = simulate(tree, u, link, error, seed=3)
    paths = np.array([[1 if taken else 0 for taken in _decisions(tree, k)] for k in range(tree.outcomes)])
    data = pd.DataFrame(paths[end], columns=list(names)).assign(x=x, z=z)
    result = fit(model, data, formula, link=link, error=error)
    assert result.converged and not result.problems
    assert np.all(np.abs(result.estimates - truth) < 4 * result.se), (result.estimates, truth, result.se)


def _decisions(tree: EstimationTree, terminal: int) -> list[bool]:
    """A terminal's decision columns (a column below a node not reached: 0)."""
    columns = [False] * tree.decisions
    for node, column in zip(tree.decision_nodes(), tree.decision_columns, strict=True):
        path = tree.paths[terminal]
        depth = _depth(tree, node)
        if _on_path(tree, node, terminal) and len(path) > depth:
            columns[column] = path[depth] == "R"
    return columns


def _depth(tree: EstimationTree, node: int) -> int:
    parent = {child: k for k, children in enumerate(tree.children) for child in children}
    depth = 0
    while node in parent:
        node, depth = parent[node], depth + 1
    return depth


def _on_path(tree: EstimationTree, node: int, terminal: int) -> bool:
    stack = [node]
    while stack:
        here = stack.pop()
        if tree.terminal_of[here] == terminal:
            return True
        stack.extend(tree.children[here])
    return False


EGAME12_EFG = """EFG 2 R "egame12 drawn as a file" { "initiator" "respondent" }
""

p "" 1 1 "" { "stay" "escalate" } 0
t "" 1 "sq" { 0, 0 }
p "" 2 1 "" { "yield" "fight" } 0
t "" 2 "capit" { 0, 0 }
t "" 3 "war" { 0, 0 }
"""


def test_a_tree_from_a_file_is_the_same_model_as_the_fixed_tree(tmp_path):
    """egame12 written as a .efg: the general formula (one part per player and terminal, the R
    package's normalisations written as 0) gives the same likelihood and estimates."""
    from sim.datasets import load

    path = tmp_path / "egame12.efg"
    path.write_text(EGAME12_EFG)
    data = load("war1800")
    data["end"] = np.select([data.esc == 0, data.war == 0], ["sq", "capit"], "war")
    fixed = fit("egame12", data, "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2")
    general = fit(path, data, "end ~ s_wt_re1 + revis1 | 0 | regime1 | 0 | 0 | balanc + regime2")
    assert general.loglik == pytest.approx(fixed.loglik, abs=1e-6)
    assert general.estimates == pytest.approx(fixed.estimates, abs=1e-4)
    assert general.names[0] == "u1(sq):(Intercept)" and general.names[-1] == "u2(war):regime2mixed"
    assert general.model == str(path)


def three_way(players: int = 2) -> EstimationTree:
    """Player 1 chooses among three ends; or passes to player 2, who chooses between two."""
    end = [0.0] * players
    game = ExtensiveFormGame(
        tuple(str(k + 1) for k in range(players)),
        Node.decision(0, {
            "a": Node.terminal(end, "a"), "b": Node.terminal(end, "b"),
            "pass": Node.decision(1, {"c": Node.terminal(end, "c"), "d": Node.terminal(end, "d")}),
        }),
    )  # fmt: skip
    return EstimationTree("three way", game, (Slot("u1a", 0, 0), Slot("u1b", 0, 1), Slot("u2d", 1, 3)))


def test_a_choice_among_three_actions_is_a_logit_of_the_values_over_root_two():
    tree = three_way()
    u = np.array([[0.5, -1.0, 0.8]])
    p = tree.probabilities(u, "logit", "agent")[0]
    q = expit(0.8 / ROOT2)
    values = np.array([0.5, -1.0, 0.0]) / ROOT2  # passing: player 1's utilities of c and d are 0
    first = np.exp(values) / np.exp(values).sum()
    assert p == pytest.approx([first[0], first[1], first[2] * (1 - q), first[2] * q], abs=1e-12)


def test_known_coefficients_of_a_three_way_choice_are_recovered():
    tree = three_way()
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=n)
    truth = np.array([0.4, 0.7, -0.5, 0.9])  # u1a: 1 + x; u1b: 1; u2d: 1
    u = np.column_stack([truth[0] + truth[1] * x, np.full(n, truth[2]), np.full(n, truth[3])])
    end = simulate(tree, u, "logit", "agent", seed=9)
    data = pd.DataFrame({"end": np.array(["a", "b", "c", "d"])[end], "x": x})
    result = fit(tree, data, "end ~ x | 1 | 1", link="logit")
    assert result.converged
    assert np.all(np.abs(result.estimates - truth) < 4 * result.se)


def test_shapes_a_likelihood_cannot_take_are_refused_in_words():
    with pytest.raises(FormulaError, match="more than two"):
        three_way().check("probit", "agent")
    with pytest.raises(FormulaError, match="use --link probit"):
        EGAME12.check("logit", "private")
    twice = ExtensiveFormGame(
        ("1", "2"),
        Node.decision(0, {"L": Node.terminal([0, 0]), "R": Node.decision(0, {"l": Node.terminal([0, 0]),
                                                                             "r": Node.terminal([0, 0])})}),
    )  # fmt: skip
    tree = EstimationTree("twice", twice, (Slot("u11", 0, 0),))
    tree.check("probit", "agent")
    with pytest.raises(FormulaError, match="moves again below"):
        tree.check("probit", "private")


def test_a_tree_with_hidden_moves_or_a_bad_file_is_refused(tmp_path):
    with pytest.raises(FormulaError, match="perfect information"):
        fit("tests/data/games/poker.efg", pd.DataFrame({"end": ["x"]}), "end ~ 1")
    broken = tmp_path / "broken.efg"
    broken.write_text("EFG 2 R nonsense")
    with pytest.raises(FormulaError, match="not a game tree sim can read"):
        fit(broken, pd.DataFrame({"end": ["x"]}), "end ~ 1")
    with pytest.raises(FormulaError, match="no such game file"):
        fit(tmp_path / "missing.efg", pd.DataFrame({"end": ["x"]}), "end ~ 1")


def test_an_outcome_column_that_names_no_terminal_of_a_file_tree_is_refused(tmp_path):
    path = tmp_path / "egame12.efg"
    path.write_text(EGAME12_EFG)
    data = pd.DataFrame({"end": ["sq", "peace", "war"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(FormulaError, match="'peace' does not"):
        fit(path, data, "end ~ 1 | 0 | x | 0 | 0 | 1")
    with pytest.raises(FormulaError, match="6 utilities"):
        fit(path, data, "end ~ 1 | 0 | x | 1")
