"""Inference on fits: subsets, the seeded bootstrap, profile likelihoods, Vuong's and Clarke's tests,
predictions with intervals, and the sim fit options that reach them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.datasets import load
from sim.estimation import FormulaError, bootstrap, compare, fit
from sim.estimation.games import EGAME12

WAR = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"


def simulated(n: int = 1500, seed: int = 11) -> pd.DataFrame:
    """egame12 cases from known utilities: u11 = 0.3 - 0.8 x, u14 = -0.5, u24 = 0.4 + z."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    u = np.column_stack([0.3 - 0.8 * x, np.zeros(n), np.full(n, -0.5), 0.4 + 1.0 * z])
    p = EGAME12.probabilities(u, "probit", "agent")
    outcome = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return pd.DataFrame({"x": x, "z": z, "noise": rng.normal(size=n), "esc": (outcome > 0).astype(int),
                         "war": (outcome == 2).astype(int), "group": rng.choice(["a", "b"], n)})  # fmt: skip


SIMULATED = "esc + war ~ x | 0 | 1 | z"


# ---------------------------------------------------------------------------------------- subset


def test_a_subset_fits_the_rows_it_keeps():
    data = load("war1800")
    kept = fit("egame12", data, WAR, subset="year >= 1850")
    by_hand = fit("egame12", data[data.year >= 1850].reset_index(drop=True), WAR)
    assert kept.loglik == pytest.approx(by_hand.loglik, abs=1e-9) and kept.n == by_hand.n < 282
    assert kept.subset == "year >= 1850" and "rows where year >= 1850" in kept.summary()
    both = fit("egame12", data, WAR, subset="year >= 1850 and year < 1890")
    assert both.n == fit("egame12", data[(data.year >= 1850) & (data.year < 1890)], WAR).n


@pytest.mark.parametrize(
    ("subset", "message"),
    [
        ("yeer >= 1850", "did you mean year"),
        ("year >= 1850 or year < 1820", "cannot read"),
        ("__import__('os')", "cannot read"),
        ("regime1 > 3", "holds text"),
        ("year > 3000", "keeps no row"),
    ],
)
def test_a_subset_that_cannot_be_used_is_refused(subset, message):
    with pytest.raises(FormulaError, match=message):
        fit("egame12", "war1800", WAR, subset=subset)


def test_a_text_subset_compares_quoted_values():
    result = fit("egame12", "war1800", "esc + war ~ 1 | 0 | 1 | balanc", subset="regime1 == 'dem'")
    data = load("war1800")
    assert result.n == int((data.regime1 == "dem").sum() - data[data.regime1 == "dem"].balanc.isna().sum())


# ---------------------------------------------------------------------------------------- bootstrap


def test_the_bootstrap_is_seeded_and_independent_of_the_workers():
    data = simulated(400)
    one = bootstrap(fit("egame12", data, SIMULATED), 8, seed=5, workers=1).bootstrap
    two = bootstrap(fit("egame12", data, SIMULATED), 8, seed=5, workers=2).bootstrap
    other = bootstrap(fit("egame12", data, SIMULATED), 8, seed=6, workers=1).bootstrap
    assert one is not None and two is not None and other is not None
    assert np.array_equal(one["draws"], two["draws"])
    assert not np.array_equal(one["draws"], other["draws"])


def test_bootstrap_standard_errors_agree_with_the_hessian_on_a_well_behaved_model():
    """1,500 simulated cases, 60 replicates: each bootstrap se within 35% of the Hessian's (the
    se of a standard deviation from 60 draws is about 9%, so 35% is nearly 4 of them)."""
    result = bootstrap(fit("egame12", simulated(), SIMULATED), 60, seed=1, workers=1)
    assert result.bootstrap is not None
    assert result.bootstrap["se"] == pytest.approx(result.se, rel=0.35)
    frame = result.to_frame()
    assert (frame.boot_lower < frame.estimate).all() and (frame.estimate < frame.boot_upper).all()
    assert "bootstrap: 60 replicates, seed 1" in result.summary()


def test_a_bootstrap_needs_replicates_and_data():
    result = fit("egame12", simulated(300), SIMULATED)
    with pytest.raises(FormulaError, match="at least 2"):
        bootstrap(result, 1)
    result.problem = None
    with pytest.raises(FormulaError, match="without its data"):
        bootstrap(result, 10)


