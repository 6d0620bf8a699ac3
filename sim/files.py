"""Writing files so that an interruption never leaves a half-written file, nor destroys the old one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file over ``path``.

    The temporary file sits in the same folder (so the rename is atomic) and ends in the target's
    suffix (so writers that choose a format by suffix, like matplotlib, still do). The result
    keeps the old file's permissions, or gets the usual ones.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old_mode = path.stat().st_mode & 0o777 if path.exists() else None
    temporary = _create_temporary(path)
    try:
        write(temporary)
        if old_mode is not None:
            os.chmod(temporary, old_mode)
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


def _create_temporary(path: Path) -> str:
    """A new empty file beside ``path`` with the usual permissions (0o666 less the umask).

    Like ``tempfile.mkstemp``, but mkstemp's files are private, and reading the umask to widen them
    means setting it, which is not thread-safe (the app writes files from several threads).
    """
    for _ in range(100):
        candidate = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}"
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return str(candidate)
    raise FileExistsError(f"no free temporary file name beside {path}")
