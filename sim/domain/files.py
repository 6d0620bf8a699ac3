"""Writing files so that an interruption never leaves a half-written file, nor destroys the old one;
reading a file a user names so that it can never hang the process or fill its memory."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
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
    """Write ``text`` to ``path`` as UTF-8 with Unix line ends, by :func:`write_atomically`.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder is created if missing.
    text : str
        The whole content of the file.

    Returns
    -------
    Path
        The path written.
    """
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


class FileRefused(ValueError):
    """A file that is not read: not a regular file, or larger than allowed. The message says which,
    in words for the user (the caller adds the file's name and the field that named it)."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of ``path``, only if it is a regular file of at most ``max_bytes``.

    A name a user gives can be a device (``/dev/zero`` never ends, ``/dev/stdin`` waits for a
    terminal), a pipe (opening one blocks until a writer comes) or a folder. So the file is
    checked with ``os.stat`` before it is opened (opening some devices has effects of its own),
    opened with ``O_NONBLOCK`` (a pipe swapped in after the check cannot block the open), checked
    again on the open descriptor (the same file, not a replacement), and read with a bound one
    byte past the cap (a file that grows, or a ``/proc`` file reporting size 0, stops there).

    Raises
    ------
    FileRefused
        Not a regular file, or larger than ``max_bytes``.
    OSError
        It cannot be found or opened (missing, no permission).
    """
    _check_regular(os.stat(path), max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        _check_regular(os.fstat(descriptor), max_bytes)
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileRefused(f"the file is larger than the {max_bytes:,} bytes allowed")
    return data


def _check_regular(info: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not an ordinary file")
        raise FileRefused(f"{kind}, not a regular file: only regular files are read")
    if info.st_size > max_bytes:
        raise FileRefused(f"the file has {info.st_size:,} bytes, more than the {max_bytes:,} allowed")
