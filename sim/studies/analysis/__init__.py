"""What a parameter sweep says: Sobol sensitivity indices, scenario discovery with PRIM, and plots.

- :mod:`~sim.studies.analysis.table`: a sweep read as a table (:func:`load_sweep`), its outcome
  columns and swept parameters.
- :mod:`~sim.studies.analysis.sobol`: :func:`sobol_indices`, first-order, total and second-order
  Sobol indices with 95% intervals, computed by SALib from a Saltelli design (``sim sensitivity``).
- :mod:`~sim.studies.analysis.prim`: :func:`discover`, the boxes of parameter space where an
  outcome exceeds a threshold, found by PRIM, the Patient Rule Induction Method (``sim discover``).
- :mod:`~sim.studies.analysis.figures`: :func:`curve` and :func:`heatmap`, the data of an outcome
  against one parameter (with its 95% band) or two, built once for every drawing of it.
- :mod:`~sim.studies.analysis.plot`: :func:`plot_sweep`, that figure drawn as PNG/SVG/PDF
  (matplotlib) or HTML (plotly) (``sim plot``); the app's Sweep page draws the same data.

Every function raises ``ValueError`` with a one-line message for input it cannot use; the command
line (:mod:`sim.cli.analysis_commands`) turns it into ``sim: error: ...`` and exit status 2.
Output files are written atomically.
"""

from sim.studies.analysis.figures import curve, heatmap, heatmap_cells
from sim.studies.analysis.plot import PLOT_SUFFIXES, plot_sweep
from sim.studies.analysis.prim import Box, discover
from sim.studies.analysis.sobol import HOW_TO_RUN_SALTELLI, sobol_indices
from sim.studies.analysis.table import (
    SCATTERED_DESIGNS,
    is_categorical,
    load_sweep,
    output_column,
    output_label,
    provenance,
    provenance_line,
    threshold_text,
)

__all__ = [
    "HOW_TO_RUN_SALTELLI",
    "PLOT_SUFFIXES",
    "SCATTERED_DESIGNS",
    "Box",
    "curve",
    "discover",
    "heatmap",
    "heatmap_cells",
    "is_categorical",
    "load_sweep",
    "output_column",
    "output_label",
    "plot_sweep",
    "provenance",
    "provenance_line",
    "sobol_indices",
    "threshold_text",
]
