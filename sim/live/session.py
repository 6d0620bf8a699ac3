"""Live play in class: open a session, join it, choose, and the instructor's controls.

An instructor opens a session on a scenario (:func:`open_session`) and gets a join code and a host
token; students join with the code and a name (:func:`join`) and are placed in groups of one crisis
each, one role per student (Russia, the coalition, the US, in that order of filling). Roles left
empty are played by the computer with the equilibrium policy, and so are players who do not choose
within the time per move (:func:`tick`, run whenever a page polls: no background thread, so no state
lives in one server's memory). Every decision, a person's or the computer's, is stored once
(:class:`sim.live.store.Store`), and a group's crisis is replayed from its seed and its decisions
(:mod:`sim.live.replay`).

The rules a class relies on hold in the data layer, not in a page:

* a student acts only for their own role: their link carries a random token, and
  :func:`submit` takes the role from it, never from the request;
* a submission is idempotent: a double tap or a resent request records one decision, and a late
  one (after the computer played for the student) is refused in words;
* join codes are 8 characters from 31 (about 8.5e11 codes), expire after :data:`CODE_HOURS`, and a
  session holds at most :data:`MAX_PLAYERS`; names are trimmed to :data:`MAX_NAME` characters of
  printable text (pages escape them when they show them).
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from sim._version import __version__
from sim.domain.scenario import Scenario, scenario_from_dict, with_overrides
from sim.live.replay import Decision, GroupState, group_seed, node_actions, replay
from sim.live.store import DecisionRow, PlayerRow, SessionRow, Store, now

ROLES = ("russia", "coalition", "us")
"""The roles, in the order students fill them in a group."""
MAX_PLAYERS = 400
MAX_NAME = 30
CODE_HOURS = 12.0
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector
CODE_LENGTH = 8
STATUSES = ("lobby", "playing", "paused", "ended")


class LiveError(ValueError):
    """A request live play refuses, in words a student or instructor can act on."""


@dataclass(frozen=True)
class Hosted:
    """An opened session: what the instructor needs to run it."""

    session_id: int
    code: str
    host_token: str


def open_session(
    store: Store,
    scenario: Scenario,
    rounds: int,
    seconds_per_move: int,
    seed: int | None = None,
    rematch_of: int | None = None,
) -> Hosted:
    """Open a session on ``scenario`` cut to ``rounds`` rounds; students join with its code.

    Raises
    ------
    LiveError
        If ``rounds`` or ``seconds_per_move`` is out of range.
    """
    if not 1 <= rounds <= 50:
        raise LiveError(f"rounds must be between 1 and 50, not {rounds}")
    if not 5 <= seconds_per_move <= 3600:
        raise LiveError(f"the time per move must be between 5 and 3600 seconds, not {seconds_per_move}")
    played = with_overrides(scenario, {"rounds": rounds})
    seed = int(secrets.randbits(63)) if seed is None else int(seed)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    host_token = secrets.token_urlsafe(24)
    moment = now()
    session_id = store.add_session(
        code=code, host_token=host_token, scenario_name=scenario.title or scenario.name,
        scenario_json=json.dumps(played.model_dump(mode="json", by_alias=True)), scenario_hash=played.sha256(),
        rounds=rounds, seconds_per_move=seconds_per_move, seed=seed, status="lobby", created_at=moment,
        expires_at=moment + CODE_HOURS * 3600, paused_at=None, rematch_of=rematch_of, version=__version__,
    )  # fmt: skip
    return Hosted(session_id, code, host_token)


@lru_cache(maxsize=64)
def scenario_of(scenario_json: str) -> Scenario:
    """The scenario a session plays (cached: every poll replays with it)."""
    return scenario_from_dict(json.loads(scenario_json), "<live session>")


def clean_name(name: str) -> str:
    """A display name: printable characters only, spaces collapsed, at most :data:`MAX_NAME` long.

    Raises
    ------
    LiveError
        If nothing printable is left.
    """
    spaced = "".join(" " if ch.isspace() else ch for ch in str(name))
    printable = "".join(ch for ch in spaced if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    cleaned = " ".join(printable.split())[:MAX_NAME].strip()
    if not cleaned:
        raise LiveError("type a name (letters or digits) to join")
    return cleaned


def host_session(store: Store, host_token: str) -> SessionRow:
    """The session this host token runs.

    Raises
    ------
    LiveError
        For a token that runs no session.
    """
    session = store.session_by(host_token=host_token) if host_token else None
    if session is None:
        raise LiveError("this link does not open a session: open a new one on the Live page")
    return session


def join(store: Store, code: str, name: str) -> PlayerRow:
    """A student joins with the session's code: placed in the first group with an empty role.

    Raises
    ------
    LiveError
        For an unknown or expired code, a session that has ended or is full, or an empty name.
    """
    cleaned = clean_name(name)
    session = store.session_by(code=code.strip().upper()) if code.strip() else None
    if session is None:
        raise LiveError(f"no session has the code {code.strip()[:12]!r}: check it with your instructor")
    if session.status == "ended" or now() > session.expires_at:
        raise LiveError("this session has ended or its code has expired: ask your instructor for a new one")
    for _ in range(50):  # a race with another student for the same seat: take the next one
        players = store.players(session.id)
        if len(players) >= MAX_PLAYERS:
            raise LiveError(f"this session is full ({MAX_PLAYERS} players)")
        taken = {(player.group_no, player.role) for player in players}
        seat = next(
            (group, role) for group in range(MAX_PLAYERS) for role in ROLES if (group, role) not in taken
        )  # fmt: skip
        joined = store.add_player(session_id=session.id, token=secrets.token_urlsafe(24), name=cleaned,
                                  group_no=seat[0], role=seat[1], joined_at=now())  # fmt: skip
        if joined is not None:
            return joined
    raise LiveError("too many students joined at once: try again")


def player_session(store: Store, token: str) -> tuple[PlayerRow, SessionRow]:
    """The player whose link carries ``token``, and their session.

    Raises
    ------
    LiveError
        For a token that names no player.
    """
    player = store.player_by_token(token) if token else None
    session = store.session_by(id=player.session_id) if player else None
    if player is None or session is None:
        raise LiveError("this link names no player: join again with the session's code")
    return player, session


# ---------------------------------------------------------------------------------------- play


@lru_cache(maxsize=256)
def replayed(
    scenario_json: str,
    seed: int,
    group_no: int,
    recorded: tuple[tuple[tuple[int, str], int], ...],
    people: frozenset[str],
) -> GroupState:
    """A group's crisis replayed (:func:`sim.live.replay.replay`), cached: the same record always gives
    the same crisis, so a class's phones and the instructor's screen, polling every second, replay
    each group once per decision made rather than once per poll. At most 256 are kept (about 260 KB
    each): a full session of 400 students is 134 groups. Shared between callers: read it, never
    change it."""
    return replay(scenario_of(scenario_json), group_seed(seed, group_no), dict(recorded), people)


def _group_replay(session: SessionRow, group_no: int, seated: list[PlayerRow], rows: list[DecisionRow]) -> GroupState:
    """A group's crisis from the session's players and decisions (others' rows are skipped)."""
    people = frozenset(player.role for player in seated if player.group_no == group_no)
    recorded = tuple(sorted(((row.round, row.node), row.action) for row in rows if row.group_no == group_no))
    return replayed(session.scenario_json, session.seed, group_no, recorded, people)


def group_state(store: Store, session: SessionRow, group_no: int) -> GroupState:
    """A group's crisis now, with every computer decision of it stored and its open turn timed."""
    seated = store.players(session.id, group_no=group_no)
    state = _group_replay(session, group_no, seated, store.decisions(session.id, group_no=group_no))
    _settle(store, session, group_no, state, None)
    return state


def _settle(store: Store, session: SessionRow, group_no: int, state: GroupState, opened: float | None) -> float | None:
    """Store a group's computer moves and open its waiting turn (``opened``: when it opened, if known);
    when the waiting turn opened."""
    moment = now()
    # Roles no one plays: stored once play starts, so a student joining later changes nothing (in the lobby
    # the seats are still filling: a second student may yet take the role whose move the computer drew).
    for decision in state.decisions if session.status != "lobby" else ():
        if not decision.recorded:
            store.record_decision(_row(session, group_no, decision, None, human=False, seconds=0.0, at=moment))
    if state.waiting is not None and session.status != "lobby" and opened is None:
        opened = store.open_turn(session.id, group_no, state.waiting.round, state.waiting.node, moment)
    return opened if state.waiting is not None else None


def session_states(store: Store, session: SessionRow) -> dict[int, tuple[GroupState, float | None]]:
    """Every group's crisis now, as :func:`group_state` gives each, and when its open turn runs out
    (as :func:`deadline`), from three queries for the whole session rather than four per group: the
    instructor's screen polls this, and per-group queries made it the slowest page of a big class."""
    seated = store.players(session.id)
    rows = store.decisions(session.id)
    turns = store.turns(session.id)
    states: dict[int, tuple[GroupState, float | None]] = {}
    for group_no in sorted({player.group_no for player in seated}):
        state = _group_replay(session, group_no, seated, rows)
        waiting = (group_no, state.waiting.round, state.waiting.node) if state.waiting else None
        opened = _settle(store, session, group_no, state, turns.get(waiting) if waiting else None)
        ends = opened + session.seconds_per_move if opened is not None and session.status == "playing" else None
        states[group_no] = (state, ends)
    return states


def groups(store: Store, session: SessionRow) -> list[int]:
    """The groups with at least one player."""
    return sorted({player.group_no for player in store.players(session.id)})


def _row(
    session: SessionRow,
    group_no: int,
    decision: Decision,
    player_id: int | None,
    *,
    human: bool,
    seconds: float,
    at: float,
) -> DecisionRow:
    return DecisionRow(
        session.id, group_no, decision.round, decision.node, decision.role, player_id, decision.resolute,
        decision.belief, decision.action, decision.equilibrium, seconds, human, at,
    )  # fmt: skip


def deadline(store: Store, session: SessionRow, state: GroupState, group_no: int) -> float | None:
    """When the open turn of a group runs out (None: no turn open, or the session not running)."""
    if state.waiting is None or session.status != "playing":
        return None
    opened = store.turn_opened(session.id, group_no, state.waiting.round, state.waiting.node)
    return None if opened is None else opened + session.seconds_per_move


def tick(store: Store, session: SessionRow) -> None:
    """Let the computer choose for every player whose time has run out (with the equilibrium's draw).

    Only the groups with a turn open longer than the time per move are replayed (one query finds
    them): every page's poll runs this, and replaying every group at each poll made a class of 60
    wait tens of seconds for a move to show (benchmarks/bench_live.py)."""
    if session.status != "playing":
        return
    for group_no in store.overdue_groups(session.id, now() - session.seconds_per_move):
        for _ in range(4 * session.rounds + 4):
            state = group_state(store, session, group_no)
            ends = deadline(store, session, state, group_no)
            if state.waiting is None or ends is None or now() <= ends:
                break
            store.record_decision(_row(session, group_no, state.waiting, None, human=False,
                                       seconds=float(session.seconds_per_move), at=now()))  # fmt: skip


def _repeat(kept: list[DecisionRow], player: PlayerRow) -> Submitted | None:
    """The answer to a choice at a node already on record: ``already`` if the player made it (a double
    tap or a resent request), refused if the computer made it for them; None if none is on record."""
    if not kept:
        return None
    if kept[0].player_id == player.id:
        return Submitted("already", node_actions(kept[0].node)[kept[0].action])
    raise LiveError("too late: time ran out and the computer chose for your role (the record says so)")


@dataclass(frozen=True)
class Submitted:
    """What became of a submission: ``recorded``, or ``already`` (a repeat: the first one stands)."""

    status: str
    action: str


def submit(store: Store, token: str, round_number: int, node: str, action: str) -> Submitted:
    """A student's choice at a node of their group's crisis, recorded once.

    Parameters
    ----------
    token : str
        The player's token (from their link): it decides the role, not the request.
    round_number, node : int, str
        The decision the student saw (so a choice meant for one turn never lands on the next).
    action : str
        One of the node's actions (``deploy``, ``threaten``, ``back_down``; ``resist``...).

    Raises
    ------
    LiveError
        When it is not the player's turn, the session is not running, the turn has gone to the
        computer (too late) or the action is not offered.
    """
    player, session = player_session(store, token)
    earlier = _repeat(
        store.decisions(session.id, group_no=player.group_no, round_number=round_number, node=node), player
    )
    if earlier is not None:
        return earlier
    if session.status == "lobby":
        raise LiveError("the game has not started yet: wait for your instructor")
    if session.status == "paused":
        raise LiveError("the instructor has paused the game: your choice was not recorded, send it again after")
    if session.status == "ended":
        raise LiveError("the session has ended")
    tick(store, session)
    state = group_state(store, session, player.group_no)
    waiting = state.waiting
    if waiting is None or (waiting.round, waiting.node) != (round_number, node):
        # a double tap whose other request recorded it meanwhile, or the computer's move for a late player
        earlier = _repeat(
            store.decisions(session.id, group_no=player.group_no, round_number=round_number, node=node), player
        )
        if earlier is not None:
            return earlier
        raise LiveError("it is not your turn at that point of the crisis: the page will show your next move")
    if waiting.role != player.role:
        raise LiveError(f"it is not your turn: the {waiting.role} player chooses now")
    actions = node_actions(node)
    if action not in actions:
        raise LiveError(f"{action!r} is not a move here: choose one of {', '.join(actions)}")
    opened = store.open_turn(session.id, player.group_no, round_number, node, now())
    moment = now()
    chosen = replace(waiting, action=actions.index(action))
    row, fresh = store.record_decision(_row(session, player.group_no, chosen, player.id, human=True,
                                            seconds=max(0.0, moment - opened), at=moment))  # fmt: skip
    if not fresh:  # another request recorded this node first
        earlier = _repeat([row], player)
        assert earlier is not None
        return earlier
    group_state(store, session, player.group_no)  # the next turn opens now, and the next polls find it cached
    return Submitted("recorded", actions[row.action])


# ---------------------------------------------------------------------------------------- controls


def control(store: Store, host_token: str, command: str) -> SessionRow:
    """The instructor's controls: ``start``, ``pause``, ``resume``, ``next`` (the computer plays every
    move still open in each group's current round) and ``end``.

    Raises
    ------
    LiveError
        For an unknown command, or one the session's state does not allow (resume what is not paused).
    """
    session = host_session(store, host_token)
    allowed = {"start": ("lobby",), "pause": ("playing",), "resume": ("paused",), "next": ("playing",),
               "end": ("lobby", "playing", "paused")}  # fmt: skip
    if command not in allowed:
        raise LiveError(f"unknown control {command!r}: {', '.join(allowed)}")
    if session.status not in allowed[command]:
        raise LiveError(f"cannot {command} a session that is {session.status}")
    moment = now()
    if command == "start":
        store.set_session(session.id, status="playing")
    elif command == "pause":
        store.set_session(session.id, status="paused", paused_at=moment)
    elif command == "resume":
        store.restart_turns(session.id, moment)
        store.set_session(session.id, status="playing", paused_at=None)
    elif command == "end":
        store.set_session(session.id, status="ended")
    else:
        _computer_finishes_the_round(store, session)
    updated = store.session_by(id=session.id)
    assert updated is not None
    for group_no in groups(store, updated):
        group_state(store, updated, group_no)  # open the new turns
    return updated


def _computer_finishes_the_round(store: Store, session: SessionRow) -> None:
    for group_no in groups(store, session):
        state = group_state(store, session, group_no)
        current = state.waiting.round if state.waiting else None
        for _ in range(8):
            if state.waiting is None or state.waiting.round != current:
                break
            store.record_decision(_row(session, group_no, state.waiting, None, human=False, seconds=0.0, at=now()))
            state = group_state(store, session, group_no)


def rematch(store: Store, host_token: str) -> Hosted:
    """A new session on the same scenario and settings, each student in the same group in the next
    role (Russia -> coalition -> US -> Russia); each player's page offers the link to their new seat."""
    session = host_session(store, host_token)
    hosted = open_session(store, scenario_of(session.scenario_json), session.rounds, session.seconds_per_move,
                          rematch_of=session.id)  # fmt: skip
    for player in store.players(session.id):
        role = ROLES[(ROLES.index(player.role) + 1) % len(ROLES)]
        store.add_player(session_id=hosted.session_id, token=secrets.token_urlsafe(24), name=player.name,
                         group_no=player.group_no, role=role, joined_at=now())  # fmt: skip
    store.set_session(session.id, status="ended")
    return hosted


def rematch_token(store: Store, player: PlayerRow) -> str | None:
    """The token of a player's seat in the rematch of their session, if there is one."""
    follow = store.session_by_rematch(player.session_id)
    if follow is None:
        return None
    seat = [p for p in store.players(follow.id) if p.group_no == player.group_no and p.name == player.name]
    return seat[0].token if seat else None
