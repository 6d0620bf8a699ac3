"""The ``sim`` command starts fast: its parser, ``--help``, ``validate`` and ``scenarios`` load none
of the slow modules (the engine's dependencies, runs, studies, game, estimation); each command imports
what it needs when it runs. Checked by the modules a fresh interpreter has loaded, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "mesa", "numba", "sim.runs", "sim.studies", "sim.game", "sim.estimation")


def loaded_after(code: str) -> list[str]:
    """The heavy modules (and their submodules) a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    return [name for name in modules if any(name == h or name.startswith(f"{h}.") for h in HEAVY)]


@pytest.mark.parametrize(
    "code",
    [
        "import sim.cli.main; sim.cli.main.build_parser()",
        "import sim.cli.main\ntry:\n    sim.cli.main.main(['--help'])\nexcept SystemExit:\n    pass",
        "import sim.cli.main; sim.cli.main.main(['validate', 'coalition_2026'])",
        "import sim.cli.main; sim.cli.main.main(['scenarios'])",
        "import sim.domain.scenario",
    ],
)
def test_the_parser_help_validate_and_scenarios_load_no_heavy_module(code):
    assert loaded_after(code) == []


def test_a_lazy_public_name_still_works():
    """``import sim`` is light; each public name is imported on first use, and ``dir`` lists them all."""
    import sim

    assert set(sim.__all__) <= set(dir(sim))
    for name in sim.__all__:
        assert getattr(sim, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        sim.no_such_name  # noqa: B018


def test_the_parser_and_the_slow_modules_read_their_choices_from_one_place():
    """sim.domain.choices holds the names; the parser, sweeps and estimation use the same objects."""
    from sim.domain import choices
    from sim.estimation import GAMES
    from sim.estimation.trees import ERRORS, LINKS
    from sim.studies.sweeps import DESIGNS, EXECUTORS

    ours = (DESIGNS, EXECUTORS, LINKS, ERRORS)
    theirs = (choices.DESIGNS, choices.EXECUTORS, choices.LINKS, choices.ERRORS)
    assert all(mine is source for mine, source in zip(ours, theirs, strict=True))
    assert tuple(GAMES) == choices.FIXED_TREES


def test_sim_run_prints_its_summary_without_pandas_or_mesa():
    """The compiled engine plays the worlds and the summary needs no table: pandas (0.35 s to import)
    is imported only where a table is made (``Results.ladder``, ``to_frame``, ``--out``), Mesa only
    by the numpy model."""
    code = "import sim.cli.main; sim.cli.main.main(['run', 'classroom_chicken', '--runs', '20', '--seed', '1'])"
    loaded = {name.split(".")[0] for name in loaded_after(code)}
    assert "pandas" not in loaded and "mesa" not in loaded
    assert "numba" in loaded  # the check sees the engine's imports: it is not vacuous


def test_the_ladder_table_is_made_on_first_use():
    from sim.runs.montecarlo import run_monte_carlo
    from sim.runs.results import LADDER_COLUMNS

    results = run_monte_carlo("classroom_chicken", 200, seed=3)
    ladder = results.ladder
    assert list(ladder.columns) == list(LADDER_COLUMNS) and ladder.index.name == "round"
    assert results.ladder is ladder  # made once
    assert (ladder.to_numpy() == results.ladder_shares).all()