# ---------------------------------------------------------------------------------------- profile


def test_a_profile_peaks_at_the_estimate_and_its_interval_is_near_the_wald_one():
    result = fit("egame12", simulated(), SIMULATED)
    name = "u1(~esc):x"
    profile = result.profile(name, points=11)
    j = result.names.index(name)
    assert profile.loglik.max() <= result.loglik + 1e-6
    assert profile.loglik[5] == pytest.approx(result.loglik, abs=1e-6)  # the middle value is the estimate
    assert (profile.to_frame().deviance >= -1e-6).all()
    low, high = profile.interval
    assert low == pytest.approx(result.estimates[j] - 1.96 * result.se[j], abs=0.15 * result.se[j])
    assert high == pytest.approx(result.estimates[j] + 1.96 * result.se[j], abs=0.15 * result.se[j])
    with pytest.raises(FormulaError, match="did you mean u1"):
        result.profile("u1(~esc):xx")


# ---------------------------------------------------------------------------------------- Vuong, Clarke


def test_vuong_prefers_the_true_model_and_is_silent_between_a_model_and_itself():
    data = simulated(2000)
    truth = fit("egame12", data, SIMULATED)
    wrong = fit("egame12", data, "esc + war ~ noise | 0 | 1 | 1")
    test = compare(truth, wrong)
    assert test.vuong > 3 and test.vuong_p < 0.01 and "first" in test.verdict
    assert test.clarke > test.n / 2
    backwards = compare(wrong, truth)
    assert backwards.vuong == pytest.approx(-test.vuong)
    same = compare(truth, truth)
    assert same.vuong == 0.0 and same.vuong_p == 1.0 and "neither" in same.verdict


def test_fits_on_different_rows_cannot_be_compared():
    data = simulated(600)
    with pytest.raises(FormulaError, match="same data and rows"):
        compare(fit("egame12", data, SIMULATED), fit("egame12", data, SIMULATED, subset="x > 0"))
    with pytest.raises(FormulaError, match="'none' or 'bic'"):
        compare(fit("egame12", data, SIMULATED), fit("egame12", data, SIMULATED), correction="aic")


# ---------------------------------------------------------------------------------------- predictions


def test_predictions_at_the_data_are_the_fitted_probabilities_with_intervals_around_them():
    result = fit("egame12", "war1800", WAR)
    assert result.problem is not None and result.rows is not None
    predicted = result.predict(result.rows.head(20), seed=3)
    fitted = result.problem.probabilities(result.estimates)[:20]
    for k, name in enumerate(result.outcome_names):
        assert predicted[f"p({name})"].to_numpy() == pytest.approx(fitted[:, k])
        assert (predicted[f"lower({name})"] <= predicted[f"p({name})"] + 1e-9).all()
        assert (predicted[f"p({name})"] <= predicted[f"upper({name})"] + 1e-9).all()
    again = result.predict(result.rows.head(20), seed=3)
    pd.testing.assert_frame_equal(predicted, again)
    assert not predicted.equals(result.predict(result.rows.head(20), seed=4))


def test_intervals_cover_the_true_probability_about_as_often_as_they_say():
    """20 data sets from known coefficients: the 95% interval at x = 1 covers the true probability of
    the status quo in at least 16 (the chance of fewer under 95% coverage is below 0.3%)."""
    truth = EGAME12.probabilities(np.array([[0.3 - 0.8, 0.0, -0.5, 0.4]]), "probit", "agent")[0, 0]
    covered = 0
    for seed in range(20):
        result = fit("egame12", simulated(500, seed=100 + seed), SIMULATED)
        row = result.predict(pd.DataFrame({"x": [1.0], "z": [0.0]}), draws=400, seed=seed)
        covered += row["lower(~esc)"][0] <= truth <= row["upper(~esc)"][0]
    assert covered >= 16


def test_predictions_over_a_column_hold_the_others_at_their_means_and_reference_levels():
    result = fit("egame12", "war1800", WAR)
    over = result.predict_over("balanc", points=7)
    assert len(over) == 7 and over.balanc.is_monotonic_increasing
    assert (over.regime1 == "autoc").all() and over.s_wt_re1.nunique() == 1
    with pytest.raises(FormulaError, match="did you mean balanc"):
        result.predict_over("balance")
    with pytest.raises(FormulaError, match="not a numeric column"):
        result.predict_over("regime1")


