"""Hostile inputs: no scenario file, name or option can hang `sim`, fill its memory or change what
a built-in scenario means (issue 10).

Every case runs the real command in a child process, under a memory limit and a time limit, in a
folder of its own: it must exit with status 2, say which file and which field, print no
traceback, and write nothing. Before these checks, `extends = "/dev/zero"` read until memory ran
out, `/dev/stdin` and a FIFO waited forever, 1 kB of nested brackets raised a RecursionError, and
`--runs 1000000000000` ran for months.

The cases that are a file and a command are in the corpus, ``tests/hostile/`` (run by
``test_hostile_corpus.py``); here are those that need a file made at run time (a FIFO, a folder, a
file over the size cap), several commands, or the Python API.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_cli import refused, sim

from sim.domain.limits import (
    MAX_FILE_BYTES,
    MAX_MEMBERS,
    MAX_NESTING,
    MAX_ROUNDS,
    MAX_RUN_WORK,
    MAX_RUNS,
    run_work,
)
from sim.domain.scenario import (
    ScenarioError,
    builtin_scenarios,
    is_builtin_name,
    load_scenario,
    parse_assignment,
    scenario_from_dict,
)
from sim.studies.sweeps import SweepError, sweep

LIMITS_DOC = Path(__file__).resolve().parents[1] / "docs" / "reference" / "limits.md"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------------------------------------
# Files: only regular files, within the size cap, nested within the limit


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _fifo(folder: Path, name: str) -> None:
    os.mkfifo(folder / name)


def _folder(folder: Path, name: str) -> None:
    (folder / name).mkdir()


Setup = Callable[[Path], None]

# id: (files to make, the command, the file the message must name, the field, words it must say)
HOSTILE_FILES: dict[str, tuple[Setup, list[str], str, str, str]] = {
    "the file is a folder": (
        lambda f: _folder(f, "crisis"), ["validate", "./crisis"], "./crisis", "", "a folder, not a regular file",
    ),
    "extends a folder": (
        lambda f: (_folder(f, "base"), _write(f, "child.toml", 'extends = "./base"\n')),
        ["validate", "child.toml"], "child.toml", "extends", "./base: cannot read the file: a folder",
    ),
    "the file is a FIFO": (
        lambda f: _fifo(f, "pipe.toml"), ["validate", "pipe.toml"], "pipe.toml", "", "a pipe (FIFO), not a regular",
    ),
    "extends a FIFO": (
        lambda f: (_fifo(f, "pipe.toml"), _write(f, "child.toml", 'extends = "pipe.toml"\n')),
        ["run", "child.toml", "--runs", "200"], "child.toml", "extends", "pipe.toml: cannot read the file: a pipe",
    ),
    "a FIFO named like a game file (sim solve peeks at .toml files)": (
        lambda f: _fifo(f, "game.toml"), ["solve", "game.toml"], "game.toml", "", "a pipe (FIFO)",
    ),
    "a file over the size cap": (
        lambda f: _write(f, "big.toml", 'title = "big"\n' + "#" * MAX_FILE_BYTES + "\n"),
        ["validate", "big.toml"], "big.toml", "", f"more than the {MAX_FILE_BYTES:,} allowed",
    ),
    "extends a file over the size cap": (
        lambda f: (_write(f, "big.toml", "#" * (MAX_FILE_BYTES + 1)), _write(f, "child.toml", 'extends = "big.toml"')),
        ["validate", "child.toml"], "child.toml", "extends", f"more than the {MAX_FILE_BYTES:,} allowed",
    ),
    "a dotted key of 100,000 parts (the TOML reader is quadratic in it)": (
        lambda f: _write(f, "deep.toml", "a" + ".a" * 100_000 + " = 1\n"),
        ["validate", "deep.toml"], "deep.toml", "a.a.a...", f"more than {MAX_NESTING} levels deep",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_naming_the_file_and_the_field(tmp_path, case):
    setup, args, source, field, words = HOSTILE_FILES[case]
    setup(tmp_path)
    err = refused(tmp_path, *args)
    expected = f"{source}: {field}: " if field else f"{source}: "
    assert expected in err, err
    assert words in err, err


def refused_with_open_pipe(folder: Path, *args: str) -> str:
    """:func:`refused` with standard input an open pipe nobody writes to (reading it would wait forever)."""
    reader, writer = os.pipe()
    try:
        return refused(folder, *args, stdin=reader)
    finally:
        os.close(reader)
        os.close(writer)


def test_extends_dev_stdin_does_not_wait_for_input(tmp_path):
    """Standard input is an open pipe nobody writes to: reading it would wait forever."""
    _write(tmp_path, "child.toml", 'extends = "/dev/stdin"\ntitle = "x"\n')
    err = refused_with_open_pipe(tmp_path, "validate", "child.toml")
    assert "child.toml: extends: /dev/stdin: cannot read the file: a pipe (FIFO)" in err, err


def test_the_file_dev_stdin_is_refused_when_it_is_a_pipe(tmp_path):
    err = refused_with_open_pipe(tmp_path, "validate", "/dev/stdin")
    assert "/dev/stdin: cannot read the file: a pipe (FIFO), not a regular file" in err, err


def test_deep_nesting_in_an_override_is_refused(tmp_path):
    err = refused(tmp_path, "run", "coalition_2026", "--runs", "200", "--set", f"russia.plan={nested(600)}")
    assert f"--set: russia.plan: tables and arrays nested more than {MAX_NESTING} levels deep" in err, err


def test_overrides_from_the_command_line_are_still_numbers(tmp_path):
    """--set values are read as TOML, so `russia.lambda=2` is the number 2, as the schema needs."""
    done = sim(tmp_path, "run", "coalition_2026", "--runs", "200", "--seed", "1", "--json",
               "--set", "russia.lambda=2", "--set", "rounds=5", "--set", "coalition.members.0.troops=4.5")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rounds"] == 5


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("russia.lambda", True, "Input should be a number, not true or false"),
        ("rounds", True, "Input should be a whole number, not true or false"),
        ("russia.resolve_prior", False, "Input should be a number, not true or false"),
        ("us.believed_resolve", True, "Input should be a number, not true or false"),
        ("rounds", "20", "Input should be a whole number, not text"),
        ("coalition.members.0.troops", "6", "Input should be a number, not text"),
        ("escalation.base", "0.1", "Input should be a number, not text"),
        ("discount", "0.9", "Input should be a number, not text"),
    ],
)
def test_the_schema_refuses_booleans_and_text_where_a_number_belongs(path, value, words):
    raw = {"title": "t", "coalition": {"members": [{"name": "A", "troops": 5}]}}
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(raw, "typed.toml", {path: value})
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    [(field, message)] = caught.value.problems
    assert field == path and message.startswith(words) and message.endswith(f"(got {shown}) [overridden]")


def test_the_schema_still_takes_integers_for_decimals():
    scenario = scenario_from_dict({"rounds": 20, "russia": {"lambda": 2, "resolve_prior": 1}}, "ints.toml")
    assert scenario.russia.rationality == 2.0 and isinstance(scenario.russia.rationality, float)
    assert scenario.russia.resolve_prior == 1.0 and scenario.rounds == 20


# ---------------------------------------------------------------------------------------------
# Names: a bare name is a built-in scenario, whatever files the folder holds


def test_a_local_file_cannot_change_what_a_built_in_name_means(tmp_path):
    """`us_backstop` extends `coalition_2026`: a file of that name here used to replace it."""
    _write(tmp_path, "coalition_2026", "rounds = 3\n")
    done = sim(tmp_path, "run", "us_backstop", "--runs", "200", "--seed", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rounds"] == load_scenario("us_backstop").rounds == 20
    done = sim(tmp_path, "run", "coalition_2026", "--runs", "200", "--seed", "1", "--json")
    assert json.loads(done.stdout)["rounds"] == 20, "the bare name is the built-in one"
    done = sim(tmp_path, "validate", "./coalition_2026")
    assert done.returncode == 0 and "./coalition_2026: ok" in done.stdout, "a path names the file"


def test_a_folder_named_like_a_built_in_is_ignored(tmp_path):
    (tmp_path / "coalition_2026").mkdir()
    done = sim(tmp_path, "validate", "us_backstop", "coalition_2026")
    assert done.returncode == 0, done.stderr


def test_a_bare_name_of_a_local_file_says_to_write_a_path(tmp_path):
    _write(tmp_path, "my_crisis", 'title = "mine"\n')
    err = refused(tmp_path, "run", "my_crisis", "--runs", "200")
    assert "my_crisis: not a built-in scenario" in err and "write ./my_crisis" in err, err
    assert sim(tmp_path, "validate", "./my_crisis").returncode == 0


def test_relative_extends_resolve_beside_the_extending_file(tmp_path):
    _write(tmp_path, "base.toml", 'title = "the wrong base, in the current folder"\nrounds = 3\n')
    _write(tmp_path, "crises/base.toml", 'title = "base"\nrounds = 7\n')
    _write(tmp_path, "crises/plain", 'title = "plain base"\nrounds = 9\n')
    _write(tmp_path, "crises/child.toml", 'extends = "base.toml"\ntitle = "child"\n')
    _write(tmp_path, "crises/other.toml", 'extends = "./plain"\ntitle = "other"\n')
    child, other = (
        sim(tmp_path, "run", "crises/child.toml", "--runs", "200", "--json"),
        sim(tmp_path, "run", "crises/other.toml", "--runs", "200", "--json"),
    )
    assert child.returncode == 0 and other.returncode == 0, (child.stderr, other.stderr)
    assert json.loads(child.stdout)["rounds"] == 7 and json.loads(other.stdout)["rounds"] == 9


def test_extends_errors_name_the_extending_file_and_its_field(tmp_path):
    _write(tmp_path, "child.toml", 'extends = "no_such_base.toml"\n')
    _write(tmp_path, "typo.toml", 'extends = "coalition_2062"\n')
    _write(tmp_path, "broken.toml", "rounds = = 3\n")
    _write(tmp_path, "via.toml", 'extends = "broken.toml"\n')
    err = refused(tmp_path, "validate", "child.toml", "typo.toml", "via.toml")
    assert "child.toml: extends: no_such_base.toml: no such file" in err, err
    assert "typo.toml: extends: coalition_2062: no such file or built-in scenario (did you mean coalition_2026?" in err
    assert "via.toml: extends: broken.toml: not valid TOML" in err, err


@pytest.mark.parametrize(
    ("text", "builtin"),
    [("coalition_2026", True), ("my_crisis", True), ("./coalition_2026", False), ("crises/x", False),
     ("x.toml", False), ("X.TOML", False), ("/dev/zero", False)],
)  # fmt: skip
def test_what_counts_as_a_built_in_name(text, builtin):
    assert is_builtin_name(text) is builtin


# ---------------------------------------------------------------------------------------------
# Sizes: refused while the options are read, before any work


def test_the_api_refuses_too_many_runs_before_any_work():
    from sim.runs.montecarlo import run_monte_carlo

    with pytest.raises(ValueError, match=r"sim\.domain\.limits\.MAX_RUNS"):
        run_monte_carlo("classroom_chicken", runs=MAX_RUNS + 1, seed=1)


def test_runs_rounds_and_members_together_are_capped_at_the_boundary():
    """``check_run_size`` takes exactly the most runs that fit MAX_RUN_WORK and refuses one more,
    naming that number; the API refuses before any work (it would otherwise run for hours)."""
    from sim.runs.montecarlo import check_run_size, run_monte_carlo

    scenario = load_scenario("coalition_2026", {"rounds": MAX_ROUNDS})
    most = MAX_RUN_WORK // run_work(1, MAX_ROUNDS, len(scenario.coalition.members))
    assert most < MAX_RUNS
    assert check_run_size(scenario, most) == most
    with pytest.raises(ValueError, match=rf"sim\.domain\.limits\.MAX_RUN_WORK\): ask for at most {most:,} runs"):
        check_run_size(scenario, most + 1)
    started = time.monotonic()
    with pytest.raises(ValueError, match="MAX_RUN_WORK"):
        run_monte_carlo("coalition_2026", runs=MAX_RUNS, seed=1, rounds=MAX_ROUNDS)
    assert time.monotonic() - started < 30, "refused before the engine starts"
    assert run_work(MAX_RUNS, 20, 3) < MAX_RUN_WORK, "the default scenario at the most runs is allowed"


def test_the_schema_enforces_members_and_rounds():
    members = [{"name": f"m{k}", "troops": 1} for k in range(MAX_MEMBERS + 1)]
    with pytest.raises(ScenarioError, match=rf"coalition.members: List should have at most {MAX_MEMBERS} items"):
        scenario_from_dict({"coalition": {"members": members}}, "many.toml")
    with pytest.raises(ScenarioError, match=rf"rounds: Input should be less than or equal to {MAX_ROUNDS}"):
        scenario_from_dict({"rounds": MAX_ROUNDS + 1}, "long.toml")


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_the_built_in_scenarios_are_well_within_the_limits(name):
    path = builtin_scenarios()[name]
    scenario = load_scenario(name)
    assert path.stat().st_size <= MAX_FILE_BYTES // 10
    assert len(scenario.coalition.members) <= MAX_MEMBERS and scenario.rounds <= MAX_ROUNDS


@pytest.mark.parametrize(
    ("names", "doc", "heading"),
    [("SCENARIO_LIMITS", LIMITS_DOC, "## Scenarios, runs and sweeps"), ("GAME_LIMITS", LIMITS_DOC, "## Games")],
)
def test_every_limit_is_documented_with_its_value(names, doc, heading):
    """The tables of docs/reference/limits.md name each limit with its value: one table for
    scenarios, runs and sweeps, one for games."""
    import sim.domain.limits

    text = doc.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    section = section[: section.index("\n\n", section.index("|---"))]  # the table
    for name in getattr(sim.domain.limits, names):
        value = getattr(sim.domain.limits, name)
        row = next((line for line in section.splitlines() if f"`{name}`" in line or f".{name}`" in line), None)
        assert row is not None, f"{name} is missing from the table under {heading} in {doc.name}"
        assert f"{value:,}" in row, f"{doc.name} gives another value for {name}: {row}"
    assert set(sim.domain.limits.SCENARIO_LIMITS) | set(sim.domain.limits.GAME_LIMITS) == {
        name for name in dir(sim.domain.limits) if name.startswith("MAX_")
    }, "every limit is in one of the two groups"


# ---------------------------------------------------------------------------------------------
# Override paths


def test_an_empty_override_path_says_so():
    with pytest.raises(ScenarioError, match="names a field between every two dots"):
        load_scenario("coalition_2026", {"russia..lambda": 2})
    assert parse_assignment("russia.lambda=2") == ("russia.lambda", 2)


@pytest.mark.parametrize(
    ("params", "runs", "named"),
    [
        ({"russia.lambda": (0.0, 1.0, 10**9)}, 10, "MAX_GRID_STEPS"),
        ({"russia.lambda": (0.0, 1.0, 5000), "us.lambda": (0.0, 1.0, 5000)}, 10, "MAX_DESIGN_POINTS"),
        ({"russia.lambda": (0.0, 1.0, 3)}, 10**9, "MAX_RUNS"),
    ],
)
def test_the_python_sweep_refuses_oversized_requests_before_any_work(params: dict, runs: int, named: str) -> None:
    with pytest.raises(SweepError, match=named):
        sweep("coalition_2026", params, runs=runs)
