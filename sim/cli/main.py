"""The ``sim`` command: run, trace, solve, sweep (and analyse sweeps), validate and list scenarios.

Every error a user can cause (a malformed scenario, a bad option) prints what is wrong and exits
with status 2, never with a traceback. Output files are written atomically.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim._version import __version__
from sim.cli.analysis_commands import add_analysis_commands
from sim.cli.argtypes import add_command, number, whole_number
from sim.cli.calibrate_command import add_calibrate_command
from sim.cli.fit_command import add_fit_command
from sim.cli.invocation import DISK_CACHED, assignment_without_equals, errors_printed_as_they_are, with_disk_cache
from sim.cli.qre_fit_command import add_qre_fit_command
from sim.domain.choices import DESIGNS, EXECUTORS
from sim.domain.files import write_text_atomically
from sim.domain.ladder import ACTORS, OUTCOMES, RUNGS
from sim.domain.limits import MAX_DESIGN_POINTS, MAX_LAMBDA, MAX_RUNS, MAX_TREE_ROUNDS, MAX_WORKERS
from sim.domain.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_assignment,
    parse_toml,
    read_scenario_text,
    scenario_from_dict,
    starter_scenario,
    with_overrides,
)

# The parser, --help, validate and scenarios import none of the engine, runs, studies, game or
# estimation (nor pandas, scipy or numba): each command imports what it needs when it runs.
EXIT_USAGE = 2


class UsageError(Exception):
    """A command-line mistake; reported in one line with exit status 2."""


SEED_HELP = "seed for reproducible results (default: one is drawn, printed and stored with the results)"

positive_int = whole_number(1)
seed_int = whole_number(0)
run_count = whole_number(1, MAX_RUNS, "MAX_RUNS")
sample_count = whole_number(1, MAX_DESIGN_POINTS, "MAX_DESIGN_POINTS")
worker_count = whole_number(1, MAX_WORKERS, "MAX_WORKERS")
rationality = number(minimum=0, maximum=MAX_LAMBDA, limit="MAX_LAMBDA")


def build_parser() -> argparse.ArgumentParser:
    """The ``sim`` parser: every command, its options (checked against the limits as they are read)
    and its handler (``args.handler``), the analysis commands included."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Deterrence and escalation simulator: Russia, a UK-France-led coalition and the US.",
        epilog="Scenarios are TOML files or built-in names (see 'sim scenarios'). Docs: docs/reference/cli.md",
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = add_command(
        commands, "run", "Monte Carlo: how often each outcome happens",
        [
            "sim run coalition_2026 --seed 7",
            "sim run us_backstop --set russia.resolve_prior=0.8 --runs 100000 --json",
            "sim run my_scenario.toml --seed 7 --out runs.parquet",
        ],
    )  # fmt: skip
    _scenario_arguments(run)
    run.add_argument("--runs", type=run_count, default=10_000, help="independent crises to simulate (default 10000)")
    run.add_argument("--seed", type=seed_int, default=None, help=SEED_HELP)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--out", metavar="FILE", help="save one row per run to FILE (.parquet or .csv)")
    run.add_argument(
        "--engine", choices=("compiled", "numpy"), default="compiled",
        help="compiled kernel (default) or the numpy Mesa model: the same numbers, the numpy model slower",
    )  # fmt: skip
    run.set_defaults(handler=command_run)

    trace = add_command(
        commands, "trace", "tell one run round by round: each move, its reasons and the beliefs after it",
        ["sim trace coalition_2026 --seed 7", "sim trace classroom_chicken --seed 1 --json"],
    )  # fmt: skip
    _scenario_arguments(trace)
    trace.add_argument("--seed", type=seed_int, default=None, help=SEED_HELP)
    trace.add_argument("--json", action="store_true", help="print the trace as JSON")
    trace.set_defaults(handler=command_trace)

    validate = add_command(
        commands, "validate", "check scenario files and report every problem (exit status 2 if any)",
        ["sim validate my_scenario.toml", "sim validate scenarios/*.toml"],
    )  # fmt: skip
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files or built-in names")
    validate.set_defaults(handler=command_validate)

    solve = add_command(
        commands, "solve", "solve a scenario's one-round crisis game, or a game file; export the whole game tree",
        [
            "sim solve coalition_2026",
            "sim solve chain_store --qre 2",
            "sim solve games/my_game.efg --json",
            "sim solve coalition_2026 --rounds 2 --export-efg crisis.efg",
        ],
    )  # fmt: skip
    solve.add_argument(
        "target", metavar="TARGET", help="a scenario (file or built-in name) or a game (.efg, .nfg, .toml)"
    )
    solve.add_argument("--json", action="store_true", help="print the solution as JSON")
    solve.add_argument("--qre", type=rationality, metavar="LAMBDA", help="also the logit QRE at this lambda")
    solve.add_argument("--qre-path", type=rationality, metavar="LAMBDA", help="also the QRE path from 0 to LAMBDA")
    solve.add_argument("--export-efg", metavar="FILE", help="write the game tree in Gambit's .efg format")
    solve.add_argument("--export-nfg", metavar="FILE", help="write the game's normal form in Gambit's .nfg format")
    solve.add_argument(
        "--rounds", type=positive_int, metavar="T",
        help=f"scenarios: build the whole T-round game (Nature draws every type) and write it with --export-efg "
        f"(T at most {MAX_TREE_ROUNDS})",
    )  # fmt: skip
    solve.add_argument(
        "--resolute", action="append", default=None, choices=list(ACTORS), metavar="ACTOR",
        help="scenarios: take this actor as resolute (repeatable; the others not). Default: each actor's likelier type",
    )  # fmt: skip
    solve.add_argument(
        "--resolve-chance", action="store_true",
        help="scenarios: Nature draws Russia's type from its prior and only Russia sees it (incomplete information)",
    )  # fmt: skip
    solve.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                       help="scenarios: override a field (repeatable)")  # fmt: skip
    solve.set_defaults(handler=command_solve)

    sweep = add_command(
        commands, "sweep", "vary scenario fields over a design; one row of results per point",
        [
            "sim sweep coalition_2026 --param russia.resolve_prior=0.2:0.8:7 --out sweeps/resolve.parquet",
            "sim sweep coalition_2026 --param escalation.tripwire=0:0.45 --param russia.lambda=0.5:5 \\",
            "    --design saltelli --samples 64 --out sweeps/sobol.parquet",
            "sim sweep coalition_2026 --param russia.resolve_prior=0.2:0.8:7 --out sweeps/resolve.parquet --resume",
        ],
    )  # fmt: skip
    _scenario_arguments(sweep)
    sweep.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="PATH=SPEC",
        required=True,
        help="a field to vary: PATH=LOW:HIGH, PATH=LOW:HIGH:STEPS (grid) or PATH=A,B,C (repeatable)",
    )
    sweep.add_argument("--design", choices=DESIGNS, default="grid", help="grid (default), lhs, sobol or saltelli")
    sweep.add_argument("--samples", type=sample_count, help="design points for lhs and sobol; N for saltelli")
    sweep.add_argument("--second-order", action="store_true", help="saltelli: also sample for second-order indices")
    sweep.add_argument("--runs", type=run_count, default=1_000, help="crises per design point (default 1000)")
    sweep.add_argument("--seed", type=seed_int, default=0, help="sweep seed (default 0)")
    sweep.add_argument("--out", metavar="DIR", help="write a resumable Parquet dataset here (e.g. sweeps/x.parquet)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    sweep.add_argument(
        "--workers",
        type=worker_count,
        help="worker processes: local ones, or a Dask LocalCluster of this size with --executor dask "
        "(default: all cores; 1 runs in this process)",
    )
    sweep.add_argument(
        "--executor", choices=EXECUTORS, help="inline, processes (default) or dask (the default with --scheduler)"
    )
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://host:8786")
    sweep.add_argument("--chunk-size", type=positive_int, help="design points per task (default: chosen for you)")
    sweep.set_defaults(handler=command_sweep)  # fmt: skip

    add_analysis_commands(commands)  # sensitivity, discover, plot: analyses of a saved sweep
    add_fit_command(commands)  # fit: strategic estimation from data
    add_qre_fit_command(commands)  # fit-qre: logit QRE maximum likelihood from action counts
    add_calibrate_command(commands)  # calibrate: a scenario fitted to observed outcomes

    new = add_command(
        commands, "new", "write a scenario file to start from: a built-in one with its comments, retitled",
        ["sim new my_crisis", "sim new korea_variant --from korea_1953_tripwire"],
    )  # fmt: skip
    new.add_argument("name", metavar="NAME", help="the new scenario's name: writes NAME.toml in this folder")
    new.add_argument(
        "--from", dest="source", default="coalition_2026", metavar="SCENARIO",
        help="the built-in scenario to start from (default coalition_2026)",
    )  # fmt: skip
    new.add_argument("--force", action="store_true", help="replace NAME.toml if it exists")
    new.set_defaults(handler=command_new)

    listing = add_command(commands, "scenarios", "list the built-in scenarios", ["sim scenarios"])
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


