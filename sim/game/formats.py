"""Game files: Gambit's ``.nfg`` and ``.efg`` formats, and this project's own TOML format.

Reading gives a :class:`NormalFormGame` or an :class:`ExtensiveFormGame`; writing gives text that
Gambit can open and that this module reads back to an equal game. Every malformed file raises
:class:`GameError` with a message that starts ``"<source>:<line>: "`` and says what is wrong.

Public functions
----------------
``read_game(path)`` / ``write_game(game, path)``
    Choose the format by suffix (``.nfg``, ``.efg``, ``.toml``; any case). Writing is atomic: a
    temporary file in the same folder, then ``os.replace``. A tree written as ``.nfg`` is written as
    its (unreduced) normal form; ``.efg`` needs a tree. Files that cannot be opened raise ``OSError``;
    Gambit files that are not UTF-8 are read as Latin-1 (old Gambit files often are), TOML must be UTF-8.
    Only regular files are read (not a directory, pipe or device), and only up to
    :data:`~sim.limits.MAX_GAME_FILE_BYTES`; a tree may have at most
    :data:`~sim.limits.MAX_GAME_NODES` nodes and a node at most
    :data:`~sim.limits.MAX_ACTIONS_PER_NODE` actions. Anything larger raises GameError naming the file
    and the limit, before it is read or as soon as the reader gets there.
``parse_game(text, source, kind)``
    The same from a string; ``kind`` is ``"nfg"``, ``"efg"`` or ``"toml"`` (default: the suffix of
    ``source``, else sniffed from the text). ``parse_nfg``, ``parse_efg``, ``parse_toml`` do one each.
``write_nfg(game)``, ``write_efg(game)``, ``write_toml(game)``
    Return the text.

Gambit's formats (https://gambitproject.readthedocs.io, "Game representation formats")
--------------------------------------------------------------------------------------
``NFG 1 R "title" { "P1" "P2" } { 3 2 } "optional comment"`` followed by either the payoff list
(every profile's payoffs, player 1's strategy varying fastest) or, with strategy names
``{ { "a" "b" "c" } { "x" "y" } }``, an outcome list ``{ { "name" 1, 1 } ... }`` and one outcome
number per profile (0 = all payoffs zero). Strategy counts label strategies ``"1"``, ``"2"``, ...

``EFG 2 R "title" { "P1" "P2" } "optional comment"`` followed by the nodes in depth-first preorder:
``p "node" player infoset ["infoset name" { "action" ... }] outcome ["outcome name" { payoffs }]``,
``c "node" event ["event name" { "action" probability ... }] outcome [...]``,
``t "node" outcome ["outcome name" { payoffs }]``. The bracketed parts may be left out after the
first time an infoset, event or outcome appears; if given again they must match. Outcomes on
non-terminal nodes add to the payoffs of every terminal below them (Gambit's rule), so they are
folded into the terminal payoffs here; a terminal's ``Node.outcome`` is its own outcome's name.
Numbers may be integers, decimals with exponents (``1.5e3``) or rationals (``3/4``). In strings,
``\\"`` is a quote; other backslashes are kept, exactly as Gambit reads them.

Reading maps Gambit's numbers to this project's keys. Players are 1-based in the file and 0-based
in ``Node.player``. A player's infoset becomes ``Node.infoset`` = its name if that name is
non-empty and unique among the player's infosets (and is not another infoset's number), else its
number as a string; chance events likewise. As Gambit does, empty or repeated labels of players,
strategies and actions are made unique by appending ``_1``, ``_2``, ... Probabilities must be
non-negative and sum to 1 within 1e-9.

Writing numbers the decision infosets of each player 1, 2, ... in order of first appearance and
names each by its key (unnamed ones stay unnamed); chance nodes with the same non-empty key, actions
and probabilities share an event. Each terminal gets its own outcome. Payoffs are written exactly
(no exponents); probabilities as exact decimals or fractions that sum to exactly 1, since Gambit
insists on that. A label that Gambit would read back differently (a backslash before a quote or at
the end) cannot be written and raises GameError.

The TOML format
---------------
A normal form: ``players``, ``strategies`` (one list of names per player) and ``payoffs``, a nested
array indexed by strategy profile and then player: ``payoffs[s1][s2]...[sn] = [u1, ..., un]``::

    title = "Chicken"                       # optional
    players = ["Row", "Column"]
    strategies = [["Swerve", "Straight"], ["Swerve", "Straight"]]
    payoffs = [
        [[0, 0], [-1, 1]],                  # Row swerves: Column swerves, goes straight
        [[1, -1], [-10, -10]],              # Row goes straight
    ]

A tree (recognised by ``root`` or ``nodes``): ``players``, ``root = "<id>"`` and one
``[nodes.<id>]`` table per node. A decision node names its ``player`` and maps each action to a
child id in ``actions`` (the order is kept); an optional ``infoset`` key puts nodes of the same
player in one information set. A chance node maps each branch to ``[probability, child id]`` in
``chance`` (a probability may be a number or a string such as ``"1/3"``; an optional ``infoset``
is kept as the node's key). A terminal node has ``payoffs`` (one per player) and an optional
``outcome`` label. A node's id becomes its ``Node.label``::

    title = "Entry deterrence"
    players = ["Entrant", "Incumbent"]
    root = "start"

    [nodes.start]
    player = "Entrant"
    actions = { "Stay out" = "out", Enter = "entered" }

    [nodes.out]
    payoffs = [0, 2]

    [nodes.entered]
    chance = { Strong = [0.25, "fight"], Weak = ["3/4", "share"] }

    [nodes.fight]
    payoffs = [-1, -1]
    outcome = "war"

    [nodes.share]
    payoffs = [1, 1]

Players must have distinct names. Unknown keys are errors (they are usually typos). The nodes must
form one tree: a child id that is not defined, a cycle, a node with two parents and a node that is
never reached from the root are all errors (not warnings), reported at the line of the offending
``[nodes.<id>]`` table or key. When writing, every place in the tree gets its own table (a subtree
object used at two places is written twice); node ids are the node labels where those are non-empty
and unique, else ``n<k>``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sim.files import FileRefused, read_regular_file, write_text_atomically
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import PROBABILITY_TOLERANCE, ExtensiveFormGame, Node, NodeKind, depth_first
from sim.limits import MAX_ACTIONS_PER_NODE, MAX_GAME_FILE_BYTES, MAX_GAME_NODES, MAX_TABLE_ENTRIES

Game = NormalFormGame | ExtensiveFormGame
T = TypeVar("T")


KINDS = ("nfg", "efg", "toml")
_LARGEST_FLOAT = Fraction(np.finfo(float).max)


# ====================================================================== shared helpers


def _error(source: str, line: int, message: str) -> GameError:
    return GameError(f"{source}:{line}: {message}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _exact(text: str) -> Fraction:
    """A decimal, exponent or ``n/d`` string as an exact fraction. Raises ValueError (also for an
    exponent beyond 1000, which no float can hold and which would take Fraction ages to expand)
    or ZeroDivisionError."""
    exponent = re.search(r"[eE]([+-]?[0-9]+)$", text.strip())
    if exponent and abs(int(exponent.group(1))) > 1000:
        raise ValueError(f"the exponent of {text} is out of range")
    return Fraction(text.strip())


def _probability_problem(probability: Fraction) -> str | None:
    if probability < 0:
        return "is negative"
    if probability > 1:
        return "is more than 1"
    return None


def _distribution_problem(probabilities: Sequence[Fraction]) -> str | None:
    """Whether chance probabilities (each already in [0, 1]) fail to sum to 1 within the tree's tolerance."""
    total = sum(probabilities, Fraction(0))
    return None if abs(total - 1) <= PROBABILITY_TOLERANCE else f"sum to {float(total):g}, not 1"


