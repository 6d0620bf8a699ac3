"""Writing files so that an interruption never leaves a half-written file, nor destroys the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file over ``path``.

    The temporary file sits in the same folder (so the rename is atomic) and ends in the target's
    suffix (so writers that choose a format by suffix, like matplotlib, still do). The result
    keeps the old file's permissions, or gets the usual ones (mkstemp alone would make it private).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def write_text_atomically(path: str | os.PathLike[str], text: str) -> Path:
    return write_atomically(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8", newline="\n"))


def is_temporary(path: Path) -> bool:
    """A leftover of a write that was cut short (safe to delete)."""
    return path.name.startswith(".") and ".tmp" in path.name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
