"""The field tables of ``docs/reference/scenarios.md``, generated from the field catalogue.

Each table of the page sits between two markers::

    <!-- fields: escalation -->
    | field | meaning | unit | range | default |
    ...
    <!-- end fields -->

and :func:`write_tables` rewrites what is between them from :data:`sim.domain.fields.CATALOGUE`
(meaning, unit, range) and the scenario schema (defaults). ``python -m sim.domain.field_reference``
updates the page; a test fails if the page and the catalogue disagree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.domain.fields import FieldSpec, group
from sim.domain.scenario import Accident, Actor, CoalitionActor, Doctrine, Escalation, Member, Scenario

SCHEMA: dict[str, type[BaseModel] | None] = {
    "top": Scenario,
    "escalation": Escalation,
    "accident": Accident,
    "actor": Actor,
    "payoffs": None,  # the defaults differ by actor: a table of their own on the page
    "doctrine": Doctrine,
    "coalition": CoalitionActor,
    "member": Member,
}
"""The schema class whose defaults each group's table shows."""

MARKER = re.compile(r"(<!-- fields: (\w+) -->\n)(.*?)(<!-- end fields -->)", re.DOTALL)


def default_text(item: FieldSpec) -> str:
    """A field's default as the table shows it: the note if it has one, else the schema's value."""
    if item.default_note:
        return item.default_note
    model = SCHEMA[item.group]
    assert model is not None, f"{item.path} needs a default_note"
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    value: Any = fields[item.key].default
    if value is PydanticUndefined:
        return "**required**"
    shown = json.dumps(value) if isinstance(value, str) else repr(value)
    return f"`{shown}`"


def table(name: str) -> str:
    """One group's table: field, meaning, unit, range and default of each field."""
    lines = ["| field | meaning | unit | range | default |", "|---|---|---|---|---|"]
    for item in group(name):
        cells = [f"`{item.key}`", item.meaning, item.unit, item.range_text(), default_text(item)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(text: str) -> str:
    """The page with every marked table regenerated from the catalogue."""
    return MARKER.sub(lambda match: match.group(1) + table(match.group(2)) + match.group(4), text)


def main(argv: list[str] | None = None) -> int:
    """Regenerate the tables of the page given (``docs/reference/scenarios.md`` by default)."""
    arguments = sys.argv[1:] if argv is None else argv
    page = Path(arguments[0] if arguments else "docs/reference/scenarios.md")
    page.write_text(write_tables(page.read_text()))
    print(f"updated the field tables of {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
