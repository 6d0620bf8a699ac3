"""The command line's shared pieces: number types for options (a one-line message for a bad value,
never a traceback), sizes checked against :mod:`sim.domain.limits` before any work starts, and
sub-commands whose ``--help`` says what they do and shows examples."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def whole_number(minimum: int, maximum: int | None = None, limit: str = "") -> Callable[[str], int]:
    """A whole number of at least ``minimum`` and, when given, at most ``maximum``: the largest
    amount of work the option may ask for, refused while the arguments are read, before any of
    it starts. ``limit`` names the constant in :mod:`sim.domain.limits` for the message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            named = f" (sim.domain.limits.{limit})" if limit else ""
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}{named}, got {value:,}")
        return value

    return parse


def number(minimum: float | None = None, maximum: float | None = None, limit: str = "") -> Callable[[str], float]:
    """A finite number, of at least ``minimum`` and at most ``maximum`` when given (``limit`` names
    the constant in :mod:`sim.domain.limits` the maximum comes from, for the message)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:g}, got {text}")
        if maximum is not None and value > maximum:
            named = f" (sim.domain.limits.{limit})" if limit else ""
            raise argparse.ArgumentTypeError(f"must be at most {maximum:g}{named}, got {text}")
        return value

    return parse


def add_command(subparsers: Any, name: str, summary: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    """A sub-command whose ``--help`` opens with ``summary`` (also its line in ``sim --help``) and
    ends with ``examples``, one command line each, kept as written."""
    lines = "\n".join(f"  {example}" for example in examples)
    return subparsers.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=f"examples:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
