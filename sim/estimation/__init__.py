"""Fitting games to data: Signorino's strategic probit and logit (``sim.fit``, ``sim fit``).

:mod:`~sim.estimation.formula` reads formulas in the R package ``games``' syntax,
:mod:`~sim.estimation.games` holds the trees and their outcome probabilities, and
:mod:`~sim.estimation.likelihood` maximises the likelihood.
"""

from sim.estimation.formula import FormulaError
from sim.estimation.games import GAMES
from sim.estimation.likelihood import FitResult, fit

__all__ = ["GAMES", "FitResult", "FormulaError", "fit"]