def test_new_data_must_carry_the_formula_columns_and_known_levels():
    result = fit("egame12", "war1800", WAR)
    assert result.rows is not None
    with pytest.raises(FormulaError, match="did you mean balanc"):
        result.predict(result.rows.head(3).rename(columns={"balanc": "balance"}))
    odd = result.rows.head(3).assign(regime1="monarchy")
    with pytest.raises(FormulaError, match="'monarchy', unknown to the fit"):
        result.predict(odd)


# ---------------------------------------------------------------------------------------- the command


def test_sim_fit_bootstraps_profiles_compares_and_plots(capsys, tmp_path):
    plot = tmp_path / "over.html"
    argv = ["fit", "egame12", "--data", "war1800", "--formula", "esc + war ~ s_wt_re1 | 0 | 1 | balanc",
            "--boot", "4", "--seed", "2", "--workers", "1", "--profile", "u1(~esc):s_wt_re1",
            "--compare-formula", "esc + war ~ 1 | 0 | 1 | balanc", "--plot-over", "balanc", "--plot", str(plot),
            "--json"]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["bootstrap"]["seed"] == 2 and report["bootstrap"]["replicates"] == 4
    assert report["coefficients"][0]["boot_se"] > 0
    assert report["profiles"][0]["lower"] < report["coefficients"][1]["estimate"] < report["profiles"][0]["upper"]
    assert report["comparison"]["against"]["formula"] == "esc + war ~ 1 | 0 | 1 | balanc"
    assert len(report["predictions"]) == 50
    page = plot.read_text()
    assert page.startswith("<!doctype html>") and "predicted outcomes over balanc" in page
    assert main(argv[:-1]) == 0  # the table: the same numbers in words
    text = capsys.readouterr().out
    assert "boot se" in text and "profile likelihood of u1(~esc):s_wt_re1: 95% interval" in text
    assert "Vuong (BIC-corrected)" in text


def test_sim_fit_draws_a_png(capsys, tmp_path):
    plot = tmp_path / "over.png"
    assert main(["fit", "egame12", "--data", "war1800", "--formula", WAR, "--plot-over", "balanc",
                 "--plot", str(plot)]) == 0  # fmt: skip
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--plot", "x.html"], "--plot needs --plot-over"),
        (["--plot-over", "balanc", "--plot", "x.txt"], "a plot must end in"),
        (["--subset", "year >>= 3"], "cannot read"),
        (["--profile", "nothing"], "no coefficient 'nothing'"),
        (["--compare-formula", "esc + war ~ 1 | 0 | 1 | nothing"], "no column 'nothing'"),
    ],
)
def test_sim_fit_refuses_bad_options_with_exit_2(capsys, extra, message):
    assert main(["fit", "egame12", "--data", "war1800", "--formula", WAR, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_usage_error_exits_2_while_the_arguments_are_read(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["fit", "egame12", "--data", "war1800", "--formula", WAR, "--boot", "1"])
    assert stopped.value.code == 2 and "--boot: must be at least 2" in capsys.readouterr().err


def test_a_fixed_tree_file_model_and_egame123_from_the_command_line(capsys, tmp_path):
    rng = np.random.default_rng(2)
    n = 600
    data = pd.DataFrame({"a1": rng.integers(0, 2, n), "a2": rng.integers(0, 2, n), "a3": rng.integers(0, 2, n),
                         "x": rng.normal(size=n)})  # fmt: skip
    path = tmp_path / "cases.csv"
    data.to_csv(path, index=False)
    formula = "a1 + a2 + a3 ~ x | 0 | 1 | 0 | 0 | 1 | 0 | 1"
    assert main(["fit", "egame123", "--data", str(path), "--formula", formula, "--link", "logit", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "egame123" and report["n"] == n
    assert [c["name"] for c in report["coefficients"]][-1] == "u3(a1,a2,a3):(Intercept)"
    assert main(["fit", "egame99", "--data", str(path), "--formula", formula]) == 2
    assert "unknown model 'egame99'" in capsys.readouterr().err


def test_the_python_examples_in_the_estimation_guide_run():
    """Every ```python block of docs/how-to/estimation.md, run in order in one namespace."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "how-to" / "estimation.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "estimation.md", "exec"), namespace)
    assert namespace["test"].n == 282 and namespace["predicted"].shape[0] == 2
