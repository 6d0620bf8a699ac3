"""What the Sweep page can vary: the scenario fields offered, how labels and sentences name them,
the values the scenario schema allows, and the range each starts with."""

from __future__ import annotations

from dataclasses import dataclass

from sim.domain.fields import bounds, sweepable
from sim.domain.fields import phrase as field_phrase
from sim.webapp.fields import Field, field_for


@dataclass(frozen=True)
class Swept:
    """A scenario field offered for sweeping: how a sentence names it, and the range it starts with."""

    path: str
    phrase: str
    low: float
    high: float


SWEEP_ORDER = (
    "russia.resolve_prior", "coalition.resolve_prior", "us.resolve_prior", "escalation.tripwire",
    "escalation.backstop", "escalation.base", "accident.standoff", "accident.declared_intent", "accident.incident",
    "russia.lambda", "coalition.lambda", "us.lambda", "russia.war_bonus", "coalition.war_bonus",
    "russia.audience_cost", "coalition.audience_cost",
)  # fmt: skip
"""The order the Sweep page lists the fields in: resolve first, then the ladder's risks, then the rest."""

_SPANS = {path: span for path, _, span in sweepable()}
SWEEPABLE: dict[str, Swept] = {path: Swept(path, field_phrase(path), *_SPANS[path]) for path in SWEEP_ORDER}
"""Every field the Sweep page offers, with the span the field catalogue (:mod:`sim.domain.fields`) gives it."""
DEFAULT_SOBOL = ("russia.resolve_prior", "escalation.tripwire", "coalition.resolve_prior")


def field_of(path: str) -> Field:
    """The sidebar's description of a field (label and help), reused so both say the same."""
    return field_for(path)


def label(path: str) -> str:
    """The field's label, or its path if the page does not offer it."""
    return field_of(path).label if path in SWEEPABLE else path


def phrase(path: str) -> str:
    """How a sentence names a parameter: ``Russia's resolve prior``."""
    return SWEEPABLE[path].phrase if path in SWEEPABLE else f"`{path}`"


def schema_bounds(path: str) -> tuple[float | None, float | None]:
    """The valid (low, high) of a numeric scenario field, from the field catalogue (which the schema enforces)."""
    return bounds(path)


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
    """The step of a parameter's range inputs: its field's widget step, else 0.05."""
    return float(field_of(path).step) or 0.05


def parse_sobol(text: str) -> tuple[list[str], list[str]]:
    """The ``sweep_sobol`` setting (comma-separated paths) as (known paths, unknown ones)."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    known = list(dict.fromkeys(item for item in items if item in SWEEPABLE))
    return known, [item for item in items if item not in SWEEPABLE]
