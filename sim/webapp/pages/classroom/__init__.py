"""Classroom: one simulated crisis stepped round by round, for showing a class live.

An instructor presses "Next round" and the page tells what each actor believed, what it expected
from each action, how likely it was to pick each one and what it chose, in plain words and in
large charts. Every setting (class seed, round shown, comparison, presenter mode) is in the URL,
so a link reopens exactly the same moment of the same crisis. A second scenario can be played
side by side with the same seed, each with the Monte Carlo odds beside the single story, so the
class sees both one history and how often it happens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from sim.ladder import ACTION_MEANING, ACTIONS, ACTORS, OUTCOME_MEANING, OUTCOMES, RUNGS
from sim.model import CrisisModel, TraceEntry
from sim.results import Results
from sim.rules import BestResponse, DecisionRule, LogitResponse
from sim.scenario import ScenarioError
from sim.trace import tell_story
from sim.webapp import state
from sim.webapp.compute import simulate_with_progress, traced_run
from sim.webapp.pages.simulate import story_markdown
from sim.webapp.state import Current, Setting
from sim.webapp.style import (
    ACTION_COLOURS,
    ACTOR_COLOURS,
    ACTOR_SHORT,
    GRID,
    OKABE_ITO,
    OUTCOME_COLOURS,
    base_layout,
    font_size,
    ink,
    presenting,
    show_chart,
    words,
)

TITLE = "Classroom"
ICON = "🎓"

DEFAULT_CLASS_SEED = 7
COMPARE_DEFAULT = "us_backstop"
SEED_RANGE = 100_000
"""New seeds are drawn below this: five digits at most, easy to read out and write on the board."""
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

LADDER_HOW = (
    "The rung marked ◀ now (yellow) is where the crisis stands; the grey one marked 'start of round' is where "
    "the round began. Once the crisis is over its rung is marked ◀ ended here, in the outcome's colour."
)
LADDER_IDLE = "#E8E8E8"
LADDER_START = "#BDBDBD"
BIG_BUTTONS = (
    "<style>.stMainBlockContainer .stButton button {min-height: 3.4rem;}"
    " .stMainBlockContainer .stButton button p {font-size: 1.25rem !important; font-weight: 600;}</style>"
)
"""Large buttons for a projector (more specific than presenter mode's text size, so labels still fit)."""


@dataclass(frozen=True)
class Story:
    """One crisis on the page: where it is drawn (``side`` keys its charts), its title and its run."""

    side: str
    title: str
    scenario_json: str
    model: CrisisModel

    @property
    def trace(self) -> list[TraceEntry]:
        return self.model.trace or []

    @property
    def last_round(self) -> int:
        return len(self.trace)


# ---------------------------------------------------------------------------------------------
# The page


def render(current: Current) -> None:
    assert current.scenario is not None
    st.markdown(BIG_BUTTONS, unsafe_allow_html=True)
    st.title("🎓 Classroom: one crisis, round by round")
    seed = int(st.session_state.get("class_seed", DEFAULT_CLASS_SEED))
    side_by_side = bool(st.session_state.get("class_side_by_side", False))
    stories = [Story("main", current.scenario.title or current.scenario.name, current.scenario_json,
                     traced_run(current.scenario_json, seed))]  # fmt: skip
    if side_by_side:
        other = comparison_story(seed)
        if other is not None:
            stories.append(other)
    last = max(story.last_round for story in stories)
    horizon = max(story.model.scenario.rounds for story in stories)
    shown = settle_round(last, horizon)
    if len(stories) == 1:
        st.subheader(stories[0].title)
    controls(shown, last, horizon, side_by_side)
    st.markdown(
        f"Class seed **{seed}** (note it to come back to this crisis) · at most {horizon} rounds · "
        + ("before the first move" if shown == 0 else f"round **{shown}** shown")
    )
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar or the Scenario page), so this crisis uses the "
            "scenario's own values for them."
        )
    if len(stories) == 2:
        side_by_side_view(stories, shown, current)
    else:
        single_view(stories[0], shown, current)


