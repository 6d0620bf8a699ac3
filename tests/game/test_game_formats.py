"""Game files: Gambit's .nfg/.efg and the project's TOML format, read, written, read back, and refused.

The Gambit files under tests/data/games/ are small games from the literature written in Gambit's
format as in the examples of Gambit's documentation: Selten (1975, Figure 2) as a tree and as a
normal form (payoff-list and outcome versions), a one-stage Bayes game, stripped-down poker, and
a tree with outcomes on non-terminal nodes. They test that files Gambit writes are read as Gambit
reads them.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import game_trees, normal_forms

from sim.game.io import (
    parse_efg,
    parse_game,
    parse_nfg,
    parse_toml,
    read_game,
    write_efg,
    write_game,
    write_nfg,
    write_toml,
)
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, Node

DATA = Path(__file__).resolve().parents[1] / "data" / "games"
t = Node.terminal


# ---------------------------------------------------------------------------- helpers


def terminal_payoffs(game: ExtensiveFormGame) -> list[tuple[float, ...]]:
    return [node.payoffs for node in game.nodes() if node.kind == "terminal"]


def tree_signature(game: ExtensiveFormGame, labels: bool = True) -> tuple:
    """Everything a round trip must keep, with information sets compared as partitions (keys of
    unnamed sets are invented on reading) and probabilities left to `same_probabilities`."""
    decision_group = {id(node): k for k, infoset in enumerate(game.infosets()) for node in infoset.nodes}
    chance_groups: dict[str, int] = {}
    rows = []
    for position, node in enumerate(game.nodes()):
        if node.kind == "decision":
            group = decision_group[id(node)]
        elif node.kind == "chance":
            group = chance_groups.setdefault(node.infoset or f"#{position}", len(chance_groups))
        else:
            group = None
        label = node.label if labels else None
        rows.append((node.kind, label, node.player, node.actions, node.payoffs, node.outcome, group))
    return game.players, game.title, rows


def probabilities(game: ExtensiveFormGame) -> list[float]:
    return [p for node in game.nodes() for p in node.probabilities]


def assert_same_tree(a: ExtensiveFormGame, b: ExtensiveFormGame, labels: bool = True) -> None:
    assert tree_signature(a, labels) == tree_signature(b, labels)
    assert probabilities(a) == pytest.approx(probabilities(b), abs=1e-12)


def assert_same_normal_form(a: NormalFormGame, b: NormalFormGame) -> None:
    assert (a.players, a.strategies, a.title) == (b.players, b.strategies, b.title)
    np.testing.assert_array_equal(a.payoffs, b.payoffs)


def assert_error(text: str, kind: str, line: int, *fragments: str, source: str = "game") -> GameError:
    """The text is refused with a GameError naming the source and the line, and saying why."""
    with pytest.raises(GameError) as caught:
        parse_game(text, source, kind)
    message = str(caught.value)
    assert message.startswith(f"{source}:{line}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return caught.value


# ---------------------------------------------------------------------------- .nfg


def test_e02_nfg_payoff_list_first_player_fastest():
    game = read_game(DATA / "e02.nfg")
    assert game.title == "Selten (IJGT, 75), Figure 2, normal form"
    assert game.players == ("Player 1", "Player 2")
    assert game.strategies == (("1", "2", "3"), ("1", "2"))
    # 1 1 | 0 2 | 0 2 | 1 1 | 0 3 | 2 0 for profiles (1,1) (2,1) (3,1) (1,2) (2,2) (3,2)
    expected = {(0, 0): (1, 1), (1, 0): (0, 2), (2, 0): (0, 2), (0, 1): (1, 1), (1, 1): (0, 3), (2, 1): (2, 0)}
    for (row, column), payoffs in expected.items():
        assert tuple(game.payoffs[:, row, column]) == payoffs


def test_e02_nfg_outcome_version_is_the_same_game():
    assert_same_normal_form(read_game(DATA / "e02_outcomes.nfg"), read_game(DATA / "e02.nfg"))


def test_nfg_outcome_form_with_reused_and_null_outcomes():
    text = """NFG 1 R "coordination" { "A" "B" } { { "x" "y" } { "x" "y" } } "a comment"
    { { "Coord" 1, 1 } { "Miscoord" 0 -1/2 } }
    1 2 0 1
    """
    game = parse_nfg(text)
    np.testing.assert_array_equal(game.payoffs[0], [[1, 0], [0, 1]])
    np.testing.assert_array_equal(game.payoffs[1], [[1, 0], [-0.5, 1]])


def test_nfg_three_players_and_number_syntax():
    # 2 x 1 x 2 profiles, first player fastest; numbers as rationals, exponents, signs, bare decimals
    text = 'NFG 1 R "" { "a" "b" "c" } { 2 1 2 }\n1 2 3  4 5 6  -1/4 .5 +1.5e1  7e-1 8 9\n'
    game = parse_nfg(text)
    assert game.shape == (2, 1, 2)
    np.testing.assert_array_equal(game.payoffs[:, 0, 0, 0], [1, 2, 3])
    np.testing.assert_array_equal(game.payoffs[:, 1, 0, 0], [4, 5, 6])
    np.testing.assert_array_equal(game.payoffs[:, 0, 0, 1], [-0.25, 0.5, 15])
    np.testing.assert_array_equal(game.payoffs[:, 1, 0, 1], [0.7, 8, 9])


def test_nfg_strings_with_escaped_quotes_and_gambit_label_rules():
    text = r'NFG 1 R "say \"hi\"" { "P" "" } { { "a" "a" "" } { "x\y" } }' + "\n1 0 2 0 3 0\n"
    game = parse_nfg(text)
    assert game.title == 'say "hi"'
    assert game.players == ("P", "_1")  # an empty name gets a suffix, as in Gambit
    assert game.strategies == (("a_1", "a_2", "_1"), ("x\\y",))  # a backslash before anything but a quote stays
    assert parse_nfg(write_nfg(game)).title == 'say "hi"'


def test_write_nfg_of_a_tree_writes_its_normal_form():
    tree = read_game(DATA / "e02.efg")
    game = parse_nfg(write_nfg(tree))
    assert_same_normal_form(game, tree.to_normal_form())


# ---------------------------------------------------------------------------- .efg


def test_e02_efg_structure():
    game = read_game(DATA / "e02.efg")
    assert game.players == ("Player 1", "Player 2")
    root = game.root
    assert (root.kind, root.player, root.infoset, root.actions) == ("decision", 0, "(1,1)", ("R", "L"))
    stop, middle = root.children
    assert stop.payoffs == (1, 1) and stop.outcome == "Outcome 1"
    assert (middle.player, middle.infoset, middle.actions) == (1, "(2,1)", ("R", "L"))
    assert (middle.children[1].player, middle.children[1].actions) == (0, ("r", "l"))
    assert terminal_payoffs(game) == [(1, 1), (0, 2), (0, 3), (2, 0)]
    assert game.to_normal_form().shape == (4, 2)


def test_gambit_documentation_sample_efg_chance_and_shared_infosets():
    game = read_game(DATA / "bayes1.efg")
    assert game.root.kind == "chance" and game.root.label == "ROOT" and game.root.infoset == "(0,1)"
    assert game.root.probabilities == (0.5, 0.5)
    assert [infoset.key for infoset in game.infosets_of(0)] == ["(1,1)", "(1,2)"]
    assert [infoset.key for infoset in game.infosets_of(1)] == ["(2,1)", "(2,2)"]
    assert [len(infoset.nodes) for infoset in game.infosets()] == [2, 4, 4, 2]  # (1,1) (2,1) (2,2) (1,2)
    assert game.to_normal_form().shape == (4, 4)
    assert terminal_payoffs(game)[-1] == (10, 0)


def test_stripped_down_poker_outcomes_reused_by_number():
    game = read_game(DATA / "poker.efg")
    assert game.players == ("Alice", "Bob")
    assert game.root.infoset == "Deal" and game.root.probabilities == (0.5, 0.5)
    bob = game.infosets_of(1)
    assert len(bob) == 1 and bob[0].key == "Bob's response" and len(bob[0].nodes) == 2
    terminals = [node for node in game.nodes() if node.kind == "terminal"]
    assert [(t.outcome, t.payoffs) for t in terminals] == [
        ("Win Big", (2, -2)),
        ("Win", (1, -1)),
        ("Lose", (-1, 1)),
        ("Lose Big", (-2, 2)),
        ("Win", (1, -1)),
        ("Lose", (-1, 1)),
    ]
    # Alice always bets, Bob always calls: (2 - 2) / 2 = 0
    values = game.outcome_of([("Bet", "Bet"), ("Call",)])
    np.testing.assert_allclose(values, [0, 0])


def test_outcomes_on_nonterminal_nodes_add_to_every_terminal_below():
    game = read_game(DATA / "nonterminal_outcomes.efg")
    assert terminal_payoffs(game) == [
        (1, -1), (-1, 1), (-1, 1), (1, -1), (1, -1), (0, 0),
        (0, 0), (1, -1), (1, -1), (-1, 1), (-1, 1), (1, -1),
    ]  # fmt: skip
    outcomes = [node.outcome for node in game.nodes() if node.kind == "terminal"]
    assert outcomes == ["", "-2", "-1", "1", "1", "", "", "1", "1", "-1", "", "2"]
    # unnamed information sets are keyed by their numbers
    assert [infoset.key for infoset in game.infosets_of(1)] == ["1", "2", "3"]
    assert game.root.infoset == "1"


def test_infoset_keys_names_when_unique_else_numbers():
    text = """EFG 2 R "" { "A" }
    p "" 1 1 "same" { "x" "y" "z" } 0
    p "" 1 2 "same" { "x" } 0
    t "" 1 "" { 1 }
    p "" 1 3 "1" { "x" } 0
    t "" 2 "" { 2 }
    p "" 1 4 "" { "x" } 0
    t "" 3 "" { 3 }
    """
    game = parse_efg(text)
    # "same" twice -> numbers; "1" (infoset 3) would clash with infoset 1's fallback -> "3"; "" -> "4"
    assert [infoset.key for infoset in game.infosets()] == ["1", "2", "3", "4"]
    assert parse_efg(text.replace('"same" { "x" } 0', '"other" { "x" } 0')).infosets()[1].key == "other"


def test_efg_chance_probabilities_as_decimals_rationals_and_exponents():
    text = """EFG 2 R "" { "A" } ""
    c "" 1 "" { "a" 1/3 "b" 0.25 "c" 4.1666666666666666e-1 } 0
    t "" 1 "" { 1 }
    t "" 2 "" { 2 }
    t "" 3 "" { 3 }
    """
    game = parse_efg(text)
    assert game.root.probabilities == pytest.approx((1 / 3, 0.25, 5 / 12))


def test_efg_writer_output_is_gambit_style():
    text = write_efg(read_game(DATA / "poker.efg"))
    lines = text.splitlines()
    assert lines[0] == 'EFG 2 R "A simple Poker game" { "Alice" "Bob" }'
    assert lines[3] == 'c "" 1 "Deal" { "King" 0.5 "Queen" 0.5 } 0'
    assert lines[5] == 'p "" 2 1 "Bob\'s response" { "Call" "Fold" } 0'
    assert lines[6] == 't "" 1 "Win Big" { 2 -2 }'


def test_efg_writer_keeps_thirds_exact_and_summing_to_one():
    game = ExtensiveFormGame(
        ("A",),
        Node.chance([(name, 1 / 3, Node.terminal([k])) for k, name in enumerate("abc")]),
    )
    text = write_efg(game)
    assert '{ "a" 1/3 "b" 1/3 "c" 1/3 }' in text
    odd = ExtensiveFormGame(("A",), Node.chance([("a", 0.1, Node.terminal([0])), ("b", 0.9, Node.terminal([1]))]))
    assert '{ "a" 0.1 "b" 0.9 }' in write_efg(odd)


def test_efg_round_trip_of_gambit_files_keeps_the_game():
    for name in ("e02.efg", "bayes1.efg", "poker.efg", "nonterminal_outcomes.efg"):
        game = read_game(DATA / name)
        again = parse_efg(write_efg(game))
        assert_same_tree(game, again)
        assert [i.key for i in game.infosets()] == [i.key for i in again.infosets()]
        np.testing.assert_array_equal(game.to_normal_form().payoffs, again.to_normal_form().payoffs)


def test_labels_gambit_cannot_read_back_are_refused():
    game = ExtensiveFormGame(("A",), Node.terminal([1], outcome="ends in \\"))
    with pytest.raises(GameError, match="cannot be written"):
        write_efg(game)


# ---------------------------------------------------------------------------- TOML


def test_toml_normal_form():
    game = read_game(DATA / "chicken.toml")
    assert game.title == "Chicken"
    assert game.players == ("Row", "Column")
    assert game.strategies == (("Swerve", "Straight"), ("Swerve", "Straight"))
    np.testing.assert_array_equal(game.payoffs[0], [[0, -1], [1, -10]])
    np.testing.assert_array_equal(game.payoffs[1], [[0, 1], [-1, -10]])


def test_toml_three_player_normal_form_indexing():
    text = """
    players = ["a", "b", "c"]
    strategies = [["a1", "a2"], ["b1"], ["c1", "c2", "c3"]]
    payoffs = [
        [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]],
        [[[10, 11, 12], [13, 14, 15], [16, 17, 18.5]]],
    ]
    """
    game = parse_toml(text)
    assert game.shape == (2, 1, 3)
    np.testing.assert_array_equal(game.payoffs[:, 1, 0, 2], [16, 17, 18.5])
    np.testing.assert_array_equal(game.payoffs[:, 0, 0, 1], [4, 5, 6])


def test_toml_tree_from_the_module_docstring():
    game = read_game(DATA / "entry.toml")
    assert game.title == "Entry deterrence"
    root = game.root
    assert (root.label, root.player, root.actions) == ("start", 0, ("Stay out", "Enter"))
    entered = root.children[1]
    assert entered.kind == "chance" and entered.actions == ("Strong", "Weak")
    assert entered.probabilities == (0.25, 0.75)
    assert entered.children[0].outcome == "war" and entered.children[0].payoffs == (-1, -1)
    assert [node.label for node in game.nodes()] == ["start", "out", "entered", "fight", "share"]


def test_toml_tree_infosets_keep_action_order_and_accept_dotted_keys():
    text = """
    players = ["Sender", "Receiver"]
    root = "nature"

    [nodes]
    nature.chance = { high = ["1/3", "h"], low = ["2/3", "l"] }
    h = { player = "Sender", actions = { z = "hz", a = "ha" } }
    l = { player = "Sender", actions = { z = "lz", a = "la" } }

    [nodes.hz]
    player = "Receiver"
    infoset = "after z"
    actions = { yes = "t1", no = "t2" }
    [nodes.lz]
    player = "Receiver"
    infoset = "after z"
    actions = { yes = "t3", no = "t4" }
    [nodes.ha]
    payoffs = [1, 0]
    [nodes.la]
    payoffs = [0, 1]
    [nodes.t1]
    payoffs = [2, 2]
    [nodes.t2]
    payoffs = [0, 0]
    [nodes.t3]
    payoffs = [3, 3]
    [nodes.t4]
    payoffs = [-1, 5]
    """
    game = parse_toml(text)
    assert game.root.probabilities == pytest.approx((1 / 3, 2 / 3))
    assert game.root.children[0].actions == ("z", "a")
    receiver = game.infosets_of(1)
    assert len(receiver) == 1 and receiver[0].key == "after z" and len(receiver[0].nodes) == 2
    assert len(game.infosets_of(0)) == 2  # no infoset key: each node its own


def test_toml_writer_round_trips_special_labels():
    leaf = Node.terminal([1, 2.5], outcome='a "quoted"\nlabel')
    root = Node.decision(0, {"go left": leaf, "ключ": Node.terminal([0, -1e-7])}, label="start here")
    game = ExtensiveFormGame(("P 1", "P.2"), root, title="tab\there")
    again = parse_toml(write_toml(game))
    assert_same_tree(game, again, labels=False)
    assert again.root.label == "start here"


def test_toml_writer_gives_each_place_of_a_shared_subtree_its_own_node():
    """A subtree object used at two places (the crisis game does this) and labels that repeat, even
    ones that look like generated ids, still give one [nodes.<id>] table per place."""
    shared = Node.chance([("heads", 0.5, t([1, 0])), ("tails", 0.5, t([0, 1]))])
    root = Node.decision(0, {"a": shared, "b": shared, "c": t([2, 2], label="n1"), "d": t([3, 3], label="n1")})
    game = ExtensiveFormGame(("P1", "P2"), root)
    again = parse_toml(write_toml(game))
    assert_same_tree(game, again, labels=False)
    assert len(list(again.nodes())) == len(list(game.nodes()))


# ---------------------------------------------------------------------------- dispatch and files


def test_write_game_then_read_game_in_every_format(tmp_path):
    tree = read_game(DATA / "poker.efg")
    table = read_game(DATA / "e02.nfg")
    for name, game in (("g.efg", tree), ("g.toml", tree), ("h.toml", table), ("h.NFG", table)):
        write_game(game, tmp_path / name)
        again = read_game(tmp_path / name)
        if isinstance(game, ExtensiveFormGame):
            assert_same_tree(game, again, labels=not name.endswith(".toml"))
        else:
            assert_same_normal_form(game, again)
    write_game(tree, tmp_path / "tree.nfg")
    assert_same_normal_form(read_game(tmp_path / "tree.nfg"), tree.to_normal_form())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.efg", "g.toml", "h.NFG", "h.toml", "tree.nfg"]


def test_write_game_replaces_atomically_and_keeps_permissions(tmp_path):
    path = tmp_path / "game.efg"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_game(read_game(DATA / "e02.efg"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text().startswith("EFG 2 R")
    assert [p.name for p in tmp_path.iterdir()] == ["game.efg"]  # no temporary file left behind


def test_write_game_refusals_leave_no_file(tmp_path):
    with pytest.raises(GameError, match="game tree"):
        write_game(read_game(DATA / "e02.nfg"), tmp_path / "x.efg")
    with pytest.raises(GameError, match="unknown kind"):
        write_game(read_game(DATA / "e02.nfg"), tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []


def test_read_game_errors_name_the_path(tmp_path):
    path = tmp_path / "broken.efg"
    path.write_text('EFG 2 R "" { "A" }\np "" 1 1 "" { "a" } 0\n')
    with pytest.raises(GameError, match=re.escape(f"{path}:2: the file ends before the tree is complete")):
        read_game(path)
    with pytest.raises(GameError, match="unknown kind"):
        read_game(tmp_path / "game.txt")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'players = ["A"]\ntitle = "\xff"\n')
    with pytest.raises(GameError, match=re.escape(f"{bad}:2: this file is not UTF-8")):
        read_game(bad)


def test_latin1_gambit_files_are_read(tmp_path):
    path = tmp_path / "old.nfg"
    path.write_bytes('NFG 1 R "café" { "A" } { 1 }\n5\n'.encode("latin-1"))
    assert read_game(path).title == "café"


def test_parse_game_guesses_the_kind():
    assert isinstance(parse_game((DATA / "e02.efg").read_text()), ExtensiveFormGame)
    assert isinstance(parse_game((DATA / "e02.nfg").read_text()), NormalFormGame)
    assert isinstance(parse_game((DATA / "chicken.toml").read_text()), NormalFormGame)
    assert isinstance(parse_game((DATA / "e02.efg").read_text(), "somewhere/e02.efg"), ExtensiveFormGame)


# ---------------------------------------------------------------------------- errors

NFG_HEAD = 'NFG 1 R "t" { "A" "B" }'
EFG_HEAD = 'EFG 2 R "t" { "A" "B" }\n""'

NFG_ERRORS = [
    ("NFX 1 R", 1, "not a Gambit .nfg file"),
    ('NFG 2 R "t"', 1, "only NFG version 1"),
    ('NFG 1 Q "t"', 1, "expected R"),
    ("NFG 1 R { }", 1, "expected the game's title"),
    ('NFG 1 R "t" { } { }', 1, "no players"),
    (f"{NFG_HEAD}\n{{ 2 }}\n1 1", 2, "strategy counts for 1 player, but the game has 2"),
    (f"{NFG_HEAD}\n{{ 2 0 }}", 2, "at least 1"),
    (f"{NFG_HEAD}\n{{ 2 1.5 }}", 2, "a whole number"),
    (f'{NFG_HEAD}\n{{ {{ "a" }} {{ }} }}', 2, "player 'B' has no strategies"),
    (f"{NFG_HEAD}\n{{ 2 2 }}\n1 1 0 2\n3 3", 4, "ends after 6 of its 8 payoffs", "truncated"),
    (f"{NFG_HEAD}\n{{ 2 2 }}\n1 1 0 2\n3 x 0 0", 4, "expected a payoff", "'x'"),
    (f"{NFG_HEAD}\n{{ 1 1 }}\n1 1\n2", 4, "expected the end of the file", "the number 2"),
    (f"{NFG_HEAD}\n{{ 1 1 }}\n1.2.3 1", 3, "'1.2.3' is not a number"),
    (f"{NFG_HEAD}\n{{ 1 1 }}\n1/0 1", 3, "divides by zero"),
    (f'{NFG_HEAD}\n{{ 1 1 }}\n"open\n\n', 3, "never closed"),
    (
        f'{NFG_HEAD}\n{{ 1 1 }}\n{{\n{{ "ok" 1 2 }}\n{{ "bad" 1, 2, 3 }}\n}}\n1',
        5,
        "outcome 2 ('bad') has 3 payoffs",
        "2 players",
    ),
    (f'{NFG_HEAD}\n{{ 1 2 }}\n{{ {{ "o" 1 2 }} }}\n1 2', 4, "outcome 2 is not defined"),
    (f'{NFG_HEAD}\n{{ 1 2 }}\n{{ {{ "o" 1 2 }} }}\n1', 4, "ends after 1 of its 2 outcome numbers"),
    (f'{NFG_HEAD}\n{{ 1 1 }}\n{{ {{ "o" 1 two }} }}\n1', 3, "expected a payoff", "'two'"),
    (f"{NFG_HEAD}\n{{ 1 1 }}\nabc", 3, "expected the payoffs"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), [case[:3] for case in NFG_ERRORS])
def test_bad_nfg_files_say_where_and_why(text, line, fragment):
    assert_error(text, "nfg", line, fragment, source="bad.nfg")


def test_nfg_error_fragments_beyond_the_first():
    for text, line, *fragments in NFG_ERRORS:
        assert_error(text, "nfg", line, *fragments)


EFG_ERRORS = [
    ('EFG 3 R "t" { "A" }', 1, "only EFG version 2"),
    ('NFG 1 R "t" { "A" }', 1, "not a Gambit .efg file"),
    (f"{EFG_HEAD}\n", 2, "expected a node", "truncated"),
    (f'{EFG_HEAD}\nx "" 1 1 "" {{ "a" }} 0', 3, "expected a node", "'x'"),
    (f'{EFG_HEAD}\np "" 3 1 "" {{ "a" }} 0\nt "" 0', 3, "player 3 does not exist", "2 players"),
    (f'{EFG_HEAD}\np "" 0 1 "" {{ "a" }} 0\nt "" 0', 3, "the player's number", "at least 1"),
    (f'{EFG_HEAD}\np "" one 1 "" {{ "a" }} 0\nt "" 0', 3, "expected the player's number", "'one'"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ }} 0', 3, "at least one action"),
    (f'{EFG_HEAD}\n\nc "" 1 "" {{ "a" 1/2 "b" 1/3 }} 0\nt "" 0\nt "" 0', 4, "sum to 0.833333, not 1"),
    (f'{EFG_HEAD}\nc "" 1 ""\n{{ "a" 1/2\n"b" -1/2 }} 0\nt "" 0\nt "" 0', 5, "probability of 'b' is negative"),
    (f'{EFG_HEAD}\nc "" 1 "" {{ "a" 3/2 "b" -1/2 }} 0\nt "" 0\nt "" 0', 3, "probability of 'a' is more than 1"),
    (f'{EFG_HEAD}\nc "" 1 "" {{ "a" 1/2 "b" }} 0', 3, "expected the probability of 'b'", "'}'"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" }} 0\nt "" 1 "win" {{ 1 2 3 }}', 4, "outcome 1 ('win') has 3 payoffs"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" }} 0\nt "" 1 "win" {{ 1 }}', 4, "has 1 payoff,"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" "b" }} 0\nt "" 0', 4, "ends before the tree is complete", "1 of its 2"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" }} 0\nt "" 0\nt "" 0', 5, "expected the end of the file after the last node"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" "b" }} 0\np "" 2 1 {{ "x" }} 0', 4, "its name (a quoted string"),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" "b" }} 0\nt "" 0\np "" 1 2 0', 5, "information set 2 of player 1 is used before"),
    (f'{EFG_HEAD}\nc "" 1 "" {{ "a" 1 }} 0\nc "" 2 0', 4, "chance event 2 is used before"),
    (
        f'{EFG_HEAD}\np "" 1 1 "I" {{ "a" "b" }} 0\nt "" 0\np "" 1 1 "I" {{ "a" "c" }} 0',
        5,
        "information set 1 of player 1 was declared at line 3",
    ),
    (f'{EFG_HEAD}\np "" 1 1 "" {{ "a" "b" }} 0\nt "" 7\nt "" 0', 4, "outcome 7 is used before it is declared"),
    (
        f'{EFG_HEAD}\np "" 1 1 "" {{ "a" "b" }} 0\nt "" 1 "w" {{ 1 2 }}\nt "" 1 "w" {{ 1 3 }}',
        5,
        "outcome 1 was declared at line 4",
    ),
    (f'{EFG_HEAD}\nt "" 0 "null" {{ 1 2 }}', 3, "outcome 0 means 'no outcome'"),
    (f'{EFG_HEAD}\nt "" 1 "w" {{ 1 x }}', 3, "expected a payoff", "'x'"),
    (f'{EFG_HEAD}\nt "" 1 "w" {{ 1 2', 3, "expected a payoff", "end of the file"),
]


@pytest.mark.parametrize(("text", "line", "fragments"), [(c[0], c[1], c[2:]) for c in EFG_ERRORS])
def test_bad_efg_files_say_where_and_why(text, line, fragments):
    assert_error(text, "efg", line, *fragments, source="bad.efg")


TOML_TREE = """players = ["A", "B"]
root = "r"