def load_with_overrides(args: argparse.Namespace, name: str | None = None) -> Scenario:
    """The scenario the command names (or ``name``), with its ``--set PATH=VALUE`` overrides applied.

    Raises
    ------
    ScenarioError
        If the scenario cannot be read or an override is not a valid value for its field.
    """
    overrides = dict(parse_assignment(text) for text in args.overrides)
    return load_scenario(name or args.scenario, overrides)


def command_run(args: argparse.Namespace) -> int:
    """``sim run``: the Monte Carlo summary, as a table or JSON; ``--out`` also saves one row per run
    (refused before the runs unless it ends in ``.parquet`` or ``.csv``)."""
    from sim.runs.montecarlo import BATCH_WORLDS, run_monte_carlo

    scenario = load_with_overrides(args)
    if args.out and not args.out.lower().endswith((".parquet", ".csv")):
        raise UsageError(f"--out {args.out}: the file must end in .parquet or .csv")
    progress = _progress_printer() if args.runs > BATCH_WORLDS else None
    results = run_monte_carlo(scenario, runs=args.runs, seed=args.seed, progress=progress, engine=args.engine)
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
    """``sim trace``: one crisis told round by round, as a story or as JSON records."""
    from sim.runs.trace import tell_story, trace_records, trace_run

    scenario = load_with_overrides(args)
    model = trace_run(scenario, seed=args.seed)
    if args.json:
        print(json.dumps(trace_records(model), indent=2))
    else:
        print("\n".join(tell_story(model)))
    return 0


