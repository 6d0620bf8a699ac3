"""Live play in class: students take the roles on their phones, the instructor's screen sets the
class's choices beside the equilibrium.

:mod:`~sim.live.schema` holds the database's tables, :mod:`~sim.live.store` every read and write,
:mod:`~sim.live.replay` replays a group's crisis from its seed and decisions, :mod:`~sim.live.session`
opens sessions, seats students, records their choices and runs the instructor's controls, and
:mod:`~sim.live.views` and :mod:`~sim.live.analysis` say what the pages show.
"""
