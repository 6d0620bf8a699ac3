"""A sweep on disk: a Parquet dataset directory that is written chunk by chunk and can be resumed.

The directory holds ``_sweep.json`` (the :class:`SweepSpec` and provenance), then one
``part-FIRST-COUNT.parquet`` file per finished chunk, each written atomically. An interrupted
sweep restarts with ``resume=True`` and runs only the points not yet on disk
(:func:`prepare_directory`), so every point ends up there exactly once.

Nothing doubled: a sweep holds a lock on its directory (``.lock``, :func:`writing_to`) while it
writes there, so a second sweep into the same directory is refused instead of computing the same
points again; :func:`read_sweep` refuses a directory where a point appears twice, or lies outside
the design, and with ``complete=True`` (every analysis) one where a point is missing. A damaged
part file is named; ``resume=True`` moves it aside and computes its points again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim._version import __version__
from sim.domain.files import FileRefused, is_temporary, read_regular_file, write_atomically, write_text_atomically
from sim.domain.limits import MAX_METADATA_BYTES
from sim.domain.scenario import Scenario
from sim.studies.sweeps.design import SweepError

METADATA_FILE = "_sweep.json"
LOCK_FILE = ".lock"  # hidden, so Parquet readers skip it, like the temporary files
CORRUPT_PREFIX = "_"  # a corrupt part moved aside: "_part-...parquet.corrupt", skipped by Parquet readers too
PART_NAME = re.compile(r"part-(\d+)-(\d+)\.parquet")  # first point, number of points
POINTS_NAMED = 5  # duplicated or missing points named in a message; the count says how many more


@dataclass
class SweepSpec:
    """Everything that defines a sweep's numbers; a resumed sweep must match it exactly."""

    scenario: str
    scenario_sha256: str
    params: list[dict[str, Any]]
    design: str
    samples: int | None
    calc_second_order: bool
    seed: int
    runs: int
    n_points: int

    def metadata(self, scenario: Scenario) -> dict[str, Any]:
        """The spec with the package version and the whole scenario: what ``_sweep.json`` holds."""
        scenario_json = scenario.model_dump(mode="json", by_alias=True)
        return {**asdict(self), "version": __version__, "scenario_json": scenario_json}


# --------------------------------------------------------------------------------------------
# Writing