def _checked(error: Callable[[str], GameError], build: Callable[[], T]) -> T:
    """Build a game, giving any complaint of the game classes the file and line it belongs to
    (``error`` makes that message; it is called only on a complaint)."""
    try:
        return build()
    except GameError as problem:
        raise error(str(problem)) from None


def _normalize_labels(labels: Sequence[str]) -> list[str]:
    """Gambit's rule: empty or repeated labels get ``_1``, ``_2``, ... so every label is usable as a name."""
    counts = Counter(labels)
    used = set(labels)
    visited: Counter[str] = Counter()
    result = []
    for label in labels:
        if counts[label] == 1 and label != "":
            result.append(label)
            continue
        while True:
            visited[label] += 1
            candidate = f"{label}_{visited[label]}"
            if candidate not in used:
                break
        used.add(candidate)
        result.append(candidate)
    return result


def _from_gambit_order(rows: Sequence[Sequence[float]], shape: Sequence[int]) -> np.ndarray:
    """Payoff rows listed in Gambit's profile order (the first player's strategy varies fastest)
    -> the ``(players, m_1, ..., m_n)`` array. :func:`_to_gambit_order` is the inverse."""
    n = len(shape)
    data = np.array(rows, dtype=float).reshape((*reversed(shape), n))
    return np.transpose(data, (n, *range(n - 1, -1, -1)))


def _to_gambit_order(payoffs: np.ndarray) -> np.ndarray:
    """The ``(players, m_1, ..., m_n)`` array -> one row of payoffs per profile, in Gambit's order."""
    n = payoffs.shape[0]
    return np.transpose(payoffs, (*range(n, 0, -1), 0)).reshape(-1, n)


def _check_table_size(error: Callable[[str], GameError], n_players: int, shape: Sequence[int]) -> None:
    entries = n_players * math.prod(shape)
    if entries > MAX_TABLE_ENTRIES:
        raise error(f"the payoff table would hold {entries} numbers, more than the {MAX_TABLE_ENTRIES} allowed")


# ====================================================================== Gambit tokens


_NUMBER = re.compile(r"[+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_PUNCTUATION = "{},"
_DELIMITERS = frozenset(_PUNCTUATION + '"')


@dataclass(frozen=True)
class _Token:
    """One lexical token: kind is "text", "number", "symbol", "{", "}", "," or "end"."""

    kind: str
    text: str
    line: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the file"
        if self.kind == "text":
            return f'the string "{self.text}"'
        if self.kind == "number":
            return f"the number {self.text}"
        return f"'{self.text}'"


def _word_at(text: str, start: int) -> str:
    """The run of characters from ``start`` up to whitespace or punctuation (at least one character)."""
    end = start + 1
    while end < len(text) and not text[end].isspace() and text[end] not in _DELIMITERS:
        end += 1
    return text[start:end]


def _read_string(text: str, start: int) -> tuple[str, int] | None:
    """A quoted string starting at ``start``, decoded as Gambit's lexer does: ``\\"`` is a quote,
    any other backslash is kept. Returns the value and the index after the closing quote, or None
    if the string is never closed."""
    out: list[str] = []
    last_slash = False
    for index in range(start + 1, len(text)):
        char = text[index]
        if char == '"' and not last_slash:
            return "".join(out), index + 1
        if last_slash:
            out.append('"' if char == '"' else "\\" + char)
        elif char != "\\":
            out.append(char)
        last_slash = char == "\\"
    return None


def _tokenize(text: str, source: str) -> list[_Token]:
    """Split a Gambit file into tokens, each with its line; malformed numbers and strings fail here."""
    tokens: list[_Token] = []
    line, index = 1, 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            line += char == "\n"
            index += 1
        elif char in _PUNCTUATION:
            tokens.append(_Token(char, char, line))
            index += 1
        elif char == '"':
            read = _read_string(text, index)
            if read is None:
                raise _error(source, line, "this quoted string is never closed (a '\"' is missing)")
            tokens.append(_Token("text", read[0], line))
            line += text.count("\n", index, read[1])
            index = read[1]
        elif char in "0123456789+-.":
            match = _NUMBER.match(text, index)
            end = match.end() if match else index
            if match is None or (end < len(text) and not text[end].isspace() and text[end] not in _DELIMITERS):
                raise _error(source, line, f"'{_word_at(text, index)}' is not a number")
            tokens.append(_Token("number", match.group(), line))
            index = end
        else:
            word = _word_at(text, index)
            tokens.append(_Token("symbol", word, line))
            index += len(word)
    tokens.append(_Token("end", "", text.rstrip().count("\n") + 1))  # the last line with something on it
    return tokens


class _Parser:
    """A cursor over the tokens of one file, with checks that fail with the file name and line."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(text, source)
        self.position = 0

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def error(self, token: _Token, message: str) -> GameError:
        return _error(self.source, token.line, message)

    def unexpected(self, token: _Token, wanted: str) -> GameError:
        found = token.describe() + (" (is the file truncated?)" if token.kind == "end" else "")
        return self.error(token, f"expected {wanted}, found {found}")

    def expect(self, kind: str, wanted: str) -> _Token:
        token = self.take()
        if token.kind != kind:
            raise self.unexpected(token, wanted)
        return token

    def text(self, wanted: str) -> str:
        return self.expect("text", wanted).text

    def number(self, wanted: str) -> Fraction:
        """A number token as an exact fraction (also checked to fit in a float)."""
        token = self.expect("number", wanted)
        try:
            value = _exact(token.text)
            float(value)
        except ZeroDivisionError:
            raise self.error(token, f"{token.text} divides by zero") from None
        except (ValueError, OverflowError):
            raise self.error(token, f"{token.text} is not a usable number") from None
        return value

    def whole(self, wanted: str, minimum: int) -> int:
        token = self.peek()
        value = self.number(wanted)
        if value.denominator != 1 or value < minimum:
            raise self.error(token, f"expected {wanted} (a whole number, at least {minimum}), found {token.text}")
        return int(value)

    def labels(self, wanted: str) -> list[str]:
        """``{ "a" "b" ... }``"""
        self.expect("{", f"'{{' opening {wanted}")
        labels = []
        while self.peek().kind != "}":
            labels.append(self.text(f"a quoted name or '}}' in {wanted}"))
        self.take()
        return labels

    def payoffs(self, wanted: str) -> list[Fraction]:
        """Numbers up to a closing ``}`` (the opening one already taken); commas between them are allowed."""
        values: list[Fraction] = []
        while True:
            token = self.peek()
            if token.kind == "}":
                self.take()
                return values
            if token.kind == ",":
                self.take()
                continue
            if token.kind != "number":
                raise self.unexpected(token, f"{wanted} (a number) or '}}'")
            values.append(self.number(wanted))

    def expect_end(self, after: str) -> None:
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"expected the end of the file {after}, found {token.describe()}")


def _gambit_header(parser: _Parser, magic: str, version: str) -> tuple[str, list[str]]:
    """``NFG 1 R "title" { "P1" "P2" }`` (or EFG 2): the title and the player names."""
    start = f"'{magic} {version} R'"
    token = parser.take()
    if token.kind != "symbol" or token.text != magic:
        raise parser.error(
            token, f"not a Gambit .{magic.lower()} file: it must start with {start}, not {token.describe()}"
        )
    token = parser.take()
    if token.kind != "number" or token.text != version:
        raise parser.error(token, f"only {magic} version {version} is supported ({start}), found {token.describe()}")
    token = parser.take()
    if token.kind != "symbol" or token.text not in ("R", "D"):
        raise parser.error(token, f"expected R after '{magic} {version}', found {token.describe()}")
    title = parser.text("the game's title (a quoted string)")
    players_token = parser.peek()
    players = parser.labels("the list of players")
    if not players:
        raise parser.error(players_token, "the game has no players")
    return title, _normalize_labels(players)


def _skip_comment(parser: _Parser) -> None:
    if parser.peek().kind == "text":
        parser.take()


# ====================================================================== .nfg


def parse_nfg(text: str, source: str = "<nfg>") -> NormalFormGame:
    """A Gambit strategic-form file (``NFG 1 R``), payoff-list or outcome version."""
    parser = _Parser(text, source)
    title, players = _gambit_header(parser, "NFG", "1")
    strategies = _nfg_strategies(parser, players)
    _skip_comment(parser)
    shape = tuple(len(labels) for labels in strategies)
    start = parser.peek()
    _check_table_size(partial(parser.error, start), len(players), shape)  # named strategies
    if start.kind == "{":
        rows = _nfg_outcome_body(parser, len(players), shape)
    elif start.kind == "number":
        rows = _nfg_payoff_body(parser, len(players), shape)
    else:
        raise parser.unexpected(start, "the payoffs (numbers) or the list of outcomes ('{')")
    parser.expect_end("after the payoffs of every strategy profile")
    payoffs = _from_gambit_order(rows, shape)
    return _checked(
        partial(parser.error, start),
        lambda: NormalFormGame(tuple(players), tuple(map(tuple, strategies)), payoffs, title),
    )


def _nfg_strategies(parser: _Parser, players: Sequence[str]) -> list[list[str]]:
    """``{ { "a" "b" } { "x" "y" } }`` (names) or ``{ 2 2 }`` (counts: strategies "1", "2", ...)."""
    opening = parser.expect("{", "'{' opening the strategies")
    if parser.peek().kind == "{":
        lists = []
        while parser.peek().kind == "{":
            lists.append((parser.peek(), parser.labels("a player's strategy names")))
        parser.expect("}", "'{' opening a player's strategies or '}'")
        if len(lists) != len(players):
            raise parser.error(
                opening, f"strategies for {_count(len(lists), 'player')}, but the game has {len(players)}"
            )
        for (token, labels), player in zip(lists, players):
            if not labels:
                raise parser.error(token, f"player '{player}' has no strategies")
        return [_normalize_labels(labels) for _, labels in lists]
    counts = []
    while parser.peek().kind == "number":
        counts.append(parser.whole("a number of strategies", minimum=1))
    parser.expect("}", "a number of strategies or '}'")
    if len(counts) != len(players):
        raise parser.error(
            opening, f"strategy counts for {_count(len(counts), 'player')}, but the game has {len(players)}"
        )
    _check_table_size(partial(parser.error, opening), len(players), counts)
    return [[str(k + 1) for k in range(count)] for count in counts]


def _nfg_payoff_body(parser: _Parser, n_players: int, shape: Sequence[int]) -> list[list[float]]:
    """The flat payoff list: every profile's payoffs, in Gambit's profile order."""
    profiles = math.prod(shape)
    rows = []
    for done in range(profiles):
        row: list[float] = []
        for _ in range(n_players):
            token = parser.peek()
            if token.kind == "end":
                total = profiles * n_players
                raise parser.error(
                    token,
                    f"the file ends after {done * n_players + len(row)} of its {total} payoffs (is it truncated?)",
                )
            row.append(float(parser.number("a payoff")))
        rows.append(row)
    return rows


def _nfg_outcome_body(parser: _Parser, n_players: int, shape: Sequence[int]) -> list[list[float]]:
    """``{ { "name" 1, 1 } ... }`` then one outcome number per profile (0: all payoffs zero)."""
    parser.expect("{", "'{' opening the list of outcomes")
    outcomes: list[list[float]] = []
    while parser.peek().kind == "{":
        opening = parser.take()
        name = parser.text("the outcome's name (a quoted string)")
        values = parser.payoffs("a payoff")
        if len(values) != n_players:
            raise parser.error(
                opening,
                f"outcome {len(outcomes) + 1} ('{name}') has {_count(len(values), 'payoff')}, "
                f"but the game has {n_players} players",
            )
        outcomes.append([float(value) for value in values])
    parser.expect("}", "'{' opening an outcome or '}' closing the list of outcomes")
    rows = []
    profiles = math.prod(shape)
    for done in range(profiles):
        token = parser.peek()
        if token.kind == "end":
            raise parser.error(
                token, f"the file ends after {done} of its {profiles} outcome numbers (is it truncated?)"
            )
        number = parser.whole("an outcome number", minimum=0)
        if number > len(outcomes):
            raise parser.error(token, f"outcome {number} is not defined (the file defines {len(outcomes)})")
        rows.append(outcomes[number - 1] if number else [0.0] * n_players)
    return rows


def write_nfg(game: Game) -> str:
    """Gambit's payoff-list format with strategy names; a tree is written as its normal form."""
    if isinstance(game, ExtensiveFormGame):
        game = game.to_normal_form()
    players = " ".join(_gambit_string(name) for name in game.players)
    strategies = "\n".join(
        "{ " + " ".join(_gambit_string(label) for label in labels) + " }" for labels in game.strategies
    )
    rows = [" ".join(_gambit_number(x) for x in row) for row in _to_gambit_order(game.payoffs)]
    parts = [f"NFG 1 R {_gambit_string(game.title)} {{ {players} }}", "", "{", strategies, "}", '""', "", *rows]
    return "\n".join(parts) + "\n"


