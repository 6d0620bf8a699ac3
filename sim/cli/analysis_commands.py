"""The commands that analyse a finished sweep: ``sim sensitivity``, ``sim discover`` and ``sim plot``.

Each reads a sweep directory written by ``sim sweep --out`` (:func:`sim.studies.analysis.load_sweep`),
runs one analysis of :mod:`sim.studies.analysis` and prints its report, as a table or as JSON.
An analysis refuses input it cannot use with a ``ValueError``, which :func:`sim.cli.main.main`
prints as ``sim: error: ...`` with exit status 2. Files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.cli.argtypes import add_command, number, whole_number
from sim.domain.files import write_atomically
from sim.domain.ladder import OUTCOMES

if TYPE_CHECKING:
    import pandas as pd

TABLE_SUFFIXES = (".csv", ".parquet")
"""The files ``sim sensitivity --out`` writes the table of indices to."""


def add_analysis_commands(subparsers: Any) -> None:
    """Register ``sensitivity``, ``discover`` and ``plot`` on the ``sim`` command's sub-parsers.

    Parameters
    ----------
    subparsers
        What ``argparse.ArgumentParser.add_subparsers`` returned.
    """
    sensitivity = add_command(
        subparsers, "sensitivity", "Sobol indices of a Saltelli sweep: which parameters drive an outcome",
        [
            "sim sensitivity sweeps/sobol.parquet --outcome limited_clash",
            "sim sensitivity sweeps/sobol.parquet --outcome major_war --json",
        ],
    )  # fmt: skip
    sensitivity.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(sensitivity)
    sensitivity.add_argument("--json", action="store_true", help="print the indices as JSON")
    sensitivity.add_argument("--out", metavar="FILE", help="save the table of indices to FILE (.csv or .parquet)")
    sensitivity.add_argument(
        "--resamples", type=whole_number(2), default=1000, metavar="N", help="bootstrap resamples (default 1000)"
    )
    sensitivity.set_defaults(handler=command_sensitivity)

    discovery = add_command(
        subparsers, "discover", "scenario discovery (PRIM): where in parameter space an outcome exceeds a threshold",
        ["sim discover sweeps/sobol.parquet --outcome major_war --above 0.1"],
    )  # fmt: skip
    discovery.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(discovery)
    discovery.add_argument(
        "--above",
        type=number(),
        required=True,
        metavar="VALUE",
        help="points of interest: the outcome exceeds VALUE (a probability for outcomes)",
    )
    discovery.add_argument(
        "--threshold-density",
        type=number(),
        default=0.8,
        metavar="SHARE",
        help="the least share of points of interest a box must hold (default 0.8)",
    )
    discovery.add_argument(
        "--max-boxes", type=whole_number(1), default=3, metavar="N", help="at most this many boxes (default 3)"
    )
    discovery.add_argument(
        "--mass-min",
        type=number(),
        default=0.05,
        metavar="SHARE",
        help="the least share of all points a box may hold (default 0.05)",
    )
    discovery.add_argument("--json", action="store_true", help="print the boxes as JSON")
    discovery.set_defaults(handler=command_discover)

    plot = add_command(
        subparsers, "plot", "plot an outcome of a sweep against one or two parameters",
        [
            "sim plot sweeps/resolve.parquet --outcome deterrence_holds --x russia.resolve_prior --out resolve.png",
            "sim plot sweeps/grid.parquet --outcome limited_clash --x escalation.tripwire --y russia.resolve_prior \\",
            "    --out tripwire.html",
        ],
    )  # fmt: skip
    plot.add_argument("sweep", metavar="SWEEP", help="a sweep directory written by sim sweep")
    _outcome_argument(plot)
    plot.add_argument("--x", required=True, metavar="PATH", help="the parameter on the x axis")
    plot.add_argument("--y", metavar="PATH", help="a second parameter: draw a heatmap")
    plot.add_argument("--out", required=True, metavar="FILE", help="the figure: .png, .svg, .pdf or .html")
    plot.add_argument(
        "--bins", type=whole_number(2), default=None, metavar="N", help="bins per axis for scattered designs"
    )
    plot.set_defaults(handler=command_plot)


def _outcome_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--outcome`` option every analysis command takes."""
    parser.add_argument(
        "--outcome",
        required=True,
        metavar="OUTCOME",
        help=f"one of {', '.join(OUTCOMES)}; or mean_rounds, mean_payoff_ACTOR",
    )


