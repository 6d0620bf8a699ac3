"""Streamlit front end: run a built-in scenario in the browser and see how the crises end.

Run with ``streamlit run app.py``. This is the first page of the app; every part of it is a
small function so that later pages (sweeps, comparisons, scenario editing) can reuse them.

The page opens on ``coalition_2026`` with 10,000 runs and seed 7 and shows results at once.
Every setting lives in the URL (``?scenario=...&runs=...&seed=...`` plus any assumption that
differs from the scenario file, e.g. ``&russia.resolve_prior=0.7``), so a view can be shared.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import sim
from sim.ladder import ACTORS, OUTCOME_MEANING, OUTCOMES, RUNGS
from sim.results import Results, wilson_interval
from sim.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario, with_overrides
from sim.trace import tell_story, trace_run

DEFAULT_SCENARIO = "coalition_2026"
DEFAULT_RUNS = 10_000
DEFAULT_SEED = 7
MAX_RUNS = 200_000  # runs allowed in the browser; the command line (``sim run --runs N``) has no cap

FONT_SIZE = 17
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


def words(name: str) -> str:
    """``major_war`` -> ``Major war``."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# The assumptions offered in the sidebar


@dataclass(frozen=True)
class Assumption:
    """One scenario field the sidebar lets the user change, by its dotted override path."""

    path: str
    label: str
    help: str
    step: float = 0.05
    integer: bool = False


def key_assumptions() -> list[Assumption]:
    """The few assumptions that move the results most, each with what it means."""
    resolve_help = {
        "coalition": "Will the coalition accept casualties rather than withdraw? Its resolve is in doubt.",
        "russia": "Does Moscow prefer a clash to dropping its red line? This is the crux of the crisis.",
        "us": "Would Washington commit an air and intelligence backstop? Ground troops are ruled out.",
    }
    items: list[Assumption] = []
    for actor in ACTORS:
        short = ACTOR_SHORT[actor]
        items.append(
            Assumption(
                f"{actor}.resolve_prior",
                f"{short}: resolve prior",
                f"Probability (0 to 1) that the {short} is the *resolute* type, which prefers fighting to "
                f"backing down. {resolve_help[actor]} Each actor knows its own type; the others start from "
                "this prior and update it as they watch its moves (Fearon 1995: private information).",
            )
        )
        items.append(
            Assumption(
                f"{actor}.lambda",
                f"{short}: rationality λ",
                "How sharply the actor picks its best-paying move in the logit (quantal response) choice "
                "of McKelvey and Palfrey (1995). 0 = moves at random; about 1-2 = usually the best move, "
                "sometimes a mistake; 10+ = almost always the best move. Must be 0 or more.",
                step=0.25,
            )
        )
    items.append(
        Assumption(
            "russia.war_bonus",
            "Russia: war bonus",
            "Utils a *resolute* Russia adds to both fighting outcomes (limited clash and major war). "
            "It is what makes the resolute type prefer a clash to backing down. 0 or more.",
            step=0.5,
        )
    )
    items.append(
        Assumption(
            "escalation.tripwire",
            "Escalation: tripwire",
            "Added to the chance that a clash becomes a major war when coalition troops are on the "
            "ground: troops killed in a strike tie Western hands (Schelling 1966; Fearon 1997). "
            "Between -1 and 1; the total chance is clipped to 0-1.",
        )
    )
    items.append(
        Assumption(
            "escalation.backstop",
            "Escalation: US backstop",
            "Added to the chance that a clash becomes a major war when the US has committed its "
            "backstop: a nuclear power drawn into the fight. Between -1 and 1.",
        )
    )
    items.append(
        Assumption(
            "rounds",
            "Rounds (horizon)",
            "How many rounds (think: months) the crisis lasts. If nobody has backed down or fought "
            "by then, the outcome is 'deterrence holds'. A whole number from 1 to 1000.",
            step=1,
            integer=True,
        )
    )
    return items


