"""Sweep analysis: Sobol indices against the Ishigami function's analytic values, PRIM on planted boxes,
plots, and the sensitivity, discover and plot commands on a sweep directory."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

from sim import ACTORS, OUTCOMES
from sim.cli.analysis_commands import add_analysis_commands
from sim.studies.analysis import (
    Box,
    curve,
    discover,
    load_sweep,
    plot_sweep,
    sobol_indices,
)
from sim.studies.analysis.prim import _round_between

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ISHIGAMI = ("x.one", "x.two", "x.three")
# Analytic indices of the Ishigami function with a = 7, b = 0.1 (Saltelli et al. 2008; SALib's docs).
ISHIGAMI_S1 = {"x.one": 0.3139, "x.two": 0.4424, "x.three": 0.0}
ISHIGAMI_ST = {"x.one": 0.5576, "x.two": 0.4424, "x.three": 0.2437}
ISHIGAMI_S2 = {("x.one", "x.two"): 0.0, ("x.one", "x.three"): 0.2437, ("x.two", "x.three"): 0.0}
# SALib's bootstrap intervals are themselves estimates; an analytic value may sit this far outside one.
INTERVAL_TOLERANCE = 0.01


# --------------------------------------------------------------------------------------------------
# Sweeps in the engine's format, made by hand


def sweep_metadata(params: list[dict], design: str, n_points: int, **extra) -> dict:
    metadata = {
        "params": [{"low": None, "high": None, "steps": None, "values": None, **param} for param in params],
        "design": design,
        "samples": n_points,
        "seed": 7,
        "runs": 2000,
        "scenario": "coalition_2026",
        "scenario_sha256": "4b3132231292" + "0" * 52,
        "version": "0.1.0",
        "n_points": n_points,
    }
    metadata.update(extra)
    return metadata


def with_outcomes(frame: pd.DataFrame, p_major_war: np.ndarray, runs: int = 2000) -> pd.DataFrame:
    """Every outcome column of a sweep: major war as given, the rest sharing what is left."""
    frame = frame.copy()
    frame.insert(0, "point", np.arange(len(frame)))
    frame["runs"] = runs
    for outcome in OUTCOMES:
        p = np.asarray(p_major_war, dtype=float) if outcome == "major_war" else (1 - p_major_war) / 4
        half = 1.96 * np.sqrt(np.clip(p * (1 - p), 0, None) / runs)
        frame[f"p_{outcome}"] = p
        frame[f"ci_low_{outcome}"] = np.clip(p - half, 0, 1)
        frame[f"ci_high_{outcome}"] = np.clip(p + half, 0, 1)
    frame["mean_rounds"] = 4 + 6 * np.asarray(p_major_war)
    for actor in ACTORS:
        frame[f"mean_payoff_{actor}"] = -np.asarray(p_major_war)
    return frame


def write_sweep(directory, frame: pd.DataFrame, metadata: dict, parts: int = 1):
    """A sweep directory as the engine writes it: part-NNNNN.parquet files and _sweep.json."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        table = pa.Table.from_pandas(frame.iloc[chunk], preserve_index=False)
        pq.write_table(table, directory / f"part-{number:05d}.parquet")
    (directory / "_sweep.json").write_text(json.dumps(metadata), encoding="utf-8")
    return directory


def ishigami_sweep(n: int = 1024, second_order: bool = True) -> tuple[pd.DataFrame, dict]:
    problem = {"num_vars": 3, "names": list(ISHIGAMI), "bounds": [[-math.pi, math.pi]] * 3}
    x = sobol_sample.sample(problem, n, calc_second_order=second_order, seed=11)
    y = Ishigami.evaluate(x)
    frame = with_outcomes(pd.DataFrame(x, columns=list(ISHIGAMI)), (y - y.min()) / (y.max() - y.min()))
    frame["mean_rounds"] = y  # the raw function; p_major_war is the same rescaled into [0, 1]
    params = [{"path": name, "low": -math.pi, "high": math.pi} for name in ISHIGAMI]
    metadata = sweep_metadata(params, "saltelli", len(frame), samples=n, calc_second_order=second_order)
    return frame, metadata


@pytest.fixture(scope="module")
def ishigami():
    return ishigami_sweep()


