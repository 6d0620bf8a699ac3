"""The Live page in a real browser: an instructor and two students, each in their own browser context.

``streamlit run app.py`` with its own live-play database (``SIM_LIVE_DB`` in a temporary folder), driven by
Playwright in Debian's Chromium (never a browser Playwright downloads), started and skipped as in
tests/webapp/test_browser.py: without Chromium or Playwright the test skips, unless
``SIM_REQUIRE_BROWSER=1`` (CI), which makes that a failure.

The instructor opens a session on ``classroom_chicken`` cut to two rounds at a projector's size
(1280x720); two students join from phone-sized windows (390x844), the first seated as Russia, the
second as the coalition, and both choose whenever their buttons appear, for two rounds; the
instructor's screen then shows their choices. Every wait is for a condition, with generous time
limits (a busy machine), never a fixed sleep. Nothing on either screen may be cut or drawn over
other text (tests/layout_problems.js). Screenshots go to pytest's tmp_path, and to
``SIM_SCREENSHOTS`` (``docs/images``) when it is set, for docs/how-to/app/live.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import ROOT, chromium, running_app

pytestmark = pytest.mark.browser

FIRST_RENDER_MS = 300_000
WAIT_MS = 120_000
PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ROUNDS = 2
SECONDS_PER_MOVE = 45
"""Short for a class, long enough for a busy machine's browser to see each turn and choose."""
EXCEPTION = '[data-testid="stException"]'
FOOTER = re.compile(r"seed \d+ · [\d,]+ runs")
DRAWN = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
    " && [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')].every(c => c.querySelector('.main-svg'))"
)
"""No run going on, no element left over from the last one, and every chart drawn."""
LAYOUT_PROBLEMS = (ROOT / "tests" / "layout_problems.js").read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (tests/browser_app.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free local port with a database of its own; always stopped."""
    folder = tmp_path_factory.mktemp("live_server")
    with running_app(folder, env={"SIM_LIVE_DB": str(folder / "live.sqlite")}) as url:
        yield url


def new_page(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def open_app(page: Any, url: str) -> None:
    """Open a link and wait until the script has run to the end (the footer) or stopped on an exception."""
    page.goto(url, timeout=FIRST_RENDER_MS)
    footer = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=FOOTER)
    page.locator(EXCEPTION).or_(footer).first.wait_for(timeout=FIRST_RENDER_MS)
    no_exception(page)


def no_exception(page: Any) -> None:
    shown = page.locator(EXCEPTION).all_inner_texts()
    assert not shown, f"{page.url} shows an exception:\n" + "\n".join(shown)


def settled(page: Any, layout: str) -> None:
    """The page is drawn for its window (a phone's layout comes one run after the first), charts included."""
    page.wait_for_function(f"document.body.dataset.simLayout === '{layout}'", timeout=WAIT_MS)
    page.wait_for_function(DRAWN, timeout=WAIT_MS)
    page.evaluate(
        "() => document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )


def layout_holds(page: Any, what: str, shots: Path) -> None:
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert not problems, f"{what} (screenshots in {shots}):\n" + "\n".join(problems)


def shoot(page: Any, name: str, tmp_path: Path, full_page: bool = False) -> None:
    """A screenshot in tmp_path, and in SIM_SCREENSHOTS (docs/images) when it is set."""
    folders = [tmp_path]
    if os.environ.get("SIM_SCREENSHOTS"):
        target = Path(os.environ["SIM_SCREENSHOTS"])
        folders.append(target if target.is_absolute() else ROOT / target)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=full_page)


def full_height(page: Any, width: int) -> None:
    """Streamlit scrolls inside its main block: grow the window to the content for a whole-page picture."""
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stAppViewContainer'].map("
        "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight ?? 0))"
    )
    page.set_viewport_size({"width": width, "height": int(height)})


def join(browser: Any, server: str, code: str, name: str, role: str) -> Any:
    student = new_page(browser, PHONE)
    open_app(student, f"{server}/?page=live&join={code}")
    student.get_by_label("Your name (the class sees it)").fill(name)
    student.get_by_role("button", name="Join").click()
    student.get_by_role("heading", name=f"You are {role}").wait_for()
    return student


def choose(student: Any, round_number: int, move: str = "Threaten", first: Any = None) -> bool:
    """Wait for the student's turn in this round and choose (after ``first(student)``, if given: a look at the
    turn); False if the crisis ended first."""
    turn = student.get_by_role("heading", name=re.compile(rf"^Round {round_number}:"))
    over = student.get_by_role("heading", name=re.compile("^The crisis is over"))
    turn.or_(over).first.wait_for()
    if over.is_visible():
        return False
    if first is not None:
        first(student)
    student.get_by_role("button", name=move, exact=True).click()
    student.get_by_text(re.compile(rf"recorded: round {round_number}, {move.lower()}", re.IGNORECASE)).wait_for()
    return True


def metric(page: Any, label: str) -> Any:
    return page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))