def field_value(scenario: Scenario, path: str) -> Any:
    """The value of a dotted field (``russia.lambda``) in a scenario, as it would be written in TOML."""
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def changed_overrides(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The assumptions whose value differs from the scenario's own."""
    return {path: value for path, value in values.items() if value != field_value(scenario, path)}


# ---------------------------------------------------------------------------------------------
# Cached computation: hashable arguments only, the Scenario is rebuilt from its JSON inside


@st.cache_data(show_spinner="Simulating crises…", max_entries=64)
def simulate(scenario_json: str, runs: int, seed: int) -> Results:
    """Monte Carlo of one scenario; cached on the scenario's JSON, runs and seed."""
    scenario = Scenario.model_validate_json(scenario_json)
    return sim.run_monte_carlo(scenario, runs=runs, seed=seed)


@st.cache_data(show_spinner=False, max_entries=64)
def story(scenario_json: str, seed: int) -> list[str]:
    """One traced crisis told in sentences."""
    scenario = Scenario.model_validate_json(scenario_json)
    return tell_story(trace_run(scenario, seed))


@st.cache_data(show_spinner=False, max_entries=8)
def per_run_file(scenario_json: str, runs: int, seed: int, suffix: str) -> bytes:
    """The per-run table as CSV or Parquet bytes, written by ``Results.save`` (Parquet keeps provenance)."""
    results = simulate(scenario_json, runs, seed)
    with tempfile.TemporaryDirectory() as folder:
        return results.save(Path(folder) / f"runs{suffix}").read_bytes()


def scenario_titles() -> dict[str, str]:
    """Built-in scenario name -> title (the name itself if a file cannot be read)."""
    titles = {}
    for name in builtin_scenarios():
        try:
            titles[name] = load_scenario(name).title or name
        except ScenarioError:
            titles[name] = f"{name} (cannot be loaded)"
    return titles


# ---------------------------------------------------------------------------------------------
# Settings: the URL, the session and the sidebar


def parse_number(text: Any, integer: bool) -> int | float | None:
    """A number from a URL parameter, or None if it is not one."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    if number != number or abs(number) >= 2**53:  # NaN, infinite, or beyond what the browser's inputs hold
        return None
    if integer:
        return int(number) if number == int(number) else None
    return number


def load_settings_from_url(names: list[str], assumptions: list[Assumption]) -> None:
    """Once per session, seed the widgets from the URL's query parameters."""
    if st.session_state.get("_settings_from_url"):
        return
    st.session_state["_settings_from_url"] = True
    params = st.query_params
    if params.get("scenario") in names:
        st.session_state["scenario"] = params["scenario"]
    for key in ("runs", "seed"):
        value = parse_number(params.get(key), integer=True)
        if value is not None and value >= (1 if key == "runs" else 0):
            st.session_state[key] = value
    for item in assumptions:
        value = parse_number(params.get(item.path), item.integer)
        if value is not None:
            st.session_state[item.path] = value


def save_settings_to_url(name: str, runs: int, seed: int, overrides: Mapping[str, Any]) -> None:
    """Keep the current settings in the URL so the view can be bookmarked or shared."""
    params = {"scenario": name, "runs": str(runs), "seed": str(seed)}
    params.update({path: str(value) for path, value in overrides.items()})
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def reset_assumptions() -> None:
    """A new scenario brings its own values: forget the ones typed for the previous one."""
    for item in key_assumptions():
        st.session_state.pop(item.path, None)


@dataclass
class Settings:
    name: str
    runs: int
    seed: int
    values: dict[str, Any]


def simulation_inputs(titles: Mapping[str, str]) -> tuple[str, int, int]:
    """Scenario, runs and seed."""
    st.session_state.setdefault("scenario", DEFAULT_SCENARIO if DEFAULT_SCENARIO in titles else next(iter(titles)))
    st.session_state.setdefault("runs", DEFAULT_RUNS)
    st.session_state.setdefault("seed", DEFAULT_SEED)
    name = st.selectbox(
        "Scenario",
        list(titles),
        format_func=lambda key: titles[key],
        key="scenario",
        on_change=reset_assumptions,
        help="A built-in crisis (scenarios/*.toml). Every number in it is an assumption to vary, not an estimate.",
    )
    runs = st.number_input(
        "Runs",
        min_value=1,
        step=1_000,
        key="runs",
        help=f"How many independent crises to simulate. More runs give narrower 95% intervals (the half-width "
        f"is at most about 1/√runs). Capped at {MAX_RUNS:,} here; `sim run --runs N` has no cap.",
    )
    if runs > MAX_RUNS:
        st.warning(f"Runs are capped at {MAX_RUNS:,} in the browser; using {MAX_RUNS:,}.")
        runs = MAX_RUNS
    seed = st.number_input(
        "Seed",
        min_value=0,
        step=1,
        key="seed",
        help="The random seed. The same scenario, runs and seed always give the same numbers.",
    )
    return name, int(runs), int(seed)


def assumption_inputs(scenario: Scenario, assumptions: list[Assumption]) -> dict[str, Any]:
    """One number input per key assumption, starting from the scenario's own value.

    The inputs have no bounds of their own: the scenario schema is the single judge of what is
    valid, and its message is shown under the inputs.
    """
    values: dict[str, Any] = {}
    for item in assumptions:
        default = field_value(scenario, item.path)
        st.session_state.setdefault(item.path, int(default) if item.integer else float(default))
        values[item.path] = st.number_input(
            item.label,
            step=int(item.step) if item.integer else float(item.step),
            format=None if item.integer else "%.2f",
            key=item.path,
            help=item.help,
        )
    return values


def apply_assumptions(base: Scenario, values: Mapping[str, Any]) -> tuple[Scenario, dict[str, Any], bool]:
    """The scenario with the user's changes, or the scenario's own values and an error if they are invalid."""
    overrides = changed_overrides(base, values)
    try:
        return with_overrides(base, overrides, source="sidebar"), overrides, True
    except ScenarioError as error:
        show_scenario_error(error, "These values are not valid")
        return base, overrides, False


def show_scenario_error(error: ScenarioError, heading: str) -> None:
    lines = [f"**{heading}:**"]
    for path, problem in error.problems:
        lines.append(f"- `{path}`: {problem}" if path else f"- {problem}")
    st.error("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Charts and tables


def outcome_table(results: Results) -> pd.DataFrame:
    """Outcome, probability and its 95% Wilson interval, in ladder order."""
    counts = results.outcome_counts()
    rows = []
    for outcome in OUTCOMES:
        low, high = wilson_interval(counts[outcome], results.runs)
        rows.append(
            {
                "outcome": words(outcome),
                "probability": counts[outcome] / results.runs,
                "ci95_low": low,
                "ci95_high": high,
                "runs": counts[outcome],
                "meaning": OUTCOME_MEANING[outcome],
            }
        )
    return pd.DataFrame(rows)


def ink() -> str:
    """Text and whisker colour with full contrast on the app's background (light unless the theme is dark)."""
    return "#FAFAFA" if st.context.theme.type == "dark" else "#1A1A1A"


def base_layout(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        font={"size": FONT_SIZE, "color": ink()},
        margin={"l": 10, "r": 10, "t": 24, "b": 10},
        hoverlabel={"font_size": FONT_SIZE},
    )
    for update in (figure.update_xaxes, figure.update_yaxes):
        update(tickfont={"size": FONT_SIZE, "color": ink()}, title_font={"size": FONT_SIZE, "color": ink()})
    return figure


def outcome_figure(results: Results) -> go.Figure:
    """Horizontal bars: probability of each outcome with its 95% Wilson interval."""
    table = outcome_table(results)
    # Plain lists (not numpy arrays) keep the chart's JSON readable: plotly would base64-encode arrays.
    labels = table["outcome"].tolist()
    p, low, high = (table[column].to_numpy() for column in ("probability", "ci95_low", "ci95_high"))
    figure = go.Figure()
    figure.add_bar(
        x=p.tolist(),
        y=labels,
        orientation="h",
        marker={"color": [OUTCOME_COLOURS[o] for o in OUTCOMES], "line": {"color": "#000000", "width": 1}},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (high - p).tolist(),
            "arrayminus": (p - low).tolist(),
            "color": ink(),
            "thickness": 2,
            "width": 8,
        },
        customdata=[
            list(row) for row in zip(low.tolist(), high.tolist(), table["runs"].tolist(), table["meaning"], strict=True)
        ],
        hovertemplate="<b>%{y}</b>: %{x:.1%} (95% interval %{customdata[0]:.1%} to %{customdata[1]:.1%})"
        "<br>%{customdata[2]:,} runs · %{customdata[3]}<extra></extra>",
        showlegend=False,
        name="probability",
    )
    figure.add_scatter(
        x=high.tolist(),
        y=labels,
        mode="text",
        text=[f"  {value:.1%}" for value in p],
        textposition="middle right",
        textfont={"size": FONT_SIZE + 1, "color": ink()},
        hoverinfo="skip",
        showlegend=False,
        name="labels",
    )
    figure.update_xaxes(
        range=[0, min(1.0, float(high.max())) + 0.14],
        tickformat=".0%",
        title_text=f"Share of {results.runs:,} simulated crises",
        gridcolor="#DDDDDD",
        zeroline=True,
        zerolinecolor=ink(),
    )
    figure.update_yaxes(autorange="reversed", title_text="")
    return base_layout(figure, height=340)


def ladder_figure(ladder: pd.DataFrame) -> go.Figure:
    """Stacked areas per round: ended crises by outcome (bottom), ongoing ones by rung (top)."""
    figure = go.Figure()
    # Stacked bottom to top in this order; the legend lists them top to bottom, as they are drawn.
    series = [(f"ended:{o}", words(o), OUTCOME_COLOURS[o], "ended", "Ended: outcome") for o in OUTCOMES]
    series += [(f"rung:{r}", words(r), RUNG_GREYS[r], "ongoing", "Still going: rung") for r in RUNGS]
    for rank, (column, label, colour, group, group_title) in enumerate(series):
        if column not in ladder.columns or not (ladder[column] > 0).any():
            continue
        figure.add_scatter(
            x=ladder.index.tolist(),
            y=ladder[column].tolist(),
            name=label,
            mode="lines",
            stackgroup="one",
            line={"width": 0.8, "color": "#FFFFFF"},
            fillcolor=colour,
            legendgroup=group,
            legendrank=1000 - rank,
            legendgrouptitle_text=group_title,
            hovertemplate=f"{group_title.split(':')[0]} · {label}: %{{y:.1%}}<extra>round %{{x}}</extra>",
        )
    figure.update_xaxes(title_text="Round (0 = start)", gridcolor="#DDDDDD")
    figure.update_yaxes(
        title_text="Share of simulated crises",
        tickformat=".0%",
        range=[0, 1.001],
        tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1],
        gridcolor="#DDDDDD",
    )
    figure.update_layout(
        legend={
            "traceorder": "grouped",
            "font": {"size": FONT_SIZE - 1, "color": ink()},
            "grouptitlefont": {"size": FONT_SIZE, "color": ink()},
        },
        hovermode="x",
    )
    return base_layout(figure, height=410)


