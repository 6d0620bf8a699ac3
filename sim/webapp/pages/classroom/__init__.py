"""Classroom: one simulated crisis stepped round by round, for showing a class live.

An instructor presses "Next round" and the page tells what each actor believed, what it expected
from each action, how likely it was to pick each one and what it chose, in plain words and in
large charts. Every setting (class seed, round shown, comparison, presenter mode) is in the URL,
so a link reopens exactly the same moment of the same crisis. A second scenario can be played
side by side with the same seed, each with the Monte Carlo odds beside the single story, so the
class sees both one history and how often it happens.

This module is the page (its settings, ``render`` and the sections it draws); its parts are
``controls`` (buttons, round and seed), ``narration`` (the words) and ``figures`` (the charts).
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from sim.domain.ladder import ACTORS, OUTCOME_MEANING, OUTCOMES
from sim.domain.scenario import ScenarioError
from sim.engine.model import CrisisModel, TraceEntry
from sim.runs.results import Results
from sim.runs.trace import rounds_text
from sim.webapp import state
from sim.webapp.compute import simulate_with_progress, traced_run
from sim.webapp.pages.classroom.controls import (
    BIG_BUTTONS,
    COMPARE_DEFAULT,
    DEFAULT_CLASS_SEED,
    clamp_round,
    control_panel,
    settle_round,
)
from sim.webapp.pages.classroom.figures import (
    LADDER_HOW,
    belief_figure,
    decision_table,
    ladder_figure,
    odds_figure,
    utility_figure,
)
from sim.webapp.pages.classroom.narration import (
    actor_card,
    compact_round_lines,
    ending_brief,
    happened_lines,
    opening_card,
    opening_lines,
    opening_paragraphs,
    story_so_far,
)
from sim.webapp.state import Current, Setting
from sim.webapp.style import markdown_safe, plain, presenting, show_chart, story_markdown, words

TITLE = "Classroom"
ICON = "🎓"

MAX_ODDS_RUNS = 20_000
"""Monte Carlo runs behind the odds on this page (the sidebar's runs, capped): quick on a shared server."""

SETTINGS: tuple[Setting, ...] = (
    Setting("class_seed", DEFAULT_CLASS_SEED, low=0),
    Setting("class_round", 0, low=0),
    Setting("class_side_by_side", False),
    Setting("class_compare", COMPARE_DEFAULT, choices=tuple(state.builtin_scenarios())),
    # The key is "presenter" (not "class_presenter"): style.presenting() reads it on every page.
    Setting("presenter", False),
)


@dataclass(frozen=True)
class Story:
    """One crisis on the page: where it is drawn (``side`` keys its charts), its title and its run."""

    side: str
    title: str
    scenario_json: str
    model: CrisisModel

    @property
    def trace(self) -> list[TraceEntry]:
        """The run's rounds so far, one entry each (the model records them as it steps)."""
        return self.model.trace or []

    @property
    def last_round(self) -> int:
        """The number of rounds played in the run."""
        return len(self.trace)


# ---------------------------------------------------------------------------------------------
# The page


def render(current: Current) -> None:
    """Draw the page: the controls and status, then the story (or two side by side) up to the round shown."""
    assert current.scenario is not None
    st.markdown(BIG_BUTTONS, unsafe_allow_html=True)
    st.title("🎓 Classroom: one crisis, round by round")
    seed = int(st.session_state.get("class_seed", DEFAULT_CLASS_SEED))
    side_by_side = bool(st.session_state.get("class_side_by_side", False))
    stories = stories_to_show(current, seed, side_by_side)
    last = max(story.last_round for story in stories)
    horizon = max(story.model.scenario.rounds for story in stories)
    shown = settle_round(last, horizon)
    control_panel(shown, last, horizon, side_by_side)
    status_line(stories[0].title if len(stories) == 1 else None, seed, horizon, shown, bool(current.problems))
    if len(stories) == 2:
        side_by_side_view(stories, shown, current)
    else:
        single_view(stories[0], shown, current)


def stories_to_show(current: Current, seed: int, side_by_side: bool) -> list[Story]:
    """The sidebar's scenario, and the comparison beside it when side by side is on and it loads."""
    assert current.scenario is not None
    stories = [Story("main", current.scenario.title or current.scenario.name, current.scenario_json,
                     traced_run(current.scenario_json, seed))]  # fmt: skip
    if side_by_side:
        other = comparison_story(seed)
        if other is not None:
            stories.append(other)
    return stories


def comparison_story(seed: int) -> Story | None:
    """The second scenario (a built-in file, without the sidebar's edits), or None with a message."""
    name = st.session_state.get("class_compare", COMPARE_DEFAULT)
    try:
        scenario = state.base_scenario(name)
    except ScenarioError as error:
        st.error(f"The scenario to compare with, `{name}`, cannot be loaded:\n\n```\n{error}\n```")
        return None
    scenario_json = scenario.model_dump_json(by_alias=True)
    return Story("right", scenario.title or scenario.name, scenario_json, traced_run(scenario_json, seed))


def status_line(title: str | None, seed: int, horizon: int, shown: int, problems: bool) -> None:
    """The crisis (side by side, each column names its own), the seed to note down and the round shown, then a
    warning if some of the sidebar's edits were dropped."""
    st.markdown(
        (f"**{plain(title)}** · " if title else "")
        + f"class seed **{seed}** (note it to come back to this crisis) · at most {horizon} rounds · "
        + ("before the first move" if shown == 0 else f"round **{shown}** shown")
    )
    if problems:
        st.warning(
            "Some changed values are not valid (see the sidebar or the Scenario page), so this crisis uses the "
            "scenario's own values for them."
        )


def ladder_chart(story: Story, figure: go.Figure) -> None:
    """The ladder with its caption (the same in every view)."""
    show_chart(
        figure,
        f"class_ladder_{story.side}",
        f"the escalation ladder, from ceasefire at the bottom to major war at the top. {LADDER_HOW}",
    )


# ---------------------------------------------------------------------------------------------
# One crisis, full size


def single_view(story: Story, shown: int, current: Current) -> None:
    """The opening or the round shown, the beliefs so far, and the ending (with the odds) once it is reached."""
    if shown == 0:
        opening_section(story)
    else:
        round_section(story, story.trace[shown - 1])
    if shown >= 1:
        belief_section(story, shown)
    if shown == story.last_round:
        ending_section(story, current)
    story_expander(story, shown)


def opening_section(story: Story) -> None:
    """Round 0: where the crisis starts, who is resolute (the audience is told) and how each decides."""
    model = story.model
    st.markdown("### Before the first move")
    left, right = st.columns([1, 1] if presenting() else [2, 3])
    with left:
        ladder_chart(story, ladder_figure(model.scenario.start_rung, model.scenario.start_rung, None))
    with right:
        for paragraph in opening_paragraphs(model):
            st.markdown(paragraph)
    for column, key in zip(st.columns(len(ACTORS)), ACTORS):
        with column, st.container(border=True):
            st.markdown(markdown_safe(opening_card(model, key)))


def round_section(story: Story, entry: TraceEntry) -> None:
    """One round: the ladder, what happened, each actor's card and what each move was worth to it."""
    model = story.model
    st.markdown(f"### Round {entry.round}: the crisis stands at {words(entry.start_rung).lower()}")
    left, right = st.columns([1, 1] if presenting() else [2, 3])
    with left:
        ladder_chart(story, ladder_figure(entry.start_rung, entry.end_rung, entry.outcome))
    with right:
        st.markdown(markdown_safe("\n".join(f"- {line}" for line in happened_lines(model, entry))))
    for column, key in zip(st.columns(len(ACTORS)), ACTORS):
        with column, st.container(border=True):
            st.markdown(markdown_safe(actor_card(model, entry, key)))
    if not entry.decisions:
        return
    show_chart(
        utility_figure(model, entry),
        f"class_utility_{story.side}",
        "one row per decision (after a strike the coalition decides twice and the US answers). Each bar ends at "
        "what the actor expects a move to be worth (its expected utility, in its own utils): this round plus "
        "the rest of the crisis it leads to, discounted, given what it believes about the others; hover over a "
        "bar for the two parts. All rows share one axis, and each bar starts just below the row's worst move: "
        "the longest bar is the move that pays best, and the gaps between bars are what the choice weighs. "
        "The percentage is how likely it was to pick that move; the outlined bar marked "
        "✔ is what it chose. Russia's 'deploy' is the use of force.",
    )
    if not presenting():
        with st.expander("The numbers behind the chart"):
            st.dataframe(decision_table(model, entry), hide_index=True)


def belief_section(story: Story, shown: int) -> None:
    """How the public beliefs moved up to the round shown: the signalling the class should watch."""
    show_chart(
        belief_figure(story.model, shown),
        f"class_beliefs_{story.side}",
        "each line is the public belief that an actor is resolute, after each round (0 = the start). The legend "
        "says what each actor really is, which the others cannot see: watch the beliefs move towards it, or "
        "not, as the actors' choices give them away.",
    )


def ending_section(story: Story, current: Current) -> None:
    """How the crisis ended, what each actor got, and how often crises like it end that way."""
    model = story.model
    outcome = OUTCOMES[model.outcome[0]]
    st.subheader(f"The crisis is over after {rounds_text(model.rounds_played[0])}: {words(outcome)}")
    st.markdown(f"{words(OUTCOME_MEANING[outcome])}.")
    for column, actor in zip(st.columns(len(ACTORS)), model.actors.values()):
        column.metric(
            f"Payoff: {actor.label}",
            f"{actor.payoff[0]:+.2f}",
            help="What this actor realised in this crisis: the outcome's value plus the costs it paid along the "
            "way, in its own utils.",
        )
    odds_section(story, odds_results(story, current), ended=True)


def story_expander(story: Story, shown: int) -> None:
    """The story so far as ``sim trace`` tells it; secondary detail, so hidden in presenter mode."""
    if presenting():
        return
    with st.expander("The story so far, in words (as `sim trace` tells it)"):
        st.markdown(story_markdown(story_so_far(story.model, shown)))


# ---------------------------------------------------------------------------------------------
# Two crises side by side


def side_by_side_view(stories: list[Story], shown: int, current: Current) -> None:
    """Two crises in two columns, their odds on one scale so the bars can be compared by eye."""
    left, right = stories
    if left.scenario_json == right.scenario_json:
        st.warning("Both sides show the same scenario; pick another one under 'Compare with'.")
    st.caption(
        f"Both crises are played with class seed {st.session_state.get('class_seed')}: the same dice where the "
        "two scenarios draw them the same way, so what differs comes from the assumptions."
    )
    odds = [odds_results(story, current) for story in stories]
    scale = max(max(results.probabilities().values()) for results in odds)
    for column, story, results in zip(st.columns(2, gap="large"), stories, odds):
        with column:
            compact_story(story, shown, results, scale)


def compact_story(story: Story, shown: int, odds: Results, scale: float) -> None:
    """One of the two crises: the ladder, the round in brief, the ending, and the odds."""
    st.subheader(story.title)
    model = story.model
    at = clamp_round(shown, story.last_round)
    if at == 0:
        start = model.scenario.start_rung
        figure, lines = ladder_figure(start, start, None), opening_lines(model)
    else:
        entry = story.trace[at - 1]
        figure = ladder_figure(entry.start_rung, entry.end_rung, entry.outcome)
        lines = compact_round_lines(model, entry)
        if at < shown:
            lines.insert(0, f"This crisis ended in round {at}; its last round is shown.")
    ladder_chart(story, figure)
    st.markdown(markdown_safe("\n".join(f"- {line}" for line in lines)))
    if at == story.last_round and shown > 0:
        st.markdown(markdown_safe(ending_brief(model)))
    odds_section(story, odds, ended=at == story.last_round and shown > 0, scale=scale)
    if not presenting():
        with st.expander("The story so far, in words"):
            st.markdown(story_markdown(story_so_far(model, at)))


def odds_results(story: Story, current: Current) -> Results:
    """The Monte Carlo beside a story: the sidebar's seed and runs, capped at :data:`MAX_ODDS_RUNS` to stay
    quick on a shared server."""
    return simulate_with_progress(story.scenario_json, min(current.runs, MAX_ODDS_RUNS), current.seed)


def odds_section(story: Story, results: Results, ended: bool, scale: float | None = None) -> None:
    """The Monte Carlo beside the story; ``scale`` (the largest share) puts two charts on one scale."""
    runs = results.runs
    outcome = OUTCOMES[story.model.outcome[0]] if ended else None
    st.markdown(f"**How often crises like this end each way** ({runs:,} simulated crises)")
    show_chart(
        odds_figure(results, outcome, scale),
        f"class_odds_{story.side}",
        f"each bar is the share of {runs:,} simulated crises with the same assumptions that ended this way "
        f"(sidebar seed {results.seed}; runs capped at {MAX_ODDS_RUNS:,} on this page). The story above is one "
        "of them"
        + (": its ending is outlined and marked ◀." if outcome else ", its ending is marked once it is over."),
    )
