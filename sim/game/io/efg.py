"""Gambit's extensive-form format, ``.efg``: a game tree read from and written to text.

Reading follows the node list in depth-first preorder, with the information sets, chance events
and outcomes declared the first time a node uses them; outcomes on non-terminal nodes are folded
into the payoffs of the terminals below them, as Gambit does. Writing numbers each player's
information sets in order of first appearance and gives every terminal its own outcome. The
format, and how its numbers map to this project's keys, is described in
``docs/reference/game-formats.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial

import numpy as np

from sim.domain.limits import MAX_ACTIONS_PER_NODE, MAX_GAME_NODES
from sim.game.io.common import (
    checked_build,
    distribution_problem,
    located_error,
    plural,
    probability_problem,
)
from sim.game.io.lexer import Parser, gambit_header, gambit_number, gambit_string, normalize_labels, skip_comment
from sim.game.normal import GameError
from sim.game.tree import ExtensiveFormGame, Node, NodeKind

_LARGEST_FLOAT = Fraction(np.finfo(float).max)


def parse_efg(text: str, source: str = "<efg>") -> ExtensiveFormGame:
    """A game tree from a Gambit extensive-form file (``EFG 2 R``).

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file's name, for error messages.

    Returns
    -------
    ExtensiveFormGame
        The tree. Outcomes on non-terminal nodes are added to the payoffs of every terminal below
        them; infosets and chance events are keyed by name where that identifies them, else by
        number.

    Raises
    ------
    GameError
        If the text is not a well-formed .efg file, or the tree is larger than allowed; the
        message starts ``"<source>:<line>: "``.
    """
    parser = Parser(text, source)
    title, players = gambit_header(parser, "EFG", "2")
    skip_comment(parser)
    reader = _EfgReader(parser, players)
    root = reader.read_tree()
    parser.expect_end("after the last node of the tree")
    return reader.build(root, title)


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

    def __init__(self, parser: Parser, players: Sequence[str]) -> None:
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
                problem = probability_problem(probability)
                if problem:
                    raise self.parser.error(token, f"the probability of '{actions[-1]}' {problem} ({token.text})")
                probabilities.append(probability)
        self.parser.take()
        if not actions:
            raise self.parser.error(opening, "a node needs at least one action")
        problem = distribution_problem(probabilities) if chance else None
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
                    f"outcome {number} ('{name}') has {plural(len(payoffs), 'payoff')}, "
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
            actions = tuple(normalize_labels(decl.actions))
            kind: NodeKind = "chance" if raw.kind == "c" else "decision"
            probabilities = tuple(float(p) for p in decl.probabilities)
            built[id(raw)] = Node(kind, raw.label, raw.player, keys[raw.infoset], actions, probabilities, children)
        error = partial(located_error, self.parser.source, root.line)
        return checked_build(error, lambda: ExtensiveFormGame(tuple(self.players), built[id(root)], title))


def _infoset_keys(names: dict[int, str]) -> dict[int, str]:
    """Number -> key for one player's infosets: the name if non-empty and unique, else the number.

    A name equal to another infoset's fallback number would be ambiguous, so it falls back too.
    """
    counts = Counter(names.values())
    keys = {number: name if name and counts[name] == 1 else str(number) for number, name in names.items()}
    while True:
        numeric = {key for number, key in keys.items() if key == str(number)}
        clashes = [number for number, key in keys.items() if key != str(number) and key in numeric]
        if not clashes:
            return keys
        keys.update({number: str(number) for number in clashes})


def write_efg(game: ExtensiveFormGame) -> str:
    """A game tree in Gambit's extensive-form format; every terminal gets its own outcome.

    Parameters
    ----------
    game : ExtensiveFormGame
        The tree.

    Returns
    -------
    str
        The file's text, with chance probabilities written exactly so that they sum to 1.

    Raises
    ------
    GameError
        If the game is a normal form, a label cannot be written in Gambit's format or a payoff is
        not finite.
    """
    if not isinstance(game, ExtensiveFormGame):
        raise GameError("an .efg file holds a game tree; this game is in normal form (write it as .nfg or .toml)")
    numbers = _efg_infoset_numbers(game)
    players = " ".join(gambit_string(name) for name in game.players)
    lines = [f"EFG 2 R {gambit_string(game.title)} {{ {players} }}", '""', ""]
    outcomes = 0
    for node in game.nodes():
        label = gambit_string(node.label)
        if node.kind == "terminal":
            outcomes += 1
            payoffs = " ".join(gambit_number(x) for x in node.payoffs)
            lines.append(f"t {label} {outcomes} {gambit_string(node.outcome)} {{ {payoffs} }}")
            continue
        number, name = numbers[id(node)]
        if node.kind == "decision":
            actions = " ".join(gambit_string(action) for action in node.actions)
            lines.append(f"p {label} {node.mover + 1} {number} {gambit_string(name)} {{ {actions} }} 0")
        else:
            branches = " ".join(
                f"{gambit_string(action)} {probability}"
                for action, probability in zip(node.actions, _exact_probabilities(node.probabilities))
            )
            lines.append(f"c {label} {number} {gambit_string(name)} {{ {branches} }} 0")
    return "\n".join(lines) + "\n"


def _efg_infoset_numbers(game: ExtensiveFormGame) -> dict[int, tuple[int, str]]:
    """id(node) -> (number, name): each player's infosets numbered in order of first appearance.

    Chance nodes share an event only when key, actions and probabilities all agree.
    """
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


def _exact_probabilities(probabilities: Sequence[float]) -> list[str]:
    """Probabilities as exact numbers that sum to exactly 1 (Gambit checks this with rationals).

    Floats that are simple fractions (1/3) are written as such; any rounding left over goes to the
    largest probability, which the 1e-9 validation tolerance bounds.
    """
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
