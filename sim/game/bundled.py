"""The published games shipped with the package (``games/`` in a checkout), found by name.

``sim solve chain_store`` solves ``games/chain_store.efg`` from any folder, as built-in scenario
names work from any folder. The games and their sources are described in docs/explanation/game-theory.md.
"""

from __future__ import annotations

from pathlib import Path

GAME_SUFFIXES = (".efg", ".nfg", ".toml")


def games_dir() -> Path:
    """The bundled games: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "games", package.parent / "games"):
        if candidate.is_dir():
            return candidate
    return package.parent / "games"


def bundled_games() -> dict[str, Path]:
    """Each bundled game file by its name without the suffix (``chain_store``, ``chicken``, ...)."""
    return {path.stem: path for path in sorted(games_dir().iterdir()) if path.suffix.lower() in GAME_SUFFIXES}
