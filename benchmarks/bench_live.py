"""Benchmark: a class of simulated students plays a live session through the data layer.

Usage:  python benchmarks/bench_live.py [--players 60] [--groups 20] [--rounds 10] [--processes N]
        [--poll 1.0] [--host-poll 0.5] [--think 1.0] [--double-tap 0.15] [--resend 0.15]
        [--seconds-per-move 3600] [--scenario coalition_2026] [--seed 0] [--timeout 900] [--json FILE]

The students go through exactly what the Live page calls (issue 12): a session is opened on the
scenario cut to ``--rounds`` rounds, in a temporary SQLite file (or ``SIM_LIVE_DB`` when it is set),
``--players`` students join with its code and are seated three to a group (so ``--groups`` must be
the number of groups that makes), and the instructor starts it. Each student then polls
``sim.live.views.player_view`` every ``--poll`` seconds (a phone's page) and, when it is their turn,
thinks a moment and sends a choice with ``sim.live.session.submit``: mostly ``threaten`` at a round's
moves, so crises last several rounds, else any move. Some submissions are double taps (two requests
at once) and some are resent a moment later, after the crisis may have moved on: each must record
one decision. Students run in threads of this process (a Streamlit server's case), or with
``--processes N`` in N worker processes of their own (several servers on one database). An
instructor thread polls ``sim.live.views.host_view`` every ``--host-poll`` seconds and notes when
each decision first shows on its screen. The time per move is an hour, so nobody runs out of time
unless ``--seconds-per-move`` asks for it.

Reported: decisions submitted, recorded, lost (acknowledged to the student but not in the store, or
stored with another choice: must be 0), duplicated (more than one row for a (session, group,
round, node): must be 0), requests refused, every group's crisis finished, the time from a
submission (the request sent) to the instructor's screen showing it (p50 and p95; target p95 under
2 s on this 2-core machine) and the wall time. The last line reads ``lost 0, duplicated 0, p95 0.8
s``. The exit status is 1 when anything was lost or duplicated, the data layer raised an error (a
page would have shown it) or a crisis did not finish.
``--json FILE`` also writes the figures as JSON (tests/live/test_live_load.py runs a small class).
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # many students share 2 cores: no BLAS threads on top

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from sim import __version__  # noqa: E402
from sim.domain.scenario import load_scenario  # noqa: E402
from sim.live import schema  # noqa: E402
from sim.live.replay import node_actions  # noqa: E402
from sim.live.session import LiveError, control, join, open_session, submit  # noqa: E402
from sim.live.store import Store  # noqa: E402
from sim.live.views import host_view, player_view  # noqa: E402

KEEP_GOING = 0.9  # chance a student threatens at a round's move (the crisis goes on); else any move


@dataclass(frozen=True)
class Options:
    """How the simulated students behave."""

    poll: float
    think: float
    double_tap: float  # chance a submission is sent twice at once
    resend: float  # chance a submission is sent again a moment later
    seed: int
    deadline: float  # time.time() after which everyone stops


@dataclass
class Request:
    """One submit request, as the student's phone saw it."""

    token: str
    group: int
    round: int
    node: str
    action: str
    kind: str  # first, double (the second tap of a double tap) or resend
    sent: float
    answered: float
    status: str  # recorded, already, or refused: the refusal's message
    kept_action: str = ""  # the choice the store kept, as the answer said


# ---------------------------------------------------------------------------------------- students


def send(store: Store, token: str, group: int, view_round: int, node: str, action: str, kind: str) -> Request:
    """One submission, timed; a refusal (or a failure of the data layer) is recorded, not raised."""
    sent = time.time()
    try:
        result = submit(store, token, view_round, node, action)
        status, kept = result.status, result.action
    except LiveError as refused:
        status, kept = f"refused: {refused}", ""
    except Exception as failure:  # e.g. a database error under load: a finding, reported, never hidden
        status, kept = f"error: {type(failure).__name__}: {failure}", ""
    return Request(token, group, view_round, node, action, kind, sent, time.time(), status, kept)