def settle_round(last: int, horizon: int) -> int:
    """The round to show: the requested one, or the last one if the crisis ended before it."""
    requested = int(st.session_state.get("class_round", 0))
    shown = clamp_round(requested, last)
    if requested > last:
        if requested > horizon:
            st.info(f"Round {requested} is past this scenario's horizon; its last round, {last}, is shown.")
        st.session_state["class_round"] = shown  # before the slider is drawn, so it may still be set
    return shown


def clamp_round(requested: int, last: int) -> int:
    """A round between 0 (before the first move) and the crisis's last."""
    return max(0, min(int(requested), last))


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


# ---------------------------------------------------------------------------------------------
# Controls


def go_to(round_number: int) -> None:
    """Button callback: show another round (callbacks run before the slider is drawn)."""
    st.session_state["class_round"] = max(0, round_number)


def new_seed() -> None:
    """Button callback: a fresh world, told from its start."""
    st.session_state["class_seed"] = fresh_seed(int(st.session_state.get("class_seed", DEFAULT_CLASS_SEED)))
    st.session_state["class_round"] = 0


def fresh_seed(old: int) -> int:
    """A random seed below :data:`SEED_RANGE` that differs from the one in use."""
    while (seed := secrets.randbelow(SEED_RANGE)) == old:
        pass
    return seed


def controls(shown: int, last: int, horizon: int, side_by_side: bool) -> None:
    """Big buttons first (a projector, a mouse or a presentation clicker), then the settings."""
    columns = st.columns([1.9, 1.5, 1.3, 1.1, 1.5])
    columns[0].button(
        "▶ Next round",
        key="class_next",
        type="primary",
        on_click=go_to,
        args=(shown + 1,),
        disabled=shown >= last,
        width="stretch",
        wrap=True,
        shortcut="PageDown",
        help="Play the next round. A presentation clicker's 'next' key (Page Down) does the same.",
    )
    columns[1].button(
        "◀ Back",
        key="class_back",
        on_click=go_to,
        args=(shown - 1,),
        disabled=shown <= 0,
        width="stretch",
        wrap=True,
        shortcut="PageUp",
        help="Go back one round, to look again (Page Up, a clicker's 'back' key). The crisis is the same.",
    )
    columns[2].button(
        "⏮ Replay",
        key="class_replay",
        on_click=go_to,
        args=(0,),
        width="stretch",
        wrap=True,
        help="Back to before the first move. The same seed replays exactly the same crisis.",
    )
    columns[3].button(
        "⏭ End",
        key="class_end",
        on_click=go_to,
        args=(last,),
        disabled=shown >= last,
        width="stretch",
        wrap=True,
        help="Show the last round and how the crisis ended.",
    )
    columns[4].button(
        "🎲 New seed",
        key="class_new_seed",
        on_click=new_seed,
        width="stretch",
        wrap=True,
        help="Draw a new random world (new private types, new dice) and start it from the beginning. "
        "The seed is shown so the class can come back to it.",
    )
    settings_row(horizon, side_by_side)


