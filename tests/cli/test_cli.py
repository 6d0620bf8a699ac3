"""The `sim` command: output formats, files, and clear errors with exit status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim import OUTCOMES, __version__
from sim.cli.main import main


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
                "--set", "coalition.audience_cost=0")[1]
    )  # fmt: skip
    assert base["outcomes"]["deterrence_holds"]["p"] == 1.0
    assert changed["outcomes"]["coalition_backs_down"]["p"] == 1.0  # the threat to resist is no longer credible
    assert base["scenario_sha256"] != changed["scenario_sha256"]


def test_trace_tells_the_story(capsys):
    code, out, _ = run_cli(capsys, "trace", "coalition_2026", "--seed", "7")
    assert code == 0
    assert "Round 1" in out and "weighs its moves:" in out and "It chose to" in out and "Outcome after" in out
    assert "Threatening is worth " in out and " this round and " in out and " for the rest of the crisis (" in out
    assert "Backing down is worth " in out and ", all of it this round." in out


def test_trace_tells_the_answers_after_a_strike(capsys):
    """Seed 4: Russia strikes in round 1; the coalition resists and the US joins, each told in words."""
    code, out, _ = run_cli(capsys, "trace", "coalition_2026", "--seed", "4")
    assert code == 0
    assert "Russia has used force: UK-France-led coalition (resolute; " in out
    assert "weighs its answer; the crisis ends this round either way:" in out
    assert "Resisting is worth " in out and "Conceding is worth " in out
    assert "The coalition fights back: United States (resolute; " in out and "weighs whether to join" in out
    assert "It chose to join (probability " in out and "Staying out is worth " in out


def test_trace_json(capsys):
    code, out, _ = run_cli(capsys, "trace", "classroom_chicken", "--seed", "1", "--json")
    trace = json.loads(out)
    assert code == 0 and trace["outcome"] == "deterrence_holds"
    decisions = trace["rounds"][0]["decisions"]
    assert [decision["action"] for decision in decisions] == ["deploy", "threaten", "threaten"]
    assert {decision["stage"] for decision in decisions} == {"move"}
    for decision in decisions:
        assert set(decision["later"]) == set(decision["utility"]) == set(decision["probability"])
    assert decisions[0]["later"]["back_down"] == 0.0  # backing down ends the crisis: nothing later


def documented(command: str) -> str:
    """What docs/reference/cli.md shows a command printing: the block that opens with ``$ command``."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    if command.endswith("--json"):  # the JSON is shown in its own block, after the command's
        match = re.search(rf"\$ {re.escape(command)}\n```\n\n```json\n(.*?)\n```", text, re.S)
    else:
        match = re.search(rf"\$ {re.escape(command)}\n(.*?)\n```", text, re.S)
    assert match, f"docs/reference/cli.md shows no output of {command!r}"
    return match.group(1)


@pytest.mark.parametrize(
    "command",
    [
        "sim trace coalition_2026 --seed 2",
        "sim trace classroom_chicken --seed 1 --json",
        "sim run coalition_2026 --runs 20000 --seed 7",
    ],
)
def test_the_documented_outputs_are_what_sim_prints(capsys, command):
    """docs/reference/cli.md shows real output: regenerate it with the command when the model changes."""
    code, out, _ = run_cli(capsys, *command.split()[1:])
    assert code == 0
    assert out.rstrip("\n") == documented(command)


def test_trace_json_names_the_answers_after_a_strike(capsys):
    code, out, _ = run_cli(capsys, "trace", "coalition_2026", "--seed", "4", "--json")
    assert code == 0
    decisions = json.loads(out)["rounds"][0]["decisions"]
    answers = [(d["actor"], d["stage"], d["action"]) for d in decisions if d["stage"] == "after a strike"]
    assert answers == [("coalition", "after a strike", "resist"), ("us", "after a strike", "join")]
    assert set(decisions[2]["utility"]) == {"resist", "concede"}
    assert set(decisions[3]["utility"]) == {"join", "stay_out"}


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