# ====================================================================== .efg


@dataclass
class _RawNode:
    """A node as read from an .efg file, before infoset keys and payoff sums are known."""

    kind: str  # "c", "p" or "t"
    label: str
    line: int
    player: int | None = None
    infoset: tuple[int | None, int] | None = None  # (player or None for chance, number)
    outcome: int = 0
    totals: tuple[Fraction, ...] = ()  # payoffs of every outcome from the root down to here
    children: list[_RawNode] = field(default_factory=list)
    width: int = 0  # number of children expected


@dataclass(frozen=True)
class _InfosetDecl:
    name: str
    actions: tuple[str, ...]
    probabilities: tuple[Fraction, ...]
    line: int = field(compare=False)  # where it was declared: a repeat must match, wherever it is

    def describe(self) -> str:
        if self.probabilities:
            branches = " ".join(f'"{a}" {p}' for a, p in zip(self.actions, self.probabilities))
        else:
            branches = " ".join(f'"{a}"' for a in self.actions)
        return f'"{self.name}" {{ {branches} }}'


@dataclass(frozen=True)
class _OutcomeDecl:
    name: str
    payoffs: tuple[Fraction, ...]
    line: int = field(compare=False)

    def describe(self) -> str:
        return f'"{self.name}" {{ {" ".join(str(p) for p in self.payoffs)} }}'


