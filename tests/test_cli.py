"""The `sim` command: output formats, files, and clear errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim import OUTCOMES, __version__
from sim.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_prints_a_table(capsys):
    code, out, _ = run_cli(capsys, "run", "coalition_2026", "--runs", "2000", "--seed", "7")
    assert code == 0
    for outcome in OUTCOMES:
        assert outcome.replace("_", " ") in out
    assert "95% interval" in out and "mean rounds" in out


def test_run_json_is_the_stable_summary(capsys):
    code, out, _ = run_cli(capsys, "run", "coalition_2026", "--runs", "2000", "--seed", "7", "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["runs"] == 2000 and summary["seed"] == 7 and summary["version"] == __version__
    assert sum(entry["p"] for entry in summary["outcomes"].values()) == pytest.approx(1.0)


def test_same_seed_same_json(capsys):
    first = run_cli(capsys, "run", "us_backstop", "--runs", "3000", "--seed", "3", "--json")[1]
    second = run_cli(capsys, "run", "us_backstop", "--runs", "3000", "--seed", "3", "--json")[1]
    assert first == second


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_out_files_carry_provenance(tmp_path, capsys, suffix):
    path = tmp_path / f"results{suffix}"
    code, _, err = run_cli(capsys, "run", "coalition_2026", "--runs", "1500", "--seed", "2", "--out", str(path))
    assert code == 0 and "saved 1500 rows" in err
    frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    assert len(frame) == 1500
    assert {"outcome", "rounds", "max_rung", "scenario", "scenario_sha256", "seed", "version"} <= set(frame.columns)
    assert set(frame["outcome"]) <= set(OUTCOMES)
    assert str(frame["seed"].iloc[0]) == "2"
    if suffix == ".parquet":
        metadata = pq.read_schema(path).metadata
        assert json.loads(metadata[b"sim.scenario_json"])["name"] == "coalition_2026"


def test_set_overrides_change_the_result(capsys):
    base = json.loads(run_cli(capsys, "run", "classroom_chicken", "--runs", "200", "--seed", "1", "--json")[1])
    changed = json.loads(
        run_cli(capsys, "run", "classroom_chicken", "--runs", "200", "--seed", "1", "--json",
                "--set", "russia.resolve_prior=1")[1]
    )  # fmt: skip
    assert base["outcomes"]["deterrence_holds"]["p"] == 1.0
    assert changed["outcomes"]["coalition_backs_down"]["p"] == 1.0
    assert base["scenario_sha256"] != changed["scenario_sha256"]


def test_trace_tells_the_story(capsys):
    code, out, _ = run_cli(capsys, "trace", "coalition_2026", "--seed", "7")
    assert code == 0
    assert "Round 1" in out and "expects: deploy" in out and "It chose to" in out and "Outcome after" in out


def test_trace_json(capsys):
    code, out, _ = run_cli(capsys, "trace", "classroom_chicken", "--seed", "1", "--json")
    trace = json.loads(out)
    assert code == 0 and trace["outcome"] == "deterrence_holds"
    actions = [decision["action"] for decision in trace["rounds"][0]["decisions"]]
    assert actions == ["deploy", "threaten", "threaten"]


def test_validate_and_list(capsys):
    code, out, _ = run_cli(capsys, "validate", "coalition_2026", "scenarios/us_backstop.toml")
    assert code == 0 and out.count(": ok") == 2
    code, out, _ = run_cli(capsys, "scenarios")
    assert code == 0 and "classroom_chicken" in out and "korea_1953_tripwire" in out


BAD_INPUTS = [
    (["validate", "BAD"], "russia.resolve_prior"),
    (["run", "BAD"], "russia.resolve_prior"),
    (["run", "coalition_2026", "--runs", "-5"], "--runs"),
    (["run", "coalition_2026", "--runs", "many"], "--runs"),
    (["run", "coalition_2026", "--seed", "-1"], "--seed"),
    (["run", "coalition_2026", "--set", "russia.payoffs.major_war=nan"], "russia.payoffs.major_war"),
    (["run", "coalition_2026", "--set", "russia.lambda=-1"], "russia.lambda"),
    (["run", "coalition_2026", "--set", "no_equals_sign"], "PATH=VALUE"),
    (["run", "coalition_2026", "--out", "results.xlsx"], ".parquet or .csv"),
    (["trace", "no_such_scenario"], "no such file"),
]


@pytest.mark.parametrize(("args", "words"), BAD_INPUTS)
def test_bad_input_exits_2_with_a_clear_message_and_no_traceback(tmp_path, args, words):
    bad = tmp_path / "bad.toml"
    bad.write_text("[russia]\nresolve_prior = 1.5\n")
    args = [str(bad) if arg == "BAD" else arg for arg in args]
    completed = subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert completed.returncode == 2, completed.stderr
    assert words in completed.stderr
    assert "Traceback" not in completed.stderr
    if str(bad) in args:
        assert str(bad) in completed.stderr, "the message names the file"


def test_a_bad_file_leaves_an_existing_results_file_untouched(tmp_path, capsys):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("rounds = 0\n")
    code, _, err = run_cli(capsys, "run", str(bad), "--out", str(out))
    assert code == 2 and "rounds" in err
    assert out.read_text() == "precious\n"


def test_saved_files_get_ordinary_permissions(tmp_path, capsys):
    import os

    path = tmp_path / "shared.csv"
    run_cli(capsys, "run", "classroom_chicken", "--runs", "10", "--out", str(path))
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


def test_a_reader_that_stops_early_is_not_an_error():
    """`sim trace ... | head`: a reader that closes the pipe ends the command quietly (here `true`,
    which closes it before the first line is written, so the pipe is always broken)."""
    import subprocess
    import sys

    pipeline = f"{sys.executable} -m sim trace coalition_2026 --seed 7 | true"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {pipeline}"], capture_output=True, text=True, timeout=120)
    assert done.stderr == ""
    assert done.returncode == 0