def play_student(url: str, number: int, token: str, options: Options) -> tuple[list[Request], list[str]]:
    """Student ``number``: poll the page, choose on their turn, sometimes double-tap or resend; their
    requests, and the errors their page met (a page shows the error and polls again)."""
    store = Store(url)
    rng = random.Random(f"{options.seed}-{number}")  # the same choices, taps and resends for the same seed
    requests: list[Request] = []
    errors: list[str] = []
    lock = threading.Lock()  # the student's double taps and resends run in threads of their own
    later: list[threading.Thread] = []

    def keep(request: Request) -> None:
        with lock:
            requests.append(request)

    answered: set[tuple[int, str]] = set()
    time.sleep(rng.uniform(0, options.poll))  # phones do not all poll in step
    while time.time() < options.deadline:
        try:
            view = player_view(store, token)
        except Exception as failure:
            errors.append(f"player_view: {type(failure).__name__}: {failure}")
            time.sleep(options.poll)
            continue
        if view.outcome is not None:
            break
        if view.your_turn and (view.round, view.node) not in answered:
            names = [name for name, _ in view.actions]
            keep_going = view.node not in ("resist", "join") and rng.random() < KEEP_GOING
            action = "threaten" if keep_going else rng.choice(names)
            time.sleep(rng.uniform(0, options.think))
            args = (store, token, view.group, view.round, view.node, action)
            if rng.random() < options.double_tap:
                twin = threading.Thread(target=lambda a=args: keep(send(*a, "double")))
                twin.start()
                keep(send(*args, "first"))
                twin.join()
            else:
                keep(send(*args, "first"))
            answered.add((view.round, view.node))
            if rng.random() < options.resend:
                delay = rng.uniform(0.1, 3 * options.poll)
                resend = threading.Thread(target=lambda d=delay, a=args: (time.sleep(d), keep(send(*a, "resend"))))
                resend.start()
                later.append(resend)
        time.sleep(options.poll)
    for thread in later:
        thread.join()
    return requests, errors


def play_students(url: str, students: list[tuple[int, str]], options: Options) -> tuple[list[Request], list[str]]:
    """Students (number, token) in threads of this process, until their crises end (or the deadline);
    their requests and errors."""
    played: list[tuple[list[Request], list[str]]] = []

    def play(number: int, token: str) -> None:
        played.append(play_student(url, number, token, options))

    threads = [threading.Thread(target=play, args=student) for student in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for requests, _ in played for r in requests], [e for _, errors in played for e in errors]


def warm_up(url: str, token: str) -> None:
    """Import, compile and solve what a page's first poll would (the equilibrium, numba's kernels)."""
    player_view(Store(url), token)


def worker(url: str, students: list[tuple[int, str]], options: Options, ready: Any, go: Any, results: Any) -> None:
    """A worker process (``--processes``): warm up, wait for the start, play, send the requests back."""
    warm_up(url, students[0][1])
    ready.put(os.getpid())
    go.wait()
    requests, errors = play_students(url, students, options)
    results.put(([asdict(request) for request in requests], errors))


# ---------------------------------------------------------------------------------------- instructor


def watch(
    store: Store,
    host_token: str,
    every: float,
    seen: dict[tuple[int, int, str], float],
    took: list[float],
    stop: Any,
) -> None:
    """The instructor's screen: when each decision first shows (and how long each poll took), until
    every crisis is over or ``stop``."""
    while not stop.is_set():
        asked = time.time()
        view = host_view(store, host_token)
        shown = time.time()
        took.append(shown - asked)
        for group in view.groups:
            for decision in group.state.decisions:
                seen.setdefault((group.group, decision.round, decision.node), shown)
        if view.groups and view.finished == len(view.groups):
            return
        stop.wait(every)