class _EfgReader:
    """Reads the node list of an .efg file into raw nodes, keeping the infoset and outcome tables."""

    def __init__(self, parser: _Parser, players: Sequence[str]) -> None:
        self.parser = parser
        self.players = list(players)
        self.infosets: dict[tuple[int | None, int], _InfosetDecl] = {}
        self.outcomes: dict[int, _OutcomeDecl] = {}
        self.preorder: list[_RawNode] = []

    def read_tree(self) -> _RawNode:
        """All nodes in preorder; a stack of unfinished nodes replaces recursion (trees may be deep)."""
        zero = tuple(Fraction(0) for _ in self.players)
        root = self.read_node(zero)
        stack = [root] if root.width else []
        while stack:
            top = stack[-1]
            if len(top.children) == top.width:
                stack.pop()
                continue
            token = self.parser.peek()
            if token.kind == "end":
                raise self.parser.error(
                    token,
                    f"the file ends before the tree is complete: the node at line {top.line} "
                    f"has {len(top.children)} of its {top.width} children (is it truncated?)",
                )
            child = self.read_node(top.totals)
            top.children.append(child)
            if child.width:
                stack.append(child)
        return root

    def read_node(self, totals: tuple[Fraction, ...]) -> _RawNode:
        """One ``c``/``p``/``t`` entry; ``totals`` are the outcome payoffs accumulated above it."""
        token = self.parser.take()
        if token.kind != "symbol" or token.text not in ("c", "p", "t"):
            raise self.parser.unexpected(token, "a node: 'c' (chance), 'p' (player) or 't' (terminal)")
        node = _RawNode(token.text, self.parser.text("the node's name (a quoted string)"), token.line)
        if node.kind == "p":
            node.player = self.read_player()
        if node.kind != "t":
            node.infoset = self.read_infoset(node.player)
            node.width = len(self.infosets[node.infoset].actions)
        node.outcome = self.read_outcome()
        payoffs = self.outcomes[node.outcome].payoffs if node.outcome else ()
        node.totals = tuple(a + b for a, b in zip(totals, payoffs)) if payoffs else totals
        if any(abs(total) > _LARGEST_FLOAT for total in node.totals):
            raise self.parser.error(token, "the outcomes down to this node add up to a payoff too large for a float")
        if len(self.preorder) >= MAX_GAME_NODES:
            raise self.parser.error(
                token, f"the tree has more than {MAX_GAME_NODES:,} nodes, the most a game file may have"
            )
        self.preorder.append(node)
        return node

    def read_player(self) -> int:
        token = self.parser.peek()
        number = self.parser.whole("the player's number", minimum=1)
        if number > len(self.players):
            raise self.parser.error(token, f"player {number} does not exist: the game has {len(self.players)} players")
        return number - 1

    def read_infoset(self, player: int | None) -> tuple[int | None, int]:
        """An infoset (or chance event) number, with its declaration the first time."""
        token = self.parser.peek()
        number = self.parser.whole("a chance event number" if player is None else "an information set number", 1)
        key = (player, number)
        name = f"chance event {number}" if player is None else f"information set {number} of player {player + 1}"
        if self.parser.peek().kind == "{":
            raise self.parser.error(
                token, f'{name}: its name (a quoted string, may be "") must come before its actions'
            )
        if self.parser.peek().kind == "text":
            declared = self.read_actions(self.parser.take().text, token.line, chance=player is None)
            previous = self.infosets.setdefault(key, declared)
            if previous != declared:
                raise self.parser.error(
                    token,
                    f"{name} was declared at line {previous.line} as "
                    f"{previous.describe()}, but here as {declared.describe()}",
                )
        elif key not in self.infosets:
            raise self.parser.error(
                token, f"{name} is used before it is declared (the first node in it must give its name and actions)"
            )
        return key

    def read_actions(self, name: str, line: int, chance: bool) -> _InfosetDecl:
        """``{ "a" "b" }``, or ``{ "a" 1/2 "b" 1/2 }`` at a chance node (checked to be a distribution)."""
        opening = self.parser.expect("{", "'{' opening the list of actions")
        actions: list[str] = []
        probabilities: list[Fraction] = []
        while self.parser.peek().kind != "}":
            if len(actions) == MAX_ACTIONS_PER_NODE:
                raise self.parser.error(
                    opening, f"this node offers more than {MAX_ACTIONS_PER_NODE:,} actions, the most a node may have"
                )
            actions.append(self.parser.text("an action's name (a quoted string) or '}'"))
            if chance:
                token = self.parser.peek()
                probability = self.parser.number(f"the probability of '{actions[-1]}'")
                problem = _probability_problem(probability)
                if problem:
                    raise self.parser.error(token, f"the probability of '{actions[-1]}' {problem} ({token.text})")
                probabilities.append(probability)
        self.parser.take()
        if not actions:
            raise self.parser.error(opening, "a node needs at least one action")
        problem = _distribution_problem(probabilities) if chance else None
        if problem:
            raise self.parser.error(opening, f"the chance probabilities {problem}")
        return _InfosetDecl(name, tuple(actions), tuple(probabilities), line)

    def read_outcome(self) -> int:
        """An outcome number, with its name and payoffs the first time (0: no outcome)."""
        token = self.parser.peek()
        number = self.parser.whole("an outcome number", minimum=0)
        if self.parser.peek().kind == "text":
            if number == 0:
                raise self.parser.error(token, "outcome 0 means 'no outcome': it cannot have a name or payoffs")
            name = self.parser.take().text
            opening = self.parser.expect("{", "'{' opening the outcome's payoffs")
            payoffs = self.parser.payoffs("a payoff")
            if len(payoffs) != len(self.players):
                raise self.parser.error(
                    opening,
                    f"outcome {number} ('{name}') has {_count(len(payoffs), 'payoff')}, "
                    f"but the game has {len(self.players)} players",
                )
            declared = _OutcomeDecl(name, tuple(payoffs), token.line)
            previous = self.outcomes.setdefault(number, declared)
            if previous != declared:
                raise self.parser.error(
                    token,
                    f"outcome {number} was declared at line {previous.line} as "
                    f"{previous.describe()}, but here as {declared.describe()}",
                )
        elif number and number not in self.outcomes:
            raise self.parser.error(
                token, f"outcome {number} is used before it is declared (give its name and payoffs the first time)"
            )
        return number

    def keys(self) -> dict[tuple[int | None, int], str]:
        """``Node.infoset`` keys: the infoset's name where that identifies it, else its number."""
        keys = {}
        for player in {player for player, _ in self.infosets}:
            names = {number: decl.name for (owner, number), decl in self.infosets.items() if owner == player}
            keys.update({(player, number): key for number, key in _infoset_keys(names).items()})
        return keys

    def build(self, root: _RawNode, title: str) -> ExtensiveFormGame:
        """Immutable nodes, children before parents (reverse preorder), then the game."""
        keys = self.keys()
        built: dict[int, Node] = {}
        for raw in reversed(self.preorder):
            children = tuple(built.pop(id(child)) for child in raw.children)
            if raw.kind == "t":
                outcome = self.outcomes[raw.outcome].name if raw.outcome else ""
                payoffs = raw.totals or tuple(Fraction(0) for _ in self.players)
                built[id(raw)] = Node.terminal([float(p) for p in payoffs], outcome=outcome, label=raw.label)
                continue
            assert raw.infoset is not None  # read with every chance and decision node
            decl = self.infosets[raw.infoset]
            actions = tuple(_normalize_labels(decl.actions))
            kind: NodeKind = "chance" if raw.kind == "c" else "decision"
            probabilities = tuple(float(p) for p in decl.probabilities)
            built[id(raw)] = Node(kind, raw.label, raw.player, keys[raw.infoset], actions, probabilities, children)
        error = partial(_error, self.parser.source, root.line)
        return _checked(error, lambda: ExtensiveFormGame(tuple(self.players), built[id(root)], title))


def _infoset_keys(names: dict[int, str]) -> dict[int, str]:
    """Number -> key for one player's infosets: the name if non-empty and unique, else the number.
    A name equal to another infoset's fallback number would be ambiguous, so it falls back too."""
    counts = Counter(names.values())
    keys = {number: name if name and counts[name] == 1 else str(number) for number, name in names.items()}
    while True:
        numeric = {key for number, key in keys.items() if key == str(number)}
        clashes = [number for number, key in keys.items() if key != str(number) and key in numeric]
        if not clashes:
            return keys
        keys.update({number: str(number) for number in clashes})


