"""Live play's rules, held by the data layer (sim.live): seats, turns, idempotent choices, the clock,
the instructor's controls, replays that survive a new process, and the class beside the model."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import sim.live.session as live
from sim import load_scenario
from sim.live import analysis
from sim.live.replay import group_seed, replay
from sim.live.store import Store
from sim.live.views import decisions_frame, host_view, player_view


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "live.sqlite"))


def opened(store: Store, rounds: int = 2, seconds: int = 60, seed: int = 5, name: str = "coalition_2026"):
    return live.open_session(store, load_scenario(name), rounds=rounds, seconds_per_move=seconds, seed=seed)


def play_all(store: Store, tokens: list[str], pick=lambda view: view.actions[0][0], limit: int = 200) -> int:
    """Every player chooses whenever it is their turn, until no one has a turn; how many choices."""
    made = 0
    for _ in range(limit):
        moved = False
        for token in tokens:
            view = player_view(store, token)
            if view.your_turn:
                live.submit(store, token, view.round, view.node, pick(view))
                made += 1
                moved = True
        if not moved:
            return made
    raise AssertionError("play did not finish")


def test_students_fill_groups_role_by_role_and_names_are_cleaned(store):
    hosted = opened(store)
    seated = [live.join(store, hosted.code.lower(), f"  Student\t{k}\x07 ") for k in range(5)]
    assert [(p.group_no, p.role) for p in seated] == [
        (0, "russia"), (0, "coalition"), (0, "us"), (1, "russia"), (1, "coalition")
    ]  # fmt: skip
    assert seated[0].name == "Student 0"
    assert len({p.token for p in seated}) == 5 and all(len(p.token) >= 32 for p in seated)
    long = live.join(store, hosted.code, "x" * 500)
    assert len(long.name) == live.MAX_NAME
    with pytest.raises(live.LiveError, match="type a name"):
        live.join(store, hosted.code, " \x00\n ")
    with pytest.raises(live.LiveError, match="no session has the code"):
        live.join(store, "NOPE1234", "Ana")


def test_codes_are_unguessable_expire_and_sessions_fill_up(store, monkeypatch):
    codes = {opened(store, seed=k).code for k in range(30)}
    assert len(codes) == 30 and all(len(code) == 8 and set(code) <= set(live.CODE_ALPHABET) for code in codes)
    hosted = opened(store)
    session = store.session_by(code=hosted.code)
    assert session is not None
    monkeypatch.setattr(live, "now", lambda: session.expires_at + 1)
    with pytest.raises(live.LiveError, match="expired"):
        live.join(store, hosted.code, "Late")
    monkeypatch.undo()
    monkeypatch.setattr(live, "MAX_PLAYERS", 4)
    for k in range(4):
        live.join(store, hosted.code, f"S{k}")
    with pytest.raises(live.LiveError, match="full"):
        live.join(store, hosted.code, "one too many")


def test_concurrent_joins_never_share_a_seat(store):
    hosted = opened(store)
    seats, errors = [], []

    def join(k: int) -> None:
        try:
            player = live.join(store, hosted.code, f"S{k}")
            seats.append((player.group_no, player.role))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=join, args=(k,)) for k in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(seats) == 24 and len(set(seats)) == 24


def test_a_choice_is_recorded_once_and_only_for_the_players_own_turn(store):
    hosted = opened(store)
    russia, coalition = live.join(store, hosted.code, "Ana"), live.join(store, hosted.code, "Bo")
    with pytest.raises(live.LiveError, match="not started"):
        live.submit(store, coalition.token, 1, "coalition", "deploy")
    live.control(store, hosted.host_token, "start")
    view = player_view(store, coalition.token)
    assert view.your_turn and view.node == "coalition" and [a for a, _ in view.actions] == [
        "deploy", "threaten", "back_down"
    ]  # fmt: skip
    assert not player_view(store, russia.token).your_turn
    with pytest.raises(live.LiveError, match="not your turn"):
        live.submit(store, russia.token, 1, "coalition", "deploy")  # Russia cannot move for the coalition
    with pytest.raises(live.LiveError, match="not a move here"):
        live.submit(store, coalition.token, 1, "coalition", "nuke")
    first = live.submit(store, coalition.token, 1, "coalition", "threaten")
    again = live.submit(store, coalition.token, 1, "coalition", "deploy")  # a double tap with another button
    assert (first.status, again.status, again.action) == ("recorded", "already", "threaten")
    rows = store.decisions(hosted.session_id, group_no=0, round_number=1, node="coalition")
    assert len(rows) == 1 and rows[0].human and rows[0].player_id == coalition.id
    with pytest.raises(live.LiveError, match="names no player"):
        live.submit(store, "forged-token", 1, "russia", "deploy")


def test_a_late_player_is_replaced_by_the_computer_and_told_so(store, monkeypatch):
    hosted = opened(store, seconds=10)
    coalition = [live.join(store, hosted.code, name) for name in ("Ana", "Bo")][1]
    live.control(store, hosted.host_token, "start")
    session = store.session_by(id=hosted.session_id)
    assert session is not None
    opened_at = store.turns(hosted.session_id)[(0, 1, "coalition")]
    monkeypatch.setattr(live, "now", lambda: opened_at + 11)
    live.tick(store, session)
    row = store.decisions(hosted.session_id, group_no=0, round_number=1, node="coalition")[0]
    state = replay(live.scenario_of(session.scenario_json), group_seed(session.seed, 0), {}, people=())
    assert not row.human and row.player_id is None and row.action == state.decisions[0].drawn
    with pytest.raises(live.LiveError, match="too late"):
        live.submit(store, coalition.token, 1, "coalition", "deploy")


def test_pause_freezes_the_clock_and_next_lets_the_computer_finish_the_round(store, monkeypatch):
    hosted = opened(store, seconds=10)
    players = [live.join(store, hosted.code, name) for name in ("Ana", "Bo", "Cy")]
    live.control(store, hosted.host_token, "start")
    live.control(store, hosted.host_token, "pause")
    with pytest.raises(live.LiveError, match="paused"):
        live.submit(store, players[1].token, 1, "coalition", "deploy")
    with pytest.raises(live.LiveError, match="cannot pause"):
        live.control(store, hosted.host_token, "pause")
    session = store.session_by(id=hosted.session_id)
    assert session is not None
    later = store.turns(hosted.session_id)[(0, 1, "coalition")] + 1000
    monkeypatch.setattr(live, "now", lambda: later)
    live.tick(store, session)  # paused: nobody is timed out
    assert not store.decisions(hosted.session_id)
    live.control(store, hosted.host_token, "resume")
    assert store.turns(hosted.session_id)[(0, 1, "coalition")] == later  # the countdown starts again
    live.control(store, hosted.host_token, "next")
    rows = store.decisions(hosted.session_id)
    assert rows and all(row.round == 1 and not row.human for row in rows)
    assert {row.node for row in rows} >= {"coalition", "russia"}
    view = player_view(store, players[0].token)
    assert view.round == 2 or view.outcome is not None


def test_a_whole_session_plays_to_the_end_and_its_record_is_complete(store):
    hosted = opened(store, rounds=2)
    players = [live.join(store, hosted.code, f"S{k}") for k in range(7)]  # groups of 3, 3 and 1
    live.control(store, hosted.host_token, "start")
    play_all(store, [p.token for p in players])
    view = host_view(store, hosted.host_token)
    assert view.finished == 3 and sum(view.outcomes.values()) == 3 and view.to_move == 0
    frame = decisions_frame(store, view.session)
    assert list(frame.columns)[:8] == ["session", "group", "round", "role", "node", "type", "belief_shown", "action"]
    people = frame[frame.chosen_by == "person"]
    assert set(people.player) <= {p.name for p in players} and len(people) > 0
    assert not frame.duplicated(["group", "round", "node"]).any()
    # the lone student's group: the coalition and the US were played by the computer, and recorded
    assert set(frame[(frame.group == 2) & (frame.chosen_by == "computer")].role) >= {"coalition"}
    finished = player_view(store, players[0].token)
    assert finished.outcome is not None and finished.your_decisions
    assert all(abs(sum(d["equilibrium"].values()) - 1) < 1e-9 for d in finished.your_decisions)


def test_a_new_store_on_the_same_file_sees_the_same_crisis(store, tmp_path):
    hosted = opened(store)
    players = [live.join(store, hosted.code, f"S{k}") for k in range(3)]
    live.control(store, hosted.host_token, "start")
    view = player_view(store, players[1].token)
    live.submit(store, players[1].token, view.round, view.node, "deploy")
    before = player_view(store, players[0].token)
    again = Store(str(tmp_path / "live.sqlite"))  # another server process, or the same one restarted
    after = player_view(again, players[0].token)
    assert (after.history, after.round, after.node, after.resolute) == (
        before.history, before.round, before.node, before.resolute
    )  # fmt: skip


def test_a_rematch_swaps_roles_and_each_student_finds_their_new_seat(store):
    hosted = opened(store)
    players = [live.join(store, hosted.code, name) for name in ("Ana", "Bo", "Cy")]
    new = live.rematch(store, hosted.host_token)
    assert store.session_by(id=hosted.session_id).status == "ended"  # type: ignore[union-attr]
    moved = {p.name: p.role for p in store.players(new.session_id)}
    assert moved == {"Ana": "coalition", "Bo": "us", "Cy": "russia"}
    token = player_view(store, players[0].token).rematch_token
    assert token is not None and store.player_by_token(token).role == "coalition"  # type: ignore[union-attr]


def test_replays_are_deterministic_and_people_only_change_their_own_moves(store):
    scenario = live.scenario_of(store.session_by(id=opened(store).session_id).scenario_json)  # type: ignore[union-attr]
    seed = group_seed(11, 3)
    alone = replay(scenario, seed, {}, people=())
    assert alone.outcome is not None and replay(scenario, seed, {}, people=()).decisions == alone.decisions
    first = alone.decisions[0]
    other = {(first.round, first.node): (first.action + 1) % 3}
    changed = replay(scenario, seed, other, people=())
    assert changed.decisions[0].action == (first.action + 1) % 3
    assert changed.types == alone.types  # types are drawn at the start, whatever is chosen
    waiting = replay(scenario, seed, {}, people=("coalition",)).waiting
    assert waiting is not None and (waiting.round, waiting.node, waiting.role) == (1, "coalition", "coalition")


def test_the_class_beside_the_model(store):
    """Students who always choose what the equilibrium drew: the class's lambda comes out high,
    choices by type match the equilibrium's support, and the model's outcomes are a distribution."""
    hosted = opened(store, rounds=1, seed=21, name="classroom_chicken")
    players = [live.join(store, hosted.code, f"S{k}") for k in range(12)]
    live.control(store, hosted.host_token, "start")
    session = store.session_by(id=hosted.session_id)
    assert session is not None

    def modal(view) -> str:  # the equilibrium's most likely action at this node, for this student's type
        player = store.player_by_token(next(p.token for p in players if p.name == view.name))
        assert player is not None
        state = live.group_state(store, session, player.group_no)
        assert state.waiting is not None
        return view.actions[int(np.argmax(state.waiting.equilibrium))][0]

    play_all(store, [p.token for p in players], pick=modal)
    outcomes = analysis.class_outcomes(store, session)
    assert (
        outcomes["count"].sum() == 4 and ((outcomes.lower <= outcomes.share) & (outcomes.share <= outcomes.upper)).all()
    )
    model = analysis.model_outcomes(live.scenario_of(session.scenario_json))
    for column in ("model (scenario's lambda)", "near equilibrium"):
        assert model[column].sum() == pytest.approx(1.0, abs=1e-6)
    choices = analysis.choices_by_type(store, session)
    assert (choices.groupby(["role", "node", "type"])["share"].sum() - 1).abs().max() < 1e-9
    fitted = analysis.fit_lambda(store, session)
    assert fitted is not None and fitted.decisions == int((decisions_frame(store, session).chosen_by == "person").sum())
    assert fitted.lam > 1.5  # modal choices look more rational than the scenario's own lambda of 1.5
    random = analysis.choices_loglik(store, session, 0.02)[0]
    assert fitted.loglik > random
