"""Many crises, and one.

- :mod:`sim.runs.montecarlo`: a scenario run many times in memory-bounded batches, with
  reproducible seeds;
- :mod:`sim.runs.results`: what came out (per-run arrays, the summary with its intervals, tables,
  Parquet and CSV files with their provenance);
- :mod:`sim.runs.trace`: one crisis told as a story, round by round.

It imports :mod:`sim.domain` and :mod:`sim.engine` (``docs/explanation/architecture.md``).
"""
