"""The live-play data layer: every read and write of the database goes through :class:`Store`.

SQLite by default, one file created on first use, in write-ahead-log mode so students' writes and
the instructor's reads do not block each other; its path is ``SIM_LIVE_DB`` (default
``~/.deterrence-sim/live.sqlite``). Any SQLAlchemy URL works instead (``SIM_LIVE_DB=
postgresql+psycopg://user:password@host/db`` for a hosted class). The tables are in
:mod:`sim.live.schema`; nothing is kept only in a server's memory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from sim.live import schema

DEFAULT_PATH = Path.home() / ".deterrence-sim" / "live.sqlite"
_ENGINES: dict[str, Engine] = {}


def database_url(setting: str | None = None) -> str:
    """The SQLAlchemy URL: ``SIM_LIVE_DB`` (or ``setting``) as given when it is a URL, else a SQLite file path."""
    value = setting if setting is not None else os.environ.get("SIM_LIVE_DB", "")
    if "://" in value:
        return value
    path = Path(value).expanduser() if value else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _engine(url: str) -> Engine:
    """One engine per URL and process (its connection pool), its tables created on first use."""
    if url not in _ENGINES:
        sqlite = url.startswith("sqlite")
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False} if sqlite else {}, pool_pre_ping=not sqlite
        )
        if sqlite:

            @event.listens_for(engine, "connect")
            def _pragmas(connection: Any, _record: Any) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
                cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a commit is durable at checkpoint
                cursor.execute("PRAGMA busy_timeout=30000")  # writers queue rather than fail
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

        schema.metadata.create_all(engine)
        _ENGINES[url] = engine
    return _ENGINES[url]


@dataclass(frozen=True)
class SessionRow:
    """A class session as stored."""

    id: int
    code: str
    host_token: str
    scenario_name: str
    scenario_json: str
    scenario_hash: str
    rounds: int
    seconds_per_move: int
    seed: int
    status: str
    created_at: float
    expires_at: float
    paused_at: float | None
    rematch_of: int | None
    version: str


@dataclass(frozen=True)
class PlayerRow:
    """A student as stored."""

    id: int
    session_id: int
    token: str
    name: str
    group_no: int
    role: str
    joined_at: float


@dataclass(frozen=True)
class DecisionRow:
    """A decision as stored."""

    session_id: int
    group_no: int
    round: int
    node: str
    role: str
    player_id: int | None
    resolute: bool
    belief_shown: float
    action: int
    equilibrium: tuple[float, ...]
    seconds: float
    human: bool
    decided_at: float


class Store:
    """The live-play database.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL or a SQLite file path; by default ``SIM_LIVE_DB``, else
        ``~/.deterrence-sim/live.sqlite``.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = _engine(self.url)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # ------------------------------------------------------------------ sessions

    def add_session(self, **values: Any) -> int:
        """Insert a session; its id."""
        values = {**values, "seed": str(values["seed"])}
        with self._begin() as connection:
            found = connection.execute(insert(schema.sessions).values(**values))
            return int(found.inserted_primary_key[0])  # type: ignore[index]

    def session_by(
        self, *, code: str | None = None, host_token: str | None = None, id: int | None = None
    ) -> SessionRow | None:
        """The session with this join code, host token or id, if any."""
        table = schema.sessions
        column, value = (
            (table.c.code, code)
            if code is not None
            else (table.c.host_token, host_token)
            if host_token
            else (table.c.id, id)
        )
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(column == value)).mappings().first()
        return None if row is None else SessionRow(**{**row, "seed": int(row["seed"])})

    def session_by_rematch(self, session_id: int) -> SessionRow | None:
        """The session opened as the rematch of this one, if any."""
        table = schema.sessions
        with self.engine.connect() as connection:
            found = connection.execute(select(table.c.id).where(table.c.rematch_of == session_id)).scalar()
        return None if found is None else self.session_by(id=int(found))

    def set_session(self, session_id: int, **values: Any) -> None:
        """Change a session's status, pause time..."""
        with self._begin() as connection:
            connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id).values(**values))

    # ------------------------------------------------------------------ players

    def add_player(self, **values: Any) -> PlayerRow | None:
        """Insert a player; None if its (session, group, role) is taken (another joined first)."""
        try:
            with self._begin() as connection:
                found = connection.execute(insert(schema.players).values(**values))
                player_id = int(found.inserted_primary_key[0])  # type: ignore[index]
        except IntegrityError:
            return None
        return PlayerRow(id=player_id, **values)

    def players(self, session_id: int, group_no: int | None = None) -> list[PlayerRow]:
        """The session's players (one group's), in the order they joined."""
        table = schema.players
        where = table.c.session_id == session_id
        if group_no is not None:
            where &= table.c.group_no == group_no
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).where(where).order_by(table.c.id))
            return [PlayerRow(**row) for row in rows.mappings()]

    def player_by_token(self, token: str) -> PlayerRow | None:
        """The player whose link carries this token, if any."""
        table = schema.players
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.token == token)).mappings().first()
        return None if row is None else PlayerRow(**row)

    # ------------------------------------------------------------------ turns and decisions

    def open_turn(self, session_id: int, group_no: int, round_number: int, node: str, now: float) -> float:
        """When the turn at this node opened: now if it is new, else when it first did."""
        table = schema.turns
        key = (table.c.session_id == session_id) & (table.c.group_no == group_no)
        key &= (table.c.round == round_number) & (table.c.node == node)
        with self.engine.connect() as connection:
            opened = connection.execute(select(table.c.opened_at).where(key)).scalar()
        if opened is not None:
            return float(opened)
        try:
            with self._begin() as connection:
                connection.execute(insert(table).values(session_id=session_id, group_no=group_no,
                                                        round=round_number, node=node, opened_at=now))  # fmt: skip
            return now
        except IntegrityError:  # another request opened it a moment ago
            with self.engine.connect() as connection:
                return float(connection.execute(select(table.c.opened_at).where(key)).scalar_one())

    def turn_opened(self, session_id: int, group_no: int, round_number: int, node: str) -> float | None:
        """When the turn at this node opened, if it has."""
        table = schema.turns
        key = (table.c.session_id == session_id) & (table.c.group_no == group_no)
        key &= (table.c.round == round_number) & (table.c.node == node)
        with self.engine.connect() as connection:
            opened = connection.execute(select(table.c.opened_at).where(key)).scalar()
        return None if opened is None else float(opened)

    def overdue_groups(self, session_id: int, opened_by: float) -> list[int]:
        """The groups with a turn opened at or before ``opened_by`` and not decided yet: the ones whose
        player may have run out of time. One query, so a poll does not replay every group to find them."""
        turns, decisions = schema.turns, schema.decisions
        decided = select(decisions.c.id).where(
            (decisions.c.session_id == turns.c.session_id)
            & (decisions.c.group_no == turns.c.group_no)
            & (decisions.c.round == turns.c.round)
            & (decisions.c.node == turns.c.node)
        )
        late = (turns.c.session_id == session_id) & (turns.c.opened_at <= opened_by) & ~decided.exists()
        with self.engine.connect() as connection:
            return sorted(connection.execute(select(turns.c.group_no).where(late).distinct()).scalars())

    def turns(self, session_id: int) -> dict[tuple[int, int, str], float]:
        """Every turn's opening time, by (group, round, node)."""
        table = schema.turns
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).where(table.c.session_id == session_id)).mappings()
            return {(row["group_no"], row["round"], row["node"]): float(row["opened_at"]) for row in rows}

    def restart_turns(self, session_id: int, now: float) -> None:
        """Reopen every turn still open at ``now`` (after a pause: the countdown starts again)."""
        decided = select(schema.decisions.c.id).where(
            (schema.decisions.c.session_id == schema.turns.c.session_id)
            & (schema.decisions.c.group_no == schema.turns.c.group_no)
            & (schema.decisions.c.round == schema.turns.c.round)
            & (schema.decisions.c.node == schema.turns.c.node)
        )
        with self._begin() as connection:
            connection.execute(
                update(schema.turns)
                .where((schema.turns.c.session_id == session_id) & ~decided.exists())
                .values(opened_at=now)
            )

    def record_decision(self, row: DecisionRow) -> tuple[DecisionRow, bool]:
        """Record a decision once: the row kept, and whether this call recorded it (False: one was
        already there, from a double tap, a resent request or the computer)."""
        values = {**row.__dict__, "equilibrium": json.dumps(list(row.equilibrium))}
        try:
            with self._begin() as connection:
                connection.execute(insert(schema.decisions).values(**values))
            return row, True
        except IntegrityError:
            kept = self.decisions(row.session_id, group_no=row.group_no, round_number=row.round, node=row.node)
            return kept[0], False

    def decisions(
        self, session_id: int, group_no: int | None = None, round_number: int | None = None, node: str | None = None
    ) -> list[DecisionRow]:
        """A session's decisions (one group's, one node's), in the order they were made."""
        table = schema.decisions
        where = table.c.session_id == session_id
        if group_no is not None:
            where &= table.c.group_no == group_no
        if round_number is not None:
            where &= table.c.round == round_number
        if node is not None:
            where &= table.c.node == node
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).where(where).order_by(table.c.id)).mappings().all()
        return [
            DecisionRow(
                **{key: value for key, value in row.items() if key != "id"}
                | {"equilibrium": tuple(json.loads(row["equilibrium"]))}
            )
            for row in rows
        ]


def now() -> float:
    """The time stamps' clock: seconds since the epoch."""
    return time.time()