def settings_row(horizon: int, side_by_side: bool) -> None:
    """The round and seed, then the two modes on a row of their own (room for large type)."""
    columns = st.columns([3, 1.2])
    columns[0].slider(
        "Round shown",
        min_value=0,
        max_value=max(horizon, 1),
        step=1,
        key="class_round",
        help="Jump to any round; 0 is the start, before anyone moves. If the crisis ended earlier, its last "
        "round is shown.",
    )
    columns[1].number_input(
        "Class seed",
        min_value=0,
        step=1,
        key="class_seed",
        on_change=go_to,
        args=(0,),
        help="The random seed of the world shown: it fixes each actor's private type and every roll of the "
        "dice. Type a seed the class suggests, or press New seed. Separate from the sidebar's seed, which "
        "drives the Monte Carlo odds.",
    )
    columns = st.columns([1.5, 1.9, 2.6], vertical_alignment="center")
    columns[0].toggle(
        "Presenter mode",
        key="presenter",
        wrap=True,
        help="Large type and charts on every page, for a projector; hides the expandable detail. "
        "In the link as presenter=1.",
    )
    columns[1].toggle(
        "Two scenarios side by side",
        key="class_side_by_side",
        wrap=True,
        help="Play a second built-in scenario with the same seed next to this one, each with its Monte Carlo "
        "odds: what one assumption changes in one history and in the odds.",
    )
    if side_by_side:
        titles = {name: title for name, title in state.scenario_titles().items() if name != state.UPLOADED}
        if st.session_state.get("class_compare") not in titles:
            st.session_state["class_compare"] = COMPARE_DEFAULT if COMPARE_DEFAULT in titles else next(iter(titles))
        columns[2].selectbox(
            "Compare with",
            list(titles),
            format_func=lambda name: titles[name],
            key="class_compare",
            help="The built-in scenario shown on the right, as its file has it (the sidebar's changes apply to "
            "the left one only).",
        )


# ---------------------------------------------------------------------------------------------
# One crisis, full size


def single_view(story: Story, shown: int, current: Current) -> None:
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
        show_chart(
            ladder_figure(model.scenario.start_rung, model.scenario.start_rung, None),
            f"class_ladder_{story.side}",
            f"the escalation ladder, from ceasefire at the bottom to major war at the top. {LADDER_HOW}",
        )
    with right:
        st.markdown(
            f"The crisis starts at **{words(model.scenario.start_rung).lower()}** and lasts at most "
            f"**{model.scenario.rounds} rounds**. Each round the three actors move in turn: "
            + " → ".join(ACTOR_SHORT[key] for key in ACTORS)
            + ". If the coalition or Russia backs down, or Russia strikes, the crisis ends at once."
        )
        st.markdown(
            "Below, **you** see each actor's private type; **the actors do not**. Each knows only its own and "
            "holds a public belief about the others, which it updates from what they do."
        )
        st.markdown("Press **▶ Next round** to see the first moves. _Ask the class: who will blink first?_")
    for column, key in zip(st.columns(len(ACTORS)), ACTORS):
        with column, st.container(border=True):
            st.markdown(_md(opening_card(model, key)))


def opening_card(model: CrisisModel, key: str) -> str:
    """An actor before the first move: its private type, the public belief, how it decides."""
    actor = model.actors[key]
    lines = [
        f"#### {actor.label}",
        f"Private type: **{type_words(bool(actor.resolute[0]))}** (shown to you, not to the others)",
        f"Public belief that it is resolute: **{actor.config.initial_belief:.0%}**",
        f"Decides by: {rule_words(actor.rule)}.",
    ]
    coalition = model.scenario.coalition
    if key == "coalition" and coalition.members:
        members = ", ".join(f"{member.name} ({member.troops:g})" for member in coalition.members)
        lines.append(
            f"Troops: {members}. The force collapses below {coalition.min_troops:g}; members may leave when a "
            "strike looks likely."
        )
    return "\n\n".join(lines)


def round_section(story: Story, entry: TraceEntry) -> None:
    """One round: the ladder, what happened, each actor's card and what it expected from each action."""
    model = story.model
    st.markdown(f"### Round {entry.round}: the crisis stands at {words(entry.start_rung).lower()}")
    left, right = st.columns([1, 1] if presenting() else [2, 3])
    with left:
        show_chart(
            ladder_figure(entry.start_rung, entry.end_rung, entry.outcome),
            f"class_ladder_{story.side}",
            f"the escalation ladder, from ceasefire at the bottom to major war at the top. {LADDER_HOW}",
        )
    with right:
        st.markdown(_md("\n".join(f"- {line}" for line in happened_lines(model, entry))))
    for column, key in zip(st.columns(len(ACTORS)), ACTORS):
        with column, st.container(border=True):
            st.markdown(_md(actor_card(model, entry, key)))
    if not entry.decisions:
        return
    show_chart(
        utility_figure(model, entry),
        f"class_utility_{story.side}",
        "one row per actor. Each bar is what the actor expects to get from an action (its expected utility, "
        "in its own utils), given what it believes about the others; the percentage is how likely it was to "
        "pick that action. The outlined bar marked ✔ is what it chose. Russia's 'deploy' is the use of force.",
    )
    if not presenting():
        with st.expander("The numbers behind the chart"):
            st.dataframe(decision_table(model, entry), hide_index=True)


