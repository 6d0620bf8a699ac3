"""What the Live page shows: a student's view of their crisis, the instructor's view of the class,
and the record of every decision as a table.

Views are plain data built from the store and the replays, so the page only draws them, and a
test or a benchmark reads exactly what a page would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.domain.ladder import ACTION_MEANING, OUTCOME_MEANING, OUTCOMES
from sim.live.replay import NODES, GroupState, node_actions
from sim.live.session import (
    ROLES,
    LiveError,
    deadline,
    group_state,
    host_session,
    player_session,
    rematch_token,
    scenario_of,
    session_states,
    tick,
)
from sim.live.store import SessionRow, Store, now
from sim.runs.trace import RESPONSE_MEANING

ROLE_NAMES = {"russia": "Russia", "coalition": "the coalition", "us": "the United States"}
NODE_QUESTION = {
    "coalition": "Your move this round",
    "russia": "Your answer to the coalition's move",
    "us": "The US posture this round",
    "resist": "Russia has used force: resist or concede?",
    "join": "The coalition fights back: join or stay out?",
}


def action_meaning(node: str, action: str) -> str:
    """What an action means for the role that takes it at ``node``, in plain words."""
    role = NODES[node]
    return RESPONSE_MEANING[role][action] if node in ("resist", "join") else ACTION_MEANING[role][action]


def type_meaning(session: SessionRow, role: str, resolute: bool) -> str:
    """What the private type means for a role's payoffs, in plain words."""
    actor = scenario_of(session.scenario_json).actor(role)
    noun = ROLE_NAMES[role].removeprefix("the ")  # "a resolute coalition", not "a resolute the coalition"
    if resolute:
        return (
            f"You are resolute: a limited clash or a major war is worth {actor.war_bonus:+.1f} more to you than to "
            f"an irresolute {noun}, in wars you fight in. The others do not know your type; they "
            f"believe you resolute with probability {actor.initial_belief:.2f} at the start."
        )
    return (
        f"You are not resolute: fighting is worth {actor.war_bonus:.1f} less to you than to a resolute "
        f"{noun}. The others do not know your type; they believe you resolute with probability "
        f"{actor.initial_belief:.2f} at the start."
    )


@dataclass(frozen=True)
class Move:
    """One public move of a group's crisis."""

    round: int
    node: str
    role: str
    action: str
    human: bool


@dataclass
class PlayerView:
    """What a student sees."""

    name: str
    role: str
    group: int
    status: str
    resolute: bool
    type_meaning: str
    history: list[Move]
    rung: str
    beliefs: dict[str, float]
    your_turn: bool
    events: list[str] = field(default_factory=list)
    round: int = 0
    node: str = ""
    question: str = ""
    actions: list[tuple[str, str]] = field(default_factory=list)
    seconds_left: float | None = None
    waiting_for: str = ""
    outcome: str | None = None
    outcome_meaning: str = ""
    payoff: float = 0.0
    your_decisions: list[dict[str, Any]] = field(default_factory=list)
    rematch_token: str | None = None