def write_part(directory: Path, rows: list[dict]) -> None:
    """Save a finished chunk's rows atomically as ``part-FIRST-COUNT.parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = min(row["point"] for row in rows)
    table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
    write_atomically(directory / f"part-{first:09d}-{len(rows):06d}.parquet", lambda tmp: pq.write_table(table, tmp))


def prepare_directory(directory: Path, spec: SweepSpec, scenario: Scenario, resume: bool) -> set[int]:
    """Check the directory belongs to this sweep, or start it (called holding its lock); return the
    points already done. On resume, corrupt part files are named and moved aside (their points
    run again).

    Raises
    ------
    SweepError
        If the directory holds a sweep and ``resume`` is off, holds another sweep (other settings
        or another version of the package), or holds something else.
    """
    meta_path = directory / METADATA_FILE
    if meta_path.exists():
        existing = read_metadata(directory)
        if not resume:
            finished = len(read_sweep(directory)[0])
            total = existing["n_points"]
            if finished == total:
                raise SweepError(
                    f"{directory} already holds a complete sweep ({finished} of {total} points): read it with "
                    "sim.read_sweep or sim sensitivity/discover/plot, or choose another --out for a new one"
                )
            raise SweepError(
                f"{directory} already holds a sweep ({finished} of {total} points done): add --resume to finish it, "
                "or choose another --out"
            )
        changed = [key for key, value in asdict(spec).items() if existing.get(key) != value]
        if changed:
            raise SweepError(f"{directory}: cannot resume, the sweep differs in {', '.join(changed)}")
        if existing.get("version") != __version__:
            # Another version may simulate differently: the halves would not be one sweep.
            raise SweepError(
                f"{directory}: cannot resume, it was started by deterrence-sim {existing.get('version')} and this is "
                f"{__version__}; rerun it into a new --out, or finish it with version {existing.get('version')}"
            )
        for stray in filter(is_temporary, directory.iterdir()):
            stray.unlink()  # a write cut short; its points are not marked done and will run again
        _set_aside_corrupt_parts(directory)
        frame, _ = read_sweep(directory)
        return set(frame["point"].astype(int))
    if has_content(directory):
        raise SweepError(f"{directory} exists and is not empty; choose another --out")
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomically(meta_path, json.dumps(spec.metadata(scenario), indent=2))
    return set()


def _set_aside_corrupt_parts(directory: Path) -> None:
    """Rename each part file that cannot be used to ``_part-...parquet.corrupt`` (kept for a look,
    skipped by Parquet readers) and say so: its points are then simply not done."""
    for part in sorted(directory.glob("part-*.parquet")):
        _, problem = _read_part(part)
        if problem:
            aside = part.with_name(f"{CORRUPT_PREFIX}{part.name}.corrupt")
            os.replace(part, aside)
            _notify(f"{part} is corrupt ({problem}): moved aside as {aside.name}; its points will be computed again")


def has_content(directory: Path) -> bool:
    """Whether a would-be sweep directory holds anything but a lock file (left by an earlier attempt).

    Raises
    ------
    SweepError
        If ``directory`` is a file.
    """
    if directory.exists() and not directory.is_dir():
        raise SweepError(f"{directory} is a file, not a folder; choose another --out")
    return directory.exists() and any(entry.name != LOCK_FILE for entry in directory.iterdir())


def _notify(message: str) -> None:
    """Tell the person running the sweep (standard error: the CLI's channel for progress, too)."""
    print(f"sim: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The lock


_LOCKED_HERE: set[str] = set()  # directories a sweep of this process writes to
_LOCKED_HERE_GUARD = threading.Lock()


@contextlib.contextmanager
def writing_to(directory: Path) -> Iterator[None]:
    """Hold the directory's lock while a sweep writes there; refuse (SweepError) if another holds it.

    A POSIX record lock (``fcntl.lockf``) on ``DIR/.lock``, taken without waiting. Unlike
    ``flock``, it is not inherited by forked worker processes, so a killed sweep's workers cannot
    keep it, and the system drops it when the process ends however it ends (``kill -9`` too), so a
    lock is never stale. Record locks do not exclude threads of one process, and closing any
    descriptor of the file drops them: sweeps of this process are kept apart by a set of
    directories, checked before the file is opened. Without ``fcntl`` (not POSIX) only that set
    applies. The lock file stays; it holds the writer's process id, for the message.
    """
    key = str(directory.resolve())
    with _LOCKED_HERE_GUARD:
        if key in _LOCKED_HERE:
            raise SweepError(_busy(directory, os.getpid()))
        _LOCKED_HERE.add(key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _lock(directory, descriptor)
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(descriptor)  # drops the record lock
    finally:
        with _LOCKED_HERE_GUARD:
            _LOCKED_HERE.discard(key)


def _lock(directory: Path, descriptor: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: the in-process check is all there is
        return
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        raise SweepError(_busy(directory, int(holder) if holder.isdigit() else None)) from None


def _busy(directory: Path, pid: int | None) -> str:
    who = f"another sweep (process {pid})" if pid is not None else "another sweep"
    return (
        f"{directory}: {who} is writing to this folder; wait for it to finish (then add --resume if points are "
        "left), or choose another --out"
    )


# --------------------------------------------------------------------------------------------
# Reading


def read_sweep(path: str | Path, *, complete: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep directory as (one row per finished point, sorted by point; its metadata).

    The points read are checked against the metadata's ``n_points``: a point that appears twice
    (two sweeps wrote into one directory) or lies outside ``0 .. n_points - 1`` raises
    :class:`SweepError` naming the first few, the part files and the directory, so no analysis
    counts a point twice. An unfinished sweep gives the points finished so far; with
    ``complete=True`` (every analysis asks for it) a missing point is refused the same way. A part
    file that cannot be read is named, and ``sim sweep ... --resume`` recomputes it.
    """
    directory = Path(path)
    metadata = read_metadata(directory)
    parts = sorted(directory.glob("part-*.parquet"))
    frames = []
    for part in parts:
        frame, problem = _read_part(part)
        if problem:
            raise SweepError(
                f"{part}: this part file is corrupt ({problem}); sim sweep ... --out {directory} --resume "
                "moves it aside and computes its points again"
            )
        frames.append(frame)
    if frames:
        frame = pd.concat(frames, ignore_index=True).sort_values("point", kind="stable").reset_index(drop=True)
    else:
        frame = pd.DataFrame(columns=["point"])
    _check_points(directory, metadata, frame["point"].astype(int).tolist(), parts, frames, complete)
    return frame, metadata


def read_metadata(directory: Path) -> dict[str, Any]:
    """``_sweep.json`` of a sweep directory, checked: a regular file of at most
    :data:`~sim.domain.limits.MAX_METADATA_BYTES`, valid JSON, an object with a whole ``n_points``. Every problem
    raises :class:`SweepError` naming the file."""
    meta_path = directory / METADATA_FILE
    if not meta_path.exists():
        raise SweepError(f"{directory}: not a sweep (no {METADATA_FILE})")
    try:
        metadata = json.loads(read_regular_file(meta_path, MAX_METADATA_BYTES).decode("utf-8"))
    except FileRefused as refusal:
        raise SweepError(f"{meta_path}: {refusal}; it is not a file sim sweep wrote") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SweepError(
            f"{meta_path}: the sweep's metadata is damaged, not valid JSON ({error}); it cannot be read or resumed: "
            "run the sweep again into a new --out"
        ) from None
    if not isinstance(metadata, dict):
        raise SweepError(f"{meta_path}: the sweep's metadata is damaged: a JSON object was expected")
    n_points = metadata.get("n_points")
    if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 0:
        raise SweepError(
            f"{meta_path}: the sweep's metadata is damaged: 'n_points' should be the number of design points, "
            f"found {n_points!r}"
        )
    return metadata


def _read_part(part: Path) -> tuple[pd.DataFrame, str | None]:
    """One part file's rows, or the reason it is corrupt (unreadable, no whole ``point`` column, or
    not the points its name promises: ``part-FIRST-COUNT.parquet``)."""
    import pyarrow as pa

    try:
        frame = pd.read_parquet(part)
    except (OSError, ValueError, pa.ArrowException) as error:
        text = re.sub(r"^Could not open Parquet input source '.*?': ", "", str(error).strip())  # names the file again
        return pd.DataFrame(), f"unreadable: {text.splitlines()[0] if text else type(error).__name__}"
    if "point" not in frame.columns or not pd.api.types.is_integer_dtype(frame["point"]):
        return frame, "it has no column of whole point numbers"
    named = PART_NAME.fullmatch(part.name)
    if named and (len(frame) != int(named[2]) or (len(frame) and int(frame["point"].min()) != int(named[1]))):
        return frame, (
            f"it holds {len(frame)} points from {frame['point'].min() if len(frame) else '-'}, but its name promises "
            f"{int(named[2])} from {int(named[1])}"
        )
    return frame, None


def _check_points(
    directory: Path,
    metadata: dict[str, Any],
    points: list[int],
    parts: Sequence[Path],
    frames: Sequence[pd.DataFrame],
    complete: bool,
) -> None:
    """Every point in ``0 .. n_points - 1`` at most once (exactly once with ``complete``), else SweepError."""
    total = metadata["n_points"]
    seen: dict[int, int] = {}
    for point in points:
        seen[point] = seen.get(point, 0) + 1
    repeated = sorted(point for point, count in seen.items() if count > 1)
    if repeated:
        holders = sorted(
            {part.name for part, frame in zip(parts, frames) if frame["point"].isin(repeated[:POINTS_NAMED]).any()}
        )
        raise SweepError(
            f"{directory}: {_points(repeated)} {'appears' if len(repeated) == 1 else 'appear'} more than once "
            f"(in {', '.join(holders)}): two sweeps wrote "
            "into this folder at once, and no analysis can use it as it is. Delete the part files that repeat "
            "points, or run the sweep again into a new --out"
        )
    outside = sorted(point for point in seen if not 0 <= point < total)
    if outside:
        raise SweepError(
            f"{directory}: {_points(outside)} {'is' if len(outside) == 1 else 'are'} not in this sweep, whose design "
            f"has points 0 to {total - 1} "
            f"({METADATA_FILE} says n_points = {total}); the part files belong to another sweep"
        )
    if complete and len(seen) < total:
        if not seen:
            raise SweepError(
                f"{directory}: the sweep has no finished points yet; finish it with sim sweep ... --out {directory} "
                "--resume"
            )
        missing = [point for point in range(total) if point not in seen]
        raise SweepError(
            f"{directory}: the sweep is unfinished, {len(seen):,} of {total:,} points done ({_points(missing)} "
            f"missing); finish it with sim sweep ... --out {directory} --resume"
        )


def _points(points: Sequence[int]) -> str:
    """``points 3, 4 and 7``, or ``points 3, 4, 5, 6, 7 and 12 more``."""
    named = ", ".join(str(point) for point in points[:POINTS_NAMED])
    if len(points) == 1:
        return f"point {named}"
    if len(points) <= POINTS_NAMED:
        head, _, last = named.rpartition(", ")
        return f"points {head} and {last}"
    return f"points {named} and {len(points) - POINTS_NAMED:,} more"