def belief_section(story: Story, shown: int) -> None:
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
    st.subheader(f"The crisis is over after {model.rounds_played[0]} round(s): {words(outcome)}")
    st.markdown(f"{words(OUTCOME_MEANING[outcome])}.")
    for column, actor in zip(st.columns(len(ACTORS)), model.actors.values()):
        column.metric(
            f"Payoff: {actor.label}",
            f"{actor.payoff[0]:+.2f}",
            help="What this actor realised in this crisis: the outcome's value plus the costs it paid along the "
            "way, in its own utils.",
        )
    odds_section(story, current, ended=True)


def story_expander(story: Story, shown: int) -> None:
    if presenting():
        return
    with st.expander("The story so far, in words (as `sim trace` tells it)"):
        st.markdown(story_markdown(story_so_far(story.model, shown)))


# ---------------------------------------------------------------------------------------------
# Two crises side by side


def side_by_side_view(stories: list[Story], shown: int, current: Current) -> None:
    left, right = stories
    if left.scenario_json == right.scenario_json:
        st.warning("Both sides show the same scenario; pick another one under 'Compare with'.")
    st.caption(
        f"Both crises are played with class seed {st.session_state.get('class_seed')}: the same dice where the "
        "two scenarios draw them the same way, so what differs comes from the assumptions."
    )
    runs = odds_runs(current)
    scale = max(
        max(simulate_with_progress(s.scenario_json, runs, current.seed).probabilities().values()) for s in stories
    )
    for column, story in zip(st.columns(2, gap="large"), stories):
        with column:
            compact_story(story, shown, current, scale)


def compact_story(story: Story, shown: int, current: Current, scale: float) -> None:
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
    show_chart(
        figure,
        f"class_ladder_{story.side}",
        f"the escalation ladder, from ceasefire at the bottom to major war at the top. {LADDER_HOW}",
    )
    st.markdown(_md("\n".join(f"- {line}" for line in lines)))
    if at == story.last_round and shown > 0:
        outcome = OUTCOMES[model.outcome[0]]
        payoffs = ", ".join(f"{actor.label} {actor.payoff[0]:+.2f}" for actor in model.actors.values())
        st.markdown(_md(f"**Over after {model.rounds_played[0]} round(s): {words(outcome)}.** Payoffs: {payoffs}."))
    odds_section(story, current, ended=at == story.last_round and shown > 0, scale=scale)
    if not presenting():
        with st.expander("The story so far, in words"):
            st.markdown(story_markdown(story_so_far(model, at)))


def odds_runs(current: Current) -> int:
    return min(current.runs, MAX_ODDS_RUNS)


def odds_section(story: Story, current: Current, ended: bool, scale: float | None = None) -> None:
    """The Monte Carlo beside the story; ``scale`` (the largest share) puts two charts on one scale."""
    runs = odds_runs(current)
    results = simulate_with_progress(story.scenario_json, runs, current.seed)
    outcome = OUTCOMES[story.model.outcome[0]] if ended else None
    st.markdown(f"**How often crises like this end each way** ({runs:,} simulated crises)")
    show_chart(
        odds_figure(results, outcome, scale),
        f"class_odds_{story.side}",
        f"each bar is the share of {runs:,} simulated crises with the same assumptions that ended this way "
        f"(sidebar seed {current.seed}; runs capped at {MAX_ODDS_RUNS:,} on this page). The story above is one "
        "of them"
        + (": its ending is outlined and marked ◀." if outcome else ", its ending is marked once it is over."),
    )


# ---------------------------------------------------------------------------------------------
# Words