def story_markdown(lines: list[str]) -> str:
    """``tell_story`` lines as Markdown: rounds as paragraphs, decisions as (nested) bullets."""
    out = []
    for number, line in enumerate(lines):
        text = line.strip().replace("$", r"\$")
        if not text:
            out.append("")
        elif number == 0:
            out.extend([f"**{text}**", ""])
        elif line.startswith("    "):
            out.append(f"    - {text}")
        elif line.startswith("  "):
            out.append(f"- {text}")
        elif text.startswith("Round "):
            head, _, rest = text.partition(":")
            out.append(f"**{head}:**{rest}")
        else:
            out.extend([text, ""])
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The page


def header(scenario: Scenario) -> None:
    st.title("Deterrence and escalation simulator")
    st.subheader(scenario.title or scenario.name)
    if scenario.description.strip():
        st.markdown(" ".join(scenario.description.split()))
    st.caption(
        "Every number in a scenario is an assumption to vary, not an estimate or a forecast. "
        "Change them in the sidebar; the model takes no side."
    )


def outcome_section(results: Results) -> None:
    st.subheader("How the crises end")
    st.plotly_chart(outcome_figure(results), width="stretch", config={"displaylogo": False}, key="outcome_chart")
    st.caption(
        f"**How to read it:** each bar is the share of the {results.runs:,} simulated crises that ended this way "
        "(the shares add up to 100%). The black whiskers are 95% Wilson intervals: they show how precisely "
        "this many runs pin down the probability under these assumptions, not how uncertain the assumptions are."
    )
    with st.expander("The numbers behind the chart"):
        st.dataframe(
            outcome_table(results),
            hide_index=True,
            column_config={
                "probability": st.column_config.NumberColumn("probability", format="%.4f"),
                "ci95_low": st.column_config.NumberColumn("95% low", format="%.4f"),
                "ci95_high": st.column_config.NumberColumn("95% high", format="%.4f"),
            },
        )


