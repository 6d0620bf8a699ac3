"""Game files: Gambit's ``.nfg`` and ``.efg`` formats, and this project's own TOML format.

Reading gives a :class:`~sim.game.normal.NormalFormGame` or an
:class:`~sim.game.tree.ExtensiveFormGame`; writing gives text that Gambit can open and that reads
back to an equal game. :func:`read_game` and :func:`write_game` choose the format by the file's
suffix, :func:`parse_game` reads text, and ``parse_*`` / ``write_*`` handle one format each.
Every malformed file raises :class:`~sim.game.normal.GameError` with a message that starts
``"<source>:<line>: "`` and says what is wrong. The formats, the limits on what is read and how
Gambit's numbering maps to this project's keys are described in
``docs/reference/game-formats.md``. There is one module per format (:mod:`~sim.game.io.nfg`,
:mod:`~sim.game.io.efg`, :mod:`~sim.game.io.toml_game`); the Gambit formats share a tokenizer
(:mod:`~sim.game.io.lexer`), and :mod:`~sim.game.io.dispatch` chooses the format of a file.
"""

from sim.game.io.common import Game
from sim.game.io.dispatch import KINDS, parse_game, read_game, write_game
from sim.game.io.efg import parse_efg, write_efg
from sim.game.io.nfg import parse_nfg, write_nfg
from sim.game.io.toml_game import parse_toml, write_toml

__all__ = [
    "KINDS",
    "Game",
    "parse_efg",
    "parse_game",
    "parse_nfg",
    "parse_toml",
    "read_game",
    "write_efg",
    "write_game",
    "write_nfg",
    "write_toml",
]
