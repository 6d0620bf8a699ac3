"""Calibrating a scenario to outcome counts (sim.estimation.calibrate, ``sim calibrate``).

The engine's exact outcome distribution is checked against two independent references: the
engine's own Monte Carlo shares, and for one round the exact game tree solved by the project's
logit QRE solver. Recovery tests draw counts from the engine at known field values (fixed seeds),
calibrate from other starting values and require the 95% profile interval to cover the truth and
the estimate to lie within a stated tolerance of it. One-round scenarios keep each likelihood
evaluation to milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import math

import pytest

from sim.cli.main import main
from sim.domain.ladder import ACTORS, OUTCOMES
from sim.domain.scenario import load_scenario, with_overrides
from sim.estimation.calibrate import calibrate
from sim.estimation.outcomes import CalibrationError, counts_csv, engine_outcome_probabilities, read_counts
from sim.game.crisis import behaviour_of, crisis_tree, outcome_probabilities
from sim.game.qre import logit_qre
from sim.runs.montecarlo import run_monte_carlo

RUNS = 100_000
SEED = 20261207
DRAWS = 3_000  # crises per simulated data set


def one_round(name: str = "coalition_2026", **overrides: object):
    return with_overrides(load_scenario(name), {"rounds": 1, **overrides})


def simulated_counts(scenario, truth: dict[str, float], seed: int = 1) -> dict[str, int]:
    return run_monte_carlo(with_overrides(scenario, truth), runs=DRAWS, seed=seed).outcome_counts()


# ------------------------------------------------------------------------- the exact distribution


@pytest.mark.parametrize(("name", "rounds"), [("coalition_2026", 1), ("coalition_2026", 2), ("korea_1953_tripwire", 2)])
def test_exact_outcomes_agree_with_the_engines_simulation(name: str, rounds: int):
    """Within four standard errors of a share (0.0063 at RUNS) of the engine's simulated shares."""
    scenario = with_overrides(load_scenario(name), {"rounds": rounds})
    exact = engine_outcome_probabilities(scenario)
    assert list(exact) == list(OUTCOMES) and sum(exact.values()) == pytest.approx(1.0, abs=1e-12)
    simulated = run_monte_carlo(scenario, runs=RUNS, seed=SEED).probabilities()
    for outcome in OUTCOMES:
        assert abs(exact[outcome] - simulated[outcome]) <= 4 * math.sqrt(0.25 / RUNS), outcome


def test_exact_outcomes_are_the_game_trees_for_one_round():
    """One round, every actor a forward-looking logit chooser: the outcome probabilities of the
    exact tree's agent QRE (the project's tree solver) are the recursion's, to 1e-6."""
    overrides: dict[str, object] = {}
    for key in ACTORS:
        overrides |= {f"{key}.rule": "logit", f"{key}.lambda": 1.0, f"{key}.foresight": "forward"}
    scenario = one_round(**overrides)
    game = crisis_tree(scenario)
    tree = outcome_probabilities(game, behaviour_of(game, logit_qre(game, 1.0).profile))
    assert engine_outcome_probabilities(scenario) == pytest.approx(tree, abs=1e-6)


# ------------------------------------------------------------------------- recovery


def test_recovers_one_field():
    """russia.lambda = 0.8 from 3,000 crises, started at 1.5: covered, and within 0.15."""
    base = one_round()
    counts = simulated_counts(base, {"russia.lambda": 0.8})
    result = calibrate(base, counts, ["russia.lambda"])
    (item,) = result.fields
    assert result.converged and not result.problems
    assert item.start == 1.5 and item.identified
    assert item.ci95[0] is not None and item.ci95[1] is not None
    assert item.ci95[0] < 0.8 < item.ci95[1]
    assert abs(item.estimate - 0.8) < 0.15
    assert result.scenario.russia.rationality == pytest.approx(item.estimate)
    # the interval's ends are where the likelihood ratio is the chi2(1) 95% point
    for end in item.ci95:
        changed = with_overrides(base, {"russia.lambda": end})
        p = engine_outcome_probabilities(changed)
        loglik = sum(n * math.log(p[k]) for k, n in counts.items() if n)
        assert 2 * (result.loglik - loglik) == pytest.approx(3.841, abs=0.02)


def test_recovers_two_fields():
    """russia.lambda = 0.8 and escalation.base = 0.3 (started at 1.5 and 0.1): both covered, and
    each estimate within 2.5 standard errors of the truth (the SE read off the 95% profile
    interval's width, 2 x 1.96 SE; one data set of 3,000 crises, so a fixed tolerance would be
    tighter than the data allow for lambda)."""
    base = one_round()
    truth = {"russia.lambda": 0.8, "escalation.base": 0.3}
    result = calibrate(base, simulated_counts(base, truth), list(truth))
    assert result.converged and not result.problems
    for item in result.fields:
        low, high = item.ci95
        assert low is not None and high is not None and low < truth[item.path] < high, item
        assert abs(item.estimate - truth[item.path]) < 2.5 * (high - low) / 3.92, item


def test_a_field_without_effect_is_not_identified():
    """The US's lambda is unused when it plays best responses: reported, left at its start, no interval."""
    base = one_round(**{"us.rule": "best_response"})
    result = calibrate(base, simulated_counts(base, {}), ["us.lambda"])
    (item,) = result.fields
    assert not item.identified and item.estimate == item.start and item.ci95 == (None, None)
    assert any("us.lambda is not identified" in problem for problem in result.problems)
    assert "not identified" in result.summary()


