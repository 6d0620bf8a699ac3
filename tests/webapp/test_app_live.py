"""The Live page headless (streamlit's AppTest): the instructor opens a session, students join and play.

Every test has its own database (``SIM_LIVE_DB`` in a temporary folder); what the page did is checked in
the database itself (:class:`sim.live.store.Store`), as the instructor's screen and the CSV would read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest import new_app, rendered, shown
from streamlit.testing.v1 import AppTest

from sim.domain.scenario import load_scenario
from sim.live.session import Hosted, control, join, open_session
from sim.live.store import Store


@pytest.fixture(autouse=True)
def live_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh database for each test, the one the page opens too."""
    monkeypatch.setenv("SIM_LIVE_DB", str(tmp_path / "live.sqlite"))
    yield Store()


def opened(**query: str) -> AppTest:
    return rendered(new_app({"page": "live", **query}))


def page_text(at: AppTest) -> str:
    """What the reader sees on the main page: markdown, headings, captions, alerts and HTML blocks."""
    parts = [element.value for kind in ("markdown", "title", "subheader", "caption") for element in at.main.get(kind)]
    parts += [element.value for kind in ("warning", "info", "success") for element in at.get(kind)]
    parts += [element.proto.body for element in at.main.get("html")]
    return shown("\n".join(str(part) for part in parts))


def warnings(at: AppTest) -> str:
    return shown("\n".join(str(element.value) for element in at.get("warning")))


def a_session(store: Store, rounds: int = 2, start: bool = True) -> Hosted:
    hosted = open_session(store, load_scenario("classroom_chicken"), rounds, 60, seed=3)
    if start:
        join(store, hosted.code, "Ana")  # the first seat: Russia
        control(store, hosted.host_token, "start")
    return hosted


def test_the_setup_opens_a_session_and_the_host_screen_shows_its_code(live_db: Store) -> None:
    at = opened(scenario="classroom_chicken")
    assert "Open a session" in [button.label for button in at.button]
    at.number_input(key="live_rounds").set_value(2)
    at.number_input(key="live_seconds").set_value(30)
    at.button(key="live_open").click()
    rendered(at)
    token = at.session_state["host"]
    session = live_db.session_by(host_token=token)
    assert session is not None and session.rounds == 2 and session.seconds_per_move == 30
    assert session.status == "lobby" and "chicken" in session.scenario_name.lower()
    text = page_text(at)
    assert session.code in text, "the join code is on the screen"
    assert f"?page=live&join={session.code}" in text, "and the join link"
    images = [element.proto.imgs[0].url for element in at.main if type(element).__name__ == "Image"]
    assert [url.split(",")[0] for url in images] == ["data:image/svg+xml;base64"], "and a QR code"
    assert at.query_params["host"] == token, "the host token is in the link: a refresh reopens the screen"
    assert not at.warning


def test_the_instructors_link_reopens_the_screen_and_its_controls_run_the_session(live_db: Store) -> None:
    hosted = a_session(live_db, start=False)
    join(live_db, hosted.code, "Ana")
    at = opened(host=hosted.host_token)
    assert hosted.code in page_text(at)
    assert [m.value for m in at.metric if m.label == "Students"] == ["1"]
    at.button(key="live_start").click()
    rendered(at)
    assert live_db.session_by(id=hosted.session_id).status == "playing"
    at.button(key="live_pause").click()
    rendered(at)
    assert live_db.session_by(id=hosted.session_id).status == "paused"
    at.button(key="live_resume").click()
    rendered(at)
    at.button(key="live_rematch").click()
    rendered(at)
    follow = live_db.session_by_rematch(hosted.session_id)
    assert follow is not None and at.session_state["host"] == follow.host_token, "the screen now runs the rematch"
    assert live_db.session_by(id=hosted.session_id).status == "ended"
    assert [p.role for p in live_db.players(follow.id)] == ["coalition"], "Russia's student plays the coalition now"
    assert "Rematch opened" in page_text(at)


def test_a_bad_host_link_says_so() -> None:
    at = opened(host="not-a-token")
    assert "does not open a session" in warnings(at)


def test_a_student_joins_with_the_code_and_a_name(live_db: Store) -> None:
    hosted = a_session(live_db, start=False)
    at = opened(join=hosted.code.lower())
    at.text_input(key="live_name").input("Ben <b>x</b>")
    at.button(key="live_join").click()
    rendered(at)
    token = at.session_state["player"]
    player = live_db.player_by_token(token)
    assert player is not None and player.name == "Ben <b>x</b>" and player.role == "russia"
    assert at.query_params["player"] == token and "join" not in at.query_params
    assert "You are Russia" in page_text(at)
    assert "Welcome, Ben <b>x</b>" in page_text(at), "the name is shown as typed"
    assert all("<b>" not in element.proto.body for element in at.main.get("html")), "never as HTML"
    assert "Wait for your instructor to start" in page_text(at)


