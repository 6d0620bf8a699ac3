"""Results of a Monte Carlo run: per-run arrays, the summary, tables and files.

Every result carries what is needed to reproduce it: the scenario (after overrides), its
SHA-256, the seed and the package version.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.domain.files import write_atomically
from sim.domain.ladder import ACTORS, OUTCOMES, RUNGS, START_RUNGS
from sim.domain.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd  # imported where a table is made: `sim run` prints its summary without pandas

LADDER_COLUMNS = (*(f"rung:{rung}" for rung in START_RUNGS), *(f"ended:{outcome}" for outcome in OUTCOMES))
"""The ladder's columns: the share of worlds still in crisis on each rung below open war (where a
crisis is while it goes on), then the share that has ended in each outcome (:attr:`Results.ladder`)."""


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (good coverage even near 0 and 1).

    The closed form (Wilson 1927), ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``
    with ``z`` the normal quantile, equals ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``
    (a test checks it) without importing ``scipy.stats`` on every run.
    """
    n, p = int(trials), int(successes) / int(trials)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    # exactly 0 and 1 at the ends (rounding would leave about 1e-19), and p always inside
    low = 0.0 if successes == 0 else min(p, (centre - spread) / scale)
    high = 1.0 if successes == trials else max(p, (centre + spread) / scale)
    return max(0.0, low), min(1.0, high)


@dataclass
class Results:
    """The outcome of ``runs`` independent crises of one scenario."""

    scenario: Scenario
    seed: int | None
    version: str
    outcome: np.ndarray  # (runs,) index into OUTCOMES
    rounds_played: np.ndarray  # (runs,)
    max_rung: np.ndarray  # (runs,) index into RUNGS
    final_rung: np.ndarray  # (runs,)
    payoff: dict[str, np.ndarray]  # actor -> (runs,)
    resolute: dict[str, np.ndarray]  # actor -> (runs,) bool
    us_committed_at_end: np.ndarray
    force_collapsed: np.ndarray
    troops_deployed_at_end: np.ndarray
    ladder_shares: np.ndarray  # (rounds + 1, LADDER_COLUMNS): the ladder's numbers, row 0 the start

    @cached_property
    def ladder(self) -> pd.DataFrame:
        """One row per round (``round`` 0 is the start): the shares of worlds still in crisis by rung
        and ended by outcome (:data:`LADDER_COLUMNS`; each row sums to one). Made on first use."""
        import pandas as pd

        ladder = pd.DataFrame(self.ladder_shares, columns=list(LADDER_COLUMNS))
        ladder.index.name = "round"
        return ladder

    @property
    def runs(self) -> int:
        """The number of crises run."""
        return int(self.outcome.size)

    @property
    def scenario_sha256(self) -> str:
        """The SHA-256 of the scenario as run (after overrides), by :meth:`sim.domain.schema.Scenario.sha256`."""
        return self.scenario.sha256()

    def outcome_counts(self) -> dict[str, int]:
        """How many runs ended in each outcome, every outcome of ``OUTCOMES`` included (zeros too)."""
        counts = np.bincount(self.outcome, minlength=len(OUTCOMES))
        return {name: int(count) for name, count in zip(OUTCOMES, counts)}

    def probabilities(self) -> dict[str, float]:
        """The share of runs that ended in each outcome (point estimates; :meth:`summary` adds intervals)."""
        return {name: count / self.runs for name, count in self.outcome_counts().items()}

    def summary(self) -> dict[str, Any]:
        """The stable JSON summary (README, ``sim run --json``)."""
        counts = self.outcome_counts()
        max_rung = np.bincount(self.max_rung, minlength=len(RUNGS)) / self.runs
        return {
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario_sha256,
            "version": self.version,
            "runs": self.runs,
            "seed": self.seed,
            "rounds": self.scenario.rounds,
            "outcomes": {
                name: {"p": count / self.runs, "ci95": list(wilson_interval(count, self.runs))}
                for name, count in counts.items()
            },
            "mean_rounds": float(self.rounds_played.mean()),
            "max_rung": {rung: float(share) for rung, share in zip(RUNGS, max_rung)},
            "mean_payoff": {actor: float(values.mean()) for actor, values in self.payoff.items()},
        }

    def metadata(self) -> dict[str, str]:
        """The provenance written into every file of results, as text.

        Returns
        -------
        dict of str to str
            ``scenario`` (its name), ``scenario_sha256``, ``seed`` (empty if none was recorded),
            ``version`` (of the package) and ``scenario_json`` (the whole scenario as run, with
            sorted keys), enough to reproduce the run.
        """
        return {
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario_sha256,
            "seed": "" if self.seed is None else str(self.seed),
            "version": self.version,
            "scenario_json": json.dumps(self.scenario.model_dump(mode="json", by_alias=True), sort_keys=True),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per run, tidy: outcome, rounds, rungs, each actor's type and payoff, provenance."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "run": np.arange(self.runs),
                "outcome": pd.Categorical.from_codes(self.outcome, categories=list(OUTCOMES)),
                "rounds": self.rounds_played.astype(np.int16),
                "max_rung": pd.Categorical.from_codes(self.max_rung, categories=list(RUNGS)),
                "final_rung": pd.Categorical.from_codes(self.final_rung, categories=list(RUNGS)),
                **{f"{actor}_resolute": self.resolute[actor] for actor in ACTORS},
                **{f"{actor}_payoff": self.payoff[actor] for actor in ACTORS},
                "us_committed_at_end": self.us_committed_at_end,
                "force_collapsed": self.force_collapsed,
                "troops_deployed_at_end": self.troops_deployed_at_end,
            }
        )
        meta = self.metadata()
        for column in ("scenario", "scenario_sha256", "seed", "version"):
            frame[column] = pd.Categorical([meta[column]] * self.runs)
        frame.attrs.update(meta)
        return frame

    def save(self, path: str | Path) -> Path:
        """Write the per-run table as .parquet or .csv, atomically (an interruption leaves no half file)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in {".parquet", ".csv"}:
            raise ValueError(f"{path}: output must end in .parquet or .csv")
        frame = self.to_frame()
        if suffix == ".parquet":
            return write_atomically(path, lambda temporary: _write_parquet(frame, temporary, self.metadata()))
        return write_atomically(path, lambda temporary: frame.to_csv(temporary, index=False))


def _write_parquet(frame: pd.DataFrame, path: str, metadata: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = {**(table.schema.metadata or {}), **{f"sim.{k}".encode(): v.encode() for k, v in metadata.items()}}
    pq.write_table(table.replace_schema_metadata(merged), path)
