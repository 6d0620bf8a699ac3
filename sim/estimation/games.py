"""The standard crisis trees of strategic estimation, and their outcome probabilities.

``egame12``: player 1 keeps the status quo (outcome 1) or escalates; then player 2 capitulates
(outcome 2) or fights (outcome 3). Player 1 has a utility for each outcome (``u11``, ``u13``,
``u14``), player 2 for war (``u24``); player 2's utility for capitulation is normalised to 0.

Errors (Signorino 2003):

* **agent error**: each decision has its own shock, normal (probit) or logistic (logit), of scale 1
  on each action, so the difference of two has scale ``sqrt(2)``::

      p4 = F(u24 / sqrt 2),   p3 = 1 - p4
      p2 = F((p3 u13 + p4 u14 - u11) / sqrt 2),   p1 = 1 - p2

* **private information** (probit): each player's outcome utilities carry standard normal shocks
  the opponent knows only in distribution, so player 1's comparison has variance
  ``1 + p3^2 + p4^2``::

      p2 = Phi((p3 u13 + p4 u14 - u11) / sqrt(1 + p3^2 + p4^2))

The outcome probabilities are ``p1``, ``p2 p3`` and ``p2 p4``. Action probabilities are kept in
``[2.2e-16, 1 - 1.1e-16]`` as the R package ``games`` does, so the log-likelihood stays finite.

References
----------
Signorino, C. S. (1999). Strategic interaction and the statistical analysis of international
conflict. *American Political Science Review* 93(2), 279-297. Signorino, C. S. (2003). Structure
and uncertainty in discrete choice models. *Political Analysis* 11(4), 316-344. Kenkel, B. and
Signorino, C. S. (2014). Estimating extensive form games in R. *Journal of Statistical Software*
56(8), 1-27.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

LINKS = ("probit", "logit")
ERRORS = ("agent", "private")
SMALLEST = 2.220446e-16
LARGEST = 1 - 1.110223e-16


def cdf(x: np.ndarray, link: str) -> np.ndarray:
    """The link's distribution function: standard normal (probit) or logistic (logit)."""
    return special.ndtr(x) if link == "probit" else special.expit(x)


@dataclass(frozen=True)
class Game:
    """A tree of strategic estimation: its utilities, in the formula's order, and outcomes.

    Attributes
    ----------
    name : str
        ``egame12``.
    utilities : tuple of str
        The utilities with a formula part, in order (``u11``, ``u13``, ``u14``, ``u24``).
    players : tuple of int
        Whose each utility is (1 or 2).
    outcome_of : tuple of int
        The outcome (0-based) each utility is for.
    decisions : int
        How many 0/1 decision columns the outcome may be given as.
    """

    name: str
    utilities: tuple[str, ...]
    players: tuple[int, ...]
    outcome_of: tuple[int, ...]
    decisions: int

    @property
    def outcomes(self) -> int:
        """How many terminal outcomes the tree has."""
        return max(self.outcome_of) + 1

    def outcome_names(self, decisions: Sequence[str]) -> tuple[str, ...]:
        """The outcomes named from the decision columns, as the R package names them
        (``~esc``, ``esc,~war``, ``esc,war``)."""
        first, second = decisions
        return (f"~{first}", f"{first},~{second}", f"{first},{second}")

    def outcomes_from_decisions(self, columns: np.ndarray) -> np.ndarray:
        """Outcome numbers (0-based) from the 0/1 decision columns: player 1 stops at 0 whatever
        the second column says; else the second column decides."""
        first, second = columns[:, 0], columns[:, 1]
        return np.where(first == 0, 0, np.where(second == 0, 1, 2))

    def probabilities(self, utilities: np.ndarray, link: str, error: str) -> np.ndarray:
        """Each row's outcome probabilities.

        Parameters
        ----------
        utilities : numpy.ndarray
            ``(rows, 4)``: u11, u13, u14, u24.
        link, error : str
            ``probit`` or ``logit``; ``agent`` or ``private``.

        Returns
        -------
        numpy.ndarray
            ``(rows, 3)``, each row summing to 1.
        """
        u11, u13, u14, u24 = utilities.T
        root2 = np.sqrt(2.0)
        p4 = np.clip(cdf(u24 / root2, link), SMALLEST, LARGEST)
        p3 = 1.0 - p4
        scale = root2 if error == "agent" else np.sqrt(1.0 + p3**2 + p4**2)
        p2 = np.clip(cdf((p3 * u13 + p4 * u14 - u11) / scale, link), SMALLEST, LARGEST)
        return np.column_stack([1.0 - p2, p2 * p3, p2 * p4])


EGAME12 = Game("egame12", ("u11", "u13", "u14", "u24"), (1, 1, 1, 2), (0, 1, 2, 2), decisions=2)
"""Two players, three outcomes: status quo, capitulation, war."""

GAMES: dict[str, Game] = {game.name: game for game in (EGAME12,)}
"""The trees ``sim fit`` knows, by name."""
