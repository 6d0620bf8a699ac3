"""The ``sim`` command: it parses, calls the layers and prints; no model logic lives here.

- :mod:`sim.cli.main`: the parser, the entry point :func:`sim.cli.main.main` and the core commands
  (``run``, ``trace``, ``solve``, ``sweep``, ``validate``, ``scenarios``, ``new``);
- one module per further command group (such as :mod:`sim.cli.analysis_commands`: ``sensitivity``,
  ``discover`` and ``plot``);
- :mod:`sim.cli.argtypes`: the option types, checked against :mod:`sim.domain.limits` before any
  work starts.
"""
