"""A sweep's table to download, CSV or Parquet, carrying its provenance (scenario, SHA-256,
design, seed, version) so a file says where it came from."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from sim.webapp.style import download_row

EXPLANATIONS = (
    "One row per design point: the parameters, each outcome's probability and 95% interval, mean rounds and "
    "payoffs, and the provenance (scenario, SHA-256, design, seed, version) on every row.",
    "The same table as Parquet; its schema metadata `sim.sweep` holds the full specification and scenario, "
    "as a sweep directory's _sweep.json does.",
)
"""What the CSV and the Parquet file hold (:data:`sim.webapp.style.FILE_FORMATS`)."""


def table_with_provenance(frame: pd.DataFrame, metadata: dict[str, Any]) -> pd.DataFrame:
    """The sweep's rows plus scenario, its SHA-256, design, seed and version on every row (as the
    per-run download has), so a CSV file says where it came from."""
    table = frame.copy()
    for column in ("scenario", "scenario_sha256", "design", "seed", "version"):
        table[column] = metadata.get(column)
    return table


def table_bytes(frame: pd.DataFrame, metadata: dict[str, Any], suffix: str) -> bytes:
    """CSV, or Parquet whose schema metadata ``sim.sweep`` holds what ``_sweep.json`` would."""
    table = table_with_provenance(frame, metadata)
    if suffix == ".csv":
        return table.to_csv(index=False).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"sim.sweep": json.dumps(metadata)})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, metadata: dict[str, Any], stem: str, key: str) -> None:
    """A button per format, side by side; each file is built only when its button is pressed."""
    download_row("sweep", stem, lambda suffix: table_bytes(frame, metadata, suffix), EXPLANATIONS, key)
