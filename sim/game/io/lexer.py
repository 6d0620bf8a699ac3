"""The lexical layer that Gambit's ``.nfg`` and ``.efg`` formats share, read and written.

Reading: :func:`tokenize` splits a file into :class:`Token` objects, each with its line, and a
:class:`Parser` walks them with checked reads (a quoted string, an exact number, a whole number,
a list of labels) that fail with a :class:`~sim.game.normal.GameError` naming the file and line.
:func:`gambit_header` reads the ``NFG 1 R "title" { "P1" "P2" }`` (or ``EFG 2``) start that both
formats have, and :func:`normalize_labels` makes empty or repeated labels unique as Gambit does.

Writing: :func:`gambit_string` and :func:`gambit_number` write a label and a payoff so that
Gambit's lexer reads them back unchanged. The formats themselves are described in
``docs/reference/game-formats.md``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sim.game.io.common import exact_fraction, located_error
from sim.game.normal import GameError

_NUMBER = re.compile(r"[+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_PUNCTUATION = "{},"
_DELIMITERS = frozenset(_PUNCTUATION + '"')


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is "text", "number", "symbol", "{", "}", "," or "end"."""

    kind: str
    text: str
    line: int

    def describe(self) -> str:
        """The token as an error message names it, e.g. ``the string "P1"`` or ``'{'``."""
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
    r"""A quoted string starting at ``start``, decoded as Gambit's lexer does.

    ``\"`` is a quote; any other backslash is kept. Returns the value and the index after the
    closing quote, or None if the string is never closed.
    """
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


def tokenize(text: str, source: str) -> list[Token]:
    """Split a Gambit file into tokens, each with its line.

    Parameters
    ----------
    text : str
        The whole file.
    source : str
        The file's name, for error messages.

    Returns
    -------
    list of Token
        The tokens, ending with one of kind ``"end"`` on the last line that has something on it.

    Raises
    ------
    GameError
        At a malformed number or a quoted string that is never closed.
    """
    tokens: list[Token] = []
    line, index = 1, 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            line += char == "\n"
            index += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(char, char, line))
            index += 1
        elif char == '"':
            read = _read_string(text, index)
            if read is None:
                raise located_error(source, line, "this quoted string is never closed (a '\"' is missing)")
            tokens.append(Token("text", read[0], line))
            line += text.count("\n", index, read[1])
            index = read[1]
        elif char in "0123456789+-.":
            match = _NUMBER.match(text, index)
            end = match.end() if match else index
            if match is None or (end < len(text) and not text[end].isspace() and text[end] not in _DELIMITERS):
                raise located_error(source, line, f"'{_word_at(text, index)}' is not a number")
            tokens.append(Token("number", match.group(), line))
            index = end
        else:
            word = _word_at(text, index)
            tokens.append(Token("symbol", word, line))
            index += len(word)
    tokens.append(Token("end", "", text.rstrip().count("\n") + 1))  # the last line with something on it
    return tokens


class Parser:
    """A cursor over the tokens of one file, with checks that fail with the file name and line.

    Parameters
    ----------
    text : str
        The whole file.
    source : str
        The file's name, for error messages.
    """

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.tokens = tokenize(text, source)
        self.position = 0

    def peek(self) -> Token:
        """The next token, left in place."""
        return self.tokens[self.position]

    def take(self) -> Token:
        """The next token, moving past it (the end token stays)."""
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def error(self, token: Token, message: str) -> GameError:
        """An error at the line of ``token``, to raise."""
        return located_error(self.source, token.line, message)

    def unexpected(self, token: Token, wanted: str) -> GameError:
        """An error saying what was ``wanted`` and which ``token`` was found instead."""
        found = token.describe() + (" (is the file truncated?)" if token.kind == "end" else "")
        return self.error(token, f"expected {wanted}, found {found}")

    def expect(self, kind: str, wanted: str) -> Token:
        """The next token, which must be of ``kind`` (else an error saying what was ``wanted``)."""
        token = self.take()
        if token.kind != kind:
            raise self.unexpected(token, wanted)
        return token

    def text(self, wanted: str) -> str:
        """The next token's text, which must be a quoted string."""
        return self.expect("text", wanted).text

    def number(self, wanted: str) -> Fraction:
        """A number token as an exact fraction (also checked to fit in a float)."""
        token = self.expect("number", wanted)
        try:
            value = exact_fraction(token.text)
            float(value)
        except ZeroDivisionError:
            raise self.error(token, f"{token.text} divides by zero") from None
        except (ValueError, OverflowError):
            raise self.error(token, f"{token.text} is not a usable number") from None
        return value

    def whole(self, wanted: str, minimum: int) -> int:
        """A number token that must be a whole number of at least ``minimum``."""
        token = self.peek()
        value = self.number(wanted)
        if value.denominator != 1 or value < minimum:
            raise self.error(token, f"expected {wanted} (a whole number, at least {minimum}), found {token.text}")
        return int(value)

    def labels(self, wanted: str) -> list[str]:
        """Quoted names between braces: ``{ "a" "b" ... }``."""
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
        """Fail unless every token has been read (``after`` says what came last)."""
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"expected the end of the file {after}, found {token.describe()}")


def gambit_header(parser: Parser, magic: str, version: str) -> tuple[str, list[str]]:
    """The start of a Gambit file, ``NFG 1 R "title" { "P1" "P2" }`` (or ``EFG 2``).

    Parameters
    ----------
    parser : Parser
        At the start of the file.
    magic : str
        ``"NFG"`` or ``"EFG"``.
    version : str
        The one version of that format that is read: ``"1"`` for NFG, ``"2"`` for EFG.

    Returns
    -------
    title : str
        The game's title.
    players : list of str
        The player names, made unique by :func:`normalize_labels`.

    Raises
    ------
    GameError
        If the file starts otherwise or names no players.
    """
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
    return title, normalize_labels(players)


def skip_comment(parser: Parser) -> None:
    """Move past the optional comment (a quoted string) that follows a Gambit header."""
    if parser.peek().kind == "text":
        parser.take()


def normalize_labels(labels: Sequence[str]) -> list[str]:
    """Labels made unique by Gambit's rule: empty or repeated ones get ``_1``, ``_2``, ...

    Parameters
    ----------
    labels : sequence of str
        Player, strategy or action labels as read.

    Returns
    -------
    list of str
        The same labels where they are non-empty and unique, else with a suffix that no other
        label has.
    """
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


def gambit_string(label: str) -> str:
    """A quoted string that Gambit's lexer reads back as ``label``.

    Parameters
    ----------
    label : str
        A title, name or label.

    Returns
    -------
    str
        The label in quotes, its quotes escaped.

    Raises
    ------
    GameError
        If Gambit would read it back differently (a backslash before a quote or at the end).
    """
    quoted = '"' + label.replace('"', '\\"') + '"'
    if _read_string(quoted, 0) != (label, len(quoted)):
        raise GameError(
            f"the label {label!r} cannot be written in Gambit's format "
            "(a backslash before a quote or at the end does not survive its reader)"
        )
    return quoted


def gambit_number(value: float) -> str:
    """A payoff written exactly and without exponents (plain digits every Gambit version reads).

    Parameters
    ----------
    value : float
        The payoff.

    Returns
    -------
    str
        An integer where the value is whole, else the float's shortest decimal in plain digits.

    Raises
    ------
    GameError
        If the value is infinite or NaN.
    """
    value = float(value)
    if not math.isfinite(value):
        raise GameError(f"{value} cannot be written as a payoff")
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")
