"""Questions asked of many runs.

- :mod:`sim.studies.sweeps`: assumptions varied over a design of points, planned once for the
  command line, the Python API and the app, run here, on local workers or on Dask, and kept in a
  resumable Parquet directory;
- :mod:`sim.studies.analysis`: a finished sweep read as a table, its Sobol indices, the boxes of
  scenario discovery (PRIM), and each figure built once as data for the command line and the app;
- :mod:`sim.studies.statics`: the comparative statics the deterrence literature predicts, which
  the tests check the model against.

It imports :mod:`sim.domain`, :mod:`sim.engine` and :mod:`sim.runs` (``docs/explanation/architecture.md``).
"""
