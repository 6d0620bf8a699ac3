"""The app in a real browser: ``streamlit run app.py`` driven by Playwright in headless Chromium.

AppTest (tests/webapp/test_app.py) runs the script without a browser; this test checks what only a browser
shows: the page loads, plotly draws the outcome chart, a sidebar widget reruns the simulation and the
settings land in the address bar. It uses Debian's Chromium (``apt-get install chromium``) through
Playwright's Python client (``pip install -e ".[browser]"``); ``playwright install`` is never needed.

Without Chromium or Playwright the tests skip, unless ``SIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``),
which turns a missing browser into a failure so CI cannot pass by skipping.

Screenshots of every run go to pytest's tmp_path. To refresh the README's screenshots (full pages at
the default settings), run ``make screenshots``, i.e.
``SIM_SCREENSHOTS=docs/images python -m pytest tests/webapp/test_browser.py -k screenshots``; install Debian's
``fonts-noto-color-emoji`` first so the page icons are drawn.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from browser_app import ROOT, chromium, running_app

pytestmark = pytest.mark.browser

OTHER_PAGES = ("scenario", "sweep", "game", "classroom", "live")
SMALL_RUNS = 2_000
FIRST_RENDER_MS = 300_000  # a cold server imports, solves the equilibrium (a sweep page: one per point), simulates
RENDER_MS = 120_000
VIEWPORT = {"width": 1400, "height": 900}

OUTCOME_BARS = '.st-key-outcome_chart [data-testid="stPlotlyChart"] .js-plotly-plot g.trace.bars g.point > path'
OUTCOME_PLOT = '.st-key-outcome_chart [data-testid="stPlotlyChart"] .js-plotly-plot'
EXCEPTION = '[data-testid="stException"]'
FOOTER = re.compile(r"seed \d+ · [\d,]+ runs")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free local port; yields its address and always stops it."""
    folder = tmp_path_factory.mktemp("streamlit")
    with running_app(folder, env={"SIM_LIVE_DB": str(folder / "live.sqlite")}) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (tests/browser_app.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RENDER_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_app(page: Any, url: str, timeout_ms: int = RENDER_MS) -> None:
    """Open a link and wait until the script has run to the end (the footer) or stopped on an exception."""
    page.goto(url, timeout=timeout_ms)
    footer = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=FOOTER)
    page.locator(EXCEPTION).or_(footer).first.wait_for(timeout=timeout_ms)
    exceptions = page.locator(EXCEPTION).all_inner_texts()
    assert not exceptions, f"{url} shows an exception:\n" + "\n".join(exceptions)


def footer_text(page: Any) -> str:
    return page.locator('[data-testid="stCaptionContainer"]').filter(has_text=FOOTER).inner_text()


def outcome_shares(page: Any) -> list[float]:
    """The x values plotly drew in the outcome chart: one share per outcome."""
    return page.locator(OUTCOME_PLOT).evaluate("plot => plot.data[0].x")


def test_simulate_in_the_browser(page: Any, server: str, tmp_path: Path) -> None:
    open_app(page, f"{server}/?page=simulate&runs={SMALL_RUNS}", timeout_ms=FIRST_RENDER_MS)
    page.locator(OUTCOME_BARS).first.wait_for()
    assert page.locator(OUTCOME_BARS).count() == 5, "one bar per outcome"
    before = outcome_shares(page)
    assert sum(before) == pytest.approx(1.0)
    assert "seed 7 ·" in footer_text(page)
    assert f"{SMALL_RUNS:,} runs" in footer_text(page)

    seed = page.locator('[data-testid="stSidebar"]').get_by_label("Seed", exact=True)
    seed.fill("8")
    seed.press("Enter")
    page.locator('[data-testid="stCaptionContainer"]').filter(has_text="seed 8 ·").wait_for()
    page.wait_for_function(
        "([selector, before]) => { const plot = document.querySelector(selector);"
        " return plot && plot.data && JSON.stringify(plot.data[0].x) !== JSON.stringify(before); }",
        arg=[OUTCOME_PLOT, before],
        timeout=RENDER_MS,
    )
    after = outcome_shares(page)
    assert sum(after) == pytest.approx(1.0)
    page.wait_for_url(re.compile(r"[?&]seed=8(&|$)"), timeout=RENDER_MS)
    assert f"runs={SMALL_RUNS}" in page.url
    assert not page.locator(EXCEPTION).count()
    page.screenshot(path=str(tmp_path / "simulate-seed-8.png"))