def test_a_bad_code_and_an_empty_name_are_refused_in_words(live_db: Store) -> None:
    at = opened(join="NOSUCHCD")
    assert "No session has the code NOSUCHCD" in warnings(at)
    assert not [b for b in at.button if b.key == "live_join"]
    hosted = a_session(live_db, start=False)
    at = opened(join=hosted.code)
    at.text_input(key="live_name").input("   ")
    at.button(key="live_join").click()
    rendered(at)
    assert "type a name" in warnings(at)
    assert live_db.players(hosted.session_id) == []
    control(live_db, hosted.host_token, "end")
    at = opened(join=hosted.code)
    at.text_input(key="live_name").input("Cy")
    at.button(key="live_join").click()
    rendered(at)
    assert "has ended" in warnings(at)


def test_the_player_sees_the_role_and_a_button_per_move_and_a_click_records_one_decision(live_db: Store) -> None:
    hosted = a_session(live_db)
    ana = live_db.players(hosted.session_id)[0]
    at = opened(player=ana.token)
    text = page_text(at)
    assert "You are Russia" in text and "Your private type:" in text and "The ladder:" in text
    assert "left, then the computer chooses for you" in text
    moves = [b for b in at.button if b.key and b.key.startswith("live_move_1_russia_")]
    assert [b.label for b in moves] == ["Use force", "Threaten", "Back down"]
    [threaten] = [b for b in moves if b.label == "Threaten"]
    threaten.click()
    rendered(at)
    people = [d for d in live_db.decisions(hosted.session_id) if d.human]
    assert [(d.round, d.node, d.role, d.action, d.player_id) for d in people] == [(1, "russia", "russia", 1, ana.id)]
    assert "Recorded: round 1, threaten" in page_text(at)


def test_a_late_or_repeated_tap_is_answered_in_words(live_db: Store) -> None:
    hosted = a_session(live_db)
    ana = live_db.players(hosted.session_id)[0]
    at = opened(player=ana.token)
    control(live_db, hosted.host_token, "pause")
    [button] = [b for b in at.button if b.key == "live_move_1_russia_deploy"]
    button.click()
    rendered(at)
    assert "paused" in warnings(at)
    assert not [d for d in live_db.decisions(hosted.session_id) if d.human]


def test_a_player_link_with_a_bad_token_says_so() -> None:
    at = opened(player="no-such-token")
    assert "this link names no player" in warnings(at)
    assert [t.key for t in at.text_input] == ["live_code"], "and offers to type the session's code"


def test_after_the_crisis_the_student_and_the_instructor_see_the_class_beside_the_model(live_db: Store) -> None:
    hosted = a_session(live_db, rounds=1)
    ana = live_db.players(hosted.session_id)[0]
    at = opened(player=ana.token)
    [button] = [b for b in at.button if b.key == "live_move_1_russia_back_down"]
    button.click()
    rendered(at)  # Russia backs down: the crisis is over
    text = page_text(at)
    assert "The crisis is over" in text and "what the equilibrium would have played" in text
    assert "you chose **back down**" in text
    assert [m.label for m in at.metric] == ["Your payoff"]

    host = opened(host=hosted.host_token)
    assert [m.value for m in host.metric if m.label == "Crises over"] == ["1"]
    assert [m.value for m in host.metric if m.label == "Choices by students"] == ["1"]
    assert "live_outcomes" in [chart.key for chart in host.get("plotly_chart")]
    assert "One group's crisis, replayed" in page_text(host)
    assert "Played by Russia: Ana" in page_text(host)
    assert [d.label for d in host.get("download_button")] == ["Download every decision (CSV)"]


INJECTED = "![x](http://127.0.0.1:9/tracker.png) :red[alarm] <b>bold</b>"


def test_a_title_or_a_name_with_markup_is_shown_as_text(live_db: Store) -> None:
    at = opened(title=INJECTED)
    assert "![x](" not in "\n".join(m.value for m in at.main.markdown)
    at.button(key="live_open").click()
    rendered(at)
    hosted = live_db.session_by(host_token=at.session_state["host"])
    assert hosted is not None and hosted.scenario_name == INJECTED
    join(live_db, hosted.code, INJECTED)
    control(live_db, hosted.host_token, "start")
    control(live_db, hosted.host_token, "next")  # the computer plays round 1 for the student
    host = opened(host=hosted.host_token)
    source = "\n".join(str(e.value) for kind in ("markdown", "caption") for e in host.main.get(kind))
    for construct in ("![x](", ":red[", "<b>"):
        assert construct not in source
    assert INJECTED[:20] in shown(source), "the text itself is shown"
