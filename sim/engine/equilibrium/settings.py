"""The solver's numerical settings: the belief grid, the homotopy in lambda, iteration limits and tolerances
(docs/explanation/model.md, section 7)."""

from __future__ import annotations

GRID_POINTS = 9
"""Grid points per public belief (0, 1/8, ..., 1); 9**3 belief points per flag pair and round."""

BEST_RESPONSE_LAMBDA = 200.0
"""The rationality at which ``rule = "best_response"`` is solved: the sequential-equilibrium limit."""

HOMOTOPY_STEPS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)
"""Fractions of every actor's lambda along which a round's equilibrium is followed from near 0."""

DAMPED_ITERATIONS = 40
NEWTON_ITERATIONS = 12
TOLERANCE = 1e-8
LM_DAMPING = 1e-3
"""Levenberg-Marquardt's starting damping ``mu``; times 0.3 after a step that helps, 10 after one that does not."""
BAYES_RATIO_FLOOR = 1e-250
"""Below this chance of an action (either type), the compiled Bayes' rule works in log-odds."""
JACOBIAN_STEP = 1e-6
"""The forward-difference step of the Jacobian of ``F(x) - x``."""
RETRY_ABOVE = 1e-6
"""States a warm-started fixed point leaves above this residual are solved again cold, by homotopy."""
