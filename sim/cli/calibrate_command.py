"""``sim calibrate``: fit named fields of a crisis scenario to observed outcome counts by maximum likelihood.

It prints the estimates with their 95% profile-likelihood intervals, the log-likelihood, whether
the optimiser converged, the observed and fitted share of each outcome and any problem in words
(a field that is not identified, an estimate at a bound); ``--json`` prints the same as JSON with
the counts file's SHA-256 and the version; ``--out`` writes the calibrated scenario as TOML (the
estimates, intervals and the data's hash in its header comments), checked to load first. Bad
counts or fields raise :class:`sim.estimation.calibrate.CalibrationError` (a ``ValueError``), which
:func:`sim.cli.main.main` prints as ``sim: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sim.cli.argtypes import add_command, whole_number
from sim.domain.files import write_text_atomically
from sim.domain.scenario import parse_assignment


def add_calibrate_command(subparsers: Any) -> None:
    """Register ``calibrate`` on the ``sim`` command's sub-parsers.

    Parameters
    ----------
    subparsers
        What ``argparse.ArgumentParser.add_subparsers`` returned.
    """
    command = add_command(
        subparsers, "calibrate", "fit named fields of a scenario to observed outcome counts by maximum likelihood",
        [
            "sim calibrate coalition_2026 --set rounds=1 --outcomes counts.csv --free russia.lambda",
            "sim calibrate mine.toml --outcomes counts.csv --free russia.lambda,escalation.base=0:0.5 --out fit.toml",
        ],
    )  # fmt: skip
    command.add_argument("scenario", metavar="SCENARIO", help="a scenario file or a built-in name")
    command.add_argument(
        "--outcomes", required=True, metavar="CSV", help="counts of observed outcomes: rows outcome,count"
    )
    command.add_argument(
        "--free", required=True, metavar="FIELDS",
        help="the fields to fit, comma-separated (russia.lambda,escalation.base); PATH=LOW:HIGH narrows a range",
    )  # fmt: skip
    command.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="set a field before fitting, e.g. --set rounds=1 (repeatable; kept in the calibrated file)",
    )  # fmt: skip
    command.add_argument(
        "--max-evaluations", type=whole_number(10, 10_000), default=400, metavar="N",
        help="the most likelihood evaluations per optimisation (default 400)",
    )  # fmt: skip
    command.add_argument("--json", action="store_true", help="print the calibration as JSON")
    command.add_argument("--out", metavar="FILE", help="write the calibrated scenario as TOML to FILE")
    command.set_defaults(handler=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    """Calibrate, print, and write the calibrated scenario if asked; exit status 0."""
    from sim.estimation.calibrate import calibrate, calibrated_file_text

    overrides = dict(parse_assignment(text) for text in args.overrides)
    result = calibrate(
        args.scenario, args.outcomes, args.free, overrides=overrides, max_evaluations=args.max_evaluations
    )
    text = calibrated_file_text(result, args.out) if args.out else None
    if args.json:
        print(json.dumps(result.to_dict() | {"out": args.out}, indent=2))
    else:
        print(result.summary())
    if args.out and text is not None:
        write_text_atomically(args.out, text)
        print(f"wrote {args.out}; check it with: sim validate {args.out}", file=sys.stderr if args.json else sys.stdout)
    return 0