def test_a_run_without_a_seed_draws_one_prints_it_and_can_be_repeated(capsys):
    """No --seed: a seed is drawn from the operating system's entropy (SeedSequence), printed and
    stored, and giving it back repeats the run exactly."""
    code, out, _ = run_cli(capsys, "run", "us_backstop", "--runs", "3000", "--json", "--set", "rounds=3")
    first = json.loads(out)
    assert code == 0 and isinstance(first["seed"], int) and first["seed"] >= 0
    again = json.loads(run_cli(capsys, "run", "us_backstop", "--runs", "3000", "--json", "--set", "rounds=3",
                               "--seed", str(first["seed"]))[1])  # fmt: skip
    assert again == first
    other = json.loads(run_cli(capsys, "run", "us_backstop", "--runs", "3000", "--json", "--set", "rounds=3")[1])
    assert other["seed"] != first["seed"]
    code, out, _ = run_cli(capsys, "run", "classroom_chicken", "--runs", "10")
    assert re.search(r"10 runs, seed \d{6,}, ", out), out.splitlines()[1]
    trace = json.loads(run_cli(capsys, "trace", "classroom_chicken", "--json")[1])
    assert isinstance(trace["seed"], int)
    assert json.loads(run_cli(capsys, "trace", "classroom_chicken", "--json", "--seed", str(trace["seed"]))[1]) == trace


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["run", "coalitoin_2026"], "did you mean coalition_2026?"),
        (["run", "coalition_2026", "--set", "russia.resolve=0.5"], "did you mean russia.resolve_prior?"),
        (["run", "coalition_2026", "--set", "russia.rationality=2"], "(did you mean russia.lambda?)"),
        (["run", "coalition_2026", "--set", "coalition.members.1.exit_cst=2"], "mean coalition.members.1.exit_cost"),
        (["run", "coalition_2026", "--set", "russia.resolve_prior", "0.5"], "write --set russia.resolve_prior=0.5"),
        (["sweep", "us_backstop", "--param", "russia.resolve_prior=0.2-0.8"], "(russia.resolve_prior=0.2:0.8)"),
    ],
)  # fmt: skip
def test_common_mistakes_get_a_hint_and_exit_2(capsys, args, hint):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and hint in err and "Traceback" not in err and not out


def _subcommands() -> dict[str, object]:
    import argparse

    from sim.cli.main import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_help_says_what_it_does_and_shows_examples_that_parse(name):
    """``sim COMMAND --help`` opens with a one-line description and ends with examples; each
    example is a command line the parser accepts as written (continuation lines joined)."""
    import shlex

    from sim.cli.main import build_parser

    sub = _subcommands()[name]
    text = sub.format_help()
    assert sub.description and sub.description.endswith(".")
    assert "examples:" in text
    lines = sub.epilog.split("\n")[1:]
    commands: list[str] = []
    for line in lines:
        if commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1] + line
        else:
            commands.append(line.strip())
    assert commands and all(command.startswith(f"sim {name}") for command in commands)
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        assert args.command == name


def test_the_seed_help_says_what_happens_without_one(capsys):
    for name in ("run", "trace"):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "one is drawn, printed and stored" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("source", ["coalition_2026", "korea_1953_tripwire", "divided_coalition"])
def test_sim_new_writes_a_commented_scenario_that_runs_as_its_source(capsys, monkeypatch, tmp_path, source):
    """``sim new`` copies a built-in scenario with every comment, retitled: the same model, so
    the same numbers for the same seed, under a new name and title."""
    from sim.domain.scenario import builtin_scenarios, load_scenario

    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "new", "my_crisis", "--from", source)
    assert code == 0 and "wrote my_crisis.toml" in out
    text = (tmp_path / "my_crisis.toml").read_text(encoding="utf-8")
    original = builtin_scenarios()[source].read_text(encoding="utf-8")
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#") or " # " in line]
    assert sum(line in text for line in comments[1:]) == len(comments) - 1  # every comment but the first kept
    mine, theirs = load_scenario(tmp_path / "my_crisis.toml"), load_scenario(source)
    assert mine.title == f"my_crisis (from {source})" and mine.name == "my_crisis"
    assert mine.model_dump(exclude={"title", "name"}) == theirs.model_dump(exclude={"title", "name"})


def test_sim_new_never_overwrites_and_explains_bad_names(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "new", "mine")[0] == 0
    (tmp_path / "mine.toml").write_text('title = "edited by hand"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "new", "mine")
    assert code == 2 and "already exists" in err and "--force" in err
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == 'title = "edited by hand"\n'  # nothing lost
    assert run_cli(capsys, "new", "mine", "--force")[0] == 0
    code, _, err = run_cli(capsys, "new", "../elsewhere")
    assert code == 2 and "plain name" in err and not (tmp_path.parent / "elsewhere.toml").exists()
    code, _, err = run_cli(capsys, "new", "k", "--from", "korea")
    assert code == 2 and "did you mean korea_1953_tripwire?" in err and "Traceback" not in err


def test_run_engine_numpy_prints_the_same_numbers(capsys):
    compiled = run_cli(capsys, "run", "coalition_2026", "--runs", "3000", "--seed", "5", "--json")
    numpy = run_cli(capsys, "run", "coalition_2026", "--runs", "3000", "--seed", "5", "--json", "--engine", "numpy")
    assert compiled[0] == numpy[0] == 0 and compiled[1] == numpy[1]
    with pytest.raises(SystemExit) as stop:
        main(["run", "coalition_2026", "--engine", "numba"])
    assert stop.value.code == 2 and "invalid choice: 'numba'" in capsys.readouterr().err