def test_an_estimate_at_a_bound_is_reported():
    """Data with more major wars than any escalation.base up to 0.05 allows: the estimate sits at 0.05."""
    base = one_round()
    counts = simulated_counts(base, {"escalation.base": 0.4})
    result = calibrate(base, counts, ["escalation.base=0:0.05"], intervals=False)
    assert result.fields[0].estimate == pytest.approx(0.05, abs=1e-4)
    assert any("upper bound" in problem for problem in result.problems)


# ------------------------------------------------------------------------- the command line


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_writes_a_scenario_that_validates(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    counts = simulated_counts(one_round(), {"russia.lambda": 0.8}, seed=2)
    (tmp_path / "counts.csv").write_text(counts_csv(counts), encoding="utf-8")
    digest = hashlib.sha256((tmp_path / "counts.csv").read_bytes()).hexdigest()
    args = ["calibrate", "coalition_2026", "--set", "rounds=1", "--outcomes", "counts.csv"]
    code, out, err = run([*args, "--free", "russia.lambda=0:5", "--out", "fitted.toml", "--json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["data_sha256"] == digest and report["n"] == DRAWS and report["converged"]
    (field,) = report["fields"]
    assert field["path"] == "russia.lambda" and field["ci95"][0] < 0.8 < field["ci95"][1]
    text = (tmp_path / "fitted.toml").read_text(encoding="utf-8")
    assert digest in text and "russia.lambda = " in text.split("\n\n")[0]
    fitted = load_scenario("./fitted.toml")
    assert fitted.rounds == 1 and fitted.russia.rationality == pytest.approx(field["estimate"])
    code, out, _ = run(["validate", "fitted.toml"], capsys)
    assert code == 0 and "fitted.toml: ok" in out


def test_read_counts_and_its_hash(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"outcome,count\nmajor_war,3\ndeterrence_holds,7\n")
    counts, digest = read_counts(path)
    assert counts == {"deterrence_holds": 7, "coalition_backs_down": 0, "russia_backs_down": 0,
                      "limited_clash": 0, "major_war": 3}  # fmt: skip
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


BAD_COUNTS = [
    ("outcome,count\nmajor_warr,3\n", "line 2: unknown outcome 'major_warr' (did you mean major_war?)"),
    ("outcome,count\nmajor_war,-3\n", "line 2: major_war: a count cannot be negative"),
    ("outcome,count\nmajor_war,0\nlimited_clash,0\n", "every count is zero"),
    ("outcome,count\nmajor_war,2.5\n", "line 2: major_war: the count must be a whole number"),
    ("outcome,count\nmajor_war,1\nmajor_war,2\n", "line 3: major_war is counted twice"),
    ("result,n\nmajor_war,1\n", "line 1: expected the header outcome,count"),
]


@pytest.mark.parametrize(("text", "message"), BAD_COUNTS)
def test_bad_counts_exit_2_naming_file_and_line(tmp_path, capsys, text, message):
    path = tmp_path / "counts.csv"
    path.write_text(text, encoding="utf-8")
    args = ["calibrate", "coalition_2026", "--outcomes", str(path), "--free", "russia.lambda"]
    code, out, err = run(args, capsys)
    assert code == 2 and not out
    assert err.startswith(f"sim: error: {path}: ") and message in err and "Traceback" not in err


BAD_FIELDS = [
    ("russia.lamda", "--free russia.lamda: not a scenario field (did you mean russia.lambda?)"),
    ("russia.rule", "--free russia.rule: not a number"),
    ("rounds", "--free rounds: a whole number"),
    ("russia.lambda=5:1", "--free russia.lambda=5:1: write a range as PATH=LOW:HIGH"),
    ("escalation.base=0:2", "--free escalation.base: the range 0:2 leaves its bounds 0:1"),
    ("russia.lambda,russia.lambda", "--free russia.lambda: named twice"),
]


@pytest.mark.parametrize(("free", "message"), BAD_FIELDS)
def test_bad_free_fields_exit_2_with_a_hint(tmp_path, capsys, free, message):
    path = tmp_path / "counts.csv"
    path.write_text("outcome,count\nmajor_war,1\n", encoding="utf-8")
    code, out, err = run(["calibrate", "coalition_2026", "--outcomes", str(path), "--free", free], capsys)
    assert code == 2 and not out
    assert message in err and "Traceback" not in err


def test_a_missing_counts_file_and_a_field_the_scenario_lacks(tmp_path, capsys):
    code, _, err = run(["calibrate", "coalition_2026", "--outcomes", "nope.csv", "--free", "russia.lambda"], capsys)
    assert code == 2 and "nope.csv: cannot read the counts file" in err
    with pytest.raises(CalibrationError, match="counts: unknown outcome 'war'"):
        calibrate(one_round(), {"war": 3}, ["russia.lambda"])
    path = tmp_path / "counts.csv"
    path.write_text("outcome,count\nmajor_war,1\n", encoding="utf-8")
    args = ["calibrate", "coalition_2026", "--outcomes", str(path), "--free", "coalition.members.9.exit_cost"]
    code, _, err = run(args, capsys)
    assert code == 2 and "coalition.members.9.exit_cost" in err and "Traceback" not in err