def parse_efg(text: str, source: str = "<efg>") -> ExtensiveFormGame:
    """A Gambit extensive-form file (``EFG 2 R``)."""
    parser = _Parser(text, source)
    title, players = _gambit_header(parser, "EFG", "2")
    _skip_comment(parser)
    reader = _EfgReader(parser, players)
    root = reader.read_tree()
    parser.expect_end("after the last node of the tree")
    return reader.build(root, title)


def write_efg(game: ExtensiveFormGame) -> str:
    """Gambit's extensive-form format; every terminal gets its own outcome."""
    if not isinstance(game, ExtensiveFormGame):
        raise GameError("an .efg file holds a game tree; this game is in normal form (write it as .nfg or .toml)")
    numbers = _efg_infoset_numbers(game)
    players = " ".join(_gambit_string(name) for name in game.players)
    lines = [f"EFG 2 R {_gambit_string(game.title)} {{ {players} }}", '""', ""]
    outcomes = 0
    for node in game.nodes():
        label = _gambit_string(node.label)
        if node.kind == "terminal":
            outcomes += 1
            payoffs = " ".join(_gambit_number(x) for x in node.payoffs)
            lines.append(f"t {label} {outcomes} {_gambit_string(node.outcome)} {{ {payoffs} }}")
            continue
        number, name = numbers[id(node)]
        if node.kind == "decision":
            actions = " ".join(_gambit_string(action) for action in node.actions)
            lines.append(f"p {label} {node.mover + 1} {number} {_gambit_string(name)} {{ {actions} }} 0")
        else:
            branches = " ".join(
                f"{_gambit_string(action)} {probability}"
                for action, probability in zip(node.actions, _exact_probabilities(node.probabilities))
            )
            lines.append(f"c {label} {number} {_gambit_string(name)} {{ {branches} }} 0")
    return "\n".join(lines) + "\n"


def _efg_infoset_numbers(game: ExtensiveFormGame) -> dict[int, tuple[int, str]]:
    """id(node) -> (number, name): each player's infosets numbered in order of first appearance;
    chance nodes share an event only when key, actions and probabilities all agree."""
    numbers: dict[int, tuple[int, str]] = {}
    counters: Counter[int] = Counter()
    for infoset in game.infosets():
        counters[infoset.player] += 1
        for node in infoset.nodes:
            numbers[id(node)] = (counters[infoset.player], node.infoset)
    events: dict[tuple, int] = {}
    for node in game.nodes():
        if node.kind == "chance":
            signature = (node.infoset, node.actions, node.probabilities) if node.infoset else (id(node),)
            number = events.setdefault(signature, len(events) + 1)
            numbers[id(node)] = (number, node.infoset)
    return numbers


def _gambit_string(label: str) -> str:
    """A quoted string that Gambit's lexer reads back as ``label``."""
    quoted = '"' + label.replace('"', '\\"') + '"'
    if _read_string(quoted, 0) != (label, len(quoted)):
        raise GameError(
            f"the label {label!r} cannot be written in Gambit's format "
            "(a backslash before a quote or at the end does not survive its reader)"
        )
    return quoted


def _gambit_number(value: float) -> str:
    """Exact and without exponents (plain digits are what every Gambit version reads)."""
    value = float(value)
    if not math.isfinite(value):
        raise GameError(f"{value} cannot be written as a payoff")
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _exact_probabilities(probabilities: Sequence[float]) -> list[str]:
    """Probabilities as exact numbers that sum to exactly 1 (Gambit checks this with rationals).
    Floats that are simple fractions (1/3) are written as such; any rounding left over goes to the
    largest probability, which the 1e-9 validation tolerance bounds."""
    exact = []
    for p in probabilities:
        simple = Fraction(p).limit_denominator(1_000_000)
        exact.append(simple if float(simple) == p else Fraction(repr(float(p))))
    largest = max(range(len(exact)), key=lambda k: exact[k])
    exact[largest] += 1 - sum(exact, Fraction(0))
    return [_fraction_text(p) for p in exact]


def _fraction_text(value: Fraction) -> str:
    """An exact decimal when the denominator allows one (only 2s and 5s), else ``n/d``."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    if places == 0:
        return str(value.numerator)
    scaled = abs(value.numerator) * 10**places // value.denominator
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


# ====================================================================== TOML: where keys are


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}


def _toml_basic_string(line: str, start: int) -> tuple[str, int] | None:
    """A one-line basic string ``"..."`` at ``start``: its value and the index after it."""
    out: list[str] = []
    index = start + 1
    while index < len(line):
        char = line[index]
        if char == '"':
            return "".join(out), index + 1
        if char == "\\" and index + 1 < len(line):
            code = line[index + 1]
            width = {"u": 4, "U": 8}.get(code)
            if width:
                try:
                    out.append(chr(int(line[index + 2 : index + 2 + width], 16)))
                except ValueError:
                    return None
                index += 2 + width
                continue
            out.append(_TOML_ESCAPES.get(code, code))
            index += 2
            continue
        out.append(char)
        index += 1
    return None


def _toml_dotted_key(line: str, start: int) -> tuple[tuple[str, ...], int] | None:
    """A (dotted) key at ``start``, e.g. ``nodes."fight?".actions``: its parts and the index after it."""
    parts, index = [], start
    while True:
        while index < len(line) and line[index] in " \t":
            index += 1
        if line.startswith('"', index):
            read = _toml_basic_string(line, index)
        elif line.startswith("'", index):
            end = line.find("'", index + 1)
            read = (line[index + 1 : end], end + 1) if end >= 0 else None
        else:
            match = _BARE_KEY.match(line, index)
            read = (match.group(), match.end()) if match else None
        if read is None:
            return None
        parts.append(read[0])
        index = read[1]
        while index < len(line) and line[index] in " \t":
            index += 1
        if not line.startswith(".", index):
            return tuple(parts), index
        index += 1


def _scan_value(line: str, index: int, depth: int) -> tuple[int, str | None]:
    """Follow brackets and strings to the end of a line: the bracket depth after it, and the
    delimiter of a multi-line string left open (so keys inside values are not mistaken for keys)."""
    while index < len(line):
        char = line[index]
        if char == "#":
            break
        if line.startswith(('"""', "'''"), index):
            delimiter = line[index : index + 3]
            end = line.find(delimiter, index + 3)
            if end < 0:
                return depth, delimiter
            index = end + 3
            continue
        if char == '"':
            read = _toml_basic_string(line, index)
            index = read[1] if read else len(line)
            continue
        if char == "'":
            end = line.find("'", index + 1)
            index = end + 1 if end >= 0 else len(line)
            continue
        depth += (char in "[{") - (char in "]}")
        index += 1
    return depth, None


def _toml_key_lines(text: str) -> Iterator[tuple[tuple[str, ...], int]]:
    """Every table header and key of a (valid) TOML text with its full path and line number."""
    table: tuple[str, ...] = ()
    depth, multiline = 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        index = 0
        if multiline:
            end = line.find(multiline)
            if end < 0:
                continue
            multiline, index = None, end + 3
        elif depth == 0:
            index = len(line) - len(line.lstrip(" \t"))
            if line.startswith("[", index):
                parsed = _toml_dotted_key(line, index + (2 if line.startswith("[[", index) else 1))
                if parsed:
                    table = parsed[0]
                    yield table, number
                continue
            parsed = _toml_dotted_key(line, index)
            if parsed and line.startswith("=", parsed[1]):
                yield table + parsed[0], number
                index = parsed[1] + 1
        depth, multiline = _scan_value(line, index, depth)


class _TomlLines:
    """Finds the line of a key path such as ``("nodes", "start", "actions")`` in a TOML text."""

    def __init__(self, text: str) -> None:
        self.entries = list(_toml_key_lines(text))

    def line_of(self, path: Sequence[str]) -> int:
        """The first header or key at or under ``path``; failing that, under a shorter prefix."""
        path = tuple(path)
        for length in range(len(path), 0, -1):
            for entry, line in self.entries:
                if entry[:length] == path[:length]:
                    return line
        return 1


