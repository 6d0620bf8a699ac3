"""Every size limit of the package, stated once.

A scenario file, a command-line option or a Python call can ask for work without bound: a
file that is a device, a million grid steps, a trillion runs. Each limit below is refused
*before* any work starts, with a message that names the limit, so nothing hangs, fills the
memory or runs for months. The values are generous: far beyond any scenario, sweep or run in
the docs, the tests or the built-in scenarios, and within what one machine can do in minutes
to hours. ``docs/reference/limits.md`` lists
them; the schema (:mod:`sim.domain.scenario`), the command line (:mod:`sim.cli.argtypes`, :mod:`sim.cli.main`)
and the game solvers (:mod:`sim.game`) read them from here, so a change here changes every check
and message.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1_000_000
"""Bytes a scenario file (or each file it ``extends``) may hold. The built-in scenarios are under
10 kB and the app already caps uploads at 64 kB; the cap is checked from the file's size before
it is opened for reading, and the read itself stops one byte past it, so a file that grows (or
a ``/proc`` file that reports size 0) cannot exhaust memory either."""

MAX_DATA_BYTES = 100_000_000
"""Bytes a data file for ``sim fit`` may hold (CSV or Parquet). ``war1800`` is 60 kB; a hundred
million bytes is millions of rows, far more than any crisis data set, and still read in seconds;
checked from the file's size before it is read."""

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

MAX_METADATA_BYTES = 4 * 1024 * 1024
"""The largest ``_sweep.json`` (a sweep directory's metadata) read: 4 MiB (4,194,304 bytes),
checked before reading. The file holds the sweep's specification and its whole scenario as JSON:
a few kilobytes. Anything larger is not a file a sweep wrote, and a device or a pipe named
``_sweep.json`` could be read forever."""

MAX_WORKERS = 1_000
"""Worker processes one sweep may start on this machine (``--workers``, also the size of a local
Dask cluster). Each is a process with its own copy of the engine; beyond the machine's cores
more only compete, and a mistyped ``--workers 1000000`` would try to start a million."""

MAX_LAMBDA = 1_000_000.0
"""Largest logit rationality lambda ``sim solve --qre`` and ``--qre-path`` take. At lambda = 10^6 a
payoff gap of 10^-5 utils is already resolved (lambda x gap = 10), so the QRE there is the limiting
equilibrium to the precision printed; far beyond it the homotopy's steps underflow (``--qre
1e308`` ended in a traceback)."""

MAX_RUN_WORK = 10_000_000_000
"""Random numbers one Monte Carlo may draw in all, counted as ``runs x rounds x (5 + members)``
(:func:`run_work`): the engine draws ``5 + members`` numbers per world per round. Runs, rounds and
members are each capped above, but their product is what a request costs: ten million runs of a
thousand-round crisis would run for days. The default scenario (20 rounds, 3 members) at
:data:`MAX_RUNS` runs is 1.6 billion (a few minutes on one core); the cap is about 15 minutes. Checked by
``sim run``, ``sim.run_monte_carlo`` and every design point of a sweep before any work; the app
has a lower cap of its own (``sim.webapp.state.MAX_SESSION_WORK``)."""


def run_work(runs: int, rounds: int, members: int) -> int:
    """Random numbers a Monte Carlo of ``runs`` crises of ``rounds`` rounds draws, with ``members``
    member states: the quantity :data:`MAX_RUN_WORK` caps."""
    return runs * rounds * (5 + members)


# ---------------------------------------------------------------------------------------------
# Games (``sim solve`` and :mod:`sim.game`): docs/reference/limits.md, "Games", lists these.

MAX_GAME_FILE_BYTES = 5 * 1024 * 1024
"""The largest game file read (5 MiB), checked before reading.

Parsing costs about 70 bytes of memory and 2 to 10 microseconds per byte of file, so 5 MiB is
about 350 MB and up to a minute on a busy machine. It holds the two-round crisis game (0.6 MB)
and any hand-made game many times over; the whole three-round crisis game (about 6 MB) is written
for Gambit (``sim solve SCENARIO --rounds 3 --export-efg FILE``) and is too large to read back,
as its normal form and its QRE are too large to solve here anyway."""

MAX_GAME_NODES = 100_000
"""The most nodes a game tree read from a file may have, counted as the file is read.

The two-round crisis game has 6,417 (the three-round one about 61,000); a hand-made game has
dozens. The solvers' work grows with the nodes (the QRE homotopy, backward induction, the reach
table of the normal form), so the cap bounds it whatever the file's shape: a 5 MiB file of short
terminal lines could hold 700,000."""

MAX_ACTIONS_PER_NODE = 1_000
"""The most actions (or chance branches) one node of a game file may offer.

A node with 200,000 actions fits in a file of 600 kB and made the normal form ask for 298 GiB
(strategies times ends). Real games offer a handful; a thousand leaves room for a discretised
choice of a number."""

