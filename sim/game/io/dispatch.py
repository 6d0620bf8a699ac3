"""Game files of any kind: the format chosen by the file's suffix, or sniffed from the text.

:func:`read_game` and :func:`write_game` pick the reader or writer of ``.nfg``, ``.efg`` or
``.toml`` (any case) and guard the file system: only regular files up to
:data:`~sim.domain.limits.MAX_GAME_FILE_BYTES` are read, and writing is atomic.
:func:`parse_game` does the same for text. The formats are described in
``docs/reference/game-formats.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.domain.files import FileRefused, read_regular_file, write_text_atomically
from sim.domain.limits import MAX_GAME_FILE_BYTES
from sim.game.io.common import Game, located_error
from sim.game.io.efg import parse_efg, write_efg
from sim.game.io.nfg import parse_nfg, write_nfg
from sim.game.io.toml_game import parse_toml, write_toml
from sim.game.normal import GameError

KINDS = ("nfg", "efg", "toml")  # the kinds of game file, named as their suffixes


def parse_game(text: str, source: str = "<string>", kind: str | None = None) -> Game:
    """A game from the text of a game file.

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file's name, for error messages.
    kind : {"nfg", "efg", "toml"} or None
        The format (any case, a leading dot allowed). If None, the suffix of ``source`` decides,
        and failing that the first word of the text (NFG, EFG, else TOML).

    Returns
    -------
    NormalFormGame or ExtensiveFormGame
        The game.

    Raises
    ------
    GameError
        If ``kind`` is unknown, or the text is not a well-formed file of its kind.
    """
    if kind is None:
        suffix = Path(source).suffix.lower().lstrip(".")
        first = text.lstrip()[:3]
        kind = suffix if suffix in KINDS else {"NFG": "nfg", "EFG": "efg"}.get(first, "toml")
    kind = kind.lower().lstrip(".")
    parsers: dict[str, Callable[[str, str], Game]] = {"nfg": parse_nfg, "efg": parse_efg, "toml": parse_toml}
    if kind not in parsers:
        raise GameError(f"{source}: unknown kind of game file '{kind}' (expected one of {', '.join(KINDS)})")
    return parsers[kind](text, source)


def read_game(path: str | os.PathLike[str]) -> Game:
    """A game from a .nfg, .efg or .toml file (the suffix decides, in any case).

    Gambit files that are not UTF-8 are read as Latin-1 (old Gambit files often are); TOML must be
    UTF-8.

    Parameters
    ----------
    path : str or os.PathLike
        The file: a regular file (not a folder, pipe or device) of at most
        :data:`~sim.domain.limits.MAX_GAME_FILE_BYTES`.

    Returns
    -------
    NormalFormGame or ExtensiveFormGame
        The game.

    Raises
    ------
    GameError
        If the suffix is not one of the kinds, the file is refused (not a regular file, or too
        large) or it is not a well-formed file of its kind; the message names the file.
    OSError
        If the file cannot be opened.
    """
    path = Path(path)
    kind = _kind_of(path)
    try:
        data = read_regular_file(path, MAX_GAME_FILE_BYTES)  # a pipe, device or folder is refused unopened
    except FileRefused as refusal:
        raise GameError(f"{path}: {refusal}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if kind == "toml":  # TOML must be UTF-8; old Gambit files are often Latin-1
            line = data.count(b"\n", 0, error.start) + 1
            raise located_error(str(path), line, "this file is not UTF-8 text") from None
        text = data.decode("latin-1")
    return parse_game(text, str(path), kind)


def write_game(game: Game, path: str | os.PathLike[str]) -> None:
    """Write a game as .nfg, .efg or .toml (the suffix decides, in any case), atomically.

    The text goes to a temporary file in the same folder, which then replaces ``path``.

    Parameters
    ----------
    game : NormalFormGame or ExtensiveFormGame
        The game. A tree written as ``.nfg`` is written as its (unreduced) normal form; ``.efg``
        needs a tree.
    path : str or os.PathLike
        The file to write.

    Raises
    ------
    GameError
        If the suffix is not one of the kinds, or the game cannot be written in that format.
    """
    path = Path(path)
    writers: dict[str, Callable[[Any], str]] = {"nfg": write_nfg, "efg": write_efg, "toml": write_toml}
    text = writers[_kind_of(path)](game)
    write_text_atomically(path, text)


def _kind_of(path: Path) -> str:
    """The kind of game file named by the suffix of ``path``."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in KINDS:
        raise GameError(f"{path}: unknown kind of game file '{path.suffix}' (use .nfg, .efg or .toml)")
    return kind
