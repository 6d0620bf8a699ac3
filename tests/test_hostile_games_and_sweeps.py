"""Hostile game files and clashing sweeps (issue 10): no small file hangs `sim solve`, and no sweep
directory ends up with a point twice.

Before these checks, a chain-shaped `.efg` of 24 decision nodes (1.3 kB) ran past 120 s in
`sim solve`, one of 40 nodes asked for 16 TiB, a node with 200,000 actions for 298 GiB; two
`sim sweep --resume` runs into one folder saved 179 rows for 100 points, and `sim discover`
analysed them all without a word. Each command here runs in a child process under a memory and a
time limit, as a user would run it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile_cli import TIMEOUT, refused, sim

from sim.domain.limits import (
    MAX_ACTIONS_PER_NODE,
    MAX_GAME_FILE_BYTES,
    MAX_GAME_NODES,
    MAX_METADATA_BYTES,
    MAX_PURE_EQUILIBRIA,
    MAX_STRATEGY_PROFILES,
    MAX_TREE_DEPTH,
)
from sim.game import ExtensiveFormGame, GameError, Node, parse_game, solve
from sim.studies.analysis import load_sweep
from sim.studies.sweeps import LOCK_FILE, SweepError, read_sweep, sweep
from sim.studies.sweeps.store import writing_to as _writing

SHORT = str(Path(__file__).parent / "data" / "short_crisis.toml")
"""coalition_2026 with three rounds: each design point solves its own equilibrium."""


# ---------------------------------------------------------------------------------------------
# Game files


def chain_efg(moves: int) -> str:
    """A centipede: ``moves`` decision nodes, the two players alternating, each with "stop" (the game
    ends, the mover 2 ahead) and "go". Every node is its own information set, so each player has
    2^(moves / 2) pure strategies; backward induction stops at once."""
    lines = ['EFG 2 R "chain" { "P1" "P2" } ""', ""]
    for k in range(moves):
        mover = k % 2
        payoffs = [k, k]
        payoffs[mover] = k + 2
        lines.append(f'p "" {mover + 1} {k // 2 + 1} "" {{ "stop" "go" }} 0')
        lines.append(f't "" {k + 1} "" {{ {payoffs[0]}, {payoffs[1]} }}')
    last = (moves - 1) % 2
    payoffs = [moves + 3, moves + 3]
    payoffs[last] = moves
    lines.append(f't "" {moves + 1} "" {{ {payoffs[0]}, {payoffs[1]} }}')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("moves", "profiles"), [(24, "16,777,216 "), (40, "1,099,511,627,776 ")])
def test_a_chain_too_large_for_its_normal_form_is_solved_by_backward_induction(tmp_path, moves, profiles):
    """2^12 x 2^12 profiles, and 2^20 x 2^20: counted, not enumerated, and the Nash part skipped."""
    game = tmp_path / f"chain{moves}.efg"
    game.write_text(chain_efg(moves), encoding="utf-8")
    assert game.stat().st_size < 3_000
    started = time.monotonic()
    done = sim(tmp_path, "solve", game.name)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert time.monotonic() - started < 60
    assert "Subgame-perfect equilibrium path: stop\n" in done.stdout
    assert "ties: none (the equilibrium is unique)" in done.stdout
    assert f"the game has {profiles}pure-strategy profiles" in done.stdout
    assert f"more than the {MAX_STRATEGY_PROFILES:,}" in done.stdout
    assert "the Nash enumeration was skipped" in done.stdout

    done = sim(tmp_path, "solve", game.name, "--json", "--qre", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    solution = json.loads(done.stdout)
    assert solution["nash"] is None and solution["strategies"] is None
    assert solution["spe"]["path"] == ["stop"] and "Nash enumeration was skipped" in solution["skipped"]["nash"]
    assert solution["qre"]["lambda"] == 1.0 and len(solution["qre"]["profile"]["P1"]) == moves  # the agent QRE


def test_a_node_with_200000_actions_is_refused(tmp_path):
    names = " ".join('""' for _ in range(200_000))
    game = tmp_path / "wide.efg"
    game.write_text(f'EFG 2 R "wide" {{ "P1" }} ""\np "" 1 1 "" {{ {names} }} 0\n', encoding="utf-8")
    assert game.stat().st_size < MAX_GAME_FILE_BYTES
    message = refused(tmp_path, "solve", game.name)
    assert message.startswith("wide.efg:2: ") and f"{MAX_ACTIONS_PER_NODE:,} actions" in message


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    game = tmp_path / "big.efg"
    with game.open("wb") as file:
        file.write(b'EFG 2 R "big" { "P1" } ""\n')
        file.truncate(MAX_GAME_FILE_BYTES + 1)  # sparse: nothing to read, only a size
    message = refused(tmp_path, "solve", game.name)
    assert message.startswith("big.efg: ") and f"more than the {MAX_GAME_FILE_BYTES:,}" in message


def test_a_file_with_too_many_nodes_is_refused(tmp_path):
    game = tmp_path / "many.efg"
    actions = " ".join(f'"a{k}"' for k in range(MAX_ACTIONS_PER_NODE))
    lines = ['EFG 2 R "many" { "P1" } ""', f'p "" 1 1 "" {{ {actions} }} 0']
    for k in range(MAX_GAME_NODES // MAX_ACTIONS_PER_NODE + 1):
        lines.append(f'p "" 1 {k + 2} "" {{ {actions} }} 0')
        lines.extend(['t "" 0'] * MAX_ACTIONS_PER_NODE)  # outcome 0: no payoffs, the shortest terminal
    game.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused(tmp_path, "solve", game.name)
    assert message.startswith("many.efg:") and f"{MAX_GAME_NODES:,} nodes" in message


def test_a_tree_deeper_than_the_solvers_recurse_is_refused(tmp_path):
    game = tmp_path / "deep.efg"
    game.write_text(chain_efg(MAX_TREE_DEPTH + 1), encoding="utf-8")
    message = refused(tmp_path, "solve", game.name)
    assert message.startswith("deep.efg:") and f"more than {MAX_TREE_DEPTH} moves deep" in message
    game.write_text(chain_efg(MAX_TREE_DEPTH), encoding="utf-8")  # the deepest allowed is solved
    done = sim(tmp_path, "solve", game.name)
    assert done.returncode == 0 and "Subgame-perfect equilibrium path: stop\n" in done.stdout, done.stderr[-2000:]


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.efg")
    message = refused(tmp_path, "solve", "pipe.efg")
    assert message.startswith("pipe.efg: ") and "not a regular file" in message


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "folder.efg").mkdir()
    message = refused(tmp_path, "solve", "folder.efg")
    assert message.startswith("folder.efg: ") and "not a regular file" in message


def test_a_device_is_refused(tmp_path):
    (tmp_path / "zero.efg").symlink_to("/dev/zero")
    message = refused(tmp_path, "solve", "zero.efg")
    assert message.startswith("zero.efg: ") and "not a regular file" in message


def test_deeply_nested_toml_game_is_a_game_error():
    with pytest.raises(GameError, match=r"^deep\.toml:1: .*nested too deeply"):
        parse_game("players = " + "[" * 2000 + "]" * 2000 + "\n", "deep.toml")


def test_strategies_are_counted_exactly_without_enumerating_them():
    game = parse_game(chain_efg(40), "chain.efg")
    assert game.strategy_counts() == (2**20, 2**20) and game.strategy_profiles() == 2**40
    assert "1,099,511,627,776 pure-strategy profiles" in game.normal_form_problem()
    with pytest.raises(GameError, match="cannot be built"):
        game.to_normal_form()
    with pytest.raises(GameError, match="1,073,741,824 pure strategies"):  # 2^30: over the cap on its own
        parse_game(chain_efg(60), "chain.efg").pure_strategies(0)
    assert parse_game(chain_efg(8), "chain.efg").normal_form_problem() is None


def test_many_pure_equilibria_are_counted_and_the_first_ones_listed():
    """The chain of 16 has 2^8 x 2^8 profiles and 16,384 pure equilibria (every choice off the path
    is free): the first MAX_PURE_EQUILIBRIA are listed, with the total, in seconds."""
    solution = solve(parse_game(chain_efg(16), "chain.efg"))
    assert len(solution.nash.equilibria) == MAX_PURE_EQUILIBRIA and not solution.nash.complete
    assert "16,384 pure equilibria: only the first 1,000 are listed" in solution.nash.note
    flags = solution.subgame_perfect_flags()
    assert flags[0] and sum(flags) == 1  # everyone stopping everywhere comes first; the others threaten


def test_a_qre_too_costly_to_trace_uses_backward_induction_on_a_perfect_information_tree(monkeypatch):
    solving = importlib.import_module("sim.game.solve")  # sim.game.solve is also the function's name

    tree = parse_game(chain_efg(4), "chain.efg")
    exact = solve(tree, qre_lambda=2.0).qre
    monkeypatch.setattr(solving, "MAX_QRE_SIZE", 10)
    cheap = solve(tree, qre_lambda=2.0, qre_path_to=2.0)
    for a, b in zip(exact.profile, cheap.qre.profile, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    assert cheap.path is None and "QRE path was skipped" in cheap.skipped["qre_path"]
    imperfect = ExtensiveFormGame(
        ("A", "B"),
        Node.decision(
            0,
            {
                "l": Node.decision(1, {"x": Node.terminal([1, 0]), "y": Node.terminal([0, 1])}, infoset="b"),
                "r": Node.decision(1, {"x": Node.terminal([0, 1]), "y": Node.terminal([1, 0])}, infoset="b"),
            },
        ),
    )
    skipped = solve(imperfect, qre_lambda=1.0)
    assert skipped.qre is None and "the QRE was skipped" in skipped.skipped["qre"]
    assert skipped.nash is not None  # the normal form is small: only the QRE was too costly


# ---------------------------------------------------------------------------------------------
# Sweeps

PARAMS = {"russia.resolve_prior": (0.2, 0.8, 4)}
SLOW_SWEEP = [
    "sweep", SHORT, "--param", "us.deploy_cost=0.1:2:10", "--runs", "5000",
    "--seed", "5", "--executor", "inline", "--chunk-size", "1",
]  # fmt: skip
"""A sweep that takes a few seconds: its parameter changes the game, so every point solves its own."""


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until ``path`` exists: the sign that the sweep holds its lock and has started."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the first sweep ended before it started writing"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_sweep_into_the_same_folder_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / "s.parquet"
    first = subprocess.Popen(
        [sys.executable, "-m", "sim", *SLOW_SWEEP, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(out / "_sweep.json", first)  # written holding the lock
        message = refused(tmp_path, *SLOW_SWEEP, "--out", str(out), "--resume", alone=False)  # the first writes
        assert first.poll() is None, "the first sweep was still writing when the second was refused"
        assert f"{out}: another sweep (process {first.pid}) is writing to this folder" in message
        _, stderr = first.communicate(timeout=TIMEOUT)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, stderr[-2000:]
    frame, metadata = read_sweep(out, complete=True)
    assert frame["point"].tolist() == list(range(10)) == list(range(metadata["n_points"]))
    # The lock is gone with its process: a resume now is told the sweep is complete, not that it is busy.
    assert "already holds a complete sweep" in refused(tmp_path, *SLOW_SWEEP, "--out", str(out))


def test_a_sweep_is_refused_while_another_holds_the_lock(tmp_path):
    """The same without timing: this process holds the lock, a `sim sweep` child is refused, and so
    is a second sweep of this process (record locks do not exclude threads of one process)."""
    out = tmp_path / "s.parquet"
    with _writing(out):
        message = refused(tmp_path, "sweep", SHORT, "--param", "russia.resolve_prior=0.2:0.8:2", "--out", str(out))
        assert f"another sweep (process {os.getpid()}) is writing to this folder" in message
        with pytest.raises(SweepError, match=r"another sweep .* is writing to this folder"):
            sweep(SHORT, PARAMS, runs=100, out=out, executor="inline")
    assert (out / LOCK_FILE).exists() and not (out / "_sweep.json").exists()
    sweep(SHORT, {"russia.resolve_prior": [0.5]}, runs=100, out=out, executor="inline")  # free again


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A finished sweep of 4 points, one part file each."""
    out = tmp_path_factory.mktemp("sweeps") / "s.parquet"
    frame = sweep(SHORT, PARAMS, runs=200, seed=3, out=out, executor="inline", chunk_size=1)
    return out, frame


