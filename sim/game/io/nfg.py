"""Gambit's strategic-form format, ``.nfg``: a normal form read from and written to text.

Both versions of the format are read: the payoff list (every strategy profile's payoffs) and the
outcome list (named outcomes, then one outcome number per profile). Writing gives the payoff list
with strategy names; a tree is written as its (unreduced) normal form. The format is described in
``docs/reference/game-formats.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from sim.game.io.common import Game, check_table_size, checked_build, plural
from sim.game.io.lexer import Parser, gambit_header, gambit_number, gambit_string, normalize_labels, skip_comment
from sim.game.normal import NormalFormGame
from sim.game.tree import ExtensiveFormGame


def parse_nfg(text: str, source: str = "<nfg>") -> NormalFormGame:
    """A normal form from a Gambit strategic-form file (``NFG 1 R``), payoff-list or outcome version.

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file's name, for error messages.

    Returns
    -------
    NormalFormGame
        The game; strategies given as counts are labelled ``"1"``, ``"2"``, ...

    Raises
    ------
    GameError
        If the text is not a well-formed .nfg file, or its payoff table is larger than allowed;
        the message starts ``"<source>:<line>: "``.
    """
    parser = Parser(text, source)
    title, players = gambit_header(parser, "NFG", "1")
    strategies = _nfg_strategies(parser, players)
    skip_comment(parser)
    shape = tuple(len(labels) for labels in strategies)
    start = parser.peek()
    check_table_size(partial(parser.error, start), len(players), shape)  # named strategies
    if start.kind == "{":
        rows = _nfg_outcome_body(parser, len(players), shape)
    elif start.kind == "number":
        rows = _nfg_payoff_body(parser, len(players), shape)
    else:
        raise parser.unexpected(start, "the payoffs (numbers) or the list of outcomes ('{')")
    parser.expect_end("after the payoffs of every strategy profile")
    payoffs = _from_gambit_order(rows, shape)
    return checked_build(
        partial(parser.error, start),
        lambda: NormalFormGame(tuple(players), tuple(map(tuple, strategies)), payoffs, title),
    )


def _nfg_strategies(parser: Parser, players: Sequence[str]) -> list[list[str]]:
    """``{ { "a" "b" } { "x" "y" } }`` (names) or ``{ 2 2 }`` (counts: strategies "1", "2", ...)."""
    opening = parser.expect("{", "'{' opening the strategies")
    if parser.peek().kind == "{":
        lists = []
        while parser.peek().kind == "{":
            lists.append((parser.peek(), parser.labels("a player's strategy names")))
        parser.expect("}", "'{' opening a player's strategies or '}'")
        if len(lists) != len(players):
            raise parser.error(
                opening, f"strategies for {plural(len(lists), 'player')}, but the game has {len(players)}"
            )
        for (token, labels), player in zip(lists, players):
            if not labels:
                raise parser.error(token, f"player '{player}' has no strategies")
        return [normalize_labels(labels) for _, labels in lists]
    counts = []
    while parser.peek().kind == "number":
        counts.append(parser.whole("a number of strategies", minimum=1))
    parser.expect("}", "a number of strategies or '}'")
    if len(counts) != len(players):
        raise parser.error(
            opening, f"strategy counts for {plural(len(counts), 'player')}, but the game has {len(players)}"
        )
    check_table_size(partial(parser.error, opening), len(players), counts)
    return [[str(k + 1) for k in range(count)] for count in counts]


def _nfg_payoff_body(parser: Parser, n_players: int, shape: Sequence[int]) -> list[list[float]]:
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


def _nfg_outcome_body(parser: Parser, n_players: int, shape: Sequence[int]) -> list[list[float]]:
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
                f"outcome {len(outcomes) + 1} ('{name}') has {plural(len(values), 'payoff')}, "
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
    """A game in Gambit's payoff-list format, with strategy names.

    Parameters
    ----------
    game : NormalFormGame or ExtensiveFormGame
        The game; a tree is written as its (unreduced) normal form.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    GameError
        If a label cannot be written in Gambit's format or a payoff is not finite.
    """
    if isinstance(game, ExtensiveFormGame):
        game = game.to_normal_form()
    players = " ".join(gambit_string(name) for name in game.players)
    strategies = "\n".join(
        "{ " + " ".join(gambit_string(label) for label in labels) + " }" for labels in game.strategies
    )
    rows = [" ".join(gambit_number(x) for x in row) for row in _to_gambit_order(game.payoffs)]
    parts = [f"NFG 1 R {gambit_string(game.title)} {{ {players} }}", "", "{", strategies, "}", '""', "", *rows]
    return "\n".join(parts) + "\n"


def _from_gambit_order(rows: Sequence[Sequence[float]], shape: Sequence[int]) -> np.ndarray:
    """Payoff rows in Gambit's profile order -> the ``(players, m_1, ..., m_n)`` array.

    In Gambit's order the first player's strategy varies fastest. :func:`_to_gambit_order` is the
    inverse.
    """
    n = len(shape)
    data = np.array(rows, dtype=float).reshape((*reversed(shape), n))
    return np.transpose(data, (n, *range(n - 1, -1, -1)))


def _to_gambit_order(payoffs: np.ndarray) -> np.ndarray:
    """The ``(players, m_1, ..., m_n)`` array -> one row of payoffs per profile, in Gambit's order."""
    n = payoffs.shape[0]
    return np.transpose(payoffs, (*range(n, 0, -1), 0)).reshape(-1, n)