def test_an_instructor_and_two_students_play_two_rounds(browser: Any, server: str, tmp_path: Path) -> None:
    host = new_page(browser, PROJECTOR)
    students: list[Any] = []
    try:
        open_app(
            host, f"{server}/?page=live&scenario=classroom_chicken&live_rounds={ROUNDS}&live_seconds={SECONDS_PER_MOVE}"
        )
        host.get_by_role("button", name="Open a session").click()
        code_box = host.locator(".live-code")
        code_box.wait_for()
        code = code_box.inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{8}", code), code
        host.wait_for_url(re.compile(r"[?&]host=[\w-]+"))  # the token in the address: a refresh reopens the screen
        assert host.locator(".st-key-live_qr img").count() == 1, "a QR code of the join link"
        assert host.get_by_text(f"?page=live&join={code}").count() >= 1, "and the link itself"

        russia = join(browser, server, code, "Ana", "Russia")
        students.append(russia)
        coalition = join(browser, server, code, "Ben", "the coalition")
        students.append(coalition)
        from playwright.sync_api import expect

        expect(metric(host, "Students")).to_contain_text("2", timeout=WAIT_MS)
        host.get_by_role("button", name="▶ Start").click()

        def look(student: Any) -> None:
            """The student's turn on a phone: nothing cut or covered; a picture for the docs."""
            settled(student, "narrow")
            layout_holds(student, "the student's turn at 390 px", tmp_path)
            shoot(student, "live_student_390.png", tmp_path)

        made = 0
        for round_number in range(1, ROUNDS + 1):
            if not choose(coalition, round_number):
                break
            made += 1
            if not choose(russia, round_number, first=look if round_number == 1 else None):
                break
            made += 1
            if round_number == 1:
                settled(host, "wide")
                shoot(host, "live_host_1280.png", tmp_path)
                layout_holds(host, "the instructor's screen at 1280x720", tmp_path)
        assert made >= 2, "each student chose at least once"

        for student in students:
            student.get_by_role("heading", name=re.compile("^The crisis is over")).wait_for()
            student.get_by_text("what the equilibrium would have played in your place").wait_for()
            no_exception(student)
        expect(metric(host, "Crises over")).to_contain_text("1", timeout=WAIT_MS)
        expect(metric(host, "Choices by students")).to_contain_text(str(made), timeout=WAIT_MS)
        host.locator(".st-key-live_outcomes .legendtext").filter(has_text="Your class (1 crisis)").first.wait_for()
        expect(host.get_by_text("Played by Russia: Ana; the coalition: Ben")).to_have_count(1, timeout=WAIT_MS)
        no_exception(host)

        settled(coalition, "narrow")
        layout_holds(coalition, "the student's screen at 390 px, the crisis over", tmp_path)
        full_height(coalition, PHONE["width"])
        settled(coalition, "narrow")
        shoot(coalition, "live_student_end_390.png", tmp_path, full_page=True)
        host.set_viewport_size(LAPTOP)
        settled(host, "wide")
        layout_holds(host, "the instructor's screen at 1440x900, the crisis over", tmp_path)
        host.locator("#class-beside-the-model").evaluate("heading => heading.scrollIntoView({block: 'start'})")
        settled(host, "wide")
        shoot(host, "live_host_results_1440.png", tmp_path)
    finally:
        for number, page in enumerate([host, *students]):
            page.screenshot(path=str(tmp_path / f"last-{number}.png"))  # what each screen showed at the end
            page.context.close()