def planted_sweep(seed: int = 5, n: int = 1000) -> tuple[pd.DataFrame, dict]:
    """Uniform points in [0, 1]^3; major war about 0.6 where x1 > 0.7 and x2 < 0.4, about 0.05 elsewhere."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    inside = (x[:, 0] > 0.7) & (x[:, 1] < 0.4)
    p = np.clip(np.where(inside, 0.6, 0.05) + rng.normal(0, 0.03, n), 0, 1)
    names = ["russia.resolve_prior", "us.backstop_cost", "coalition.troops"]
    frame = with_outcomes(pd.DataFrame(x, columns=names), p)
    params = [{"path": name, "low": 0.0, "high": 1.0} for name in names]
    return frame, sweep_metadata(params, "lhs", n)


def grid_sweep() -> tuple[pd.DataFrame, dict]:
    prior, cost = np.meshgrid(np.linspace(0, 1, 11), np.linspace(0, 10, 6), indexing="ij")
    frame = pd.DataFrame({"russia.resolve_prior": prior.ravel(), "us.backstop_cost": cost.ravel()})
    p = 0.05 + 0.3 * frame["russia.resolve_prior"] * (1 - frame["us.backstop_cost"] / 12)
    frame = with_outcomes(frame, p.to_numpy())
    params = [
        {"path": "russia.resolve_prior", "low": 0.0, "high": 1.0, "steps": 11},
        {"path": "us.backstop_cost", "low": 0.0, "high": 10.0, "steps": 6},
    ]
    return frame, sweep_metadata(params, "grid", len(frame))


# --------------------------------------------------------------------------------------------------
# Sobol indices


def estimate(table: pd.DataFrame, index: str, parameter: str, other: str | None = None) -> pd.Series:
    rows = table[(table["index"] == index) & (table["parameter"] == parameter)]
    if other is not None:
        rows = rows[rows["parameter_2"] == other]
    assert len(rows) == 1
    return rows.iloc[0]


def assert_inside(row: pd.Series, value: float) -> None:
    assert row["ci_low"] - INTERVAL_TOLERANCE <= value <= row["ci_high"] + INTERVAL_TOLERANCE, (row, value)


def test_sobol_recovers_the_ishigami_indices(ishigami):
    frame, metadata = ishigami
    table = sobol_indices(frame, metadata, "mean_rounds")
    for name in ISHIGAMI:
        assert_inside(estimate(table, "S1", name), ISHIGAMI_S1[name])
        assert_inside(estimate(table, "ST", name), ISHIGAMI_ST[name])
    for (first, second), value in ISHIGAMI_S2.items():
        assert_inside(estimate(table, "S2", first, second), value)
    # the intervals are informative, not just wide enough to hold anything
    assert (table["ci_high"] - table["ci_low"]).max() < 0.25
    ranked = table.loc[table["index"] == "ST", "parameter"].tolist()
    assert ranked == ["x.one", "x.two", "x.three"]  # sorted by total index
    assert list(table["index"].iloc[:6]) == ["ST", "S1"] * 3 and set(table["index"].iloc[6:]) == {"S2"}
    assert table.attrs["N"] == 1024 and table.attrs["points"] == len(frame)


def test_sobol_without_second_order_and_on_an_outcome_probability():
    frame, metadata = ishigami_sweep(n=512, second_order=False)
    table = sobol_indices(frame, metadata, "major_war")  # p_major_war: the same function, rescaled
    assert "S2" not in set(table["index"])
    for name in ISHIGAMI:
        assert_inside(estimate(table, "ST", name), ISHIGAMI_ST[name])
        assert_inside(estimate(table, "S1", name), ISHIGAMI_S1[name])
    same = sobol_indices(frame, metadata, "mean_rounds")
    assert np.allclose(table["estimate"], same["estimate"])  # Sobol indices ignore a linear rescaling


def test_sobol_is_reproducible(ishigami):
    frame, metadata = ishigami
    first = sobol_indices(frame, metadata, "mean_rounds", num_resamples=200)
    second = sobol_indices(frame, metadata, "mean_rounds", num_resamples=200)
    pd.testing.assert_frame_equal(first, second)
    other_seed = sobol_indices(frame, metadata, "mean_rounds", num_resamples=200, seed=2)
    assert np.allclose(first["estimate"], other_seed["estimate"])  # the seed moves the intervals only
    assert not np.allclose(first["conf"], other_seed["conf"])


@pytest.mark.parametrize("design", ["grid", "lhs", "sobol"])
def test_sobol_refuses_other_designs(ishigami, design):
    frame, metadata = ishigami
    with pytest.raises(ValueError, match=r"Saltelli design.*--design saltelli"):
        sobol_indices(frame, {**metadata, "design": design}, "major_war")


def test_sobol_refuses_an_incomplete_sweep(ishigami):
    frame, metadata = ishigami
    with pytest.raises(ValueError, match=r"incomplete: 8,000 of 8192 .*--resume.*--design saltelli"):
        sobol_indices(frame.iloc[:8000], metadata, "major_war")


def test_sobol_refuses_rows_out_of_saltelli_order(ishigami):
    frame, metadata = ishigami
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled["point"] = np.arange(len(shuffled))
    with pytest.raises(ValueError, match="Saltelli order"):
        sobol_indices(shuffled, metadata, "major_war")


def test_sobol_refuses_unusable_outputs(ishigami):
    frame, metadata = ishigami
    with pytest.raises(ValueError, match="unknown outcome 'nuclear_war'"):
        sobol_indices(frame, metadata, "nuclear_war")
    constant = frame.assign(p_major_war=0.0)
    with pytest.raises(ValueError, match=r"0 at every point.*undefined"):
        sobol_indices(constant, metadata, "major_war")
    missing = frame.assign(p_major_war=frame["p_major_war"].where(frame["point"] != 3))
    with pytest.raises(ValueError, match="NaN"):
        sobol_indices(missing, metadata, "major_war")
    with pytest.raises(ValueError, match=r"no column 'x\.four'"):
        params = [*metadata["params"], {"path": "x.four", "low": 0, "high": 1}]
        sobol_indices(frame, {**metadata, "params": params}, "major_war")


# --------------------------------------------------------------------------------------------------
# Scenario discovery (PRIM)


def test_prim_recovers_a_planted_box():
    frame, metadata = planted_sweep()
    boxes = discover(frame, metadata, "major_war", above=0.2)
    box = boxes[0]
    assert set(box.limits) == {"russia.resolve_prior", "us.backstop_cost"}  # x3 is left alone
    low, high = box.limits["russia.resolve_prior"]
    assert high is None and low == pytest.approx(0.7, abs=0.05)
    low, high = box.limits["us.backstop_cost"]
    assert low is None and high == pytest.approx(0.4, abs=0.05)
    assert box.density > 0.9 and box.coverage > 0.9
    inside = box.contains(frame)
    interest = frame["p_major_war"].to_numpy() > 0.2
    assert inside.sum() == box.points and box.mass == pytest.approx(inside.mean())
    assert box.density == pytest.approx(interest[inside].mean())
    assert box.coverage == pytest.approx(interest[inside].sum() / interest.sum())


def test_prim_restricts_categorical_parameters_to_subsets():
    rng = np.random.default_rng(2)
    n = 900
    frame = pd.DataFrame(
        {
            "russia.resolve_prior": rng.uniform(size=n),
            "russia.rule": rng.choice(["grim", "tit_for_tat", "naive"], n),
            "us.backstop_cost": rng.uniform(0, 10, n),
        }
    )
    inside = (frame["russia.resolve_prior"] > 0.6) & (frame["russia.rule"] != "naive")
    frame = with_outcomes(frame, np.where(inside, 0.5, 0.05) + rng.normal(0, 0.02, n))
    params = [
        {"path": "russia.resolve_prior", "low": 0.0, "high": 1.0},
        {"path": "russia.rule", "values": ["grim", "tit_for_tat", "naive"]},
        {"path": "us.backstop_cost", "low": 0.0, "high": 10.0},
    ]
    box = discover(frame, sweep_metadata(params, "lhs", n), "major_war", above=0.25)[0]
    assert box.categories == {"russia.rule": ("grim", "tit_for_tat")}
    assert box.limits["russia.resolve_prior"][0] == pytest.approx(0.6, abs=0.05)
    assert "us.backstop_cost" not in box.limits
    assert "russia.rule is grim or tit_for_tat" in box.describe()
    assert box.density > 0.9


def test_prim_on_a_grid_puts_limits_between_levels():
    frame, metadata = grid_sweep()
    p = np.where((frame["russia.resolve_prior"] > 0.55) & (frame["us.backstop_cost"] < 5), 0.4, 0.02)
    frame = with_outcomes(frame[["russia.resolve_prior", "us.backstop_cost"]], p)
    box = discover(frame, metadata, "major_war", above=0.2)[0]
    assert box.limits == {"russia.resolve_prior": (0.55, None), "us.backstop_cost": (None, 5.0)}
    assert (box.density, box.coverage) == (1.0, 1.0)
    assert "russia.resolve_prior > 0.55 and us.backstop_cost < 5" in box.describe()


def test_prim_finds_a_second_box_outside_the_first():
    rng = np.random.default_rng(2)
    n = 1000
    x = rng.uniform(size=(n, 3))
    names = ["a.one", "a.two", "a.three"]
    inside = (x[:, 0] > 0.8) | ((x[:, 1] > 0.8) & (x[:, 2] < 0.5))
    frame = with_outcomes(pd.DataFrame(x, columns=names), np.where(inside, 0.6, 0.05))
    metadata = sweep_metadata([{"path": name, "low": 0.0, "high": 1.0} for name in names], "sobol", n)
    first, second = discover(frame, metadata, "major_war", above=0.2)
    assert first.limits == {"a.one": (0.8, None)}
    assert second.limits == {"a.two": (0.8, None), "a.three": (None, 0.5)} and second.outside == (1,)
    assert "of the points outside box 1 where" in second.describe()
    assert first.coverage + second.coverage == pytest.approx(1.0)


def test_describe_in_plain_words():
    box = Box(
        number=1,
        column="p_major_war",
        above=0.2,
        limits={"russia.resolve_prior": (0.71, None), "us.backstop_cost": (None, 6.3)},
        categories={},
        coverage=0.74,
        density=0.87,
        mass=0.18,
        points=180,
        cases=157,
    )
    assert box.describe() == (
        "major war exceeds 0.20 in 87% of the points where russia.resolve_prior > 0.71 and "
        "us.backstop_cost < 6.3; the box holds 18% of the points and 74% of all such points"
    )
    two_sided = Box(2, "mean_rounds", 6.0, {"coalition.troops": (0.25, 0.5)}, {"russia.rule": ("grim",)},
                    0.2, 0.9, 0.05, 50, 45, outside=(1,))  # fmt: skip
    assert two_sided.describe() == (
        "mean rounds exceeds 6 in 90% of the points outside box 1 where 0.25 < coalition.troops < 0.5 and "
        "russia.rule is grim; the box holds 5% of the points and 20% of all such points"
    )
    assert two_sided.to_dict()["limits"] == {"coalition.troops": {"above": 0.25, "below": 0.5}}


def test_discover_when_nothing_or_everything_exceeds_the_threshold():
    frame, metadata = planted_sweep()
    assert discover(frame, metadata, "major_war", above=0.99) == []
    (box,) = discover(frame, metadata, "major_war", above=-1.0)
    assert box.limits == {} and box.categories == {} and box.coverage == box.density == box.mass == 1.0
    assert "(no parameter restricts it)" in box.describe()


def test_discover_refuses_bad_settings():
    frame, metadata = planted_sweep(n=200)
    with pytest.raises(ValueError, match="threshold_density"):
        discover(frame, metadata, "major_war", 0.2, threshold_density=0)
    with pytest.raises(ValueError, match="finite"):
        discover(frame, metadata, "major_war", math.nan)
    with pytest.raises(ValueError, match="no column 'p_limited_clash'"):
        discover(frame.drop(columns="p_limited_clash"), metadata, "limited_clash", 0.2)


@given(st.floats(-1e6, 1e6), st.floats(1e-6, 1e3))
def test_round_limits_lie_strictly_between_the_points(lower, gap):
    upper = lower + gap
    value = _round_between(lower, upper)
    assert lower < value < upper


# --------------------------------------------------------------------------------------------------
# Plots


def lhs_sweep(n: int = 400) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"russia.resolve_prior": rng.uniform(size=n), "us.backstop_cost": rng.uniform(0, 10, n)})
    p = 0.05 + 0.3 * frame["russia.resolve_prior"] * (1 - frame["us.backstop_cost"] / 12)
    params = [
        {"path": "russia.resolve_prior", "low": 0.0, "high": 1.0},
        {"path": "us.backstop_cost", "low": 0.0, "high": 10.0},
    ]
    return with_outcomes(frame, p.to_numpy(), runs=500), sweep_metadata(params, "lhs", n)


@pytest.mark.parametrize("make", [grid_sweep, lhs_sweep], ids=["grid", "lhs"])
@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_plots_are_written(tmp_path, make, suffix):
    frame, metadata = make()
    curve = plot_sweep(frame, metadata, "major_war", "russia.resolve_prior", path=tmp_path / f"curve{suffix}")
    heat = plot_sweep(frame, metadata, "major_war", "russia.resolve_prior", "us.backstop_cost",
                      tmp_path / f"heat{suffix}")  # fmt: skip
    for path in (curve, heat):
        assert path.exists() and path.stat().st_size > 1000
        if suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE
        else:
            text = path.read_text(encoding="utf-8")
            assert "plotly" in text and "P(major war)" in text and "russia.resolve_prior" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([curve.name, heat.name])  # no temporary left


def test_plot_of_a_categorical_parameter(tmp_path):
    frame, metadata = lhs_sweep(300)
    frame["russia.rule"] = np.random.default_rng(0).choice(["grim", "naive"], len(frame))
    metadata["params"].append({"path": "russia.rule", "low": None, "high": None, "values": ["grim", "naive"]})
    for name in ("rule.png", "rule.html"):
        path = plot_sweep(frame, metadata, "mean_rounds", "russia.rule", path=tmp_path / name)
        assert path.exists()
    path = plot_sweep(frame, metadata, "major_war", "russia.rule", "us.backstop_cost", tmp_path / "rule2.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_curve_averages_over_the_other_parameters():
    frame, metadata = grid_sweep()
    line = curve(frame, metadata, "p_major_war", "russia.resolve_prior", None)
    expected = frame.groupby("russia.resolve_prior")["p_major_war"].mean()
    assert line["x"] == list(expected.index) and np.allclose(line["mean"], expected.to_numpy())
    assert np.all(line["low"] <= line["mean"]) and np.all(line["mean"] <= line["high"])
    assert line["note"] == "averaged over us.backstop_cost at each value of russia.resolve_prior"
    lhs, lhs_meta = lhs_sweep()
    binned = curve(lhs, lhs_meta, "p_major_war", "russia.resolve_prior", 10)
    assert len(binned["x"]) == 10 and binned["note"].endswith("in 10 bins of russia.resolve_prior")
    one = frame[frame["us.backstop_cost"] == 0].reset_index(drop=True)
    meta = {**metadata, "params": metadata["params"][:1]}
    alone = curve(one, meta, "p_major_war", "russia.resolve_prior", None)
    assert alone["note"] == "" and np.allclose(alone["low"], one["ci_low_major_war"])


def test_plot_refuses_bad_input(tmp_path):
    frame, metadata = grid_sweep()
    with pytest.raises(ValueError, match=r"'russia\.nope'"):
        plot_sweep(frame, metadata, "major_war", "russia.nope", path=tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"'us\.nope'"):
        plot_sweep(frame, metadata, "major_war", "russia.resolve_prior", "us.nope", tmp_path / "a.png")
    with pytest.raises(ValueError, match="same parameter"):
        plot_sweep(frame, metadata, "major_war", "us.backstop_cost", "us.backstop_cost", tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"must end in \.png"):
        plot_sweep(frame, metadata, "major_war", "us.backstop_cost", path=tmp_path / "a.jpg")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------------------------------
# Reading sweep directories and the commands


def run_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="sim")
    add_analysis_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_sweep_directories_are_read_in_point_order(tmp_path):
    frame, metadata = grid_sweep()
    shuffled = frame.sample(frac=1.0, random_state=3)
    directory = write_sweep(tmp_path / "sweep", shuffled, metadata, parts=3)
    read, meta = load_sweep(directory)
    assert meta == metadata and list(read["point"]) == list(range(len(frame)))
    pd.testing.assert_frame_equal(read, frame, check_dtype=False)
    with pytest.raises(ValueError, match="not a sweep"):
        load_sweep(tmp_path / "missing")
    (tmp_path / "started").mkdir()
    (tmp_path / "started" / "_sweep.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ValueError, match=r"no finished points yet.*--resume"):
        load_sweep(tmp_path / "started")


def test_sensitivity_command(tmp_path, capsys, ishigami):
    directory = write_sweep(tmp_path / "sweep", *ishigami)
    assert run_command("sensitivity", str(directory), "--outcome", "major_war", "--resamples", "200") == 0
    out = capsys.readouterr().out
    assert "Sobol indices of P(major war), N = 1024" in out and "coalition_2026" in out
    lines = [line.split()[0] for line in out.splitlines() if line.startswith("x.")]
    assert lines[:3] == ["x.one", "x.two", "x.three"]  # sorted by total index
    assert "x.one x x.three" in out  # the second-order table

    table = tmp_path / "indices.csv"
    code = run_command("sensitivity", str(directory), "--outcome", "major_war", "--json", "--out", str(table))
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert code == 0 and f"saved 9 indices to {table}" in captured.err
    assert [entry["parameter"] for entry in summary["indices"]] == ["x.one", "x.two", "x.three"]
    assert summary["sweep"]["scenario"] == "coalition_2026" and summary["N"] == 1024
    assert len(summary["second_order"]) == 3 and len(summary["indices"][0]["ST_ci95"]) == 2
    assert len(pd.read_csv(table)) == 9


def test_sensitivity_command_refuses_a_grid_sweep(tmp_path):
    directory = write_sweep(tmp_path / "grid", *grid_sweep())
    with pytest.raises(ValueError, match="--design saltelli"):
        run_command("sensitivity", str(directory), "--outcome", "major_war")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        run_command("sensitivity", str(directory), "--outcome", "major_war", "--out", "indices.txt")


def test_discover_command(tmp_path, capsys):
    directory = write_sweep(tmp_path / "sweep", *planted_sweep())
    code = run_command("discover", str(directory), "--outcome", "major_war", "--above", "0.2")
    out = capsys.readouterr().out
    assert code == 0
    assert "box 1: major war exceeds 0.20 in" in out and "russia.resolve_prior > 0.7" in out
    assert "us.backstop_cost < 0.4" in out and "coverage" in out

    code = run_command("discover", str(directory), "--outcome", "major_war", "--above", "0.2", "--json",
                       "--threshold-density", "0.95", "--max-boxes", "1")  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["threshold_density"] == 0.95 and len(summary["boxes"]) == 1
    box = summary["boxes"][0]
    assert box["density"] >= 0.95 and set(box["limits"]) == {"russia.resolve_prior", "us.backstop_cost"}
    assert summary["points"] == 1000 and summary["sweep"]["design"] == "lhs"

    code = run_command("discover", str(directory), "--outcome", "major_war", "--above", "0.95")
    assert code == 0 and "no point to explain" in capsys.readouterr().out


def test_plot_command(tmp_path, capsys):
    directory = write_sweep(tmp_path / "sweep", *grid_sweep())
    figure = tmp_path / "fig.png"
    code = run_command("plot", str(directory), "--outcome", "major_war", "--x", "russia.resolve_prior",
                       "--y", "us.backstop_cost", "--out", str(figure))  # fmt: skip
    assert code == 0 and figure.read_bytes()[:8] == PNG_SIGNATURE
    assert f"wrote {figure}" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"'russia\.nope'"):
        run_command("plot", str(directory), "--outcome", "major_war", "--x", "russia.nope", "--out", str(figure))
    with pytest.raises(ValueError, match="unknown outcome"):
        run_command("plot", str(directory), "--outcome", "war", "--x", "russia.resolve_prior", "--out", str(figure))
    with pytest.raises(ValueError, match="not a sweep"):
        run_command("plot", str(tmp_path / "none"), "--outcome", "major_war", "--x", "a", "--out", str(figure))


@pytest.mark.slow
def test_commands_on_a_sweep_from_the_engine(tmp_path, capsys):
    from sim.studies.sweeps import sweep

    directory = tmp_path / "engine"
    params = {"russia.resolve_prior": (0.2, 0.9), "russia.lambda": (0.5, 5.0)}
    short = Path(__file__).resolve().parents[1] / "data" / "short_crisis.toml"  # 24 points: one quick solve each
    sweep(str(short), params, design="saltelli", samples=4, runs=100, seed=3, out=directory,
          executor="inline", calc_second_order=True)  # fmt: skip
    assert run_command("sensitivity", str(directory), "--outcome", "major_war", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert {entry["parameter"] for entry in summary["indices"]} == set(params) and summary["N"] == 4
    assert run_command("discover", str(directory), "--outcome", "deterrence_holds", "--above", "0.5") == 0
    assert "deterrence holds exceeds 0.50" in capsys.readouterr().out
    figure = tmp_path / "engine.png"
    assert run_command("plot", str(directory), "--outcome", "major_war", "--x", "russia.lambda", "--out",
                       str(figure)) == 0  # fmt: skip
    assert figure.read_bytes()[:8] == PNG_SIGNATURE
