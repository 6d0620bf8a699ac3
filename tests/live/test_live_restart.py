"""The server is killed mid-session and started again: nothing recorded is lost and play goes on.

A child Python process (the server) opens a session on a temporary ``SIM_LIVE_DB``, seats six
students in two groups and plays for them, noting each choice the data layer acknowledged; once
the database holds a few decisions it is killed with SIGKILL, with no chance to close anything. This
test then opens the same file as a new server would: every decision stored before the kill, and
every acknowledged one, is there unchanged, the file is in write-ahead-log mode, and the two crises
play on to their end.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from sim.live.session import submit
from sim.live.store import Store
from sim.live.views import host_view, player_view

ROUNDS = 4
SEED = 0  # with these students' choices, both crises last all 4 rounds: 12 decisions each
BEFORE_KILL = 6  # decisions in the store when the server is killed
CAP = 10  # the child stops choosing after this many (it keeps serving pages), so the kill is mid-session

SERVER = f"""
import json, os, sys, time
from pathlib import Path
from sim import load_scenario
from sim.live.session import control, join, open_session, submit
from sim.live.store import Store
from sim.live.views import player_view

folder = Path(sys.argv[1])
store = Store()  # SIM_LIVE_DB
hosted = open_session(store, load_scenario("coalition_2026"), {ROUNDS}, 3600, seed={SEED})
tokens = [join(store, hosted.code, f"student {{n}}").token for n in range(6)]
control(store, hosted.host_token, "start")
ready = folder / "session.json.part"
ready.write_text(json.dumps({{"session_id": hosted.session_id, "host_token": hosted.host_token, "tokens": tokens}}))
os.replace(ready, folder / "session.json")
made = 0
with open(folder / "acknowledged.jsonl", "a", encoding="utf-8") as log:
    while True:
        for token in tokens:
            view = player_view(store, token)
            if view.your_turn and made < {CAP}:
                action = "threaten" if view.node not in ("resist", "join") else view.actions[0][0]
                answer = submit(store, token, view.round, view.node, action)
                line = {{"token": token, "group": view.group, "round": view.round, "node": view.node,
                         "action": answer.action}}
                log.write(json.dumps(line) + "\\n")
                log.flush()
                os.fsync(log.fileno())
                made += 1
            time.sleep(0.05)
"""


def choose(view) -> str:
    """What the students choose: threaten at a round's moves, the first answer after a strike."""
    return "threaten" if view.node not in ("resist", "join") else view.actions[0][0]


def wait_for(condition: Callable[[], bool], server: subprocess.Popen, errors: Path, timeout: float = 300) -> None:
    """Poll ``condition`` until it holds; fail with the server's errors if it stops or time runs out."""
    ends = time.monotonic() + timeout
    while not condition():
        if server.poll() is not None:
            pytest.fail(f"the server stopped by itself ({server.returncode}):\n{errors.read_text()}")
        if time.monotonic() > ends:
            server.kill()
            pytest.fail(f"waited {timeout:.0f} s in vain:\n{errors.read_text()}")
        time.sleep(0.05)


def stored(database: Path) -> list[tuple]:
    """Every decision in the file, read with SQLite alone (no engine of this process touches it yet)."""
    if not database.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as connection:
            return connection.execute(
                "SELECT group_no, round, node, role, player_id, action, human, decided_at FROM decisions ORDER BY id"
            ).fetchall()
    except sqlite3.OperationalError:  # no table yet
        return []


def test_killing_the_server_mid_session_loses_nothing_and_play_goes_on(tmp_path: Path, monkeypatch) -> None:
    database = tmp_path / "live.sqlite"
    errors = tmp_path / "server.err"
    environment = {**os.environ, "SIM_LIVE_DB": str(database)}
    with errors.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(tmp_path)], env=environment, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        wait_for(lambda: len(stored(database)) >= BEFORE_KILL, server, errors)
        before = stored(database)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=60)
    assert server.returncode == -signal.SIGKILL
    lines = (tmp_path / "acknowledged.jsonl").read_text(encoding="utf-8").splitlines()
    acknowledged = [json.loads(line) for line in lines if line.endswith("}")]  # a line cut by the kill is no ack
    session = json.loads((tmp_path / "session.json").read_text(encoding="utf-8"))

    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    monkeypatch.setenv("SIM_LIVE_DB", str(database))
    store = Store()  # the restarted server
    after = [
        (r.group_no, r.round, r.node, r.role, r.player_id, r.action, r.human, r.decided_at)
        for r in store.decisions(session["session_id"])
    ]
    assert after[: len(before)] == [(*row[:6], bool(row[6]), row[7]) for row in before]  # all there, unchanged
    players = {player.token: player for player in store.players(session["session_id"])}
    kept = {(r.group_no, r.round, r.node): r for r in store.decisions(session["session_id"])}
    assert len(acknowledged) >= BEFORE_KILL - 1
    for ack in acknowledged:
        row = kept[(ack["group"], ack["round"], ack["node"])]
        assert row.player_id == players[ack["token"]].id and row.human
    assert len(kept) <= CAP

    host = host_view(store, session["host_token"])
    assert host.session.status == "playing" and len(host.groups) == 2
    assert host.finished == 0, "the server was to be killed mid-session"

    ends = time.monotonic() + 300
    while host.finished < len(host.groups):  # play on, as the students' reloaded pages would
        assert time.monotonic() < ends, f"play did not go on: {host}"
        for token in session["tokens"]:
            view = player_view(store, token)
            if view.your_turn:
                assert submit(store, token, view.round, view.node, choose(view)).status == "recorded"
        host = host_view(store, session["host_token"])
    final = store.decisions(session["session_id"])
    assert len(final) == 2 * 3 * ROUNDS and all(row.human for row in final)
    assert [(r.group_no, r.round, r.node, r.action, r.decided_at) for r in final[: len(before)]] == [
        (row[0], row[1], row[2], row[5], row[7]) for row in before
    ]
    assert {player_view(store, token).outcome for token in session["tokens"]} == {"deterrence_holds"}
