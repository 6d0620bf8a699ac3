"""Names a user chooses among, in one place: sweep designs and executors, fitted trees, links and
errors. The modules that implement them (``sim.studies.sweeps``, ``sim.estimation``) and the ``sim``
command's parser (which must not import those slow modules to print ``--help``) both read them here."""

from __future__ import annotations

DESIGNS = ("grid", "lhs", "sobol", "saltelli")
"""Sweep designs (``sim sweep --design``; :mod:`sim.studies.sweeps.design`)."""

EXECUTORS = ("inline", "processes", "dask")
"""Where a sweep's points run (``sim sweep --executor``; :mod:`sim.studies.sweeps.executors`)."""

FIXED_TREES = ("egame12", "egame122", "egame123")
"""The fixed trees of the R package ``games`` that ``sim fit`` knows by name (:data:`sim.estimation.GAMES`)."""

LINKS = ("probit", "logit")
"""The distributions of a fitted game's shocks (``sim fit --link``; :mod:`sim.estimation.trees`)."""

ERRORS = ("agent", "private")
"""Agent error or private information (``sim fit --error``; :mod:`sim.estimation.trees`)."""

__all__ = ["DESIGNS", "ERRORS", "EXECUTORS", "FIXED_TREES", "LINKS"]
