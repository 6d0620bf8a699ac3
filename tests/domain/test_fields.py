"""The field catalogue (sim.domain.fields) is the one source of each field's meaning and range:
the schema enforces its bounds, the reference page shows its tables, the app its labels and spans."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.domain import fields
from sim.domain.field_reference import MARKER, write_tables
from sim.domain.scenario import Accident, Actor, CoalitionActor, Doctrine, Escalation, Member, Payoffs, Scenario

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "scenarios.md"

MODELS: dict[str, type[BaseModel]] = {
    "top": Scenario,
    "escalation": Escalation,
    "accident": Accident,
    "actor": Actor,
    "payoffs": Payoffs,
    "doctrine": Doctrine,
    "member": Member,
}
NESTED = {"escalation", "accident", "coalition", "russia", "us"}  # tables of their own in the catalogue


def schema_fields(group: str) -> dict[str, Any]:
    """A group's fields as a scenario file names them (aliases), from the schema."""
    if group == "coalition":  # the coalition's own fields, beyond every actor's
        own = set(CoalitionActor.model_fields) - set(Actor.model_fields)
        return {name: CoalitionActor.model_fields[name] for name in own}
    model = MODELS[group]
    named = {info.alias or name: info for name, info in model.model_fields.items()}
    return {name: info for name, info in named.items() if not (group == "top" and name in NESTED)}


def test_every_schema_field_is_in_the_catalogue_and_nothing_else():
    for group in fields.GROUP_PREFIX:
        documented = {item.key for item in fields.group(group)} - {"extends"}  # read before validation
        assert documented == set(schema_fields(group)), group


@pytest.mark.parametrize("item", fields.CATALOGUE, ids=lambda item: item.path)
def test_the_schema_enforces_the_catalogued_range_and_describes_the_field(item: fields.FieldSpec):
    if item.key == "extends":
        return
    info = schema_fields(item.group)[item.key]
    low = high = None
    low_open = False
    metadata = list(info.metadata)
    optional = not metadata and type(None) in typing.get_args(info.annotation)
    for member in typing.get_args(info.annotation) if optional else ():  # ``Annotated[Real, ...] | None``
        metadata += [rule for rule in getattr(member, "__metadata__", ()) if not isinstance(rule, FieldInfo)]
        metadata += [
            rule
            for info_ in getattr(member, "__metadata__", ())
            if isinstance(info_, FieldInfo)
            for rule in info_.metadata
        ]
    for rule in metadata:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        if isinstance(rule, annotated_types.Gt):
            low, low_open = rule.gt, True
        if isinstance(rule, annotated_types.Le):
            high = rule.le
    if item.low is not None:
        assert (low, high, low_open) == (item.low, item.high, item.low_open)
        assert optional or info.description == item.meaning
    else:
        assert low is None and high is None


def test_the_reference_page_shows_the_catalogue():
    text = PAGE.read_text()
    assert {match.group(2) for match in MARKER.finditer(text)} == set(fields.GROUP_PREFIX)
    assert write_tables(text) == text, "run `python -m sim.domain.field_reference` to regenerate the tables"


def test_a_wrong_catalogue_entry_would_show_on_the_page():
    """The check above can fail: a changed meaning changes the generated table."""
    text = PAGE.read_text()
    entry = fields.spec("escalation.tripwire")
    assert entry.meaning in text
    assert entry.range_text() == "−1 to 1"


def test_ranges_in_words():
    assert fields.spec("rounds").range_text().startswith("integer 1–1000")
    assert fields.spec("discount").range_text() == "> 0 and ≤ 1"
    assert fields.spec("russia.war_bonus").range_text() == "0–10⁶"
    assert fields.spec("coalition.members[].mission_value").range_text() == "−10⁶ to 10⁶"
    assert fields.spec("russia.lambda").allowed() == "Allowed: 0 to 10000."
    assert fields.spec("russia.war_bonus").allowed() == "Allowed: 0 or more."
    assert fields.spec("rounds").allowed() == "Allowed: a whole number from 1 to 1000."
    assert fields.spec("escalation.tripwire").allowed() == "Allowed: -1 to 1."


def test_per_actor_paths_and_phrases():
    assert fields.spec("us.lambda") is fields.spec("ACTOR.lambda")
    assert fields.phrase("russia.resolve_prior") == "Russia's resolve prior"
    assert fields.phrase("coalition.war_bonus") == "the coalition's war bonus"
    with pytest.raises(KeyError):
        fields.spec("russia.lamda")


def test_sweep_spans_lie_within_the_valid_range():
    for path, item, (low, high) in fields.sweepable():
        assert item.low is not None and item.high is not None, path
        assert item.low <= low < high <= item.high, path
        assert item.label and item.help and item.phrase, path
