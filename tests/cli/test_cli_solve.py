"""`sim solve`: scenarios and game files, text and JSON, exports, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim.cli.main import main

JSON_KEYS = {"game", "players", "strategies", "nash", "spe", "qre"}


def solve(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["solve", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_solving_a_scenario_prints_the_tree_the_path_and_the_equilibria(capsys):
    code, out, _ = solve(capsys, "classroom_chicken")
    assert code == 0
    assert "Subgame-perfect equilibrium path: deploy -> threaten" in out
    assert "ties:" in out and "Nash equilibria" in out and "coalition [coalition not resolute: (start)]" in out


def test_scenario_json_follows_the_stable_schema(capsys):
    code, out, _ = solve(capsys, "coalition_2026", "--json", "--qre", "2")
    solution = json.loads(out)
    assert code == 0 and set(solution) >= JSON_KEYS
    assert solution["players"] == ["coalition", "russia", "us"]
    assert solution["spe"]["path"][0] == "chance: force holds", "the members' cohesion comes first"
    assert solution["spe"]["ties"] is False
    assert solution["qre"]["lambda"] == 2.0
    for player, probabilities in solution["qre"]["profile"].items():
        assert len(probabilities) == len(solution["qre"]["actions"][player])
    for equilibrium in solution["nash"]:
        for player, probabilities in equilibrium["profile"].items():
            assert len(probabilities) == len(solution["strategies"][player])
            assert sum(probabilities) == pytest.approx(1.0)


def test_resolute_russia_changes_the_equilibrium(capsys):
    code, out, _ = solve(capsys, "classroom_chicken", "--resolute", "russia", "--json")
    assert code == 0 and json.loads(out)["spe"]["path"][:2] == ["threaten", "threaten"]


def test_resolve_chance_has_no_subgame_perfect_answer_but_has_a_qre(capsys):
    code, out, _ = solve(capsys, "coalition_2026", "--resolve-chance", "--json", "--qre", "1")
    solution = json.loads(out)
    assert code == 0 and solution["spe"] is None and solution["qre"] is not None


def test_export_and_solve_the_exported_game_again(tmp_path, capsys):
    efg, nfg = tmp_path / "crisis.efg", tmp_path / "crisis.nfg"
    code, first, _ = solve(capsys, "coalition_2026", "--json", "--export-efg", str(efg), "--export-nfg", str(nfg))
    assert code == 0 and efg.exists() and nfg.exists()
    _, again, _ = solve(capsys, str(efg), "--json")
    assert json.loads(again)["spe"] == json.loads(first)["spe"]
    _, normal, _ = solve(capsys, str(nfg), "--json")
    assert len(json.loads(normal)["nash"]) == len(json.loads(first)["nash"])


def test_export_the_whole_game_of_several_rounds(tmp_path, capsys):
    """--rounds T writes the whole T-round game (Nature draws every type) and says what it wrote."""
    from sim.game.io import read_game

    efg = tmp_path / "whole.efg"
    code, out, err = solve(capsys, "classroom_chicken", "--rounds", "2", "--export-efg", str(efg))
    assert code == 0 and f"wrote {efg}" in err
    game = read_game(efg)
    nodes, infosets = sum(1 for _ in game.nodes()), len(game.infosets())
    assert f"Tree: {nodes:,} nodes" in out and f"{infosets:,} information sets" in out
    assert "2-round crisis game" in out and game.root.kind == "chance"
    assert any(h.key.startswith("coalition not resolute: ") and " | " in h.key for h in game.infosets())
    code, out, _ = solve(capsys, "coalition_2026", "--rounds", "1", "--export-efg", str(efg), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rounds"] == 1 and summary["file"] == str(efg)
    assert summary["nodes"] == sum(1 for _ in read_game(efg).nodes())
    assert set(summary["information_sets"]) == {"coalition", "russia", "us"}


def test_the_documented_export_is_what_sim_solve_prints(tmp_path, capsys, monkeypatch):
    """docs/reference/cli.md shows the summary of a two-round export: regenerate it when the model changes."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    after = docs.split("$ sim solve coalition_2026 --rounds 2 --export-efg crisis2.efg\n", 1)[1]
    shown = after.split("\n```")[0].split("\n$ ")[0]
    monkeypatch.chdir(tmp_path)
    code, out, err = solve(capsys, "coalition_2026", "--rounds", "2", "--export-efg", "crisis2.efg")
    assert code == 0 and (out + err).rstrip("\n") == shown


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["coalition_2026", "--qre", "-1"], "--qre"),
        (["coalition_2026", "--export-efg", "out.txt"], ".efg"),
        (["coalition_2026", "--resolute", "france"], "--resolute"),
        (["coalition_2026", "--rounds", "4", "--export-efg", "out.efg"], "at most 3 rounds"),
        (["coalition_2026", "--rounds", "0", "--export-efg", "out.efg"], "--rounds"),
        (["coalition_2026", "--rounds", "2"], "add --export-efg FILE"),
        (["coalition_2026", "--rounds", "2", "--export-efg", "out.efg", "--qre", "1"], "drop --qre"),
        (["BAD_EFG", "--rounds", "1", "--export-efg", "out.efg"], "not to game files"),
        (["BAD_EFG"], "bad.efg:"),
        (["BAD_EFG", "--set", "rounds=2"], "apply to scenarios"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(tmp_path, args, words):
    bad = tmp_path / "bad.efg"
    bad.write_text('EFG 2 R "broken" { "A" "B" }\n""\n\np "" 3 1 "" { "x" } 0\nt "" 1 "o" { 1 2 }\n')
    args = [str(bad) if arg == "BAD_EFG" else arg for arg in args]
    command = [sys.executable, "-m", "sim", "solve", *args]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert completed.returncode == 2, completed.stderr
    assert words in completed.stderr and "Traceback" not in completed.stderr


@pytest.mark.parametrize("name", ["chain_store", "chicken", "unilateral_deterrence"])
def test_a_bundled_game_is_solved_by_name_from_any_folder(capsys, monkeypatch, tmp_path, name):
    from sim.game.bundled import bundled_games

    monkeypatch.chdir(tmp_path)  # no games/ folder here
    code, out, _ = solve(capsys, name, "--json")
    assert code == 0
    by_path = solve(capsys, str(bundled_games()[name]), "--json")[1]
    assert json.loads(out) == json.loads(by_path)


def test_a_misspelt_game_or_scenario_name_gets_a_hint_and_exit_2(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = solve(capsys, "chain_stor")
    assert code == 2 and "did you mean chain_store?" in err and "Traceback" not in err
    code, _, err = solve(capsys, "coalition_2062")
    assert code == 2 and "did you mean coalition_2026?" in err and "games: " in err


def test_a_scenario_name_wins_over_a_game_of_the_same_name(capsys):
    """Built-in scenarios keep their names: a bundled game never shadows one."""
    from sim.domain.scenario import builtin_scenarios
    from sim.game.bundled import bundled_games

    assert not set(bundled_games()) & set(builtin_scenarios())
    code, out, _ = solve(capsys, "classroom_chicken")
    assert code == 0 and out.splitlines()[0].endswith("the one-round crisis game")