def command_sensitivity(args: argparse.Namespace) -> int:
    """``sim sensitivity``: print a Saltelli sweep's Sobol indices, and save them with ``--out``.

    Parameters
    ----------
    args
        The parsed command line.

    Returns
    -------
    int
        The exit status, 0.
    """
    from sim.studies.analysis import load_sweep, output_column, sobol_indices

    output_column(args.outcome)  # a misspelt outcome is reported before the sweep is read
    if args.out and not args.out.lower().endswith(TABLE_SUFFIXES):
        raise ValueError(f"--out {args.out}: the file must end in .csv or .parquet")
    frame, metadata = load_sweep(args.sweep)
    table = sobol_indices(frame, metadata, args.outcome, num_resamples=args.resamples)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() == ".csv":
            write_atomically(out, lambda target: table.to_csv(target, index=False))
        else:
            write_atomically(out, lambda target: table.to_parquet(target, index=False))
        print(f"saved {len(table)} indices to {out}", file=sys.stderr)
    if args.json:
        print(json.dumps(sensitivity_json(table, metadata, args.outcome), indent=2))
    else:
        print("\n".join(format_sensitivity(table, metadata)))
    return 0


def sensitivity_json(table: pd.DataFrame, metadata: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The report of ``sim sensitivity --json``: the sweep's provenance, S1 and ST by parameter, and S2 by pair.

    Parameters
    ----------
    table
        The indices, from :func:`sim.studies.analysis.sobol_indices`.
    metadata
        The sweep's metadata.
    outcome
        The outcome as the user named it.

    Returns
    -------
    dict
        The report, ready for ``json.dumps``.
    """
    from sim.studies.analysis import provenance

    indices = []
    for parameter, rows in _first_and_total(table):
        entry: dict[str, Any] = {"parameter": parameter}
        for index in ("S1", "ST"):
            entry[index] = rows[index]["estimate"]
            entry[f"{index}_ci95"] = [rows[index]["ci_low"], rows[index]["ci_high"]]
        indices.append(entry)
    second = [
        {
            "parameters": [row["parameter"], row["parameter_2"]],
            "S2": row["estimate"],
            "S2_ci95": [row["ci_low"], row["ci_high"]],
        }
        for _, row in table[table["index"] == "S2"].iterrows()
    ]
    return {
        "sweep": provenance(metadata),
        "outcome": outcome,
        "column": table.attrs.get("column"),
        "N": table.attrs.get("N"),
        "points": table.attrs.get("points"),
        "bootstrap": {"resamples": table.attrs.get("num_resamples"), "seed": table.attrs.get("seed")},
        "indices": indices,
        "second_order": second,
    }


def format_sensitivity(table: pd.DataFrame, metadata: dict[str, Any]) -> list[str]:
    """The indices as a terminal table, parameters ordered by total index.

    Parameters
    ----------
    table
        The indices, from :func:`sim.studies.analysis.sobol_indices`.
    metadata
        The sweep's metadata.

    Returns
    -------
    list of str
        The lines to print.
    """
    from sim.studies.analysis import output_label, provenance_line

    column = table.attrs.get("column", "")
    width = max([len("parameter"), *(len(name) for name in table.loc[table["index"] != "S2", "parameter"])])
    lines = [
        provenance_line(metadata, int(table.attrs.get("points", 0))),
        f"Sobol indices of {output_label(column)}, N = {table.attrs.get('N')}, 95% intervals by bootstrap",
        "",
        f"{'parameter':{width}s} {'total ST':>8s}   {'95% interval':17s} {'first S1':>8s}   95% interval",
    ]
    s1_sum = 0.0
    for parameter, rows in _first_and_total(table):
        st, s1 = rows["ST"], rows["S1"]
        s1_sum += s1["estimate"]
        lines.append(
            f"{parameter:{width}s} {st['estimate']:8.3f}   {_interval(st):17s} {s1['estimate']:8.3f}   {_interval(s1)}"
        )
    lines.append("")
    lines.append(
        f"first-order indices add up to {s1_sum:.2f}: about {max(0.0, 1 - s1_sum):.0%} of the variance comes from "
        "interactions (and Monte Carlo noise)"
    )
    second = table[table["index"] == "S2"]
    if not second.empty:
        pairs = [f"{row['parameter']} x {row['parameter_2']}" for _, row in second.iterrows()]
        pair_width = max(len("pair"), *(len(pair) for pair in pairs))
        lines += ["", f"{'pair':{pair_width}s} {'S2':>8s}   95% interval"]
        for pair, (_, row) in zip(pairs, second.iterrows()):
            lines.append(f"{pair:{pair_width}s} {row['estimate']:8.3f}   {_interval(row)}")
    return lines


def _first_and_total(table: pd.DataFrame) -> list[tuple[str, dict[str, pd.Series]]]:
    """Each parameter, by total index, with its ``{"S1": row, "ST": row}`` of the table of indices."""
    by_index = {index: table[table["index"] == index].set_index("parameter") for index in ("S1", "ST")}
    return [
        (parameter, {index: rows.loc[parameter] for index, rows in by_index.items()})
        for parameter in by_index["ST"].index
    ]


def _interval(row: pd.Series) -> str:
    """An index's 95% interval as printed: ``[0.123, 0.456]``."""
    return f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def command_discover(args: argparse.Namespace) -> int:
    """``sim discover``: print the boxes PRIM finds where the outcome exceeds ``--above``.

    Parameters
    ----------
    args
        The parsed command line.

    Returns
    -------
    int
        The exit status, 0.
    """
    from sim.studies.analysis import (
        discover,
        load_sweep,
        output_column,
        output_label,
        provenance,
        provenance_line,
        threshold_text,
    )

    column = output_column(args.outcome)
    frame, metadata = load_sweep(args.sweep)
    boxes = discover(
        frame,
        metadata,
        args.outcome,
        args.above,
        threshold_density=args.threshold_density,
        mass_min=args.mass_min,
        max_boxes=args.max_boxes,
    )
    values = frame[column].to_numpy(dtype=float)
    cases = int(np.sum(values > args.above))
    if args.json:
        summary = {
            "sweep": provenance(metadata),
            "outcome": args.outcome,
            "column": column,
            "above": args.above,
            "threshold_density": args.threshold_density,
            "points": len(frame),
            "points_of_interest": cases,
            "boxes": [box.to_dict() for box in boxes],
        }
        print(json.dumps(summary, indent=2))
        return 0
    label = output_label(column, short=True)
    lines = [
        provenance_line(metadata, len(frame)),
        f"{label} exceeds {threshold_text(column, args.above)} at {cases:,} of {len(frame):,} points "
        f"({cases / max(len(frame), 1):.0%})",
    ]
    if cases == 0:
        highest = np.nanmax(values) if np.isfinite(values).any() else math.nan
        lines.append(f"no point to explain (the highest value is {highest:.4g}); try a lower --above")
    elif not boxes:
        lines.append(f"no box reaches a density of {args.threshold_density:g}; try a lower --threshold-density")
    for box in boxes:
        lines += ["", f"box {box.number}: {box.describe()}"]
        lines += [f"  {condition}" for condition in box.conditions()]
        lines.append(
            f"  density {box.density:.0%}, coverage {box.coverage:.0%}, mass {box.mass:.0%} "
            f"({box.cases:,} of the box's {box.points:,} points)"
        )
    print("\n".join(lines))
    return 0


def command_plot(args: argparse.Namespace) -> int:
    """``sim plot``: draw an outcome against one or two parameters into ``--out``.

    Parameters
    ----------
    args
        The parsed command line.

    Returns
    -------
    int
        The exit status, 0.
    """
    from sim.studies.analysis import PLOT_SUFFIXES, load_sweep, output_column, plot_sweep

    output_column(args.outcome)
    if not args.out.lower().endswith(PLOT_SUFFIXES):
        raise ValueError(f"--out {args.out}: a plot must end in {', '.join(PLOT_SUFFIXES)}")
    frame, metadata = load_sweep(args.sweep)
    path = plot_sweep(frame, metadata, args.outcome, args.x, args.y, args.out, bins=args.bins)
    print(f"wrote {path}", file=sys.stderr)
    return 0
