"""``sim fit-qre``: fit a logit QRE's lambda to observed action counts by maximum likelihood.

It prints lambda with its standard error and 95% likelihood-ratio interval, the log-likelihood
and the observed and fitted probabilities of every action; ``--json`` prints the same as JSON
with the counts file's SHA-256 and the version. The counts file's format is described in
``docs/how-to/fit-qre.md``. Bad counts are refused with a ``ValueError``
(:class:`sim.estimation.qre_fit.CountsError`) naming the file, line and field, which
:func:`sim.cli.main.main` prints as ``sim: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path
from typing import Any

from sim.cli.argtypes import add_command, number
from sim.domain.files import write_text_atomically
from sim.domain.limits import MAX_LAMBDA


def add_qre_fit_command(subparsers: Any) -> None:
    """Register ``fit-qre`` on the ``sim`` command's sub-parsers.

    Parameters
    ----------
    subparsers
        What ``argparse.ArgumentParser.add_subparsers`` returned.
    """
    command = add_command(
        subparsers, "fit-qre", "fit a logit QRE's lambda to observed action counts by maximum likelihood",
        [
            "sim fit-qre games/chain_store.efg --counts chain_store_counts.csv",
            "sim fit-qre prisoners_dilemma --counts pd_counts.csv --json",
        ],
    )  # fmt: skip
    command.add_argument("game", metavar="GAME", help="a game file (.efg, .nfg, .toml) or a bundled game's name")
    command.add_argument(
        "--counts", required=True, metavar="FILE",
        help="a CSV with columns player,infoset,action,count (infoset may be empty or left out in a normal form)",
    )  # fmt: skip
    command.add_argument(
        "--lam-max", type=number(minimum=1e-9, maximum=MAX_LAMBDA, limit="MAX_LAMBDA"), default=MAX_LAMBDA,
        metavar="LAMBDA", help=f"how far the principal branch is followed (default {MAX_LAMBDA:g}, as Gambit)",
    )  # fmt: skip
    command.add_argument("--json", action="store_true", help="print the fit as JSON")
    command.add_argument("--out", metavar="FILE", help="also save the fit as JSON to FILE")
    command.set_defaults(handler=run_qre_fit)


def game_path(name: str) -> Path:
    """A game file as given, or a bundled game by name.

    Raises
    ------
    CountsError
        Neither exists (with the closest bundled name).
    """
    from sim.estimation.qre_fit import CountsError
    from sim.game.bundled import bundled_games

    path = Path(name)
    if path.exists():
        return path
    games = bundled_games()
    if name in games:
        return games[name]
    close = difflib.get_close_matches(name, list(games), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (bundled games: {', '.join(games)})"
    raise CountsError(f"{name}: no such game file or bundled game{hint}")


def run_qre_fit(args: argparse.Namespace) -> int:
    """Fit and print; exit status 0."""
    from sim.estimation.qre_fit import CountsError, fit_qre

    if not Path(args.counts).exists():
        raise CountsError(f"--counts {args.counts}: no such file")
    result = fit_qre(game_path(args.game), args.counts, lam_max=args.lam_max)
    text = json.dumps(result.to_dict(), indent=2)
    print(text if args.json else result.summary())
    if args.out:
        write_text_atomically(args.out, text + "\n")
    return 0
