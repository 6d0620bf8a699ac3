"""Fitting games to data: Signorino's strategic probit and logit (``sim.fit``, ``sim fit``).

:mod:`~sim.estimation.formula` reads formulas in the R package ``games``' syntax,
:mod:`~sim.estimation.trees` gives any perfect-information tree's outcome probabilities,
:mod:`~sim.estimation.games` holds the fixed trees, :mod:`~sim.estimation.likelihood` fits them,
:mod:`~sim.estimation.result` reads the fit (table, predictions, profiles) and
:mod:`~sim.estimation.inference` adds the bootstrap and non-nested tests.
:mod:`~sim.estimation.qre_fit` fits a logit QRE's lambda to action counts (``sim.fit_qre``, ``sim fit-qre``).
"""

from sim.estimation.calibrate import Calibration, calibrate
from sim.estimation.formula import FormulaError
from sim.estimation.games import GAMES
from sim.estimation.inference import Comparison, bootstrap, compare
from sim.estimation.likelihood import fit
from sim.estimation.qre_fit import CountsError, QREFit, fit_qre
from sim.estimation.result import FitResult, Profile

__all__ = [
    "GAMES",
    "Calibration",
    "Comparison",
    "CountsError",
    "FitResult",
    "FormulaError",
    "Profile",
    "QREFit",
    "bootstrap",
    "calibrate",
    "compare",
    "fit",
    "fit_qre",
]
