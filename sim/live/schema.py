"""The live-play database, in one place: every table, column and constraint (SQLAlchemy Core).

A class session (``sessions``) has players (``players``), placed in groups of one crisis each;
``turns`` records when each decision of a group's crisis was opened to its player (the clock of
its countdown), and ``decisions`` every choice made, by a person or by the computer in a role
left empty or for a player who ran out of time. Nothing else is stored: a group's crisis is
replayed from its seed and its decisions (:mod:`sim.live.replay`), so a refresh or a server
restart loses nothing.

Constraints make the rules the data layer relies on hold under concurrency:

* one decision per (session, group, round, node): a double tap or a resent request cannot record
  two (:func:`sim.live.store.Store.record_decision` inserts and, on a conflict, reads the one kept);
* one turn per (session, group, round, node): the countdown starts once;
* unique join codes and tokens.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),  # the join code students type
    Column("host_token", String(64), nullable=False, unique=True),  # the instructor's controls
    Column("scenario_name", String(200), nullable=False),
    Column("scenario_json", Text, nullable=False),  # the scenario as played (validated, rounds included)
    Column("scenario_hash", String(64), nullable=False),
    Column("rounds", Integer, nullable=False),
    Column("seconds_per_move", Integer, nullable=False),
    Column("seed", String(40), nullable=False),  # SeedSequence entropy (as text: it can exceed 64 bits)
    Column("status", String(12), nullable=False),  # lobby, playing, paused, ended
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),  # the join code stops working after this
    Column("paused_at", Float),
    Column("rematch_of", Integer, ForeignKey("sessions.id")),
    Column("version", String(40), nullable=False),
)

players = Table(
    "players",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),  # travels in the student's link
    Column("name", String(40), nullable=False),
    Column("group_no", Integer, nullable=False),
    Column("role", String(12), nullable=False),  # russia, coalition, us
    Column("joined_at", Float, nullable=False),
    UniqueConstraint("session_id", "group_no", "role", name="one_player_per_role"),
    Index("players_by_session", "session_id"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id"), nullable=False),
    Column("group_no", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("node", String(12), nullable=False),  # coalition, russia, us, resist, join
    Column("opened_at", Float, nullable=False),
    UniqueConstraint("session_id", "group_no", "round", "node", name="one_turn_per_node"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id"), nullable=False),
    Column("group_no", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("node", String(12), nullable=False),
    Column("role", String(12), nullable=False),
    Column("player_id", Integer, ForeignKey("players.id")),  # empty when the computer chose
    Column("resolute", Boolean, nullable=False),  # the chooser's private type
    Column("belief_shown", Float, nullable=False),  # the public belief about the chooser, as shown
    Column("action", Integer, nullable=False),
    Column("equilibrium", Text, nullable=False),  # the equilibrium's probabilities at that node (JSON)
    Column("seconds", Float, nullable=False),  # from the turn's opening to the choice
    Column("human", Boolean, nullable=False),
    Column("decided_at", Float, nullable=False),
    UniqueConstraint("session_id", "group_no", "round", "node", name="one_decision_per_node"),
    Index("decisions_by_session", "session_id"),
)