def copy_of(finished: tuple[Path, pd.DataFrame], tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "s.parquet"
    shutil.copytree(finished[0], out)
    return out


def test_read_sweep_refuses_a_point_saved_twice_and_names_it(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    rows = pd.read_parquet(out / "part-000000002-000001.parquet")
    rows.to_parquet(out / "part-000000002-000001-again.parquet", index=False)  # as a second writer would
    for read in (read_sweep, load_sweep):
        with pytest.raises(SweepError) as error:
            read(out)
        assert str(error.value).startswith(f"{out}: point 2 appears more than once")
        assert "part-000000002-000001-again.parquet" in str(error.value)
    message = refused(tmp_path, "discover", str(out), "--outcome", "major_war", "--above", "0.01")
    assert message.startswith(f"{out}: point 2 appears more than once")


def test_read_sweep_refuses_a_point_outside_the_design(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    rows = pd.read_parquet(out / "part-000000003-000001.parquet").assign(point=7)
    rows.to_parquet(out / "part-000000007-000001.parquet", index=False)
    with pytest.raises(SweepError, match=r"point 7 is not in this sweep, whose design has points 0 to 3"):
        read_sweep(out)


def test_an_unfinished_sweep_is_read_as_it_is_but_never_analysed(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    (out / "part-000000001-000001.parquet").unlink()
    (out / "part-000000003-000001.parquet").unlink()
    assert read_sweep(out)[0]["point"].tolist() == [0, 2]
    with pytest.raises(SweepError, match=r"unfinished, 2 of 4 points done \(points 1 and 3 missing\).*--resume"):
        read_sweep(out, complete=True)
    message = refused(tmp_path, "plot", str(out), "--outcome", "major_war", "--x", "russia.resolve_prior",
                      "--out", str(tmp_path / "p.png"))  # fmt: skip
    assert "points 1 and 3 missing" in message and not (tmp_path / "p.png").exists()


def test_a_corrupt_part_is_named_then_recomputed_by_resume(finished, tmp_path):
    out, frame = copy_of(finished, tmp_path), finished[1]
    part = out / "part-000000001-000001.parquet"
    part.write_bytes(part.read_bytes()[:200])  # a copy cut short
    with pytest.raises(SweepError, match=r"part-000000001-000001\.parquet: this part file is corrupt"):
        read_sweep(out)
    resumed = sim(
        tmp_path, "sweep", SHORT, "--param", "russia.resolve_prior=0.2:0.8:4", "--runs", "200", "--seed", "3",
        "--executor", "inline", "--chunk-size", "1", "--out", str(out), "--resume", memory=False,
    )  # fmt: skip
    assert resumed.returncode == 0 and "Traceback" not in resumed.stderr, resumed.stderr[-2000:]
    assert f"{part} is corrupt (unreadable" in resumed.stderr and "computed again" in resumed.stderr
    assert (out / "_part-000000001-000001.parquet.corrupt").exists()
    again, _ = read_sweep(out, complete=True)
    pd.testing.assert_frame_equal(again, frame, check_dtype=False)  # the same numbers as before


def test_a_corrupt_metadata_file_is_named(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    (out / "_sweep.json").write_text('{"n_points": ', encoding="utf-8")
    with pytest.raises(SweepError, match=r"_sweep\.json: the sweep's metadata is damaged, not valid JSON"):
        read_sweep(out)
    message = refused(tmp_path, "sweep", SHORT, "--param", "russia.resolve_prior=0.2:0.8:4", "--runs", "200",
                      "--seed", "3", "--out", str(out), "--resume")  # fmt: skip
    assert message.startswith(f"{out / '_sweep.json'}: the sweep's metadata is damaged")
    (out / "_sweep.json").write_text('{"n_points": "four"}', encoding="utf-8")
    with pytest.raises(SweepError, match=r"_sweep\.json: .*'n_points' should be the number of design points"):
        read_sweep(out)


def test_oversized_metadata_is_refused_from_its_size(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    with (out / "_sweep.json").open("r+b") as file:
        file.truncate(MAX_METADATA_BYTES + 1)  # sparse: only a size, nothing to read
    with pytest.raises(SweepError, match=rf"_sweep\.json.*more than the {MAX_METADATA_BYTES:,} allowed"):
        read_sweep(out)