def command_solve(args: argparse.Namespace) -> int:
    """``sim solve``: a game file, bundled game or scenario's crisis game solved (Nash, subgame perfect,
    QRE), described or as JSON, and exported with ``--export-efg`` / ``--export-nfg``; with ``--rounds``,
    :func:`export_crisis_tree`."""
    from sim.game.io import write_game
    from sim.game.solve import describe, solve

    if args.rounds is not None:
        return export_crisis_tree(args)
    game = load_game_target(args)
    solution = solve(game, qre_lambda=args.qre, qre_path_to=args.qre_path)
    for path, wanted in ((args.export_efg, ".efg"), (args.export_nfg, ".nfg")):
        if path:
            if not path.lower().endswith(wanted):
                raise UsageError(f"{path}: the file must end in {wanted}")
            write_game(game, path)
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(solution.to_json(), indent=2))
    else:
        print("\n".join(describe(solution)))
    return 0


def export_crisis_tree(args: argparse.Namespace) -> int:
    """``sim solve SCENARIO --rounds T --export-efg FILE``: the whole T-round game, written, not solved."""
    from sim.game.crisis import crisis_tree
    from sim.game.io import write_game

    if args.rounds > MAX_TREE_ROUNDS:
        raise UsageError(
            f"--rounds {args.rounds}: at most {MAX_TREE_ROUNDS} rounds can be built: the tree grows about "
            f"12-fold per round, and {MAX_TREE_ROUNDS} rounds already have about 60,000 nodes"
        )
    if not args.export_efg:
        raise UsageError("--rounds builds the whole game to export it: add --export-efg FILE")
    if not args.export_efg.lower().endswith(".efg"):
        raise UsageError(f"{args.export_efg}: the file must end in .efg")
    others = {
        "--qre": args.qre is not None,
        "--qre-path": args.qre_path is not None,
        "--export-nfg": bool(args.export_nfg),
        "--resolute": bool(args.resolute),
        "--resolve-chance": args.resolve_chance,
    }
    clashing = [option for option, given in others.items() if given]
    if clashing:
        raise UsageError(
            f"--rounds writes the game tree only (Nature draws every type; its normal form is far too large to "
            f"solve here): drop {', '.join(clashing)}"
        )
    if _is_game_file(Path(args.target)):
        raise UsageError("--rounds applies to scenarios, not to game files")
    scenario = load_with_overrides(args, args.target)
    game = crisis_tree(with_overrides(scenario, {"rounds": args.rounds}, scenario.name))
    write_game(game, args.export_efg)
    nodes = list(game.nodes())
    terminals = sum(node.kind == "terminal" for node in nodes)
    infosets = game.infosets()
    per_player = {player: sum(h.player == k for h in infosets) for k, player in enumerate(game.players)}
    if args.json:
        summary = {
            "game": game.title,
            "rounds": args.rounds,
            "file": args.export_efg,
            "nodes": len(nodes),
            "terminals": terminals,
            "information_sets": per_player,
        }
        print(json.dumps(summary, indent=2))
    else:
        sets = ", ".join(f"{player} {count:,}" for player, count in per_player.items())
        print(f"Game: {game.title}")
        print(f"Tree: {len(nodes):,} nodes ({terminals:,} terminal), {len(infosets):,} information sets ({sets})")
    print(f"wrote {args.export_efg}", file=sys.stderr)
    return 0