# ---------------------------------------------------------------------------------------- the class


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def database_file(url: str) -> str | None:
    """The SQLite file behind ``url``, if it is one."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None


def count(
    store: Store, session_id: int, requests: list[Request], seen: dict[tuple[int, int, str], float]
) -> dict[str, Any]:
    """Lost, duplicated and timed: the figures of the run, from the store and the requests."""
    kept = {(row.group_no, row.round, row.node): row for row in store.decisions(session_id)}
    players = {player.token: player for player in store.players(session_id)}
    table = schema.decisions
    key = (table.c.session_id, table.c.group_no, table.c.round, table.c.node)
    with store.engine.connect() as connection:
        repeated = connection.execute(
            select(*key, func.count()).where(table.c.session_id == session_id).group_by(*key).having(func.count() > 1)
        ).all()
    acknowledged = [request for request in requests if request.status in ("recorded", "already")]
    lost = set()
    for request in acknowledged:  # a student was told their choice counts: it must be in the store, as told
        where = (request.group, request.round, request.node)
        row = kept.get(where)
        if (
            row is None
            or row.player_id != players[request.token].id
            or node_actions(row.node)[row.action] != request.kept_action
        ):
            lost.add(where)
    submitted = {(request.group, request.round, request.node) for request in requests}
    first_sent: dict[tuple[int, int, str], float] = {}  # an acknowledged decision's first request
    for request in acknowledged:
        where = (request.group, request.round, request.node)
        first_sent[where] = min(first_sent.get(where, math.inf), request.sent)
    delays = [seen[key] - sent for key, sent in first_sent.items() if key in seen]
    statuses: dict[str, int] = {}
    for request in requests:
        label = request.kind + " " + request.status.split(":")[0]
        statuses[label] = statuses.get(label, 0) + 1
    return {
        "requests": len(requests),
        "statuses": dict(sorted(statuses.items())),
        "refusals": sorted({request.status for request in requests if request.status.startswith("refused")}),
        "errors": sorted({request.status for request in requests if request.status.startswith("error")}),
        "submitted": len(submitted),
        "acknowledged": len(first_sent),
        "recorded": sum(1 for row in kept.values() if row.human),
        "computer": sum(1 for row in kept.values() if not row.human),
        "lost": len(lost),
        "duplicated": len(repeated),
        "unseen": sum(1 for key in first_sent if key not in seen),
        "p50": percentile(delays, 0.50),
        "p95": percentile(delays, 0.95),
        "max": max(delays, default=math.nan),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Open the session, seat the class, play it out; the figures."""
    groups = math.ceil(args.players / 3)
    if args.players < 1 or groups != args.groups:
        raise SystemExit(
            f"{args.players} students sit in {groups} groups of three (join fills each group's roles first): "
            f"--groups {args.groups} does not match"
        )
    with tempfile.TemporaryDirectory(prefix="bench_live_") as folder:
        url = os.environ.get("SIM_LIVE_DB") or str(Path(folder) / "live.sqlite")
        store = Store(url)
        scenario = load_scenario(args.scenario)
        hosted = open_session(store, scenario, args.rounds, args.seconds_per_move, seed=args.seed)
        tokens = [join(store, hosted.code, f"student {number + 1}").token for number in range(args.players)]
        started = time.time()
        warm_up(store.url, tokens[0])
        options = Options(args.poll, args.think, args.double_tap, args.resend, args.seed, time.time() + args.timeout)
        seen: dict[tuple[int, int, str], float] = {}
        took: list[float] = []
        stop = threading.Event()
        if args.processes:
            context = multiprocessing.get_context("spawn")  # never fork a process with a connection pool
            ready, go, results = context.Queue(), context.Event(), context.Queue()
            shares = [list(enumerate(tokens))[index :: args.processes] for index in range(args.processes)]
            shares = [share for share in shares if share]
            workers = [
                context.Process(target=worker, args=(store.url, share, options, ready, go, results)) for share in shares
            ]
            for process in workers:
                process.start()
            for _ in workers:
                ready.get(timeout=args.timeout)
            print(f"{len(workers)} worker processes ready after {time.time() - started:.1f} s", flush=True)
        control(store, hosted.host_token, "start")
        started = time.time()
        instructor = threading.Thread(target=watch, args=(store, hosted.host_token, args.host_poll, seen, took, stop))
        instructor.start()
        if args.processes:
            go.set()
            requests, errors = [], []
            for _ in workers:
                rows, failures = results.get(timeout=args.timeout + 60)
                requests += [Request(**row) for row in rows]
                errors += failures
            for process in workers:
                process.join()
        else:
            requests, errors = play_students(store.url, list(enumerate(tokens)), options)
        played = time.time() - started
        instructor.join(timeout=max(10.0, 20 * args.host_poll))
        stop.set()
        instructor.join()
        final = host_view(store, hosted.host_token)
        figures = count(store, hosted.session_id, requests, seen)
        answers = [request.answered - request.sent for request in requests]
        figures["errors"] += sorted(set(errors))
        figures |= {
            "host_view_p50": percentile(took, 0.5),
            "host_view_p95": percentile(took, 0.95),
            "submit_p50": percentile(answers, 0.5),
            "submit_p95": percentile(answers, 0.95),
        }
        path = database_file(store.url)
        journal = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] if path else "n/a"
    return {
        "players": args.players,
        "groups": len(final.groups),
        "finished": final.finished,
        "rounds": args.rounds,
        "processes": args.processes,
        "database": "SIM_LIVE_DB" if os.environ.get("SIM_LIVE_DB") else "temporary SQLite file",
        "journal_mode": journal,
        "wall": played,
        "outcomes": final.outcomes,
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=60)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=0, help="worker processes for the students (0: threads)")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between a phone's polls")
    parser.add_argument("--host-poll", type=float, default=0.5, help="seconds between the instructor's polls")
    parser.add_argument("--think", type=float, default=1.0, help="a student thinks up to this long")
    parser.add_argument("--double-tap", type=float, default=0.15, help="share of submissions sent twice at once")
    parser.add_argument("--resend", type=float, default=0.15, help="share of submissions sent again later")
    parser.add_argument("--seconds-per-move", type=int, default=3600)
    parser.add_argument("--scenario", default="coalition_2026")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=900, help="everyone stops after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    figures = run(args)
    mode = f"{args.processes} worker processes" if args.processes else "threads"
    print(f"sim {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(
        f"{figures['players']} students in {figures['groups']} groups ({mode}), {args.rounds} rounds of "
        f"{args.scenario}, {figures['database']} (journal {figures['journal_mode']}); phones poll every "
        f"{args.poll:g} s, the instructor every {args.host_poll:g} s"
    )
    print(f"requests {figures['requests']}: " + ", ".join(f"{k} {v}" for k, v in figures["statuses"].items()))
    for message in figures["refusals"] + figures["errors"]:
        print(f"  {message}")
    print(
        f"decisions submitted {figures['submitted']} (acknowledged {figures['acknowledged']}), recorded "
        f"{figures['recorded']} (and {figures['computer']} "
        f"by the computer), crises finished {figures['finished']}/{figures['groups']}: "
        + ", ".join(f"{k} {v}" for k, v in figures["outcomes"].items() if v)
    )
    print(
        f"submission to the instructor's screen: p50 {figures['p50']:.2f} s, p95 {figures['p95']:.2f} s, "
        f"max {figures['max']:.2f} s ({figures['unseen']} never shown); target p95 < 2 s: "
        f"{'met' if figures['p95'] < 2 else 'NOT met'}; wall time {figures['wall']:.1f} s"
    )
    print(
        f"one submit answered in p50 {figures['submit_p50']:.3f} s, p95 {figures['submit_p95']:.3f} s; the "
        f"instructor's view built in p50 {figures['host_view_p50']:.3f} s, p95 {figures['host_view_p95']:.3f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"lost {figures['lost']}, duplicated {figures['duplicated']}, p95 {figures['p95']:.1f} s")
    failed = figures["lost"] or figures["duplicated"] or figures["errors"] or figures["finished"] < figures["groups"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
