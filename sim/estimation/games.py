"""The standard trees of strategic estimation (the R package ``games``), and trees read from files.

Each is an :class:`~sim.estimation.trees.EstimationTree`: the fixed trees are special cases of the
one recursion in :mod:`sim.estimation.trees`, not separate code. Their utilities, and the order
of the formula's parts, are the R package's:

* ``egame12``: player 1 keeps the status quo (``~a1``) or escalates; then player 2 backs down
  (``a1,~a2``) or fights (``a1,a2``). Formula ``u11 | u13 | u14 | u24``: player 1's utility for
  each outcome, player 2's for war (its utility for backing down is 0).
* ``egame122``: player 1 moves left or right, then player 2 moves left or right on either side:
  outcomes ``~a1,~a2``, ``~a1,a2``, ``a1,~a2``, ``a1,a2``. Formula
  ``u11 | u12 | u13 | u14 | u22 | u24``.
* ``egame123``: player 1 stops (``~a1``) or goes on; player 2 stops (``a1,~a2``) or goes on;
  player 3 stops (``a1,a2,~a3``) or goes on (``a1,a2,a3``). Formula
  ``u11 | u13 | u15 | u16 | u23 | u25 | u26 | u36``.

The utilities not named are fixed at 0, the normalisation that identifies the model (only
differences of utilities enter a choice).

A tree read from a ``.efg`` or TOML game file (:func:`tree_from_file`) has one formula part per
player and terminal, player by player (``u1_1 | u1_2 | ... | u2_1 | ...``); write 0 for each
utility to normalise. Its payoffs in the file are not used.

References
----------
Kenkel, B. and Signorino, C. S. (2014). Estimating extensive form games in R. *Journal of
Statistical Software* 56(8), 1-27. Signorino, C. S. (2003). Structure and uncertainty in discrete
choice models. *Political Analysis* 11(4), 316-344.
"""

from __future__ import annotations

from pathlib import Path

from sim.estimation.formula import FormulaError
from sim.estimation.trees import EstimationTree, Slot
from sim.game.io.dispatch import read_game
from sim.game.normal import GameError
from sim.game.tree import ExtensiveFormGame, Node


def _end(players: int) -> Node:
    return Node.terminal([0.0] * players)


def _choice(player: int, left: Node, right: Node) -> Node:
    return Node.decision(player, {"L": left, "R": right})


def _slots(names: str) -> tuple[Slot, ...]:
    """``"u11 u13"``: player 1's utility of outcome 1, ... (outcomes numbered as the R package's
    nodes; :data:`_TERMINALS` maps them to the tree's terminals)."""
    return tuple(Slot(name, int(name[1]) - 1, int(name[2])) for name in names.split())


def _numbered(name: str, slots: tuple[Slot, ...], terminals: dict[int, int]) -> tuple[Slot, ...]:
    return tuple(Slot(slot.name, slot.player, terminals[slot.terminal]) for slot in slots)


EGAME12 = EstimationTree(
    "egame12",
    ExtensiveFormGame(("1", "2"), _choice(0, _end(2), _choice(1, _end(2), _end(2))), "egame12"),
    _numbered("egame12", _slots("u11 u13 u14 u24"), {1: 0, 3: 1, 4: 2}),
    decision_columns=(0, 1),
)
"""Two players, three outcomes: status quo, capitulation, war."""

EGAME122 = EstimationTree(
    "egame122",
    ExtensiveFormGame(("1", "2"), _choice(0, _choice(1, _end(2), _end(2)), _choice(1, _end(2), _end(2))), "egame122"),
    _numbered("egame122", _slots("u11 u12 u13 u14 u22 u24"), {1: 0, 2: 1, 3: 2, 4: 3}),
    decision_columns=(0, 1, 1),
)
"""Two players, four outcomes: player 2 moves after either of player 1's moves."""

EGAME123 = EstimationTree(
    "egame123",
    ExtensiveFormGame(
        ("1", "2", "3"), _choice(0, _end(3), _choice(1, _end(3), _choice(2, _end(3), _end(3)))), "egame123"
    ),
    _numbered("egame123", _slots("u11 u13 u15 u16 u23 u25 u26 u36"), {1: 0, 3: 1, 5: 2, 6: 3}),
    decision_columns=(0, 1, 2),
)
"""Three players, four outcomes: each may stop the crisis or pass it on."""

GAMES: dict[str, EstimationTree] = {game.name: game for game in (EGAME12, EGAME122, EGAME123)}
"""The fixed trees ``sim fit`` knows, by name."""

GAME_SUFFIXES = (".efg", ".toml")


def tree_from_file(path: str | Path) -> EstimationTree:
    """A tree read from a ``.efg`` or TOML game file, with one formula part per player and terminal.

    Raises
    ------
    FormulaError
        If the file cannot be read as a game tree, or the tree hides moves (imperfect information).
    """
    try:
        game = read_game(path)
    except (GameError, OSError, ValueError) as error:
        raise FormulaError(f"{path}: not a game tree sim can read ({error})") from None
    if not isinstance(game, ExtensiveFormGame):
        raise FormulaError(f"{path}: a normal-form game has no tree to estimate; give a .efg or TOML tree")
    terminals = sum(node.kind == "terminal" for node in game.nodes())
    wide = terminals > 9 or game.n_players > 9
    slots = tuple(
        Slot(f"u{i + 1}_{t + 1}" if wide else f"u{i + 1}{t + 1}", i, t)
        for i in range(game.n_players)
        for t in range(terminals)
    )
    return EstimationTree(str(path), game, slots)


def estimation_tree(model: str | Path | EstimationTree) -> EstimationTree:
    """A fixed tree by name (``egame12``), a tree read from a ``.efg`` or TOML file, or a tree built in Python.

    Raises
    ------
    FormulaError
        For a name that is neither, with the names known.
    """
    if isinstance(model, EstimationTree):
        return model
    text = str(model)
    if text in GAMES:
        return GAMES[text]
    if Path(text).suffix in GAME_SUFFIXES:
        if not Path(text).is_file():
            raise FormulaError(f"{text}: no such game file")
        return tree_from_file(text)
    raise FormulaError(f"unknown model {text!r}: known are {', '.join(GAMES)}, or a .efg or TOML game file")
