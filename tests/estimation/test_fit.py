"""Strategic estimation (sim.estimation): the published war1800 fit, hand algebra, recovery of known
coefficients from simulated data, and clear refusals of formulas that cannot be used."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from sim.cli.main import main
from sim.estimation import FormulaError, fit
from sim.estimation.formula import parse_formula
from sim.estimation.games import EGAME12

WAR = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"

# An independent implementation (a separate numpy/scipy script, written from the R package games'
# source, not from this module) fitted the same model; R's games reports the log-likelihood -286.1238.
INDEPENDENT = {
    ("probit", "agent"): (
        -286.1238,
        [-0.49545, -0.74001, 0.42724, 0.22191, -1.90225, -0.58411, 0.49909, -0.04197, -1.54361, -0.61683],
        [0.59873, 0.27966, 0.26380, 1.21705, 0.66445, 0.54991, 0.44138, 0.56874, 0.45264, 0.32083],
    ),
    ("logit", "agent"): (
        -286.1828,
        [-0.8458, -1.1882, 0.6792, 0.2549, -3.0848, -0.9576, 0.7612, -0.0080, -2.5052, -0.9788],
        [0.9747, 0.4543, 0.4294, 1.9702, 1.0882, 0.8992, 0.7132, 0.9049, 0.7662, 0.5173],
    ),
    ("probit", "private"): (
        -286.1182,
        [-0.4442, -0.6447, 0.3760, 0.1772, -1.6659, -0.5119, 0.4898, -0.0381, -1.5399, -0.6107],
        [0.5437, 0.2444, 0.2312, 1.1071, 0.5796, 0.4811, 0.4478, 0.5777, 0.4515, 0.3222],
    ),
}


@pytest.mark.parametrize(("link", "error"), sorted(INDEPENDENT))
def test_war1800_matches_the_r_package_and_an_independent_fit(link: str, error: str):
    loglik, estimates, ses = INDEPENDENT[(link, error)]
    result = fit("egame12", "war1800", WAR, link=link, error=error)
    assert result.converged and not result.problems
    assert result.n == 282 and result.dropped == 31
    assert result.loglik == pytest.approx(loglik, abs=1e-4)
    assert result.estimates == pytest.approx(np.array(estimates), abs=1e-3)
    assert result.se == pytest.approx(np.array(ses), rel=0.01)
    assert result.names == [
        "u1(~esc):(Intercept)", "u1(~esc):s_wt_re1", "u1(~esc):revis1", "u1(esc,war):(Intercept)",
        "u1(esc,war):regime1dem", "u1(esc,war):regime1mixed", "u2(esc,war):(Intercept)", "u2(esc,war):balanc",
        "u2(esc,war):regime2dem", "u2(esc,war):regime2mixed",
    ]  # fmt: skip
    assert result.aic == pytest.approx(2 * 10 - 2 * loglik, abs=1e-3)


def test_outcome_probabilities_by_hand():
    u = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, -1.0, 0.5]])
    agent = EGAME12.probabilities(u, "probit", "agent")
    assert agent[0] == pytest.approx([0.5, 0.25, 0.25])
    p4 = norm.cdf(0.5 / np.sqrt(2))
    p2 = norm.cdf(((1 - p4) * 0.0 + p4 * -1.0 - 1.0) / np.sqrt(2))
    assert agent[1] == pytest.approx([1 - p2, p2 * (1 - p4), p2 * p4])
    private = EGAME12.probabilities(u, "probit", "private")
    p2 = norm.cdf((p4 * -1.0 - 1.0) / np.sqrt(1 + (1 - p4) ** 2 + p4**2))
    assert private[1] == pytest.approx([1 - p2, p2 * (1 - p4), p2 * p4])
    logit = EGAME12.probabilities(u[1:], "logit", "agent")
    q4 = 1 / (1 + np.exp(-0.5 / np.sqrt(2)))
    q2 = 1 / (1 + np.exp(-(q4 * -1.0 - 1.0) / np.sqrt(2)))
    assert logit[0] == pytest.approx([1 - q2, q2 * (1 - q4), q2 * q4])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-40, 40), min_size=4, max_size=4),
    st.sampled_from(["probit", "logit"]),
    st.sampled_from(["agent", "private"]),
)
def test_outcome_probabilities_are_a_distribution(utilities, link, error):
    if (link, error) == ("logit", "private"):
        error = "agent"
    p = EGAME12.probabilities(np.array([utilities]), link, error)
    assert p.sum() == pytest.approx(1.0) and (p > 0).all()


def test_known_coefficients_are_recovered_from_simulated_data():
    """Draw 3,000 crises from known utilities and refit: each estimate within 4 standard errors."""
    rng = np.random.default_rng(11)
    n = 3000
    x, z = rng.normal(size=n), rng.normal(size=n)
    truth = np.array([0.3, -0.8, -0.5, 0.4, 1.0])  # u11: 1, x; u14: 1; u24: 1, z
    u = np.column_stack([truth[0] + truth[1] * x, np.zeros(n), np.full(n, truth[2]), truth[3] + truth[4] * z])
    p = EGAME12.probabilities(u, "probit", "agent")
    outcome = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    data = pd.DataFrame({"x": x, "z": z, "esc": (outcome > 0).astype(int), "war": (outcome == 2).astype(int)})
    result = fit("egame12", data, "esc + war ~ x | 0 | 1 | z")
    assert result.converged
    assert np.all(np.abs(result.estimates - truth) < 4 * result.se)
    assert result.names[0] == "u1(~esc):(Intercept)" and result.names[2] == "u1(esc,war):(Intercept)"


def test_one_outcome_column_names_the_outcomes_by_its_sorted_levels():
    from sim.datasets import load

    data = load("war1800")
    data["end"] = np.select([data.esc == 0, data.war == 0], ["a_sq", "b_capit"], "c_war")
    by_column = fit("egame12", data, "end ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2")
    by_decisions = fit("egame12", data, WAR)
    assert by_column.loglik == pytest.approx(by_decisions.loglik, abs=1e-6)
    assert by_column.names[0] == "u1(a_sq):(Intercept)" and by_column.names[-1] == "u2(c_war):regime2mixed"


def test_formula_parts():
    formula = parse_formula("a + b ~ x + y - 1 | 0 | 1 | z + 0", ("u11", "u13", "u14", "u24"))
    assert [(part.terms, part.intercept, part.fixed) for part in formula.parts] == [
        (("x", "y"), False, False), ((), False, True), ((), True, False), (("z",), False, False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("esc + war ~ s_wt_re1 | 0 | regime1", "4 utilities"),
        ("esc + war s_wt_re1 | 0 | 1 | 1", "one '~'"),
        ("esc + war ~ s_wt_re | 0 | 1 | 1", "did you mean"),
        ("esc + war ~ log(balanc) | 0 | 1 | 1", "not a column name"),
        ("esc + war ~ balanc - revis1 | 0 | 1 | 1", "'- 1'"),
        ("esc + year ~ 1 | 0 | 1 | 1", "must be 0 or 1"),
        ("year ~ 1 | 0 | 1 | 1", "3 distinct values"),
    ],
)
def test_unusable_formulas_are_refused_in_words(formula: str, message: str):
    with pytest.raises(FormulaError, match=message):
        fit("egame12", "war1800", formula)


def test_a_number_column_with_text_in_it_or_an_identifier_is_refused():
    from sim.datasets import load

    data = load("war1800")
    data["balanc"] = data["balanc"].astype(object)
    data.loc[5, "balanc"] = "."
    with pytest.raises(FormulaError, match=r"'balanc' holds numbers but also the text '\.' \(row 7"):
        fit("egame12", data, "esc + war ~ 1 | 0 | 1 | balanc")
    data = load("war1800")
    data["dispute"] = [f"d{k}" for k in range(len(data))]
    with pytest.raises(FormulaError, match="is it an identifier"):
        fit("egame12", data, "esc + war ~ 1 | 0 | 1 | dispute")


def test_options_are_checked():
    with pytest.raises(FormulaError, match="use --link probit"):
        fit("egame12", "war1800", WAR, link="logit", error="private")
    with pytest.raises(FormulaError, match="unknown model"):
        fit("egame99", "war1800", WAR)
    with pytest.raises(FormulaError, match="no such file"):
        fit("egame12", "nowhere.csv", WAR)
    with pytest.raises(FormulaError, match="no such file"):
        fit("egame12", "/dev/zero", WAR)  # a device is not a data file


def test_a_data_file_that_is_too_large_or_not_a_table_is_refused(tmp_path, monkeypatch):
    import sim.estimation.likelihood as fitting

    big = tmp_path / "big.csv"
    big.write_text("esc,war\n" + "0,0\n" * 50)
    monkeypatch.setattr(fitting, "MAX_DATA_BYTES", 100)
    with pytest.raises(FormulaError, match="more than the 100 allowed for data"):
        fit("egame12", big, "esc + war ~ 1 | 0 | 1 | 1")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(FormulaError, match="not a readable CSV or Parquet file"):
        fit("egame12", broken, "esc + war ~ 1 | 0 | 1 | 1")


def test_a_collinear_column_is_reported_not_tabled_as_nonsense():
    from sim.datasets import load

    data = load("war1800")
    data["copy"] = data["balanc"]
    result = fit("egame12", data, "esc + war ~ s_wt_re1 | 0 | 1 | balanc + copy")
    assert any("flat" in problem for problem in result.problems)


def test_sim_fit_prints_json_and_refuses_bad_input(capsys, tmp_path):
    out = tmp_path / "fit.json"
    assert main(["fit", "egame12", "--data", "war1800", "--formula", WAR, "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed)[:10] == ["model", "link", "error", "formula", "n", "dropped", "loglik", "aic", "converged",
                                  "problems"]  # fmt: skip
    assert printed["coefficients"][1]["name"] == "u1(~esc):s_wt_re1" and len(printed["data_sha256"]) == 64
    assert json.loads(out.read_text()) == printed
    assert main(["fit", "egame12", "--data", "war1800", "--formula", "esc + war ~ nothing | 0 | 1 | 1"]) == 2
    assert "sim: error: war1800 has no column 'nothing'" in capsys.readouterr().err