def _md(text: str) -> str:
    """Markdown-safe text: a dollar sign would start LaTeX."""
    return text.replace("$", r"\$")


def type_words(resolute: bool) -> str:
    return "resolute" if resolute else "not resolute"


def action_label(actor: str, action: str) -> str:
    """The action's name for the class: Russia's 'deploy' is the use of force."""
    return "Use force" if (actor, action) == ("russia", "deploy") else words(action)


def _verb(actor: str, action: str, form: int) -> str:
    """0: 'deploying', 1: 'deploys'."""
    if (actor, action) == ("russia", "deploy"):
        return ("using force", "uses force")[form]
    return {"deploy": ("deploying", "deploys"), "threaten": ("threatening", "threatens"),
            "back_down": ("backing down", "backs down")}[action][form]  # fmt: skip


def share(probability: float) -> str:
    """A probability as a percentage that never rounds a possible event to 0% or a doubtful one to 100%."""
    if 0 < probability < 0.005:
        return "<1%"
    if 0.995 < probability < 1:
        return ">99%"
    return f"{probability:.0%}"


def rule_words(rule: DecisionRule) -> str:
    if isinstance(rule, LogitResponse):
        return (
            f"weighing expected utilities with some noise (logit, λ = {rule.rationality:g}): better actions are "
            "likelier, not certain"
        )
    if isinstance(rule, BestResponse):
        return "always taking the action with the highest expected utility (best response)"
    return f"a fixed script, whatever the payoffs ({rule.describe()})"


def choice_words(actor: str, action: str) -> str:
    """'**Deploys**: keep the multinational force on the ground in Ukraine.'"""
    verb = _verb(actor, action, 1)
    return f"**{verb[:1].upper()}{verb[1:]}**: {ACTION_MEANING[actor][action]}."


def why_line(actor: str, decision: dict[str, Any], rule: DecisionRule) -> str:
    """Why the actor chose as it did, in one sentence: what pays best, and how sure its rule makes it."""
    action = decision["action"]
    utility, probability = decision["utility"], decision["probability"]
    chosen = probability[action]
    if not rule.uses_utilities:
        return (
            f"It follows a fixed doctrine ({rule.describe()}), whatever the payoffs, so it {_verb(actor, action, 1)}."
        )
    ranked = sorted(ACTIONS, key=lambda a: utility[a], reverse=True)
    best = ranked[0]
    other = ranked[1] if action == best else action
    head = (
        f"{_verb(actor, best, 0).capitalize()} pays best ({utility[best]:+.2f} vs {utility[other]:+.2f} for "
        f"{_verb(actor, other, 0)})"
    )
    if isinstance(rule, LogitResponse):
        lam = f"λ = {rule.rationality:g}"
        if action == best:
            return f"{head}; with {lam} it {_verb(actor, action, 1)} {share(chosen)} of the time."
        still = f"it still {_verb(actor, action, 1)} {share(chosen)} of the time"
        return f"{head}; but with {lam} {still}, and this time it did."
    if chosen < 1:
        return f"{head}; the best actions tie, so it picks each {share(chosen)} of the time."
    return f"{head}; a best responder always takes the best."


def actor_card(model: CrisisModel, entry: TraceEntry, key: str) -> str:
    """An actor in one round: private type, belief before and after its move, its choice and why."""
    actor = model.actors[key]
    lines = [f"#### {actor.label}", f"Private type: **{type_words(bool(actor.resolute[0]))}** (hidden from the others)"]
    before = entry.beliefs[key]
    decision = next((d for d in entry.decisions if d["actor"] == key), None)
    if decision is None:
        lines.append(f"Public belief that it is resolute: **{before:.0%}**")
        lines.append("**Did not move**: the crisis ended before its turn.")
        return "\n\n".join(lines)
    after = decision["belief_after"]
    lines.append(f"Public belief that it is resolute: **{before:.0%} → {after:.0%}**")
    lines.append(choice_words(key, decision["action"]))
    lines.append(f"_Why:_ {why_line(key, decision, actor.rule)}")
    return "\n\n".join(lines)


