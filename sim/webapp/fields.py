"""Widgets bound to scenario fields, with what each field means and its problem shown beside it.

A field widget is *controlled*: its value is always the current edit (or the base scenario's
value), so the same field can appear in the sidebar and on the Scenario page and both agree.
Typing a value records an edit (:func:`sim.webapp.state.set_edit`); the scenario schema alone
judges whether it is valid, and its message is shown right under the widget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from sim.ladder import ACTORS, START_RUNGS
from sim.webapp.state import Current, field_value, set_edit
from sim.webapp.style import ACTOR_SHORT, words


@dataclass(frozen=True)
class Field:
    """One scenario field offered as a widget, by its dotted path (``russia.lambda``)."""

    path: str
    label: str
    help: str
    step: float = 0.05
    integer: bool = False
    choices: tuple[str, ...] = ()


RESOLVE_CONTEXT = {
    "coalition": "Will the coalition accept casualties rather than withdraw? Its resolve is in doubt.",
    "russia": "Does Moscow prefer a clash to dropping its red line? This is the crux of the crisis.",
    "us": "Would Washington commit an air and intelligence backstop? Ground troops are ruled out.",
}

ACTOR_FIELD_HELP: dict[str, tuple[str, str, float]] = {
    # attribute -> (label, meaning, step); the meaning follows docs/scenarios.md
    "rule": ("decision rule", "logit = noisy best reply (quantal response); best_response = always the best move; "
             "doctrine = a scripted policy from the scenario file.", 0),
    "lambda": ("rationality λ", "How sharply the actor picks its best-paying move in the logit choice of McKelvey "
               "and Palfrey (1995). 0 = at random; 1-2 = usually the best move; 10+ = almost always. 0 to 10000.",
               0.25),
    "resolve_prior": ("resolve prior", "Probability (0 to 1) that the actor is the *resolute* type, which prefers "
                      "fighting to backing down. Each actor knows its own type; the others start from this prior and "
                      "update it by Bayes' rule as they watch its moves (Fearon 1995).", 0.05),
    "war_bonus": ("war bonus", "Utils a *resolute* type adds to both fighting outcomes, in wars it fights in (the US "
                  "only once committed). It is what makes the resolute type prefer a clash to backing down. 0 or more.",
                  0.5),
    "force_in_place": ("force-in-place value", "Utils added to the status quo when coalition troops are deployed: "
                       "a guarantee on the ground is worth more than one on paper.", 0.5),
    "backstop_effect": ("backstop effect", "Utils added to both fighting outcomes when the US has committed its "
                        "backstop (negative if the actor dreads it).", 0.5),
    "audience_cost": ("audience cost", "Cost of backing down per earlier round of public commitment: leaders who "
                      "threaten and then retreat pay at home (Fearon 1994). 0 or more.", 0.1),
    "deploy_cost": ("cost of deploying", "Utils paid for each round the actor deploys. 0 or more.", 0.05),
    "threaten_cost": ("cost of threatening", "Utils paid for each round the actor threatens. 0 or more.", 0.05),
    "back_down_cost": ("cost of backing down", "Utils paid in a round the actor backs down. 0 or more.", 0.05),
}  # fmt: skip

GAME_FIELDS: list[Field] = [
    Field("rounds", "Rounds (horizon)", "How many rounds (think: months) the crisis lasts. If nobody has backed down "
          "or fought by then, the outcome is 'deterrence holds'. A whole number from 1 to 1000.", 1, integer=True),
    Field("start_rung", "Starting rung", "Where the crisis stands at round 0, from a ceasefire to an incident that "
          "has just happened.", choices=START_RUNGS),
    Field("escalation.base", "Escalation: base", "Chance that a clash becomes a major war with no troops deployed "
          "and no US backstop. 0 to 1."),
    Field("escalation.tripwire", "Escalation: tripwire", "Added to that chance when coalition troops are on the "
          "ground: troops killed in a strike tie Western hands (Schelling 1966). -1 to 1; the total is kept in 0-1."),
    Field("escalation.backstop", "Escalation: US backstop", "Added to that chance when the US has committed its "
          "backstop: a nuclear power drawn into the fight. -1 to 1."),
    Field("accident.declared_intent", "Accident: declared intent", "Chance per round of an unintended incident while "
          "a guarantee is only declared (no troops in Ukraine). 0 to 1.", 0.005),
    Field("accident.standoff", "Accident: standoff", "Chance per round of an unintended incident with troops deployed "
          "and Russia threatening: Schelling's risk that leaves something to chance. 0 to 1.", 0.01),
    Field("accident.incident", "Accident: after an incident", "Chance that an incident spirals into a clash in the "
          "round after it. 0 to 1."),
]  # fmt: skip


def actor_field(actor: str, attribute: str) -> Field:
    label, meaning, step = ACTOR_FIELD_HELP[attribute]
    if attribute == "resolve_prior":
        meaning = f"{meaning} {RESOLVE_CONTEXT[actor]}"
    choices = ("logit", "best_response", "doctrine") if attribute == "rule" else ()
    return Field(f"{actor}.{attribute}", f"{ACTOR_SHORT[actor]}: {label}", meaning, step, choices=choices)


def key_fields() -> list[Field]:
    """The few assumptions that move the results most: offered in the sidebar on every page."""
    items = [actor_field(actor, attribute) for actor in ACTORS for attribute in ("resolve_prior", "lambda")]
    items.append(actor_field("russia", "war_bonus"))
    items += [field for field in GAME_FIELDS if field.path in ("escalation.tripwire", "escalation.backstop", "rounds")]
    return items


def field_input(current: Current, item: Field, where: str) -> Any:
    """Draw one controlled widget for ``item``; ``where`` keeps keys unique (sidebar, page...)."""
    assert current.base is not None
    key = f"{where}:{item.path}"
    base_value = field_value(current.base, item.path)
    shown = _shown_value(current.edits.get(item.path, base_value), base_value, item)
    st.session_state[key] = shown

    def record() -> None:
        set_edit(item.path, st.session_state[key], base_value)

    if item.choices:
        st.selectbox(item.label, item.choices, key=key, on_change=record, help=item.help, format_func=words)
    else:
        st.number_input(
            item.label,
            step=int(item.step) if item.integer else float(item.step),
            format=None if item.integer else _format(item.step),
            key=key,
            on_change=record,
            help=item.help,
        )
    show_problem(current, item.path, base_value)
    return st.session_state[key]


def _shown_value(value: Any, base_value: Any, item: Field) -> Any:
    """What the widget can display: the edit if it has the widget's type, else the base value."""
    if item.choices:
        return value if value in item.choices else base_value
    convert: Callable[[Any], Any] = int if item.integer else float
    try:
        number = convert(value)
    except (TypeError, ValueError):
        return convert(base_value)
    return number if number == number else convert(base_value)  # NaN is never shown


def _format(step: float) -> str:
    return "%.3f" if step < 0.05 else "%.2f"


def show_problem(current: Current, path: str, base_value: Any) -> None:
    """The schema's message under a field whose edit was left out, and what is used instead."""
    problem = current.problems.get(path)
    if problem is not None:
        st.error(
            f"`{path}` = `{current.edits.get(path)!r}`: {problem}. The results use the scenario's own value "
            f"({base_value}) until this is fixed."
        )
