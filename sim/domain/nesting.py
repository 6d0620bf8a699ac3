"""Guarding the TOML reader against data nested too deep, before it reads a scenario's text.

Python's TOML reader recurses once per ``[`` or ``{`` (a ``RecursionError`` near 500 levels) and
its work grows with the square of a dotted key's length, so :func:`too_deep_in_text` scans the
text first and names the field that goes deeper than :data:`sim.domain.limits.MAX_NESTING`.
"""

from __future__ import annotations

import re

from sim.domain.limits import MAX_NESTING

_TOKENS = re.compile(
    r""""{3}(?:[^"\\]|\\.|"(?!""))*"{3,5}|'{3}.*?'{3,5}|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*|[][{}.,=\n]""",
    re.DOTALL,
)
"""What :func:`too_deep_in_text` looks at: strings and comments (skipped whole, so their brackets and
dots do not count), brackets, dots, and the characters that end a dotted key."""


def too_deep_in_text(text: str) -> str | None:
    """The field of a TOML text that nests more than :data:`~sim.domain.limits.MAX_NESTING` levels, found
    before the TOML reader sees it, else ``None`` (``""`` if the field cannot be named).

    The reader cannot be trusted with such text: it recurses once per ``[`` or ``{`` (a
    ``RecursionError`` near 500 levels, 1 kB of text), and its work grows with the square of a
    dotted key's length (a 200 kB key ``a.a.a...`` runs for minutes). So brackets open more than
    MAX_NESTING deep, or a dotted key of more than MAX_NESTING parts, are refused here. Valid TOML
    only reaches either by nesting its data that deep, so no acceptable file is refused.
    """
    depth = dots = line_start = 0
    key = table = ""
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark[0] in "\"'#":
            continue
        if mark == ".":
            dots += 1
            if dots > MAX_NESTING:
                return shortened(text[line_start : token.start()].strip(" \t[{,"))
            continue
        dots = 0
        if mark == "\n":
            line_start = token.end()
        elif mark == "=" and depth == 0:
            key = text[line_start : token.start()].strip()
        elif mark in "[{":
            if depth == 0 and mark == "[" and not text[line_start : token.start()].strip():
                header = _TABLE_HEADER.match(text, token.start())
                table, key = (header.group(1) if header else ""), ""
            depth += 1
            if depth > MAX_NESTING:
                return shortened(".".join(part for part in (table, key) if part))
        elif mark in "]}":
            depth = max(0, depth - 1)
    return None


_TABLE_HEADER = re.compile(r"\[\[?\s*([^\]\n]*?)\s*\]")


def shortened(path: str) -> str:
    """A dotted path cut to its first three parts: enough to find the field, short enough to read."""
    parts = path.split(".")
    return ".".join(parts[:3]) + ("..." if len(parts) > 3 else "")