MAX_TABLE_ENTRIES = 10_000_000
"""Payoff numbers an ``.nfg`` or TOML normal form may hold: refused before gigabytes are allocated."""

MAX_STRATEGY_PROFILES = 10_000_000
"""The most pure-strategy profiles (the product of the players' numbers of pure strategies) for
which a tree's normal form is built; also the most (pure strategy, end of the tree) pairs of any
one player, the table that says which strategy can reach which end.

A player's pure strategies multiply with every information set it has: a chain of 24 two-action
moves shared by two players has 2^12 x 2^12 = 16.8 million profiles, one of 40 moves about 10^12,
and enumerating them ran for minutes and then asked for terabytes. The counts are exact integers,
taken before anything is enumerated (``ExtensiveFormGame.normal_form_problem``); above the cap
the normal form is refused, and ``sim solve`` solves what needs no normal form (backward induction,
the agent QRE) and says the Nash enumeration was skipped. The same number as the cap on a normal
form's payoff numbers (:data:`MAX_TABLE_ENTRIES`)."""

MAX_TREE_DEPTH = 250
"""The most moves (decision and chance nodes) on any path from the root to an end.

The solvers walk trees recursively (two Python frames a level) and backward induction copies the
choices below each node, so its cost grows with the square of the depth: 250 levels stay well
inside Python's recursion limit of 1,000 and solve in well under a second, while deeper chains
(a 50 kB file can hold thousands of levels) would end in a ``RecursionError``. Games studied by
hand are far shallower: a whole three-round crisis tree is about 30 levels deep."""

MAX_SUPPORT_PAIRS = 200_000
"""Pairs of supports the two-player support enumeration tries (a few seconds); beyond it only the
pure equilibria are listed, and the output says so."""

MAX_PURE_EQUILIBRIA = 1_000
"""The most pure equilibria ``sim.game.nash.pure_nash`` returns (the first ones, in lexicographic order).

The normal form of a tree is degenerate: every choice off the path of play is free, so a chain
of 16 two-action moves already has 16,384 pure equilibria, and a game of a few million profiles
can have millions. Each one listed costs work (its payoffs, whether it is subgame perfect, a JSON
entry), which took minutes; nobody reads past the first thousand. When there are more, the result
says how many and that only the first are listed."""

MAX_EQUILIBRIA = 256
"""The most subgame-perfect equilibria listed (a tree with many ties has exponentially many)."""

MAX_SPE_CHOICES = 1_000_000
"""The most choices (one per decision node, per equilibrium) ``subgame_perfect_equilibria``
writes out: a tree of 100,000 decision nodes lists at most 10 equilibria, a small one up to
:data:`MAX_EQUILIBRIA`. Each equilibrium's ``choices`` names every decision node of the tree, so
256 of them on a large tree would take gigabytes."""

MAX_QRE_SIZE = 5_000_000
"""The largest game the QRE homotopy is run on, measured as its unknowns (the actions of every
information set, or the strategies of every player) times its size (tree nodes, or payoff numbers
of a normal form).

Every step of the homotopy takes a dense Jacobian of the unknowns, each column a pass over the
whole game: the two-round crisis tree (598 unknowns x 6,417 nodes, about 3.8 million) takes half a
minute at lambda 1, and the cost grows with the product. Above the cap a perfect-information tree
gets its agent QRE by logit backward induction instead (one pass, and the same point: that QRE is
unique); other games skip the QRE and say so."""

MAX_TREE_ROUNDS = 3
"""The most rounds ``sim solve --rounds`` builds: three rounds are about 10^5 nodes, four about 10^6."""

SCENARIO_LIMITS = (
    "MAX_DATA_BYTES",
    "MAX_DESIGN_POINTS",
    "MAX_FILE_BYTES",
    "MAX_GRID_STEPS",
    "MAX_LAMBDA",
    "MAX_MEMBERS",
    "MAX_METADATA_BYTES",
    "MAX_NESTING",
    "MAX_ROUNDS",
    "MAX_RUNS",
    "MAX_RUN_WORK",
    "MAX_WORKERS",
)
"""The limits on scenarios, runs and sweeps: docs/reference/limits.md, "Scenarios, runs and sweeps", lists them."""

GAME_LIMITS = (
    "MAX_ACTIONS_PER_NODE",
    "MAX_EQUILIBRIA",
    "MAX_GAME_FILE_BYTES",
    "MAX_GAME_NODES",
    "MAX_PURE_EQUILIBRIA",
    "MAX_QRE_SIZE",
    "MAX_SPE_CHOICES",
    "MAX_STRATEGY_PROFILES",
    "MAX_SUPPORT_PAIRS",
    "MAX_TABLE_ENTRIES",
    "MAX_TREE_DEPTH",
    "MAX_TREE_ROUNDS",
)
"""The limits on games: docs/reference/limits.md, "Games", lists them."""

__all__ = [*SCENARIO_LIMITS, *GAME_LIMITS, "run_work"]