def happened_lines(model: CrisisModel, entry: TraceEntry) -> list[str]:
    """The round in a few plain sentences: the moves in order, then members, accidents, force, the ladder."""
    actors = model.actors
    lines = []
    if entry.members_left:
        lines.append(f"Weighing the risk of a strike, **{', '.join(entry.members_left)}** left the coalition.")
    if entry.decisions:
        moves = " → ".join(f"{ACTOR_SHORT[d['actor']]} {_verb(d['actor'], d['action'], 1)}" for d in entry.decisions)
        lines.append(f"The moves: **{moves}**.")
    elif entry.outcome == "coalition_backs_down":
        lines.append("Too few troops are left: the force collapses before anyone moves, a public climb-down.")
    if entry.accident:
        lines.append(
            "💥 **An unintended incident happened**: the risk that leaves something to chance, which nobody chose."
        )
    if entry.escalation is not None:
        result = "it became a major war" if entry.end_rung == "major_war" else "it stayed limited"
        struck = any(d["actor"] == "russia" and d["action"] == "deploy" for d in entry.decisions)
        how = "Russia used force." if struck else "A second incident in a row became a clash that nobody chose."
        lines.append(
            f"⚔ **{how}** The chance that the clash would become a major war was {share(entry.escalation)}; {result}."
        )
    elif entry.outcome in ("limited_clash", "major_war"):
        lines.append("⚔ **At the horizon the open incident spiralled into a clash that nobody chose.**")
    if entry.outcome:
        lines.append(f"**The crisis is over: {words(entry.outcome).lower()}** ({OUTCOME_MEANING[entry.outcome]}).")
    else:
        lines.append(f"The ladder now stands at **{words(entry.end_rung).lower()}**.")
    changed = [
        f"{actors[d['actor']].label} {entry.beliefs[d['actor']]:.0%} → {d['belief_after']:.0%}"
        for d in entry.decisions
        if f"{d['belief_after']:.2f}" != f"{entry.beliefs[d['actor']]:.2f}"
    ]
    if changed:
        lines.append(f"Seeing the moves, the public beliefs that each is resolute changed: {'; '.join(changed)}.")
    return lines


def opening_lines(model: CrisisModel) -> list[str]:
    """The start of a crisis in brief (side by side): the rung and each actor's type and public belief."""
    lines = [f"Starts at **{words(model.scenario.start_rung).lower()}**; at most {model.scenario.rounds} rounds."]
    for actor in model.actors.values():
        lines.append(
            f"**{actor.label}**: {type_words(bool(actor.resolute[0]))} (public belief "
            f"{actor.config.initial_belief:.0%} that it is resolute)."
        )
    return lines


def compact_round_lines(model: CrisisModel, entry: TraceEntry) -> list[str]:
    """A round in brief (side by side): one line per move with its probability, then what followed."""
    lines = [f"**Round {entry.round}** from {words(entry.start_rung).lower()}:"]
    if entry.members_left:
        lines.append(f"{', '.join(entry.members_left)} left the coalition.")
    for decision in entry.decisions:
        key = decision["actor"]
        before, after = entry.beliefs[key], decision["belief_after"]
        lines.append(
            f"**{model.actors[key].label}** ({type_words(decision['resolute'])}) "
            f"{_verb(key, decision['action'], 1)} ({share(decision['probability'][decision['action']])} likely); "
            f"belief it is resolute {before:.0%} → {after:.0%}."
        )
    lines.extend(line for line in happened_lines(model, entry) if not line.startswith(("The moves", "Seeing")))
    return lines


def story_so_far(model: CrisisModel, shown: int) -> list[str]:
    """``tell_story`` up to the round shown (the ending only once the last round is shown)."""
    lines = tell_story(model)
    cut = next((i for i, line in enumerate(lines) if line.startswith(f"Round {shown + 1}:")), None)
    return lines if cut is None else lines[: cut - 1]