@dataclass(frozen=True)
class _TomlContext:
    """The source name and text of one TOML file, for errors that point at a line."""

    source: str
    text: str

    @cached_property
    def lines(self) -> _TomlLines:
        """Where the keys are: found only when an error needs a line (most files have none)."""
        return _TomlLines(self.text)

    def error(self, path: Sequence[str], message: str) -> GameError:
        return _error(self.source, self.lines.line_of(path), message)

    def number(self, path: Sequence[str], value: Any, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(path, f"{what} should be a number, found {_describe(value)}")
        return float(value)

    def string(self, path: Sequence[str], value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise self.error(path, f"{what} should be a string, found {_describe(value)}")
        return value

    def table(self, path: Sequence[str], value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"{what} should be a table, found {_describe(value)}")
        return value

    def array(self, path: Sequence[str], value: Any, what: str, size: int | None = None) -> list[Any]:
        if not isinstance(value, list) or (size is not None and len(value) != size):
            wanted = "a list" if size is None else f"a list of {size}"
            raise self.error(path, f"{what} should be {wanted}, found {_describe(value)}")
        return value


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


# ====================================================================== TOML: reading


_TOP_KEYS = ("title", "players", "strategies", "payoffs", "root", "nodes")
_NODE_KEYS = ("player", "actions", "infoset", "chance", "payoffs", "outcome")
_ALLOWED = {
    "actions": {"player", "actions", "infoset"},
    "chance": {"chance", "infoset"},
    "payoffs": {"payoffs", "outcome"},
}


@dataclass(frozen=True)
class _NodeSpec:
    """One ``[nodes.<id>]`` table, checked, before the tree is assembled."""

    id: str
    kind: str  # "actions", "chance" or "payoffs": the key that made it a decision, chance or terminal node
    actions: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    probabilities: tuple[Fraction, ...] = ()
    player: int | None = None
    infoset: str = ""
    payoffs: tuple[float, ...] = ()
    outcome: str = ""


def _load_toml(text: str, source: str) -> dict[str, Any]:
    """tomllib, with its syntax errors turned into ``source:line: message``; arrays or tables nested
    so deep that tomllib's recursion gives out (a kilobyte of brackets does it) are refused alike."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise _error(source, 1, "arrays or tables are nested too deeply to read") from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        message = message[: match.start()] if match else re.sub(r"\s*\(at end of document\)$", "", message)
        raise _error(source, line, f"not valid TOML: {message}") from None


def parse_toml(text: str, source: str = "<toml>") -> Game:
    """This project's TOML game format (see the module docstring): a normal form or a tree."""
    data = _load_toml(text, source)
    context = _TomlContext(source, text)
    for key in data:
        if key not in _TOP_KEYS:
            raise context.error((key,), f"unknown key '{key}' (a game file has {', '.join(_TOP_KEYS)})")
    title = context.string(("title",), data.get("title", ""), "title")
    players = _toml_players(context, data)
    if "root" in data or "nodes" in data:
        for key in ("strategies", "payoffs"):
            if key in data:
                raise context.error(
                    (key,),
                    f"'{key}' belongs to a normal form, but this file has a tree "
                    "(root and nodes); give one or the other",
                )
        return _toml_tree(context, data, players, title)
    return _toml_normal_form(context, data, players, title)


def _toml_players(context: _TomlContext, data: dict[str, Any]) -> list[str]:
    if "players" not in data:
        raise _error(context.source, 1, "missing 'players', the list of player names")
    players = context.array(("players",), data["players"], "players")
    names = [context.string(("players",), name, "each player") for name in players]
    if not names:
        raise context.error(("players",), "the game has no players")
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise context.error(("players",), f"player '{repeated[0]}' is named twice")
    return names


def _toml_normal_form(context: _TomlContext, data: dict[str, Any], players: list[str], title: str) -> NormalFormGame:
    for key in ("strategies", "payoffs"):
        if key not in data:
            raise _error(context.source, 1, f"missing '{key}' (or 'root' and 'nodes' for a tree)")
    path = ("strategies",)
    lists = context.array(path, data["strategies"], "strategies (one list per player)", len(players))
    strategies = []
    for player, labels in zip(players, lists):
        labels = context.array(path, labels, f"the strategies of '{player}'")
        if not labels:
            raise context.error(path, f"player '{player}' has no strategies")
        strategies.append([context.string(path, label, f"each strategy of '{player}'") for label in labels])
    shape = tuple(len(labels) for labels in strategies)
    _check_table_size(partial(context.error, ("payoffs",)), len(players), shape)
    table = _toml_payoff_table(context, data["payoffs"], players, shape)
    payoffs = np.moveaxis(np.array(table, dtype=float).reshape((*shape, len(players))), -1, 0)
    return _checked(
        partial(context.error, ("payoffs",)),
        lambda: NormalFormGame(tuple(players), tuple(map(tuple, strategies)), payoffs, title),
    )


def _toml_payoff_table(context: _TomlContext, value: Any, players: list[str], shape: tuple[int, ...]) -> list:
    """``payoffs[s1]...[sn] = [u1, ..., un]``, checked level by level so errors name the entry."""
    path = ("payoffs",)
    entries: list[tuple[tuple[int, ...], Any]] = [((), value)]
    numbers = []
    for depth in range(len(shape) + 1):
        deeper: list[Any] = []
        for index, entry in entries:
            where = "payoffs" + "".join(f"[{k}]" for k in index)
            if depth == len(shape):
                row = context.array(path, entry, f"{where} (one payoff per player)", len(players))
                numbers.append([context.number(path, x, f"{where}[{k}]") for k, x in enumerate(row)])
            else:
                what = f"{where} (one entry per strategy of '{players[depth]}')"
                items = context.array(path, entry, what, shape[depth])
                deeper.extend(((*index, k), item) for k, item in enumerate(items))
        entries = deeper
    return numbers


def _toml_tree(context: _TomlContext, data: dict[str, Any], players: list[str], title: str) -> ExtensiveFormGame:
    if "nodes" not in data:
        raise context.error(("root",), "a tree needs its nodes: one [nodes.<id>] table per node")
    if "root" not in data:
        raise context.error(("nodes",), "a tree needs 'root = \"<node id>\"', the id of its first node")
    root = context.string(("root",), data["root"], "root")
    nodes = context.table(("nodes",), data["nodes"], "nodes")
    if len(nodes) > MAX_GAME_NODES:
        raise context.error(
            ("nodes",), f"the tree has {len(nodes):,} nodes, more than the {MAX_GAME_NODES:,} a game file may have"
        )
    if root not in nodes:
        raise context.error(("root",), f"the root '{root}' is not defined (there is no [nodes.{_toml_key(root)}])")
    specs = {node_id: _toml_node(context, node_id, table, players) for node_id, table in nodes.items()}
    _check_tree_shape(context, specs, root)
    _check_infosets(context, specs, players)
    built = _build_tree(specs, root)
    return _checked(partial(context.error, ("nodes", root)), lambda: ExtensiveFormGame(tuple(players), built, title))


def _toml_node(context: _TomlContext, node_id: str, value: Any, players: list[str]) -> _NodeSpec:
    """Check one node table: its keys decide the kind of node, then that kind's fields are checked."""
    path = ("nodes", node_id)
    table = context.table(path, value, f"nodes.{_toml_key(node_id)}")
    kind = _toml_node_kind(context, node_id, table)
    if kind == "payoffs":
        return _toml_terminal(context, node_id, table, len(players))
    infoset = context.string((*path, "infoset"), table.get("infoset", ""), f"the infoset of node '{node_id}'")
    branches = context.table((*path, kind), table[kind], f"the {kind} of node '{node_id}'")
    if not branches:
        raise context.error((*path, kind), f"node '{node_id}' has no {kind}")
    if len(branches) > MAX_ACTIONS_PER_NODE:
        raise context.error(
            (*path, kind),
            f"node '{node_id}' has {len(branches):,} {kind}, more than the {MAX_ACTIONS_PER_NODE:,} a node may have",
        )
    if kind == "chance":
        targets, probabilities = _toml_chance(context, node_id, branches)
        return _NodeSpec(node_id, kind, tuple(branches), targets, probabilities, infoset=infoset)
    player = _toml_player(context, node_id, table, players)
    targets = tuple(
        context.string((*path, kind, a), t, f"action '{a}' of node '{node_id}'") for a, t in branches.items()
    )
    return _NodeSpec(node_id, kind, tuple(branches), targets, player=player, infoset=infoset)


def _toml_node_kind(context: _TomlContext, node_id: str, table: dict[str, Any]) -> str:
    """Which of "actions", "chance" or "payoffs" the node has: exactly one, with only the keys that go with it."""
    path = ("nodes", node_id)
    for key in table:
        if key not in _NODE_KEYS:
            raise context.error(
                (*path, key), f"node '{node_id}': unknown key '{key}' (a node has {', '.join(_NODE_KEYS)})"
            )
    kinds = [key for key in _ALLOWED if key in table]
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none of them"
        raise context.error(
            path,
            f"node '{node_id}' needs exactly one of 'actions' (a decision node), 'chance' "
            f"(a chance node) or 'payoffs' (a terminal node); it has {found}",
        )
    for key in table:
        if key not in _ALLOWED[kinds[0]]:
            raise context.error((*path, key), f"node '{node_id}': '{key}' does not go with '{kinds[0]}'")
    return kinds[0]


def _toml_terminal(context: _TomlContext, node_id: str, table: dict[str, Any], n_players: int) -> _NodeSpec:
    path = ("nodes", node_id, "payoffs")
    row = context.array(path, table["payoffs"], f"the payoffs of node '{node_id}'", n_players)
    payoffs = tuple(context.number(path, x, f"payoff {k + 1} of node '{node_id}'") for k, x in enumerate(row))
    outcome_path = ("nodes", node_id, "outcome")
    outcome = context.string(outcome_path, table.get("outcome", ""), f"the outcome of node '{node_id}'")
    return _NodeSpec(node_id, "payoffs", payoffs=payoffs, outcome=outcome)


def _toml_player(context: _TomlContext, node_id: str, table: dict[str, Any], players: list[str]) -> int:
    """The index of the player named by a decision node."""
    if "player" not in table:
        raise context.error(("nodes", node_id), f"node '{node_id}' has actions but no 'player'")
    path = ("nodes", node_id, "player")
    name = context.string(path, table["player"], f"the player of node '{node_id}'")
    if name not in players:
        known = ", ".join(map(repr, players))
        raise context.error(path, f"node '{node_id}': unknown player '{name}' (the players are {known})")
    return players.index(name)


def _toml_chance(context: _TomlContext, node_id: str, branches: dict[str, Any]) -> tuple[tuple[str, ...], tuple]:
    """``{ branch = [probability, "child"] }``: the children and exact probabilities (a distribution)."""
    targets, probabilities = [], []
    for branch, value in branches.items():
        path = ("nodes", node_id, "chance", branch)
        what = f"branch '{branch}' of node '{node_id}'"
        probability, target = context.array(path, value, f"{what} ([probability, child id])", 2)
        probabilities.append(_toml_probability(context, path, probability, what))
        targets.append(context.string(path, target, f"the child id of {what}"))
    problem = _distribution_problem(probabilities)
    if problem:
        raise context.error(("nodes", node_id, "chance"), f"node '{node_id}': the chance probabilities {problem}")
    return tuple(targets), tuple(probabilities)


def _toml_probability(context: _TomlContext, path: Sequence[str], value: Any, what: str) -> Fraction:
    """A number, or a string such as "1/3"; exact, so that thirds sum to one."""
    try:
        if isinstance(value, str):
            probability = _exact(value)
        else:
            probability = Fraction(context.number(path, value, f"the probability of {what}"))
    except (ValueError, ZeroDivisionError):
        raise context.error(
            path, f'the probability of {what} should be a number or a fraction like "1/3", found {_describe(value)}'
        ) from None
    problem = _probability_problem(probability)
    if problem:
        raise context.error(path, f"the probability of {what} {problem} ({value})")
    return probability


def _check_tree_shape(context: _TomlContext, specs: dict[str, _NodeSpec], root: str) -> None:
    """The nodes form one tree: every child defined, no cycle, one parent each, all reached from the root.
    Checked in that order, so each message names the first real problem."""
    _check_children_defined(context, specs)
    _check_no_cycle(context, specs, root)
    _check_one_parent(context, specs)
    _check_all_reached(context, specs, root)


def _check_children_defined(context: _TomlContext, specs: dict[str, _NodeSpec]) -> None:
    for spec in specs.values():
        for action, target in zip(spec.actions, spec.targets):
            if target not in specs:
                raise context.error(
                    ("nodes", spec.id, spec.kind, action),
                    f"node '{spec.id}': '{action}' leads to '{target}', which is not defined",
                )


def _check_no_cycle(context: _TomlContext, specs: dict[str, _NodeSpec], root: str) -> None:
    cycle = _find_cycle(specs, [root, *specs])
    if cycle:
        parent = specs[cycle[-2]]
        raise context.error(
            ("nodes", parent.id, parent.kind),
            f"node '{parent.id}' leads back to '{cycle[-1]}': {' -> '.join(cycle)} is a cycle, not a tree",
        )


def _check_one_parent(context: _TomlContext, specs: dict[str, _NodeSpec]) -> None:
    parent_of: dict[str, str] = {}
    for spec in specs.values():
        for action, target in zip(spec.actions, spec.targets):
            if target in parent_of:
                parents = (
                    f"'{spec.id}' twice" if parent_of[target] == spec.id else f"'{parent_of[target]}' and '{spec.id}'"
                )
                raise context.error(
                    ("nodes", spec.id, spec.kind, action),
                    f"node '{target}' is a child of {parents}; in a tree each node has one parent "
                    "(give each branch its own node)",
                )
            parent_of[target] = spec.id


def _check_all_reached(context: _TomlContext, specs: dict[str, _NodeSpec], root: str) -> None:
    reached, stack = {root}, [root]
    while stack:
        for target in specs[stack.pop()].targets:
            reached.add(target)
            stack.append(target)
    for node_id in specs:
        if node_id not in reached:
            raise context.error(("nodes", node_id), f"node '{node_id}' is never reached from the root '{root}'")


def _find_cycle(specs: dict[str, _NodeSpec], starts: Iterable[str]) -> list[str] | None:
    """A path ``a -> ... -> a`` if the child links have a cycle (depth-first search without recursion)."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    for start in starts:
        if start in state:
            continue
        path, pending = [start], [iter(specs[start].targets)]
        state[start] = "open"
        while path:
            child = next(pending[-1], None)
            if child is None:
                state[path.pop()] = "done"
                pending.pop()
            elif state.get(child) == "open":
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                pending.append(iter(specs[child].targets))
    return None


def _check_infosets(context: _TomlContext, specs: dict[str, _NodeSpec], players: list[str]) -> None:
    """Nodes of one player sharing an infoset key must offer the same actions in the same order."""
    first: dict[tuple[int, str], _NodeSpec] = {}
    for spec in specs.values():
        if spec.kind != "actions" or not spec.infoset:
            continue
        assert spec.player is not None  # a node with actions names its player
        other = first.setdefault((spec.player, spec.infoset), spec)
        if other.actions != spec.actions:
            raise context.error(
                ("nodes", spec.id, "actions"),
                f"node '{spec.id}' is in information set '{spec.infoset}' of '{players[spec.player]}' "
                f"with node '{other.id}', so it must offer the same actions {list(other.actions)}, "
                f"not {list(spec.actions)}",
            )


def _build_tree(specs: dict[str, _NodeSpec], root: str) -> Node:
    """Immutable nodes from the checked specs, children first (no recursion: trees may be deep)."""
    preorder, stack = [], [root]
    while stack:
        node_id = stack.pop()
        preorder.append(node_id)
        stack.extend(reversed(specs[node_id].targets))
    built: dict[str, Node] = {}
    for node_id in reversed(preorder):
        spec = specs[node_id]
        children = tuple(built[target] for target in spec.targets)
        if spec.kind == "payoffs":
            built[node_id] = Node.terminal(spec.payoffs, outcome=spec.outcome, label=node_id)
        elif spec.kind == "chance":
            probabilities = tuple(float(p) for p in spec.probabilities)
            built[node_id] = Node("chance", node_id, None, spec.infoset, spec.actions, probabilities, children)
        else:
            built[node_id] = Node("decision", node_id, spec.player, spec.infoset, spec.actions, (), children)
    return built[root]


# ====================================================================== TOML: writing


def write_toml(game: Game) -> str:
    """This project's TOML format (see the module docstring)."""
    _require_distinct(game.players, "player names")
    lines = [f"title = {_toml_string(game.title)}"] if game.title else []
    lines.append(f"players = {_toml_array(_toml_string(name) for name in game.players)}")
    if isinstance(game, NormalFormGame):
        lines.extend(_toml_normal_lines(game))
    else:
        lines.extend(_toml_tree_lines(game))
    return "\n".join(lines) + "\n"


def _toml_normal_lines(game: NormalFormGame) -> list[str]:
    strategies = _toml_array(_toml_array(_toml_string(s) for s in labels) for labels in game.strategies)
    table = np.moveaxis(game.payoffs, 0, -1)  # payoffs[s1]...[sn] = [u1, ..., un]
    rows = [f"    {_toml_nested(entry)}," for entry in table]
    return [f"strategies = {strategies}", "payoffs = [", *rows, "]"]


def _toml_nested(value: np.ndarray) -> str:
    if value.ndim == 1:
        return _toml_array(_toml_number(float(x)) for x in value)
    return _toml_array(_toml_nested(entry) for entry in value)


def _toml_tree_lines(game: ExtensiveFormGame) -> list[str]:
    records = depth_first(game)  # by position: a subtree object used at two places is written twice
    ids = _node_ids([node for node, _, _ in records])
    child_ids: list[list[str]] = [[] for _ in records]
    for position, (_, parent, _) in enumerate(records):
        if parent >= 0:
            child_ids[parent].append(ids[position])
    lines = [f"root = {_toml_string(ids[0])}"]
    for (node, _, _), own_id, children in zip(records, ids, child_ids):
        lines.extend(["", f"[nodes.{_toml_key(own_id)}]"])
        if node.kind == "terminal":
            lines.append(f"payoffs = {_toml_array(_toml_number(x) for x in node.payoffs)}")
            if node.outcome:
                lines.append(f"outcome = {_toml_string(node.outcome)}")
            continue
        _require_distinct(node.actions, f"actions of node {node.label!r}")
        if node.kind == "decision":
            lines.append(f"player = {_toml_string(game.players[node.mover])}")
        if node.infoset:
            lines.append(f"infoset = {_toml_string(node.infoset)}")
        if node.kind == "decision":
            entries = (f"{_toml_key(a)} = {_toml_string(c)}" for a, c in zip(node.actions, children))
            lines.append(f"actions = {{ {', '.join(entries)} }}")
        else:
            entries = (
                f"{_toml_key(a)} = [{_toml_number(p)}, {_toml_string(c)}]"
                for a, p, c in zip(node.actions, node.probabilities, children)
            )
            lines.append(f"chance = {{ {', '.join(entries)} }}")
    return lines


def _node_ids(nodes: Sequence[Node]) -> list[str]:
    """Each node's TOML id: its label where that is non-empty and unique, else ``n<k>`` (k: its position)."""
    counts = Counter(node.label for node in nodes)
    unique = {label for label, count in counts.items() if label and count == 1}
    used = set(unique)
    ids = []
    for position, node in enumerate(nodes):
        if node.label in unique:
            ids.append(node.label)
            continue
        candidate, suffix = f"n{position}", 0
        while candidate in used:
            suffix += 1
            candidate = f"n{position}_{suffix}"
        used.add(candidate)
        ids.append(candidate)
    return ids


def _require_distinct(labels: Sequence[str], what: str) -> None:
    repeated = [label for label, count in Counter(labels).items() if count > 1]
    if repeated:
        raise GameError(f"the TOML format needs distinct {what}, but {repeated[0]!r} appears twice")


def _toml_string(value: str) -> str:
    """A TOML basic string: a JSON string is one, once DEL (which JSON leaves literal) is escaped."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_number(value: float) -> str:
    """Integers where exact (and within TOML's 64-bit range), else the shortest float that reads back equal."""
    if not math.isfinite(value):
        raise GameError(f"{value} cannot be written to a game file")
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _toml_array(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


# ====================================================================== dispatch


def parse_game(text: str, source: str = "<string>", kind: str | None = None) -> Game:
    """A game from text. ``kind`` is "nfg", "efg" or "toml"; if None, the suffix of ``source``
    decides, and failing that the first word of the text (NFG, EFG, else TOML)."""
    if kind is None:
        suffix = Path(source).suffix.lower().lstrip(".")
        first = text.lstrip()[:3]
        kind = suffix if suffix in KINDS else {"NFG": "nfg", "EFG": "efg"}.get(first, "toml")
    kind = kind.lower().lstrip(".")
    parsers: dict[str, Callable[[str, str], Game]] = {"nfg": parse_nfg, "efg": parse_efg, "toml": parse_toml}
    if kind not in parsers:
        raise GameError(f"{source}: unknown kind of game file '{kind}' (expected one of {', '.join(KINDS)})")
    return parsers[kind](text, source)


def read_game(path: str | os.PathLike[str]) -> Game:
    """A game from a .nfg, .efg or .toml file (the suffix decides): a regular file of at most
    :data:`~sim.limits.MAX_GAME_FILE_BYTES`."""
    path = Path(path)
    kind = _kind_of(path)
    try:
        data = read_regular_file(path, MAX_GAME_FILE_BYTES)  # a pipe, device or folder is refused unopened
    except FileRefused as refusal:
        raise GameError(f"{path}: {refusal}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if kind == "toml":  # TOML must be UTF-8; old Gambit files are often Latin-1
            line = data.count(b"\n", 0, error.start) + 1
            raise _error(str(path), line, "this file is not UTF-8 text") from None
        text = data.decode("latin-1")
    return parse_game(text, str(path), kind)


def write_game(game: Game, path: str | os.PathLike[str]) -> None:
    """Write a game as .nfg, .efg or .toml (the suffix decides), atomically."""
    path = Path(path)
    writers: dict[str, Callable[[Any], str]] = {"nfg": write_nfg, "efg": write_efg, "toml": write_toml}
    text = writers[_kind_of(path)](game)
    write_text_atomically(path, text)


def _kind_of(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in KINDS:
        raise GameError(f"{path}: unknown kind of game file '{path.suffix}' (use .nfg, .efg or .toml)")
    return kind
