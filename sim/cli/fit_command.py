"""``sim fit``: fit a strategic estimation game to data by maximum likelihood.

It prints the coefficient table (estimate, standard error, z, p), the log-likelihood, AIC, the
observations used and whether the optimiser converged; ``--json`` prints the same as JSON with
the data's SHA-256 and the version. A formula that does not fit the model or the data is refused
with a ``ValueError`` (:class:`sim.estimation.FormulaError`), which :func:`sim.cli.main.main`
prints as ``sim: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sim.cli.argtypes import add_command
from sim.domain.files import write_text_atomically
from sim.estimation import GAMES, fit
from sim.estimation.games import ERRORS, LINKS


def add_fit_command(subparsers: Any) -> None:
    """Register ``fit`` on the ``sim`` command's sub-parsers.

    Parameters
    ----------
    subparsers
        What ``argparse.ArgumentParser.add_subparsers`` returned.
    """
    command = add_command(
        subparsers, "fit", "fit a strategic probit or logit (Signorino) to data by maximum likelihood",
        [
            'sim fit egame12 --data war1800 --formula "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"',
            'sim fit egame12 --data disputes.csv --formula "esc + war ~ x | 0 | 1 | z" --link logit --json',
        ],
    )  # fmt: skip
    command.add_argument("model", metavar="MODEL", choices=sorted(GAMES), help=f"the tree: {', '.join(GAMES)}")
    command.add_argument("--data", required=True, help="a CSV or Parquet file, or a shipped data set (war1800)")
    command.add_argument(
        "--formula", required=True, help="outcome ~ u11 | u13 | u14 | u24, as in the R package games; 0 fixes a utility"
    )
    command.add_argument("--link", choices=LINKS, default="probit", help="the shocks' distribution (default probit)")
    command.add_argument(
        "--error", choices=ERRORS, default="agent", help="agent error or private information (default agent)"
    )
    command.add_argument("--json", action="store_true", help="print the fit as JSON")
    command.add_argument("--out", metavar="FILE", help="also save the fit as JSON to FILE")
    command.set_defaults(handler=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    """Fit and print; exit status 0."""
    result = fit(args.model, args.data, args.formula, link=args.link, error=args.error)
    text = json.dumps(result.to_dict(), indent=2)
    print(text if args.json else result.summary())
    if args.out:
        write_text_atomically(args.out, text + "\n")
    return 0
