"""What every game-file format shares: the game type, errors that point at a line, exact numbers.

The readers of :mod:`sim.game.io.nfg`, :mod:`sim.game.io.efg` and :mod:`sim.game.io.toml_game`
report every problem as a :class:`~sim.game.normal.GameError` whose message starts
``"<source>:<line>: "``; the helpers here make those messages and the checks the formats have in
common (probabilities, the size of a payoff table, complaints of the game classes themselves).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TypeVar

from sim.domain.limits import MAX_TABLE_ENTRIES
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import PROBABILITY_TOLERANCE, ExtensiveFormGame

Game = NormalFormGame | ExtensiveFormGame
T = TypeVar("T")


def located_error(source: str, line: int, message: str) -> GameError:
    """An error that names the file and the line it is about.

    Parameters
    ----------
    source : str
        The file's name (or a stand-in such as ``"<nfg>"`` for text).
    line : int
        The 1-based line the problem is on.
    message : str
        What is wrong.

    Returns
    -------
    GameError
        With the message ``"<source>:<line>: <message>"``; the caller raises it.
    """
    return GameError(f"{source}:{line}: {message}")


def plural(number: int, noun: str) -> str:
    """``"1 payoff"``, ``"2 payoffs"``: a count and its noun, in the plural unless it is one.

    Parameters
    ----------
    number : int
        How many.
    noun : str
        The noun in the singular.

    Returns
    -------
    str
        The number and the noun.
    """
    return f"{number} {noun}" + ("" if number == 1 else "s")


def exact_fraction(text: str) -> Fraction:
    """A number written as a decimal, with an exponent or as ``n/d``, as an exact fraction.

    Parameters
    ----------
    text : str
        The number, for example ``"0.25"``, ``"1.5e3"`` or ``"3/4"``.

    Returns
    -------
    Fraction
        Its exact value.

    Raises
    ------
    ValueError
        If the text is not a number, or its exponent is beyond 1000 (no float can hold it, and
        Fraction would take ages to expand it).
    ZeroDivisionError
        If it is a fraction over zero.
    """
    exponent = re.search(r"[eE]([+-]?[0-9]+)$", text.strip())
    if exponent and abs(int(exponent.group(1))) > 1000:
        raise ValueError(f"the exponent of {text} is out of range")
    return Fraction(text.strip())


def probability_problem(probability: Fraction) -> str | None:
    """What is wrong with one probability, if anything.

    Parameters
    ----------
    probability : Fraction
        A chance branch's probability.

    Returns
    -------
    str or None
        ``"is negative"`` or ``"is more than 1"``, to follow the probability's name in a message;
        None if it lies in [0, 1].
    """
    if probability < 0:
        return "is negative"
    if probability > 1:
        return "is more than 1"
    return None


def distribution_problem(probabilities: Sequence[Fraction]) -> str | None:
    """Whether the probabilities of a chance node fail to sum to 1.

    Parameters
    ----------
    probabilities : sequence of Fraction
        The node's branch probabilities, each already checked to lie in [0, 1].

    Returns
    -------
    str or None
        ``"sum to <total>, not 1"`` if the sum is off by more than the tree's tolerance
        (:data:`~sim.game.tree.PROBABILITY_TOLERANCE`), else None.
    """
    total = sum(probabilities, Fraction(0))
    return None if abs(total - 1) <= PROBABILITY_TOLERANCE else f"sum to {float(total):g}, not 1"


def checked_build(error: Callable[[str], GameError], build: Callable[[], T]) -> T:
    """Build a game, giving any complaint of the game classes the file and line it belongs to.

    Parameters
    ----------
    error : callable
        Makes the located error from the complaint's message; called only on a complaint.
    build : callable
        Builds and returns the game.

    Returns
    -------
    object
        What ``build`` returns.

    Raises
    ------
    GameError
        ``error``'s error, if ``build`` raises GameError.
    """
    try:
        return build()
    except GameError as problem:
        raise error(str(problem)) from None


def check_table_size(error: Callable[[str], GameError], n_players: int, shape: Sequence[int]) -> None:
    """Refuse a normal form whose payoff table would be larger than a game file may hold.

    Parameters
    ----------
    error : callable
        Makes the located error from a message.
    n_players : int
        The number of players (payoffs per strategy profile).
    shape : sequence of int
        The number of strategies of each player.

    Raises
    ------
    GameError
        If the table would hold more than :data:`~sim.domain.limits.MAX_TABLE_ENTRIES` numbers.
    """
    entries = n_players * math.prod(shape)
    if entries > MAX_TABLE_ENTRIES:
        raise error(f"the payoff table would hold {entries} numbers, more than the {MAX_TABLE_ENTRIES} allowed")
