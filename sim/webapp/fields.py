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

from sim.domain.fields import RESOLVE_CONTEXT, spec
from sim.domain.ladder import ACTORS, START_RUNGS
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


GAME_PATHS = ("rounds", "start_rung", "escalation.base", "escalation.tripwire", "escalation.backstop",
              "accident.declared_intent", "accident.standoff", "accident.incident")  # fmt: skip
"""The fields of the crisis as a whole that the app offers, in the order it shows them."""

CHOICES: dict[str, tuple[str, ...]] = {"start_rung": START_RUNGS, "rule": ("logit", "best_response", "doctrine")}


def field_for(path: str) -> Field:
    """The widget for a scenario field: its label, help and step from the field catalogue
    (:mod:`sim.domain.fields`), named for its actor where it is one actor's."""
    item = spec(path)
    owner, _, attribute = path.partition(".")
    label, meaning = item.label, item.help_text()
    if owner in ACTORS and item.group == "actor":
        label = f"{ACTOR_SHORT[owner]}: {label}"
        if attribute == "resolve_prior":
            meaning = f"{meaning} {RESOLVE_CONTEXT[owner]}"
    return Field(path, label, meaning, item.step, integer=item.integer, choices=CHOICES.get(item.key, ()))


GAME_FIELDS: list[Field] = [field_for(path) for path in GAME_PATHS]


def actor_field(actor: str, attribute: str) -> Field:
    """The widget for one actor's field (``russia``, ``lambda``)."""
    return field_for(f"{actor}.{attribute}")


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
