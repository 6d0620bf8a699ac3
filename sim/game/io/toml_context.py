"""Where the keys of a TOML game file are, so that every complaint names its line.

:mod:`tomllib` gives values without their positions. :class:`TomlContext` holds a file's name and
text and, only when an error needs one, finds the line of a key path such as
``("nodes", "start", "actions")`` with a small scanner of table headers and keys (strings and
multi-line values are skipped, so a key-like text inside a value is not taken for a key). Its
checked getters (a number, a string, a table, a list) raise a
:class:`~sim.game.normal.GameError` at that line when a value has the wrong type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sim.game.io.common import located_error
from sim.game.normal import GameError

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a key TOML takes without quotes
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
            match = BARE_KEY.match(line, index)
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
    """Follow brackets and strings to the end of a line.

    Returns the bracket depth after it, and the delimiter of a multi-line string left open (so
    keys inside values are not mistaken for keys).
    """
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
class TomlContext:
    """The source name and text of one TOML file, for errors that point at a line.

    Each checked getter returns ``value`` if it has the wanted type, and otherwise raises a
    :class:`~sim.game.normal.GameError` at the line of the key ``path`` (a tuple such as
    ``("nodes", "start", "actions")``) that says ``what`` the value is and what was found.

    Parameters
    ----------
    source : str
        The file's name.
    text : str
        The file's text.
    """

    source: str
    text: str

    @cached_property
    def lines(self) -> _TomlLines:
        """Where the keys are: found only when an error needs a line (most files have none)."""
        return _TomlLines(self.text)

    def error(self, path: Sequence[str], message: str) -> GameError:
        """An error at the line of the key ``path``, to raise."""
        return located_error(self.source, self.lines.line_of(path), message)

    def number(self, path: Sequence[str], value: Any, what: str) -> float:
        """``value`` as a float; it must be a finite integer or float (not a boolean)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(path, f"{what} should be a number, found {describe_value(value)}")
        return float(value)

    def string(self, path: Sequence[str], value: Any, what: str) -> str:
        """``value``, which must be a string."""
        if not isinstance(value, str):
            raise self.error(path, f"{what} should be a string, found {describe_value(value)}")
        return value

    def table(self, path: Sequence[str], value: Any, what: str) -> dict[str, Any]:
        """``value``, which must be a table."""
        if not isinstance(value, dict):
            raise self.error(path, f"{what} should be a table, found {describe_value(value)}")
        return value

    def array(self, path: Sequence[str], value: Any, what: str, size: int | None = None) -> list[Any]:
        """``value``, which must be a list (of ``size`` items, if given)."""
        if not isinstance(value, list) or (size is not None and len(value) != size):
            wanted = "a list" if size is None else f"a list of {size}"
            raise self.error(path, f"{what} should be {wanted}, found {describe_value(value)}")
        return value


def describe_value(value: Any) -> str:
    """A TOML value as an error message names it: ``a list of 3``, ``a table``, ``true``, ``'x'``."""
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