@pytest.mark.parametrize("name", OTHER_PAGES)
def test_page_opens_without_exception(page: Any, server: str, tmp_path: Path, name: str) -> None:
    open_app(page, f"{server}/?page={name}&runs={SMALL_RUNS}", timeout_ms=FIRST_RENDER_MS)
    page.screenshot(path=str(tmp_path / f"{name}.png"))


# ---------------------------------------------------------------------------------------------
# Layout: nothing cut or drawn over anything else, on a laptop, a projector and a phone

LAYOUT_PROBLEMS = (ROOT / "tests" / "layout_problems.js").read_text()
"""A function evaluated in the page: every piece of text that overflows its box, runs off its chart or
overlaps other text, in words (empty when the layout holds)."""
SIZES = {"laptop": (1440, 900), "projector": (1280, 720), "phone": (390, 844)}
NARROW_BELOW_PX = 640  # sim.webapp.screen.NARROW_BELOW_PX: not imported, this file only drives a browser
LAYOUT_VIEWS = {
    "simulate": "page=simulate",
    "simulate-edited": "page=simulate&russia.resolve_prior=0.9",  # the frames of the scenario's own shares
    "scenario": "page=scenario",
    "sweep": "page=sweep&sweep_x_steps=5&sweep_runs=200",
    "game": "page=game",
    "game-every-node": "page=game&game_view=full",  # a drawing of fixed width, in a box that scrolls
    "classroom": "page=classroom&class_round=2",
    "classroom-presenter": "page=classroom&class_round=2&presenter=1",
    "live": "page=live",  # the instructor's form; a session's screens: tests/webapp/test_browser_live.py
}
MAIN_CHART = {
    "simulate": "outcome_chart",
    "simulate-edited": "outcome_chart",
    "sweep": "sweep_curve",
    "game": "game_tree",
    "game-every-node": "game_tree",
    "classroom": "class_ladder_main",
    "classroom-presenter": "class_ladder_main",
}
"""The chart each view is for: at 1280x720 it must show on the first screen."""
FIRST_SCREEN_CHART_PX = 250
"""How much of the main chart (its height, or all of a shorter one) the first screen must show."""