def decision_table(model: CrisisModel, entry: TraceEntry) -> pd.DataFrame:
    rows = [
        {
            "actor": model.actors[d["actor"]].label,
            "action": action_label(d["actor"], action),
            "expected utility": round(d["utility"][action], 4),
            "probability": round(d["probability"][action], 4),
            "chosen": action == d["action"],
        }
        for d in entry.decisions
        for action in ACTIONS
    ]
    return pd.DataFrame(rows)


def belief_path(trace: list[TraceEntry], upto: int) -> pd.DataFrame:
    """Public belief that each actor is resolute after each round 0..upto (0 = before the first move)."""
    rows = [dict(trace[0].beliefs)]
    for entry in trace[:upto]:
        after = dict(entry.beliefs)
        after.update({d["actor"]: d["belief_after"] for d in entry.decisions})
        rows.append(after)
    return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="round"))


# ---------------------------------------------------------------------------------------------
# Charts


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on this background (WCAG relative luminance)."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def ladder_figure(start_rung: str, now_rung: str, outcome: str | None) -> go.Figure:
    """The ladder as seven equal rungs, bottom to top; 'now' highlighted and labelled in words."""
    now_colour = OUTCOME_COLOURS[outcome] if outcome else OKABE_ITO["yellow"]  # no outcome is yellow
    colours, texts = [], []
    for rung in RUNGS:
        if rung == now_rung:
            colours.append(now_colour)
            texts.append("◀ ended here" if outcome else "◀ now")
        elif rung == start_rung:
            colours.append(LADDER_START)
            texts.append("start of round")
        else:
            colours.append(LADDER_IDLE)
            texts.append("")
    figure = go.Figure(
        go.Bar(
            x=[1] * len(RUNGS),
            y=[words(rung) for rung in RUNGS],
            orientation="h",
            marker={
                "color": colours,
                "line": {"color": "#000000", "width": [3 if r == now_rung else 0.5 for r in RUNGS]},
            },
            text=texts,
            textposition="inside",
            insidetextanchor="middle",
            textfont={"size": font_size(), "color": [_text_colour(c) for c in colours]},
            hoverinfo="skip",
            showlegend=False,
            name="ladder",
        )
    )
    figure.update_xaxes(visible=False, range=[0, 1])
    figure.update_yaxes(title_text="", categoryorder="array", categoryarray=[words(rung) for rung in RUNGS])
    figure.update_layout(bargap=0.25)
    return base_layout(figure, height=330)


def utility_figure(model: CrisisModel, entry: TraceEntry) -> go.Figure:
    """Per actor (one row each, full width so the labels fit on a projector): its expected utility of
    each action, the probability it gave each, and its choice."""
    labels = [model.actors[key].label for key in ACTORS]
    figure = make_subplots(rows=len(ACTORS), cols=1, subplot_titles=labels, vertical_spacing=0.2)
    decisions = {d["actor"]: d for d in entry.decisions}
    for row, key in enumerate(ACTORS, start=1):
        decision = decisions.get(key)
        if decision is None:
            low, high = figure.layout[f"yaxis{row}" if row > 1 else "yaxis"].domain
            figure.add_annotation(  # paper coordinates: plotly misplaces "domain" refs of empty axes
                text="did not move: the crisis ended before its turn",
                xref="paper",
                yref="paper",
                x=0.5,
                y=(low + high) / 2,
                showarrow=False,
            )
            figure.update_xaxes(visible=False, row=row, col=1)
            figure.update_yaxes(visible=False, row=row, col=1)
            continue
        utility = [decision["utility"][a] for a in ACTIONS]
        chosen = [a == decision["action"] for a in ACTIONS]
        probability = [decision["probability"][a] for a in ACTIONS]
        figure.add_bar(
            x=utility,
            y=[f"<b>✔ {action_label(key, a)}</b>" if c else action_label(key, a) for a, c in zip(ACTIONS, chosen)],
            orientation="h",
            marker={
                "color": [ACTION_COLOURS[a] for a in ACTIONS],
                "line": {"color": ink(), "width": [4 if c else 0.5 for c in chosen]},
            },
            text=[f"{u:+.2f} · {share(p)} likely" for u, p in zip(utility, probability)],
            textposition="outside",
            cliponaxis=False,
            customdata=probability,
            hovertemplate="%{y}: expected utility %{x:+.2f}, picked with probability %{customdata:.1%}<extra></extra>",
            showlegend=False,
            name=key,
            row=row,
            col=1,
        )
        low, high = min(0.0, *utility), max(0.0, *utility)
        pad = 0.5 * max(high - low, 1.0)
        figure.update_xaxes(
            range=[low - (pad if low < 0 else 0), high + (pad if high > 0 else 0.1 * pad)],
            zeroline=True,
            zerolinecolor=ink(),
            zerolinewidth=2,
            gridcolor=GRID,
            row=row,
            col=1,
        )
        figure.update_yaxes(autorange="reversed", row=row, col=1)
    figure.update_xaxes(title_text="Expected utility (each actor's own utils)", row=len(ACTORS), col=1)
    figure.update_annotations(font={"size": font_size(), "color": ink()})
    figure.update_layout(bargap=0.25)
    return base_layout(figure, height=560)


