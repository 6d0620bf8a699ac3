"""A small class under load: benchmarks/bench_live.py itself, with 9 students in 3 groups playing 2
rounds in threads (double taps and resent requests included). Nothing acknowledged is lost, no
decision is stored twice, and every group's crisis ends. No timing is asserted: the machine may be
busy; the benchmark reports the times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_live.py"


def test_a_small_class_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    command = [
        sys.executable, str(BENCH), "--players", "9", "--groups", "3", "--rounds", "2",
        "--poll", "0.2", "--host-poll", "0.2", "--think", "0.2", "--double-tap", "0.5", "--resend", "0.5",
        "--seed", "3", "--timeout", "240", "--json", str(figures_file),
    ]  # fmt: skip
    environment = {key: value for key, value in os.environ.items() if key != "SIM_LIVE_DB"}  # a temporary file
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert figures_file.exists(), f"the benchmark stopped early:\n{done.stdout}\n{done.stderr}"
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    report = f"{done.stdout}\n{done.stderr}"
    assert figures["lost"] == 0, report
    assert figures["duplicated"] == 0, report
    assert (figures["groups"], figures["finished"]) == (3, 3), report
    assert figures["submitted"] == figures["acknowledged"] == figures["recorded"] > 0, report  # each one stored once
    kinds = {label.split()[0] for label in figures["statuses"]}
    assert kinds == {"first", "double", "resend"}, report  # double taps and resent requests were made...
    assert figures["refusals"] == [], report  # ...and answered "already", never refused
    assert figures["errors"] == [], report
    assert figures["unseen"] == 0, report  # the instructor saw every decision
    assert figures["journal_mode"] == "wal", report
    assert done.returncode == 0, report
    assert done.stdout.strip().splitlines()[-1].startswith("lost 0, duplicated 0, p95 "), report
