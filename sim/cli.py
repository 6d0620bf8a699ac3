"""The ``sim`` command: run, trace, validate and list scenarios.

Every error a user can cause (a malformed scenario, a bad option) prints what is wrong and exits
with status 2, never with a traceback. Output files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from sim import __version__
from sim.ladder import OUTCOMES, RUNGS
from sim.montecarlo import BATCH_WORLDS, run_monte_carlo
from sim.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario, parse_assignment
from sim.trace import tell_story, trace_records, trace_run

EXIT_USAGE = 2


class UsageError(Exception):
    """A command-line mistake; reported in one line with exit status 2."""


def whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``, with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


positive_int = whole_number(1)
seed_int = whole_number(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Deterrence and escalation simulator: Russia, a UK-France-led coalition and the US.",
        epilog="Scenarios are TOML files or built-in names (see 'sim scenarios'). Docs: docs/cli.md",
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="Monte Carlo: how often each outcome happens")
    _scenario_arguments(run)
    run.add_argument("--runs", type=positive_int, default=10_000, help="independent crises to simulate (default 10000)")
    run.add_argument("--seed", type=seed_int, default=None, help="seed for reproducible results")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--out", metavar="FILE", help="save one row per run to FILE (.parquet or .csv)")
    run.set_defaults(handler=command_run)

    trace = commands.add_parser("trace", help="tell one run round by round")
    _scenario_arguments(trace)
    trace.add_argument("--seed", type=seed_int, default=None, help="seed for reproducible results")
    trace.add_argument("--json", action="store_true", help="print the trace as JSON")
    trace.set_defaults(handler=command_trace)

    validate = commands.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files or built-in names")
    validate.set_defaults(handler=command_validate)

    listing = commands.add_parser("scenarios", help="list the built-in scenarios")
    listing.set_defaults(handler=command_scenarios)
    return parser


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="a scenario file or a built-in name")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. --set russia.lambda=3 (repeatable)",
    )


def load_with_overrides(args: argparse.Namespace) -> Scenario:
    overrides = dict(parse_assignment(text) for text in args.overrides)
    return load_scenario(args.scenario, overrides)


def command_run(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args)
    if args.out and not args.out.lower().endswith((".parquet", ".csv")):
        raise UsageError(f"--out {args.out}: the file must end in .parquet or .csv")
    progress = _progress_printer() if args.runs > BATCH_WORLDS else None
    results = run_monte_carlo(scenario, runs=args.runs, seed=args.seed, progress=progress)
    summary = results.summary()
    if args.out:
        path = results.save(args.out)
        print(f"saved {results.runs} rows to {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("\n".join(format_summary(summary, scenario)))
    return 0


def command_trace(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args)
    model = trace_run(scenario, seed=args.seed)
    if args.json:
        print(json.dumps(trace_records(model), indent=2))
    else:
        print("\n".join(tell_story(model)))
    return 0


def command_validate(args: argparse.Namespace) -> int:
    failures = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as error:
            print(error, file=sys.stderr)
            failures += 1
        else:
            print(f"{name}: ok ({scenario.name}, sha256 {scenario.sha256()[:12]})")
    return EXIT_USAGE if failures else 0


def command_scenarios(args: argparse.Namespace) -> int:
    for name, path in builtin_scenarios().items():
        try:
            title = load_scenario(path).title
        except ScenarioError as error:
            title = f"INVALID: {error}"
        print(f"{name:24s} {title}")
    return 0


def format_summary(summary: dict[str, Any], scenario: Scenario) -> list[str]:
    """The summary as a small table with bars, for a terminal."""
    lines = [
        f"{summary['scenario']}: {scenario.title}".rstrip(": "),
        f"{summary['runs']:,} runs, seed {summary['seed']}, up to {summary['rounds']} rounds, "
        f"scenario sha256 {summary['scenario_sha256'][:12]}, sim {summary['version']}",
        "",
        f"{'outcome':22s} {'p':>7s}   95% interval",
    ]
    for outcome in OUTCOMES:
        entry = summary["outcomes"][outcome]
        low, high = entry["ci95"]
        bar = "#" * round(40 * entry["p"])
        lines.append(f"{outcome.replace('_', ' '):22s} {entry['p']:7.4f}   [{low:.4f}, {high:.4f}]  {bar}".rstrip())
    lines.append("")
    lines.append(f"mean rounds: {summary['mean_rounds']:.2f}")
    rungs = ", ".join(
        f"{rung.replace('_', ' ')} {summary['max_rung'][rung]:.1%}" for rung in RUNGS if summary["max_rung"][rung]
    )
    lines.append(f"highest rung reached: {rungs}")
    payoffs = ", ".join(f"{actor} {value:+.2f}" for actor, value in summary["mean_payoff"].items())
    lines.append(f"mean payoff: {payoffs}")
    return lines


def _progress_printer():
    def report(done: int, total: int) -> None:
        print(f"\r{done:,}/{total:,} runs ({done / total:.0%})", end="" if done < total else "\n", file=sys.stderr)

    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as error:
        print(error, file=sys.stderr)
    except (UsageError, ValueError) as error:
        print(f"sim: error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nsim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"sim: error: {error}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
