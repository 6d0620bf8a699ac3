"""Every size limit of the package, stated once.

A scenario file, a command-line option or a Python call can ask for work without bound: a
file that is a device, a million grid steps, a trillion runs. Each limit below is refused
*before* any work starts, with a message that names the limit, so nothing hangs, fills the
memory or runs for months. The values are generous: far beyond any scenario, sweep or run in
the docs, the tests or the built-in scenarios, and within what one machine can do in minutes
to hours. ``docs/scenarios.md`` ("Limits") lists them; the schema (:mod:`sim.scenario`) and
the command line (:mod:`sim.argtypes`, :mod:`sim.cli`) read them from here, so a change here
changes every check and message.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1_000_000
"""Bytes a scenario file (or each file it ``extends``) may hold. The built-in scenarios are under
10 kB and the app already caps uploads at 64 kB; the cap is checked from the file's size before
it is opened for reading, and the read itself stops one byte past it, so a file that grows (or
a ``/proc`` file that reports size 0) cannot exhaust memory either."""

MAX_NESTING = 32
"""Tables and arrays a scenario may hold inside one another. A scenario needs 3
(``russia.doctrine.responses``, ``coalition.members.0``); Python's TOML reader recurses once per
level and fails with a ``RecursionError`` near 500, and a deeper value would also overflow the
copying and validation that follow, so deeper files are refused with a message instead. It also
bounds a chain of scenarios that ``extends`` one another (each link is read recursively)."""

MAX_MEMBERS = 16
"""Member states a coalition may list: the solver sums over every subset of them (2**16 at
most), so each member doubles the work of a round."""

MAX_ROUNDS = 1_000
"""Rounds of one crisis (a scenario's ``rounds``). The built-in scenarios use 1 to 20; every
round of every world is simulated, so the horizon multiplies the run time."""

MAX_RUNS = 10_000_000
"""Crises simulated by one Monte Carlo (``sim run --runs``, ``sim.run_monte_carlo``, and each
design point of a sweep). At about 10 microseconds and 110 bytes of results per run, the cap
is about two minutes and 1.1 GB on one core; its 95% intervals are already narrower than
+-0.0003, so more runs add nothing a reader could see."""

MAX_GRID_STEPS = 10_000
"""Values one swept parameter may take: the STEPS of ``--param PATH=LOW:HIGH:STEPS``, or the
number of values in ``PATH=A,B,C``. A grid multiplies the steps of its parameters, so this is
checked per parameter and :data:`MAX_DESIGN_POINTS` on their product."""

MAX_DESIGN_POINTS = 1_000_000
"""Design points one sweep may have: the grid's product of steps, the ``--samples`` of a Latin
hypercube or Sobol design, and ``N (D + 2)`` (or ``N (2D + 2)`` with second-order indices) for
a Saltelli design of D parameters. Every point is checked and stored before any runs, and each
runs at least one Monte Carlo, so a million points is already days of work."""

MAX_WORKERS = 1_000
"""Worker processes one sweep may start on this machine (``--workers``, also the size of a local
Dask cluster). Each is a process with its own copy of the engine; beyond the machine's cores
more only compete, and a mistyped ``--workers 1000000`` would try to start a million."""

MAX_LAMBDA = 1_000_000.0
"""Largest logit rationality lambda ``sim solve --qre`` and ``--qre-path`` take. At lambda = 10^6 a
payoff gap of 10^-5 utils is already resolved (lambda x gap = 10), so the QRE there is the limiting
equilibrium to the precision printed; far beyond it the homotopy's steps underflow (``--qre
1e308`` ended in a traceback)."""

__all__ = [
    "MAX_DESIGN_POINTS",
    "MAX_FILE_BYTES",
    "MAX_GRID_STEPS",
    "MAX_LAMBDA",
    "MAX_MEMBERS",
    "MAX_NESTING",
    "MAX_ROUNDS",
    "MAX_RUNS",
    "MAX_WORKERS",
]