[nodes.r]
player = "A"
actions = { left = "x", right = "y" }

[nodes.x]
payoffs = [1, 2]

[nodes.y]
payoffs = [3, 4]
"""


def edit(old: str, new: str) -> str:
    assert old in TOML_TREE
    return TOML_TREE.replace(old, new)


def as_chance(branches: str) -> str:
    """TOML_TREE with its root made a chance node (the `chance` key on line 5)."""
    return edit('player = "A"\nactions = { left = "x", right = "y" }', f"chance = {branches}")


TOML_ERRORS = [
    ('players = ["A"\nroot = "r"', 2, "not valid TOML"),
    ('title = "t"\nplayers = "A"', 2, "players should be a list"),
    ('players = ["A", "A"]\nstrategies = [["a"], ["b"]]\npayoffs = []', 1, "player 'A' is named twice"),
    ('players = ["A"]\nstrategy = [["a"]]', 2, "unknown key 'strategy'"),
    ('players = ["A"]\nstrategies = [["a"]]', 1, "missing 'payoffs'"),
    ('players = ["A", "B"]\nstrategies = [["a"]]\npayoffs = [[1]]', 2, "should be a list of 2"),
    ('players = ["A", "B"]\nstrategies = [["a"], []]\npayoffs = [[1]]', 2, "player 'B' has no strategies"),
    (
        'players = ["A", "B"]\nstrategies = [["a", "b"], ["c"]]\n\npayoffs = [\n  [[1, 2]],\n  [[1, 2, 3]],\n]',
        4,
        "payoffs[1][0] (one payoff per player) should be a list of 2, found a list of 3",
    ),
    ('players = ["A"]\nstrategies = [["a", "b"]]\npayoffs = [[1]]', 3, "payoffs (one entry per strategy of 'A')"),
    ('players = ["A"]\nstrategies = [["a"]]\npayoffs = [["x"]]', 3, "payoffs[0][0] should be a number, found 'x'"),
    (edit('player = "A"', 'player = "C"'), 5, "unknown player 'C'", "'A', 'B'"),
    (edit('player = "A"\n', ""), 4, "has actions but no 'player'"),
    (edit('right = "y"', 'right = "z"'), 6, "'right' leads to 'z', which is not defined"),
    (
        edit("payoffs = [3, 4]", 'player = "B"\nactions = { back = "r" }'),
        13,
        "node 'y' leads back to 'r'",
        "r -> y -> r",
    ),
    (edit('right = "y"', 'right = "x"'), 6, "'x' is a child of 'r' twice"),
    (edit("payoffs = [3, 4]", 'player = "B"\nactions = { also = "x" }'), 13, "'x' is a child of 'r' and 'y'"),
    (TOML_TREE + "\n[nodes.lost]\npayoffs = [0, 0]\n", 14, "node 'lost' is never reached"),
    (edit("[1, 2]", "[1, 2, 3]"), 9, "payoffs of node 'x' should be a list of 2"),
    (edit("[1, 2]", '[1, "two"]'), 9, "payoff 2 of node 'x' should be a number"),
    (edit("[nodes.x]\n", '[nodes.x]\nactions = { a = "y" }\n'), 8, "needs exactly one of", "actions and payoffs"),
    (edit("[nodes.x]\n", '[nodes.x]\nplayer = "A"\n'), 9, "'player' does not go with 'payoffs'"),
    (edit("[nodes.x]\n", "[nodes.x]\ncolour = 3\n"), 9, "unknown key 'colour'"),
    (edit("[nodes.x]\n", '[nodes.x]\ninfoset = "i"\n'), 9, "'infoset' does not go with 'payoffs'"),
    (edit('root = "r"', 'root = "q"'), 2, "the root 'q' is not defined"),
    (edit('actions = { left = "x", right = "y" }', "actions = {}"), 6, "node 'r' has no actions"),
    (
        as_chance('{ left = [0.5, "x"], right = [0.4, "y"] }'),
        5,
        "chance probabilities sum to 0.9, not 1",
    ),
    (
        as_chance('{ left = [1.5, "x"], right = [-0.5, "y"] }'),
        5,
        "probability of branch 'left' of node 'r' is more than 1",
    ),
    (
        as_chance('{ left = ["1/0", "x"], right = [1, "y"] }'),
        5,
        "a number or a fraction like",
    ),
    (as_chance('{ left = [1, "x", 2] }'), 5, "[probability, child id]"),
    (as_chance('{ left = [1, "x"], right = [-0.0001, "y"] }'), 5, "branch 'right' of node 'r' is negative"),
    ('strategies = [["a"]]\n' + TOML_TREE, 1, "'strategies' belongs to a normal form"),
]


@pytest.mark.parametrize(("text", "line", "fragments"), [(c[0], c[1], c[2:]) for c in TOML_ERRORS])
def test_bad_toml_files_say_where_and_why(text, line, fragments):
    assert_error(text, "toml", line, *fragments, source="bad.toml")


def test_toml_structural_errors_find_quoted_and_dotted_node_ids():
    text = """players = ["A"]