def open_view(browser: Any, url: str, size: tuple[int, int]) -> Any:
    """A new page at this window size on ``url``, once the app has drawn it for this width (a phone's
    layout comes one run after the first) and every chart is drawn."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(RENDER_MS)
    page = context.new_page()
    open_app(page, url, timeout_ms=FIRST_RENDER_MS)
    layout = "narrow" if width < NARROW_BELOW_PX else "wide"
    page.wait_for_function(f"document.body.dataset.simLayout === '{layout}'", timeout=RENDER_MS)
    page.locator(EXCEPTION).or_(
        page.locator('[data-testid="stCaptionContainer"]').filter(has_text=FOOTER)
    ).first.wait_for()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && "
        "[...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')].every(c => c.querySelector('.main-svg'))"
    )
    page.evaluate(
        "() => document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )
    page.wait_for_function(LAYOUT_SETTLED, polling=250, timeout=RENDER_MS)
    return page


LAYOUT_SETTLED = """() => {
  const now = [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
    const size = plot._fullLayout && plot._fullLayout._size;
    const legend = plot.querySelector('.legend');
    return JSON.stringify([size && [size.t, size.b, size.l, size.r], legend && legend.getAttribute('transform')]);
  }).join('|') + '|' + document.body.scrollHeight;
  const settled = window.__simLayoutSeen === now;
  window.__simLayoutSeen = now;
  return settled;
}"""
"""True once every chart's margins and legend, and the page's height, are what they were at the last
look (polled every 250 ms): plotly may draw a chart again after its first drawing (a legend that
pushes the margin), and a layout is measured once it holds still."""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", LAYOUT_VIEWS)
def test_no_text_is_cut_or_covered(browser: Any, server: str, tmp_path: Path, view: str, size: str) -> None:
    if view == "classroom-presenter" and size == "phone":
        pytest.skip("presenter mode is for a projector")
    page = open_view(browser, f"{server}/?{LAYOUT_VIEWS[view]}&runs={SMALL_RUNS}", SIZES[size])
    try:
        page.screenshot(path=str(tmp_path / f"{view}-{size}.png"))
        assert not page.locator(EXCEPTION).count()
        problems = page.evaluate(LAYOUT_PROBLEMS)
        assert not problems, f"{view} at {SIZES[size]} (screenshot in {tmp_path}):\n" + "\n".join(problems)
        if view.startswith("game"):
            asked, drawn = page.locator(".st-key-game_tree .js-plotly-plot").evaluate(
                "plot => [plot._fullLayout.margin.b, plot._fullLayout._size.b]"
            )
            assert drawn == asked, f"{view}: the tree's legend needed a {drawn} px margin, {asked} px reserved"
        if size == "projector" and view in MAIN_CHART:
            chart = page.locator(f".st-key-{MAIN_CHART[view]}").bounding_box()
            assert chart is not None, f"{view} has no {MAIN_CHART[view]}"
            shown = min(chart["y"] + chart["height"], SIZES[size][1]) - max(chart["y"], 0)
            assert shown >= min(FIRST_SCREEN_CHART_PX, chart["height"]), (
                f"{view}: only {shown:.0f} px of {MAIN_CHART[view]} on the first screen at 1280x720 (top at "
                f"{chart['y']:.0f} px)"
            )
    finally:
        page.context.close()


class CountingHandler(http.server.BaseHTTPRequestHandler):
    """Counts every request it receives: a link's image or page must never be fetched."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        CountingHandler.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_markdown_laden_link_makes_no_request_to_the_address_it_names(browser: Any, server: str) -> None:
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    CountingHandler.requests.clear()
    host = f"127.0.0.1:{listener.server_address[1]}"
    injected = f"![x](http://{host}/tracker.png?who=student) [Log in to see the classified annex](http://{host}/phish)"
    query = urllib.parse.urlencode({"page": "simulate", "runs": SMALL_RUNS, "title": injected, "description": injected})
    try:
        page = open_view(browser, f"{server}/?{query}", (1440, 900))
        try:
            body = page.locator('[data-testid="stMain"]')
            assert "Log in to see the classified annex" in body.inner_text(), "the text is shown, as text"
            assert page.locator(f'img[src*="{host}"], a[href*="{host}"]').count() == 0
            assert CountingHandler.requests == [], f"the page fetched {CountingHandler.requests}"
        finally:
            page.context.close()
    finally:
        listener.shutdown()
        listener.server_close()


def test_copy_link_copies_the_address_of_this_view(browser: Any, server: str) -> None:
    context = browser.new_context(viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(RENDER_MS)
    page = context.new_page()
    try:
        # Presenter mode folds the sidebar (and its address-bar hint): the button at the foot of the page stays.
        open_app(page, f"{server}/?page=scenario&runs={SMALL_RUNS}&seed=11&presenter=1", timeout_ms=FIRST_RENDER_MS)
        button = page.locator(".st-key-copy_link_footer button")
        button.click()
        page.locator(".st-key-copy_link_footer button[data-copied]").wait_for()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == page.url
        assert "seed=11" in copied and "presenter=1" in copied and "page=scenario" in copied
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# README screenshots (only with SIM_SCREENSHOTS=<folder>)

SCREENSHOTS = {"app.png": "simulate", "app-scenario.png": "scenario", "app-sweep.png": "sweep",
               "app-game.png": "game", "app-classroom.png": "classroom&class_round=3"}  # fmt: skip
"""File -> the page (and any settings) it shows; the Classroom page is caught in the middle of a crisis."""


def full_page_shot(page: Any, path: Path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content's height first."""
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent', 'stAppViewContainer'].map("
        "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight ?? 0))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(int(height), VIEWPORT["height"])})
    page.wait_for_timeout(1_000)  # plotly relayouts to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


@pytest.mark.skipif(not os.environ.get("SIM_SCREENSHOTS"), reason="SIM_SCREENSHOTS=docs/images refreshes them")
def test_readme_screenshots(page: Any, server: str) -> None:
    target = Path(os.environ["SIM_SCREENSHOTS"])
    if not target.is_absolute():
        target = ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    for file_name, name in SCREENSHOTS.items():
        open_app(page, f"{server}/?page={name}", timeout_ms=FIRST_RENDER_MS)
        if name.startswith("simulate"):
            page.locator(OUTCOME_BARS).first.wait_for()
            page.screenshot(path=str(target / "app-top.png"))  # the first screen, for the README
        full_page_shot(page, target / file_name)
