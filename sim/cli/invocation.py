"""How the ``sim`` command runs a command: hints for common slips, the errors printed as they are,
and the disk cache of solved equilibria for the commands on one scenario."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.domain.scenario import ScenarioError

DISK_CACHED = ("run", "trace", "solve")
"""Commands on one scenario that keep its solved equilibrium on disk (sim.engine.equilibrium.disk_cache)."""


def assignment_without_equals(argv: Sequence[str]) -> str | None:
    """The hint for ``--set PATH VALUE`` (or ``--param PATH RANGE``) written without ``=``."""
    for option, following, after in zip(argv, argv[1:], [*argv[2:], ""]):
        if option in ("--set", "--param") and "=" not in following and after and not after.startswith("-"):
            return f"{option} {following} {after}: write {option} {following}={after} (no spaces around '=')"
    return None


def errors_printed_as_they_are() -> tuple[type[Exception], ...]:
    """The errors that name their source and are printed without ``sim: error:``: ScenarioError, and
    GameError and SweepError once their modules are loaded (only then can one have been raised), so
    that the commands that need neither module do not import it."""
    printed: list[type[Exception]] = [ScenarioError]
    for module, name in (("sim.game.normal", "GameError"), ("sim.studies.sweeps.design", "SweepError")):
        if module in sys.modules:
            printed.append(getattr(sys.modules[module], name))
    return tuple(printed)


def with_disk_cache(args: argparse.Namespace) -> int:
    """Run a command with the disk cache of solved equilibria on: a second call skips the solve."""
    from sim.engine.equilibrium import disk_cache

    previous, disk_cache.ENABLED = disk_cache.ENABLED, True
    try:
        return int(args.handler(args))
    finally:
        disk_cache.ENABLED = previous


__all__ = ["DISK_CACHED", "assignment_without_equals", "errors_printed_as_they_are", "with_disk_cache"]
