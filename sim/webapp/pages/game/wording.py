"""How the Game page names actors, payoffs and probabilities in sentences (shared by every section; the
verbs are :data:`sim.webapp.style.VERB`, shared with the Classroom page)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.domain.ladder import ACTORS

NAME = {"coalition": "the coalition", "russia": "Russia", "us": "the US"}
INITIAL = {"coalition": "C", "russia": "R", "us": "US"}


def percent(p: float) -> str:
    """A probability for people: whole percents, with a decimal near 0 and 1 so they do not round away."""
    if 0 < p < 0.001:
        return "<0.1%"
    if 0.999 < p < 1:
        return ">99.9%"
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.1%}"
    return f"{p:.0%}"


def payoff_text(payoffs: Sequence[float] | np.ndarray) -> str:
    """``C +0.50 · R -1.00 · US +0.20``: payoffs in ``ACTORS`` order, short enough for a tree label."""
    return " · ".join(f"{INITIAL[actor]} {x:+.2f}" for actor, x in zip(ACTORS, payoffs, strict=True))


def listing(items: Sequence[str], conjunction: str) -> str:
    """``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