def belief_figure(model: CrisisModel, upto: int) -> go.Figure:
    """Belief that each actor is resolute, round by round, labelled with what it truly is."""
    path = belief_path(model.trace or [], upto)
    figure = go.Figure()
    order = path.iloc[-1].sort_values().index.tolist()  # lowest first: its label goes below its line
    positions = dict(zip(order, ("bottom right", "middle right", "top right")))
    for key, dash, symbol in zip(ACTORS, ("solid", "dash", "dot"), ("circle", "square", "diamond")):
        actor = model.actors[key]
        values = path[key].tolist()
        figure.add_scatter(
            x=path.index.tolist(),
            y=values,
            mode="lines+markers+text",
            name=f"{actor.label} (truly {type_words(bool(actor.resolute[0]))})",
            line={"color": ACTOR_COLOURS[key], "dash": dash, "width": 3},
            marker={"symbol": symbol, "size": 10},
            text=[""] * (len(values) - 1) + [f"{ACTOR_SHORT[key]} {values[-1]:.0%}"],
            textposition=positions[key],
            textfont={"size": font_size(), "color": ACTOR_COLOURS[key]},
            cliponaxis=False,
            hovertemplate=f"{actor.label}, after round %{{x}}: %{{y:.1%}}<extra></extra>",
        )
    figure.update_xaxes(
        title_text="After round (0 = start)", dtick=1, range=[-0.3, upto + 0.3 + max(1.2, 0.25 * upto)], gridcolor=GRID
    )
    figure.update_yaxes(title_text="Belief it is resolute", range=[0, 1.02], tickformat=".0%", gridcolor=GRID)
    figure.update_layout(legend={"orientation": "h", "y": -0.3})
    return base_layout(figure, height=380)


def odds_figure(results: Results, outcome: str | None, scale: float | None = None) -> go.Figure:
    """Share of simulated crises ending each way; the single story's ending outlined once it is known."""
    probabilities = results.probabilities()
    labels = [words(o) + (" ◀ this story" if o == outcome else "") for o in OUTCOMES]
    shares = [probabilities[o] for o in OUTCOMES]
    figure = go.Figure(
        go.Bar(
            x=shares,
            y=labels,
            orientation="h",
            marker={
                "color": [OUTCOME_COLOURS[o] for o in OUTCOMES],
                "line": {"color": ink(), "width": [4 if o == outcome else 0.5 for o in OUTCOMES]},
            },
            text=[share(p) for p in shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%} of simulated crises<extra></extra>",
            showlegend=False,
            name="odds",
        )
    )
    top = min(1.0, max(shares) if scale is None else scale)
    figure.update_xaxes(range=[0, top * 1.25 + 0.02], tickformat=".0%", gridcolor=GRID, title_text="Share of crises")
    figure.update_yaxes(autorange="reversed", title_text="")
    return base_layout(figure, height=280)