root = "start?"

[nodes."start?"]
player = "A"
actions = { go = "end" }

[nodes]
end.payoffs = [1]
'odd one'.payoffs = [2]
"""
    assert_error(text, "toml", 10, "node 'odd one' is never reached")
    cyclic = text.replace("end.payoffs = [1]", 'end = { player = "A", actions = { again = "start?" } }')
    assert_error(cyclic, "toml", 9, "node 'end' leads back to 'start?'")


def test_toml_key_search_skips_multiline_values():
    text = '''players = ["A"]
title = """
[nodes.fake]
player = "B"
"""
root = "r"
[nodes.r]
payoffs = [
  1,
]
[nodes.lost]
payoffs = [1]
'''
    assert_error(text, "toml", 11, "node 'lost' is never reached")
    assert_error(text.replace("  1,\n", '  "one",\n'), "toml", 8, "payoff 1 of node 'r' should be a number")


def test_toml_infoset_members_must_offer_the_same_actions():
    text = TOML_TREE.replace("payoffs = [1, 2]", 'player = "B"\ninfoset = "i"\nactions = { a = "x1", b = "x2" }')
    text = text.replace("payoffs = [3, 4]", 'player = "B"\ninfoset = "i"\nactions = { b = "y1", a = "y2" }')
    text += "".join(f"[nodes.{leaf}]\npayoffs = [0, 0]\n" for leaf in ("x1", "x2", "y1", "y2"))
    assert_error(text, "toml", 16, "node 'y' is in information set 'i' of 'B' with node 'x'", "['a', 'b']")


def test_no_raw_exceptions_from_garbage():
    """Whatever the bytes, only GameError comes out (fuzzed below; these are a few known-nasty ones)."""
    for kind, text in [
        ("nfg", ""),
        ("efg", ""),
        ("toml", ""),
        ("nfg", "NFG 1 R"),
        ("nfg", 'NFG 1 R "" { "A" } { 99999999 99999999 }'),
        ("nfg", 'NFG 1 R "" { "A" } { 1 }\n1e999999'),
        ("nfg", 'NFG 1 R "" { "A" } { 1 }\n1e-99999999999'),
        ("nfg", 'NFG 1 R "" { "A" } { 1 }\n' + "9" * 5000),
        ("nfg", 'NFG 1 R "" { "A" } { 999999999 }'),
        ("nfg", 'NFG 1 R "" { "A" "B" } { { "a" "b" } { "c" } } { { "o" 1 } }'),
        ("efg", 'EFG 2 R "" { "A" }\nt "" 1 "" { 1e309 }'),
        ("efg", 'EFG 2 R "" { "A" }\np "" 1 1 "" { "a" } 1 "" { 1e308 }\nt "" 1'),
        ("toml", "players = [1]"),
        ("toml", "players = []\nroot = 'r'"),
        ("toml", 'players = ["A"]\nnodes = 3\nroot = "r"'),
        ("toml", 'players = ["A"]\nnodes = { r = 3 }\nroot = "r"'),
        ("toml", 'players = ["A"]\nnodes = { r = { chance = 3 } }\nroot = "r"'),
        ("toml", 'players = ["A"]\nstrategies = [["a"]]\npayoffs = [[true]]'),
        ("toml", 'players = ["A"]\nroot = "r"\nnodes.r.chance = { a = ["1e99999999999", "t"] }\nnodes.t.payoffs = [1]'),
        ("toml", 'players = ["A"]\nroot = "r"\nnodes.r.chance = { a = [1e308, "t"], b = [1e308, "t"] }'),
    ]:
        with pytest.raises(GameError, match=r"^game:\d+: "):
            parse_game(text, "game", kind)


# ---------------------------------------------------------------------------- round trips (hypothesis)

ROUND_TRIPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("write", "parse"), [(write_nfg, parse_nfg), (write_toml, parse_toml)], ids=["nfg", "toml"])
@ROUND_TRIPS
@given(normal_forms())
def test_normal_form_round_trip(write, parse, game):
    text = write(game)
    again = parse(text)
    assert_same_normal_form(game, again)
    assert write(again) == text


@ROUND_TRIPS
@given(game_trees())
def test_efg_round_trip(game):
    again = parse_efg(write_efg(game))
    assert_same_tree(game, again)
    named = [i.key for i in game.infosets() if i.nodes[0].infoset]
    assert named == [i.key for i in again.infosets() if i.nodes[0].infoset in named]
    # from the second writing on, the text is a fixed point
    text = write_efg(again)
    assert write_efg(parse_efg(text)) == text


@ROUND_TRIPS
@given(game_trees())
def test_toml_tree_round_trip(game):
    again = parse_toml(write_toml(game))
    assert_same_tree(game, again, labels=False)
    assert [i.key for i in game.infosets() if i.nodes[0].infoset] == [
        i.key for i in again.infosets() if i.nodes[0].infoset
    ]


@ROUND_TRIPS
@given(game_trees())
def test_a_tree_and_its_written_normal_form_agree(game):
    np.testing.assert_allclose(parse_nfg(write_nfg(game)).payoffs, game.to_normal_form().payoffs, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["nfg", "efg", "toml"]), st.text(max_size=60))
def test_random_text_raises_only_game_errors(kind, text):
    try:
        parse_game(text, "fuzz", kind)
    except GameError as error:
        assert re.match(r"fuzz:\d+: ", str(error)), str(error)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_game_files_raise_only_game_errors(data):
    """Cut or corrupt real files anywhere: a GameError with a line, never a Python exception."""
    name = data.draw(st.sampled_from([path.name for path in sorted(DATA.iterdir())]))
    text = (DATA / name).read_text()
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(["", "}", "{", "[", "]", "=", '"', "x", "-", "0", "1/0", "9", "\n[nodes.q]\n"]))
    damaged = text[:cut] + junk + text[cut + data.draw(st.integers(0, 3)) :]
    try:
        parse_game(damaged, name)
    except GameError as error:
        assert re.match(rf"{re.escape(name)}:\d+: ", str(error)), str(error)


# ---------------------------------------------------------------------------- Gambit itself


def test_pygambit_reads_our_files_with_the_same_payoffs(tmp_path):
    gbt = pytest.importorskip("pygambit")
    from sim.game.gambit_api import pure_payoffs

    table = read_game(DATA / "e02.nfg")
    write_game(table, tmp_path / "e02.nfg")
    theirs = gbt.read_nfg(str(tmp_path / "e02.nfg"))
    for profile in itertools.product(*(range(size) for size in table.shape)):
        for k, payoff in enumerate(pure_payoffs(theirs, profile)):
            assert payoff == table.payoffs[(k, *profile)]

    tree = read_game(DATA / "nonterminal_outcomes.efg")
    write_game(tree, tmp_path / "tree.efg")
    theirs = gbt.read_efg(str(tmp_path / "tree.efg"))
    ours = [payoff for payoffs in terminal_payoffs(tree) for payoff in payoffs]
    if not hasattr(theirs, "root"):  # pygambit 17 reads trees by history, not by node: the extremes
        assert (float(theirs.min_payoff), float(theirs.max_payoff)) == (min(ours), max(ours))
        return
    leaves, stack = [], [theirs.root]
    while stack:  # preorder, as ours
        node = stack.pop()
        if node.is_terminal:
            leaves.append(node)
        stack.extend(reversed(list(node.children)))
    payoffs = [tuple(float(leaf.outcome[p]) if leaf.outcome else 0.0 for p in theirs.players) for leaf in leaves]
    assert payoffs == terminal_payoffs(tree)