def _is_game_file(target: Path) -> bool:
    suffix = target.suffix.lower()
    return suffix in {".efg", ".nfg"} or (suffix == ".toml" and target.exists() and "players" in _toml_keys(target))


def load_game_target(args: argparse.Namespace):
    """A game file is solved as it is; a scenario becomes its one-round crisis game."""
    from sim.game.bundled import bundled_games
    from sim.game.crisis import crisis_game
    from sim.game.io import read_game

    target = Path(args.target)
    games = bundled_games()
    if not target.exists() and args.target in games and args.target not in builtin_scenarios():
        target = games[args.target]  # a bundled game by name, from any folder
    if _is_game_file(target):
        if args.overrides or args.resolute or args.resolve_chance:
            raise UsageError("--set, --resolute and --resolve-chance apply to scenarios, not to game files")
        return read_game(target)
    try:
        scenario = load_with_overrides(args, args.target)
    except ScenarioError as error:
        missing = error.source == args.target and error.problems[0][1].startswith("no such file")
        if target.exists() or len(error.problems) != 1 or not missing:
            raise
        close = difflib.get_close_matches(args.target, [*games, *builtin_scenarios()], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(
            f"{args.target}: no such file, built-in scenario or bundled game ({hint}scenarios: "
            f"{', '.join(builtin_scenarios())}; games: {', '.join(games)})"
        ) from None
    resolute = None if args.resolute is None else {key: key in args.resolute for key in ACTORS}
    return crisis_game(scenario, resolute=resolute, resolve_chance=args.resolve_chance)


def _toml_keys(path: Path) -> set[str]:
    """The top-level keys of a ``.toml`` file, read with the scenario files' checks (a regular file,
    within the size and nesting limits), so a pipe or a device named ``x.toml`` cannot hang this
    peek at what kind of file it is."""
    try:
        return set(parse_toml(read_scenario_text(path), str(path)))
    except ScenarioError:
        return set()  # let the scenario loader report the problem with its usual message


def command_sweep(args: argparse.Namespace) -> int:
    """``sim sweep``: the scenario run at every point of a design over ``--param`` ranges (its size
    checked before any work), the first rows printed; exit status 130 if interrupted, with the
    finished points kept in ``--out`` for ``--resume``."""
    import pandas as pd

    from sim.studies.sweeps import Parameter, check_sweep_size, sweep

    if args.resume and not args.out:
        raise UsageError("--resume needs --out, the sweep directory to finish")
    params = [Parameter.parse(text) for text in args.params]
    check_sweep_size(params, args.design, args.samples, args.second_order)  # before any work, even loading
    scenario = load_with_overrides(args)
    start = time.perf_counter()
    try:
        frame = sweep(
            scenario, params, design=args.design, samples=args.samples, runs=args.runs, seed=args.seed,
            out=args.out, resume=args.resume, executor=args.executor, workers=args.workers,
            scheduler=args.scheduler, chunk_size=args.chunk_size, calc_second_order=args.second_order,
            progress=sys.stderr.isatty() or bool(os.environ.get("SIM_PROGRESS")),
        )  # fmt: skip
    except KeyboardInterrupt:
        where = f"; finished points are saved in {args.out}: add --resume to finish" if args.out else ""
        print(f"\nsim: sweep interrupted{where}", file=sys.stderr)
        return 130
    print(f"{len(frame)} design points x {args.runs} runs in {time.perf_counter() - start:.1f} s"
          + (f" -> {args.out}" if args.out else ""), file=sys.stderr)  # fmt: skip
    columns = ["point", *(p.path for p in params), "p_deterrence_holds", "p_limited_clash", "p_major_war"]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(frame[columns].to_string(index=False, max_rows=20))
    return 0


def command_validate(args: argparse.Namespace) -> int:
    """``sim validate``: each scenario checked, every problem printed; exit status 2 if any failed."""
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


def command_new(args: argparse.Namespace) -> int:
    """``sim new NAME``: a starter scenario written to ``NAME.toml`` in this folder (copied from
    ``--from``), checked to load first; an existing file is replaced only with ``--force``."""
    name = args.name.removesuffix(".toml")
    if not name or Path(name).name != name or name.startswith("."):
        raise UsageError(f"{args.name!r}: give a plain name such as my_crisis (the file is NAME.toml in this folder)")
    path = Path(f"{name}.toml")
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists: pick another name, or add --force to replace it")
    text = starter_scenario(name, args.source)
    scenario_from_dict(parse_toml(text, str(path)), str(path))  # a guard: the file written must load
    write_text_atomically(path, text)
    print(f"wrote {path} (from {args.source}); edit it, then: sim validate {path} && sim run {path}")
    return 0


def command_scenarios(args: argparse.Namespace) -> int:
    """``sim scenarios``: each built-in scenario's name and title (``INVALID`` and why, if it does not load)."""
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
    def report(done: float, total: int) -> None:
        print(f"\r{int(done):,}/{total:,} runs ({done / total:.0%})", end="" if done < total else "\n", file=sys.stderr)

    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sim`` command (the console script's entry point).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program's name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: the command's own (0 on success), 2 for any mistake a user can make
        (reported in a line, never a traceback), 130 when interrupted.
    """
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    hint = assignment_without_equals(arguments)
    if hint:
        print(f"sim: error: {hint}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(arguments)
    try:
        if args.command in DISK_CACHED:
            return with_disk_cache(args)
        return args.handler(args)
    except errors_printed_as_they_are() as error:
        print(error, file=sys.stderr)
    except (UsageError, ValueError) as error:
        print(f"sim: error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nsim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early (`sim trace ... | head`): not an error; silence the final flush too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        print(f"sim: error: {error}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
