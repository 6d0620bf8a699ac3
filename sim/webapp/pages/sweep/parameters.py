"""What the Sweep page can vary: the scenario fields offered, how labels and sentences name them,
the values the scenario schema allows, and the range each starts with."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import annotated_types

from sim.ladder import ACTORS
from sim.scenario import Scenario
from sim.webapp.fields import GAME_FIELDS, Field, actor_field


@dataclass(frozen=True)
class Swept:
    """A scenario field offered for sweeping: how a sentence names it, and the range it starts with."""

    path: str
    phrase: str
    low: float
    high: float


SWEEPABLE: dict[str, Swept] = {
    item.path: item
    for item in (
        Swept("russia.resolve_prior", "Russia's resolve prior", 0.0, 1.0),
        Swept("coalition.resolve_prior", "the coalition's resolve prior", 0.0, 1.0),
        Swept("us.resolve_prior", "the US's resolve prior", 0.0, 1.0),
        Swept("escalation.tripwire", "the escalation tripwire", 0.0, 0.45),
        Swept("escalation.backstop", "the escalation effect of the US backstop", 0.0, 0.45),
        Swept("escalation.base", "the base chance that a clash becomes a major war", 0.0, 0.5),
        Swept("accident.standoff", "the chance of an accident in a standoff", 0.0, 0.15),
        Swept("accident.declared_intent", "the chance of an accident while intent is only declared", 0.0, 0.05),
        Swept("accident.incident", "the chance that an incident spirals into a clash", 0.0, 0.5),
        Swept("russia.lambda", "Russia's rationality λ", 0.0, 5.0),
        Swept("coalition.lambda", "the coalition's rationality λ", 0.0, 5.0),
        Swept("us.lambda", "the US's rationality λ", 0.0, 5.0),
        Swept("russia.war_bonus", "Russia's war bonus", 0.0, 15.0),
        Swept("coalition.war_bonus", "the coalition's war bonus", 0.0, 10.0),
        Swept("russia.audience_cost", "Russia's audience cost", 0.0, 3.0),
        Swept("coalition.audience_cost", "the coalition's audience cost", 0.0, 3.0),
    )
}
DEFAULT_SOBOL = ("russia.resolve_prior", "escalation.tripwire", "coalition.resolve_prior")


def field_of(path: str) -> Field:
    """The sidebar's description of a field (label and help), reused so both say the same."""
    head, _, attribute = path.partition(".")
    if head in ACTORS:
        return actor_field(head, attribute)
    return next(item for item in GAME_FIELDS if item.path == path)


def label(path: str) -> str:
    return field_of(path).label if path in SWEEPABLE else path


def phrase(path: str) -> str:
    """How a sentence names a parameter: ``Russia's resolve prior``."""
    return SWEEPABLE[path].phrase if path in SWEEPABLE else f"`{path}`"


@functools.cache
def schema_bounds(path: str) -> tuple[float | None, float | None]:
    """The valid (low, high) of a numeric scenario field, read from the scenario schema itself."""
    model: Any = Scenario
    parts = path.split(".")
    for number, part in enumerate(parts):
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        field = fields[part]
        if number < len(parts) - 1:
            model = field.annotation
            continue
        low = high = None
        for rule in field.metadata:
            if isinstance(rule, (annotated_types.Ge, annotated_types.Gt)):
                low = float(rule.ge if isinstance(rule, annotated_types.Ge) else rule.gt)  # type: ignore[arg-type]
            if isinstance(rule, (annotated_types.Le, annotated_types.Lt)):
                high = float(rule.le if isinstance(rule, annotated_types.Le) else rule.lt)  # type: ignore[arg-type]
        return low, high
    return None, None


def default_range(path: str, value: float) -> tuple[float, float]:
    """The range a parameter starts with: its usual span, widened to hold the scenario's value,
    kept within the values the schema allows."""
    item = SWEEPABLE[path]
    low, high = min(item.low, value), max(item.high, value)
    valid_low, valid_high = schema_bounds(path)
    if valid_low is not None:
        low = max(low, valid_low)
    if valid_high is not None:
        high = min(high, valid_high)
    return float(low), float(high)


def step_of(path: str) -> float:
    return float(field_of(path).step) or 0.05


def parse_sobol(text: str) -> tuple[list[str], list[str]]:
    """The ``sweep_sobol`` setting (comma-separated paths) as (known paths, unknown ones)."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    known = list(dict.fromkeys(item for item in items if item in SWEEPABLE))
    return known, [item for item in items if item not in SWEEPABLE]
