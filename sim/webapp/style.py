"""Colours, type sizes, chart helpers and the words shared by every page.

Colours are the Okabe-Ito palette, which stays distinguishable under the common kinds of colour
blindness; every chart also labels its series in words, so colour is never the only cue. Type is
large enough to read from the back of a lecture room; presenter mode makes it larger still.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from sim.webapp.screen import narrow

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
OUTCOME_COLOURS = {
    "deterrence_holds": OKABE_ITO["bluish_green"],
    "coalition_backs_down": OKABE_ITO["reddish_purple"],
    "russia_backs_down": OKABE_ITO["blue"],
    "limited_clash": OKABE_ITO["orange"],
    "major_war": OKABE_ITO["vermillion"],
}
ACTOR_COLOURS = {"coalition": OKABE_ITO["blue"], "russia": OKABE_ITO["vermillion"], "us": OKABE_ITO["bluish_green"]}
ACTION_COLOURS = {
    "deploy": OKABE_ITO["vermillion"],
    "threaten": OKABE_ITO["orange"],
    "back_down": OKABE_ITO["sky_blue"],
}
RESPONSE_COLOURS = {
    # The answers after a strike (sim.engine.equilibrium.RESPONSES): fighting warm, stepping aside cool.
    "resist": OKABE_ITO["vermillion"],
    "concede": OKABE_ITO["sky_blue"],
    "join": OKABE_ITO["vermillion"],
    "stay_out": OKABE_ITO["sky_blue"],
}
RUNG_GREYS = {
    # Ongoing crises are drawn in greys, darker as the ladder climbs, so colour always means "ended".
    "ceasefire": "#F0F0F0",
    "declared_intent": "#D9D9D9",
    "deployed": "#BDBDBD",
    "standoff": "#969696",
    "incident": "#636363",
    "limited_war": "#404040",
    "major_war": "#252525",
}
ACTOR_SHORT = {"coalition": "Coalition", "russia": "Russia", "us": "US"}
VERB = {  # base form, third person, gerund
    "deploy": ("deploy", "deploys", "deploying"),
    "threaten": ("threaten", "threatens", "threatening"),
    "back_down": ("back down", "backs down", "backing down"),
    "resist": ("resist", "resists", "resisting"),
    "concede": ("concede", "concedes", "conceding"),
    "join": ("join", "joins", "joining"),
    "stay_out": ("stay out", "stays out", "staying out"),
}
GRID = "#DDDDDD"
PLOTLY_CONFIG = {"displaylogo": False}
FILE_FORMATS = (("CSV", ".csv", "text/csv"), ("Parquet", ".parquet", "application/vnd.apache.parquet"))
"""(name, suffix, MIME type) of the tables every page offers for download."""

# ---------------------------------------------------------------------------------------------
# Words


def capitalised(text: str) -> str:
    """The first letter upper case, the rest untouched (unlike ``str.capitalize``: ``the US`` -> ``The US``)."""
    return text[:1].upper() + text[1:]


def action_colour(action: str, default: str = "#999999") -> str:
    """A move's colour (:data:`ACTION_COLOURS`, or :data:`RESPONSE_COLOURS` for an answer to a strike)."""
    return ACTION_COLOURS.get(action) or RESPONSE_COLOURS.get(action, default)


def verb(action: str) -> tuple[str, str, str]:
    """An action's forms (base, third person, gerund) from :data:`VERB`; a move it does not know (a
    game file's own) keeps its name in every form."""
    plain = action.replace("_", " ")
    return VERB.get(action, (plain, plain, plain))


def words(name: str) -> str:
    """``major_war`` -> ``Major war``."""
    return capitalised(name.replace("_", " "))


def type_words(resolute: bool) -> str:
    """An actor's private type, as every page names it."""
    return "resolute" if resolute else "not resolute"


def markdown_safe(text: str) -> str:
    """Markdown the app wrote itself, made safe for Streamlit: a dollar sign would start LaTeX.

    For text a user wrote (a title, a description, a member's name, a value from a link) use
    :func:`plain`, which also keeps it from being read as Markdown at all."""
    return text.replace("$", r"\$")


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=\"'^%@])")
_AUTOLINK_START = re.compile(r"(?i)(https?|ftp|mailto|www)(?=[:.])|(@)")
WORD_JOINER = "\u2060"
"""An invisible character that keeps a web address in user text from becoming a link (:func:`plain`)."""


def plain(text: str) -> str:
    """User text shown literally inside Markdown: every punctuation mark escaped, lines joined.

    A title, description, member name or link value is never Markdown or HTML: a link such as
    ``?description=![x](http://host/tracker.png)`` must not make every browser that opens it fetch
    the image, nor show a link to click. CommonMark lets a backslash escape any ASCII punctuation,
    and Streamlit's own syntax (``:red[...]``, ``:material/icon:``, ``$...$``) starts with
    punctuation too, so escaping all of it leaves only the characters themselves. Bare web and
    e-mail addresses are turned into links after parsing (GitHub-flavoured Markdown's autolinks),
    which no escape prevents: an invisible word joiner after ``http``, ``www`` or ``@`` breaks the
    pattern and leaves the address readable (Issue 10)."""
    unlinked = _AUTOLINK_START.sub(lambda m: m.group(0) + WORD_JOINER, " ".join(text.split()))
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", unlinked)