def ladder_section(results: Results) -> None:
    st.subheader("Round by round up the escalation ladder")
    st.plotly_chart(ladder_figure(results.ladder), width="stretch", config={"displaylogo": False}, key="ladder_chart")
    st.caption(
        "**How to read it:** each vertical slice is every simulated crisis after that round (100% in all). "
        "Coloured bands at the bottom are crises already over, by how they ended, in the colours of the bar "
        "chart; grey bands on top are crises still going, darker the higher up the ladder they stand."
    )


def metrics_section(results: Results) -> None:
    summary = results.summary()
    columns = st.columns(1 + len(ACTORS))
    columns[0].metric(
        "Mean rounds",
        f"{summary['mean_rounds']:.1f} of {results.scenario.rounds}",
        help="Average number of rounds before a crisis ended (or the horizon was reached).",
    )
    for column, actor in zip(columns[1:], ACTORS, strict=True):
        column.metric(
            f"Mean payoff: {ACTOR_SHORT[actor]}",
            f"{summary['mean_payoff'][actor]:+.2f}",
            help="Average realised payoff: the outcome's value plus the costs paid along the way, in utils.",
        )
    st.caption(
        "**How to read it:** payoffs are utils on each actor's own scale; only differences between "
        "settings matter, so compare an actor with itself, not one actor with another."
    )


