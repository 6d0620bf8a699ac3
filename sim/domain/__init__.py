"""The vocabulary: what the other layers talk about, and nothing that computes a crisis.

- :mod:`sim.domain.ladder`: the actors, the actions, the rungs of the escalation ladder and the
  outcomes;
- :mod:`sim.domain.schema` and :mod:`sim.domain.scenario`: the scenario schema, and reading a
  scenario file (TOML, ``extends``, overrides) with every problem reported by its path;
- :mod:`sim.domain.fields` and :mod:`sim.domain.field_reference`: the catalogue of every scenario
  field (meaning, unit, bounds, sweep span) and the docs' field tables written from it;
- :mod:`sim.domain.payoffs`: what an outcome, the status quo and a clash are worth to each actor;
- :mod:`sim.domain.files`: atomic writes and safe reads of a user's files;
- :mod:`sim.domain.limits`: every size limit, stated once.

It imports no other layer of ``sim`` (``docs/explanation/architecture.md``).
"""