def player_view(store: Store, token: str) -> PlayerView:
    """A student's view of their group's crisis.

    Raises
    ------
    LiveError
        For a token that names no player.
    """
    player, session = player_session(store, token)
    tick(store, session)
    state = group_state(store, session, player.group_no)
    humans = {(row.round, row.node): row.human for row in store.decisions(session.id, group_no=player.group_no)}
    history = [
        Move(d.round, d.node, d.role, node_actions(d.node)[d.action], humans.get((d.round, d.node), False))
        for d in state.decisions
    ]
    view = PlayerView(
        name=player.name, role=player.role, group=player.group_no, status=session.status,
        resolute=state.types[player.role], type_meaning=type_meaning(session, player.role, state.types[player.role]),
        history=history, rung=state.rung, beliefs=state.beliefs, your_turn=False, round=state.round,
    )  # fmt: skip
    for entry in state.trace:
        if entry.members_left:
            view.events.append(f"Round {entry.round}: {', '.join(entry.members_left)} withdrew its troops.")
        if entry.accident:
            view.events.append(f"Round {entry.round}: an unintended incident happened.")
        if entry.escalation is not None:
            view.events.append(
                f"Round {entry.round}: force was used; the chance of a wider war was {entry.escalation:.2f}."
            )
    waiting = state.waiting
    if waiting is not None:
        view.round, view.node = waiting.round, waiting.node
        if waiting.role == player.role and session.status == "playing":
            view.your_turn = True
            view.question = NODE_QUESTION[waiting.node]
            view.actions = [(action, action_meaning(waiting.node, action)) for action in node_actions(waiting.node)]
            ends = deadline(store, session, state, player.group_no)
            view.seconds_left = None if ends is None else max(0.0, ends - now())
        else:
            view.waiting_for = ROLE_NAMES[waiting.role]
    if state.over:
        assert state.outcome is not None
        view.outcome, view.outcome_meaning = state.outcome, OUTCOME_MEANING[state.outcome]
        view.payoff = state.payoffs[player.role]
        view.your_decisions = [
            {"round": d.round, "node": d.node, "action": node_actions(d.node)[d.action],
             "equilibrium": dict(zip(node_actions(d.node), d.equilibrium, strict=True))}
            for d in state.decisions if d.role == player.role
        ]  # fmt: skip
    view.rematch_token = rematch_token(store, player)
    return view


@dataclass
class GroupSummary:
    """One group on the instructor's screen."""

    group: int
    players: dict[str, str]
    waiting_role: str | None
    round: int
    outcome: str | None
    seconds_left: float | None
    state: GroupState = field(repr=False)


@dataclass
class HostView:
    """What the instructor sees."""

    session: SessionRow
    players: int
    groups: list[GroupSummary]
    moved: int
    to_move: int
    outcomes: dict[str, int]
    finished: int


def host_view(store: Store, host_token: str) -> HostView:
    """The instructor's view: who has moved, each group's state, and the class's outcomes so far.

    Raises
    ------
    LiveError
        For a host token that runs no session.
    """
    session = host_session(store, host_token)
    tick(store, session)
    session = host_session(store, host_token)
    seated = store.players(session.id)
    summaries = []
    for group_no, (state, ends) in session_states(store, session).items():  # one read of the session, not per group
        summaries.append(
            GroupSummary(
                group_no, {p.role: p.name for p in seated if p.group_no == group_no},
                state.waiting.role if state.waiting else None, state.round, state.outcome,
                None if ends is None else max(0.0, ends - now()), state,
            )
        )  # fmt: skip
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for summary in summaries:
        if summary.outcome:
            outcomes[summary.outcome] += 1
    waiting_people = sum(1 for s in summaries if s.waiting_role and s.waiting_role in s.players)
    return HostView(
        session, len(seated), summaries, moved=len(summaries) - waiting_people, to_move=waiting_people,
        outcomes=outcomes, finished=sum(1 for s in summaries if s.outcome),
    )  # fmt: skip


def decisions_frame(store: Store, session: SessionRow) -> pd.DataFrame:
    """Every decision of the session, one row each: session, group, round, role, node, type, belief
    shown, action, the equilibrium's probability of it, time to decide, and who chose (a person or
    the computer, for a role no one plays or a player out of time)."""
    names = {player.id: player.name for player in store.players(session.id)}
    rows = [
        {
            "session": session.code, "group": row.group_no, "round": row.round, "role": row.role, "node": row.node,
            "type": "resolute" if row.resolute else "not resolute", "belief_shown": round(row.belief_shown, 4),
            "action": node_actions(row.node)[row.action],
            "equilibrium_probability": round(row.equilibrium[row.action], 4),
            "seconds": round(row.seconds, 2), "chosen_by": "person" if row.human else "computer",
            "player": names.get(row.player_id, "") if row.player_id else "",
        }
        for row in store.decisions(session.id)
    ]  # fmt: skip
    columns = ["session", "group", "round", "role", "node", "type", "belief_shown", "action",
               "equilibrium_probability", "seconds", "chosen_by", "player"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


__all__ = ["ROLES", "LiveError", "action_meaning", "decisions_frame", "host_view", "player_view", "type_meaning"]