def story_section(scenario: Scenario, seed: int) -> None:
    with st.expander(f"One crisis told in words (seed {seed})"), st.container(height=520):
        st.markdown(story_markdown(story(scenario.model_dump_json(by_alias=True), seed)))


def download_section(scenario: Scenario, runs: int, seed: int) -> None:
    scenario_json = scenario.model_dump_json(by_alias=True)
    stem = f"{scenario.name}_runs{runs}_seed{seed}"
    formats = [
        ("CSV", ".csv", "text/csv",
         "One row per simulated crisis: outcome, rounds, rungs, each actor's type and payoff, provenance."),
        ("Parquet", ".parquet", "application/vnd.apache.parquet",
         "The same table as Parquet; the file's metadata holds the full scenario, its SHA-256, seed and version."),
    ]  # fmt: skip
    for column, (label, suffix, mime, explanation) in zip(st.columns([1, 1, 2]), formats):
        column.download_button(
            f"Download per-run {label}",
            data=lambda suffix=suffix: per_run_file(scenario_json, runs, seed, suffix),
            file_name=f"{stem}{suffix}",
            mime=mime,
            on_click="ignore",
            help=explanation,
        )


def footer(results: Results) -> None:
    st.divider()
    st.caption(
        f"Scenario `{results.scenario.name}` · sha256 `{results.scenario_sha256[:12]}` · seed {results.seed} · "
        f"{results.runs:,} runs · deterrence-sim {sim.__version__}"
    )


def sidebar() -> tuple[Settings, Scenario | None, bool]:
    """All inputs; returns the settings, the scenario to run (None if none loads) and whether it is as asked."""
    assumptions = key_assumptions()
    titles = scenario_titles()
    load_settings_from_url(list(titles), assumptions)
    with st.sidebar:
        st.header("Settings")
        name, runs, seed = simulation_inputs(titles)
        try:
            base = load_scenario(name)
        except ScenarioError as error:
            show_scenario_error(error, "This scenario cannot be loaded")
            return Settings(name, runs, seed, {}), None, False
        st.header("Key assumptions")
        st.caption("They start at the scenario's own values; the ? by each input says what it means.")
        values = assumption_inputs(base, assumptions)
        scenario, overrides, valid = apply_assumptions(base, values)
    save_settings_to_url(name, runs, seed, overrides)
    return Settings(name, runs, seed, values), scenario, valid


def main() -> None:
    st.set_page_config(page_title="Deterrence simulator", page_icon="⚖️", layout="wide")
    settings, scenario, valid = sidebar()
    if scenario is None:
        st.title("Deterrence and escalation simulator")
        st.error(f"The scenario `{settings.name}` cannot be loaded; see the sidebar, or pick another one.")
        return
    header(scenario)
    if not valid:
        st.warning(
            "An assumption in the sidebar is not valid, so the results below use the scenario's own values. "
            "Fix the value named in the sidebar to see your changes."
        )
    results = simulate(scenario.model_dump_json(by_alias=True), settings.runs, settings.seed)
    outcome_section(results)
    ladder_section(results)
    metrics_section(results)
    story_section(scenario, settings.seed)
    download_section(scenario, settings.runs, settings.seed)
    footer(results)


if __name__ == "__main__":
    main()