def story_markdown(lines: list[str]) -> str:
    """``sim.runs.trace.tell_story`` lines as Markdown: rounds as paragraphs, decisions as (nested) bullets."""
    out = []
    for number, line in enumerate(lines):
        raw = line.strip()
        text = plain(raw)  # the story names members and the scenario: user text, shown literally
        if not text:
            out.append("")
        elif number == 0:
            out.extend([f"**{text}**", ""])
        elif line.startswith("    "):
            out.append(f"    - {text}")
        elif line.startswith("  "):
            out.append(f"- {text}")
        elif raw.startswith("Round "):
            head, _, rest = raw.partition(":")
            out.append(f"**{plain(head)}:** {plain(rest)}")
        else:
            out.extend([text, ""])
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Type and charts


def presenting() -> bool:
    """Presenter mode (Classroom page toggle, ``?presenter=1``): larger type everywhere."""
    return bool(st.session_state.get("presenter", False))


def font_size() -> int:
    """The charts' base font size in pixels: larger in presenter mode."""
    return 24 if presenting() else 17


def ink() -> str:
    """Text colour with full contrast on the app's background (light unless the theme is dark)."""
    return "#FAFAFA" if st.context.theme.type == "dark" else "#1A1A1A"


def base_layout(figure: go.Figure, height: int) -> go.Figure:
    """Large type in the theme's ink, tight margins: the same look for every chart."""
    size = font_size()
    figure.update_layout(
        height=int(height * (1.25 if presenting() else 1)),
        font={"size": size, "color": ink()},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"font_size": size},
        legend={"font": {"size": size - 1, "color": ink()}},
    )
    for update in (figure.update_xaxes, figure.update_yaxes):
        update(tickfont={"size": size, "color": ink()}, title_font={"size": size, "color": ink()})
    return figure


def translucent(hex_colour: str, alpha: float) -> str:
    """``#RRGGBB`` as ``rgba(...)`` with this opacity: bands and flows that let what is behind show."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def whiskers(estimate: Any, low: Any, high: Any, width: int) -> dict[str, Any]:
    """Plotly error bars from an estimate and its interval (numpy arrays): the same whiskers on every chart."""
    return {
        "type": "data",
        "symmetric": False,
        "array": (high - estimate).tolist(),
        "arrayminus": (estimate - low).tolist(),
        "color": ink(),
        "thickness": 2,
        "width": width,
    }


def show_chart(figure: go.Figure, key: str, how_to_read: str, min_width: int | None = None) -> None:
    """A chart at full width with the caption every chart carries: how to read it.

    ``min_width`` (pixels): a chart that cannot be read narrower (a game tree) is drawn this wide in
    a box that scrolls sideways when the window is narrower (:func:`sim.webapp.screen.narrow`). A
    figure whose ``width`` is set is a drawing of fixed size: it is always drawn in such a box."""
    fixed = figure.layout.width
    if fixed is not None or (min_width is not None and narrow()):
        width = int(fixed if fixed is not None else min_width)  # type: ignore[arg-type]
        figure.update_layout(width=width)
        with st.container(key=f"{key}_scroller"):
            # Streamlit fits an element to its column; this element may be wider, inside a box that scrolls.
            st.html(f"<style>.st-key-{key} {{min-width: {width}px;}}</style>")
            st.plotly_chart(figure, width="content", config=PLOTLY_CONFIG, key=key)
        how_to_read += (
            f" It is drawn {width} pixels wide: scroll (or swipe) sideways to see all of it."
            if fixed is not None
            else " Swipe sideways to see all of it."
        )
    else:
        st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, key=key)
    st.caption(f"**How to read it:** {how_to_read}")


PAGE_TOP_PADDING_REM = 2.5
"""Space above a page's title. Streamlit leaves 6rem (about 100 px), a seventh of a projector's
720 px, before anything is drawn; the main result must fit on the first screen at 1280x720."""


def page_css() -> None:
    """Less empty space above every page's title (see :data:`PAGE_TOP_PADDING_REM`)."""
    # st.html with only a <style> block adds no element to the page (it takes no space).
    st.html(
        f"<style>.stMainBlockContainer {{padding-top: {PAGE_TOP_PADDING_REM}rem !important;}}"
        '[class*="_scroller"] {overflow-x: auto;}</style>'
    )


def presenter_css() -> None:
    """Larger body text for presenter mode (charts scale through :func:`font_size`)."""
    if presenting():
        st.markdown(
            "<style>.stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.45rem !important;}"
            " .stMainBlockContainer h1 {font-size: 3rem !important;}"
            " .stMainBlockContainer h2, .stMainBlockContainer h3 {font-size: 2.1rem !important;}</style>",
            unsafe_allow_html=True,
        )


def download_row(
    what: str, stem: str, build: Callable[[str], bytes], explanations: Sequence[str], key: str = ""
) -> None:
    """One button per :data:`FILE_FORMATS`, side by side (wrapping on a phone); ``build(suffix)`` makes a file
    only when it is clicked."""
    row = st.container(horizontal=True)
    for (name, suffix, mime), explanation in zip(FILE_FORMATS, explanations, strict=False):
        row.download_button(
            f"Download {what} {name}",
            data=functools.partial(build, suffix),
            file_name=f"{stem}{suffix}",
            mime=mime,
            on_click="ignore",
            key=f"{key}_{suffix[1:]}" if key else None,
            help=explanation,
        )
