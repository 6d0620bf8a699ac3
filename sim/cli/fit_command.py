"""``sim fit``: fit a strategic estimation game to data by maximum likelihood.

It prints the coefficient table (estimate, standard error, z, p), the log-likelihood, AIC, the
observations used and whether the optimiser converged; ``--json`` prints the same as JSON with
the data's SHA-256 and the version. ``--boot N`` adds bootstrap standard errors and intervals,
``--profile NAME`` a coefficient's profile likelihood, ``--compare-*`` Vuong's and Clarke's tests
against a second fit, and ``--plot-over COLUMN --plot FILE`` the predicted outcome probabilities
over a column's range. A formula that does not fit the model or the data is refused with a
``ValueError`` (:class:`sim.estimation.FormulaError`), which :func:`sim.cli.main.main` prints as
``sim: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.cli.argtypes import add_command, whole_number
from sim.domain.choices import ERRORS, FIXED_TREES, LINKS
from sim.domain.files import write_atomically, write_text_atomically

if TYPE_CHECKING:
    import pandas as pd

    from sim.estimation import FitResult

PLOT_SUFFIXES = (".html", ".png", ".svg", ".pdf")


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
            'sim fit egame12 --data war1800 --formula "esc + war ~ 1 | 0 | regime1 | balanc" \\',
            '    --subset "year >= 1850" --boot 500 --seed 1',
            'sim fit egame123 --data disputes.csv --formula "a1 + a2 + a3 ~ x | 0 | 1 | 1 | 0 | 1 | z | 1" \\',
            "    --link logit",
            'sim fit game.efg --data cases.csv --formula "end ~ 0 | x | 1 | 0 | 0 | z" --json',
        ],
    )  # fmt: skip
    command.add_argument(
        "model", metavar="MODEL", help=f"a fixed tree ({', '.join(FIXED_TREES)}) or a .efg or TOML game file"
    )
    command.add_argument("--data", required=True, help="a CSV or Parquet file, or a shipped data set (war1800)")
    command.add_argument(
        "--formula", required=True, help="outcome ~ u11 | u13 | u14 | u24, as in the R package games; 0 fixes a utility"
    )
    command.add_argument("--link", choices=LINKS, default="probit", help="the shocks' distribution (default probit)")
    command.add_argument(
        "--error", choices=ERRORS, default="agent", help="agent error or private information (default agent)"
    )
    command.add_argument("--subset", default="", metavar="FILTER", help='keep rows where FILTER holds: "year >= 1850"')
    command.add_argument(
        "--boot", type=whole_number(2), metavar="N", help="add bootstrap standard errors and intervals from N resamples"
    )
    command.add_argument(
        "--seed", type=whole_number(0), metavar="SEED", help="seeds --boot (drawn and printed if not given)"
    )
    command.add_argument(
        "--workers", type=whole_number(1), metavar="N", help="processes for --boot (default: the cores)"
    )
    command.add_argument(
        "--profile", metavar="NAME", action="append", default=[],
        help="print a coefficient's profile likelihood and 95%% interval (repeatable)",
    )  # fmt: skip
    command.add_argument(
        "--compare-formula", metavar="FORMULA", help="test this fit against a second formula (Vuong, Clarke)"
    )
    command.add_argument("--compare-model", metavar="MODEL", help="the second fit's model (default: MODEL)")
    command.add_argument("--compare-link", choices=LINKS, help="the second fit's link (default: --link)")
    command.add_argument("--compare-error", choices=ERRORS, help="the second fit's error (default: --error)")
    command.add_argument("--plot-over", metavar="COLUMN", help="predict the outcomes over a numeric column's range")
    command.add_argument("--plot", metavar="FILE", help="draw --plot-over's predictions: .html, .png, .svg or .pdf")
    command.add_argument("--json", action="store_true", help="print the fit as JSON")
    command.add_argument("--out", metavar="FILE", help="also save the fit as JSON to FILE")
    command.set_defaults(handler=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    """Fit and print; exit status 0."""
    from sim.estimation import FormulaError, bootstrap, compare, fit

    if args.plot and not args.plot_over:
        raise FormulaError("--plot needs --plot-over COLUMN: the column whose range the predictions run over")
    if args.plot and not args.plot.lower().endswith(PLOT_SUFFIXES):
        raise FormulaError(f"--plot {args.plot}: a plot must end in {', '.join(PLOT_SUFFIXES)}")
    result = fit(args.model, args.data, args.formula, link=args.link, error=args.error, subset=args.subset)
    report = result.to_dict()
    extra: list[str] = []
    if args.boot:
        if args.seed is None:
            print("bootstrap seed drawn (give --seed to repeat it)", file=sys.stderr)
        bootstrap(result, args.boot, seed=args.seed, workers=args.workers, progress=_progress)
        report = result.to_dict()
    for name in args.profile:
        profile = result.profile(name)
        low, high = profile.interval
        extra.append(f"profile likelihood of {name}: 95% interval [{low:.4f}, {high:.4f}] (Hessian: "
                     f"[{profile.estimate - 1.96 * result.se[result.names.index(name)]:.4f}, "
                     f"{profile.estimate + 1.96 * result.se[result.names.index(name)]:.4f}])")  # fmt: skip
        report.setdefault("profiles", []).append(
            {"name": name, "lower": _number(low), "upper": _number(high),
             "values": profile.values.tolist(), "loglik": profile.loglik.tolist()}
        )  # fmt: skip
    if args.compare_formula:
        other = fit(
            args.compare_model or args.model, args.data, args.compare_formula,
            link=args.compare_link or args.link, error=args.compare_error or args.error, subset=args.subset,
        )  # fmt: skip
        test = compare(result, other)
        extra.append(
            f"against {other.model} ({other.link}, {other.error}) {other.formula}: log-likelihood {other.loglik:.4f}\n"
            f"Vuong (BIC-corrected) z = {test.vuong:.3f}, p = {test.vuong_p:.4f}; "
            f"Clarke: {test.clarke} of {test.n} rows favour the first, p = {test.clarke_p:.4f}\n{test.verdict}"
        )
        report["comparison"] = {
            "against": other.to_dict(), "vuong": test.vuong, "vuong_p": test.vuong_p,
            "clarke": test.clarke, "clarke_p": test.clarke_p, "correction": test.correction,
        }  # fmt: skip
    if args.plot_over:
        predictions = result.predict_over(args.plot_over)
        report["predictions"] = json.loads(predictions.to_json(orient="records"))
        if args.plot:
            write_atomically(args.plot, lambda target: _draw(result, predictions, args.plot_over, target))
            print(f"wrote {args.plot}", file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text if args.json else "\n\n".join([result.summary(), *extra]))
    if args.out:
        write_text_atomically(args.out, text + "\n")
    return 0


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _progress(done: int, total: int) -> None:
    print(f"\rbootstrap {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def _draw(result: FitResult, predictions: pd.DataFrame, column: str, target: str) -> None:
    """Each outcome's predicted probability over ``column``, with its 95% band."""
    title = f"{result.model}: predicted outcomes over {column} ({result.link}, {result.error} error)"
    x = predictions[column].to_numpy()
    if Path(target).suffix.lower() == ".html":
        import plotly.graph_objects as go

        figure = go.Figure()
        for name in result.outcome_names:
            figure.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[predictions[f"upper({name})"],
                             predictions[f"lower({name})"][::-1]], fill="toself", opacity=0.2, line={"width": 0},
                             showlegend=False, hoverinfo="skip", legendgroup=name))  # fmt: skip
            figure.add_trace(go.Scatter(x=x, y=predictions[f"p({name})"], name=name, legendgroup=name))
        figure.update_layout(title=title, xaxis_title=column, yaxis_title="probability", template="plotly_white")
        figure.write_html(target, include_plotlyjs=True, full_html=True)
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure_m = Figure(figsize=(8, 5))
    axes = figure_m.subplots()
    for name in result.outcome_names:
        (line,) = axes.plot(x, predictions[f"p({name})"], label=name)
        axes.fill_between(
            x, predictions[f"lower({name})"], predictions[f"upper({name})"], alpha=0.2, color=line.get_color()
        )
    axes.set(xlabel=column, ylabel="probability", title=title, ylim=(0, 1))
    axes.legend()
    figure_m.savefig(target, bbox_inches="tight")
