"""Parameter sweeps: many design points, each a Monte Carlo run, on one machine or a Dask cluster.

A sweep varies scenario fields (by dotted path) over a design (a full grid, a Latin hypercube, a
scrambled Sobol sequence, or a Saltelli sample for Sobol indices), runs ``runs`` crises at each
design point, and keeps one row of aggregates per point: each outcome's probability with its 95%
interval, mean rounds and mean payoffs. Per-run rows are never held, so memory does not grow
with ``runs``.

Reproducible everywhere: point ``i`` is simulated with ``SeedSequence(seed, spawn_key=(i,))``,
so its numbers do not depend on how points are chunked or which worker runs them. The design
itself is drawn from ``SeedSequence(seed)``.

Nothing lost: with ``out`` set, the sweep is a Parquet dataset directory: ``_sweep.json`` (the
specification and provenance), then one ``part-*.parquet`` file per finished chunk, each written
atomically. An interrupted sweep (Ctrl-C, a killed process) restarts with ``resume=True`` and
runs only the points not yet on disk, so every point ends up there exactly once; a lock keeps a
second sweep out of a directory being written.

The package, by concept:

- ``design``: swept parameters, their ranges or values, and the designs (grid, LHS, Sobol,
  Saltelli), counted and refused past the limits before they are drawn; :class:`SweepError`;
- ``plan``: :func:`plan_sweep`, the one set-up of every sweep (``sim sweep``, :func:`sim.sweep`
  and the app's Sweep page): checked design points and the spec that defines their numbers;
- ``executors``: running chunks of points inline, in local processes or on Dask, each point
  seeded by :func:`point_seed`;
- ``store``: the sweep directory: ``_sweep.json``, the part files, resuming, the lock, and
  :func:`read_sweep`;
- ``run``: :func:`sweep`, which plans a sweep and runs it on an executor into memory or a
  directory.
"""

from __future__ import annotations

from sim.domain.choices import EXECUTORS
from sim.studies.sweeps.design import (
    DEFAULT_GRID_STEPS,
    DESIGNS,
    Parameter,
    Point,
    SweepError,
    check_sweep_size,
    design_points,
    design_size,
    saltelli_problem,
    saltelli_size,
)
from sim.studies.sweeps.executors import local_dask_cluster, point_seed, run_chunk, scheduler_threads
from sim.studies.sweeps.plan import SweepPlan, check_parameter_values, check_points_validate, plain, plan_sweep
from sim.studies.sweeps.run import sweep
from sim.studies.sweeps.store import LOCK_FILE, METADATA_FILE, SweepSpec, read_metadata, read_sweep

__all__ = [
    "DEFAULT_GRID_STEPS",
    "DESIGNS",
    "EXECUTORS",
    "LOCK_FILE",
    "METADATA_FILE",
    "Parameter",
    "Point",
    "SweepError",
    "SweepPlan",
    "SweepSpec",
    "check_parameter_values",
    "check_points_validate",
    "check_sweep_size",
    "design_points",
    "design_size",
    "local_dask_cluster",
    "plain",
    "plan_sweep",
    "point_seed",
    "read_metadata",
    "read_sweep",
    "run_chunk",
    "saltelli_problem",
    "saltelli_size",
    "scheduler_threads",
    "sweep",
]
