"""The project's own TOML game format: a normal form or a tree, read from and written to text.

A normal form has ``players``, ``strategies`` and a nested ``payoffs`` array; a tree has
``players``, ``root`` and one ``[nodes.<id>]`` table per node. Unknown keys are errors, and every
error names the line it is about. The format, with examples, is described in
``docs/reference/game-formats.md``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np

from sim.domain.limits import MAX_ACTIONS_PER_NODE, MAX_GAME_NODES
from sim.game.io.common import (
    Game,
    check_table_size,
    checked_build,
    distribution_problem,
    exact_fraction,
    located_error,
    probability_problem,
)
from sim.game.io.toml_context import BARE_KEY, TomlContext, describe_value
from sim.game.io.toml_nodes import NodeSpec, build_tree, check_infosets, check_tree_shape
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, Node, depth_first

_TOP_KEYS = ("title", "players", "strategies", "payoffs", "root", "nodes")
_NODE_KEYS = ("player", "actions", "infoset", "chance", "payoffs", "outcome")
_ALLOWED = {
    "actions": {"player", "actions", "infoset"},
    "chance": {"chance", "infoset"},
    "payoffs": {"payoffs", "outcome"},
}


def parse_toml(text: str, source: str = "<toml>") -> Game:
    """A game from this project's TOML game format: a normal form or a tree.

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file's name, for error messages.

    Returns
    -------
    NormalFormGame or ExtensiveFormGame
        A tree if the file has ``root`` or ``nodes``, else a normal form.

    Raises
    ------
    GameError
        If the text is not valid TOML, has an unknown key or a value of the wrong type, or its
        nodes do not form one tree; the message starts ``"<source>:<line>: "``.
    """
    data = _load_toml(text, source)
    context = TomlContext(source, text)
    for key in data:
        if key not in _TOP_KEYS:
            raise context.error((key,), f"unknown key '{key}' (a game file has {', '.join(_TOP_KEYS)})")
    title = context.string(("title",), data.get("title", ""), "title")
    players = _toml_players(context, data)
    if "root" in data or "nodes" in data:
        for key in ("strategies", "payoffs"):
            if key in data:
                raise context.error(
                    (key,),
                    f"'{key}' belongs to a normal form, but this file has a tree "
                    "(root and nodes); give one or the other",
                )
        return _toml_tree(context, data, players, title)
    return _toml_normal_form(context, data, players, title)


def _load_toml(text: str, source: str) -> dict[str, Any]:
    """The TOML data, by tomllib, with its syntax errors turned into ``source:line: message``.

    Arrays or tables nested so deep that tomllib's recursion gives out (a kilobyte of brackets
    does it) are refused alike.
    """
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise located_error(source, 1, "arrays or tables are nested too deeply to read") from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        message = message[: match.start()] if match else re.sub(r"\s*\(at end of document\)$", "", message)
        raise located_error(source, line, f"not valid TOML: {message}") from None


def _toml_players(context: TomlContext, data: dict[str, Any]) -> list[str]:
    if "players" not in data:
        raise located_error(context.source, 1, "missing 'players', the list of player names")
    players = context.array(("players",), data["players"], "players")
    names = [context.string(("players",), name, "each player") for name in players]
    if not names:
        raise context.error(("players",), "the game has no players")
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise context.error(("players",), f"player '{repeated[0]}' is named twice")
    return names


def _toml_normal_form(context: TomlContext, data: dict[str, Any], players: list[str], title: str) -> NormalFormGame:
    for key in ("strategies", "payoffs"):
        if key not in data:
            raise located_error(context.source, 1, f"missing '{key}' (or 'root' and 'nodes' for a tree)")
    path = ("strategies",)
    lists = context.array(path, data["strategies"], "strategies (one list per player)", len(players))
    strategies = []
    for player, labels in zip(players, lists):
        labels = context.array(path, labels, f"the strategies of '{player}'")
        if not labels:
            raise context.error(path, f"player '{player}' has no strategies")
        strategies.append([context.string(path, label, f"each strategy of '{player}'") for label in labels])
    shape = tuple(len(labels) for labels in strategies)
    check_table_size(partial(context.error, ("payoffs",)), len(players), shape)
    table = _toml_payoff_table(context, data["payoffs"], players, shape)
    payoffs = np.moveaxis(np.array(table, dtype=float).reshape((*shape, len(players))), -1, 0)
    return checked_build(
        partial(context.error, ("payoffs",)),
        lambda: NormalFormGame(tuple(players), tuple(map(tuple, strategies)), payoffs, title),
    )


def _toml_payoff_table(context: TomlContext, value: Any, players: list[str], shape: tuple[int, ...]) -> list:
    """``payoffs[s1]...[sn] = [u1, ..., un]``, checked level by level so errors name the entry."""
    path = ("payoffs",)
    entries: list[tuple[tuple[int, ...], Any]] = [((), value)]
    numbers = []
    for depth in range(len(shape) + 1):
        deeper: list[Any] = []
        for index, entry in entries:
            where = "payoffs" + "".join(f"[{k}]" for k in index)
            if depth == len(shape):
                row = context.array(path, entry, f"{where} (one payoff per player)", len(players))
                numbers.append([context.number(path, x, f"{where}[{k}]") for k, x in enumerate(row)])
            else:
                what = f"{where} (one entry per strategy of '{players[depth]}')"
                items = context.array(path, entry, what, shape[depth])
                deeper.extend(((*index, k), item) for k, item in enumerate(items))
        entries = deeper
    return numbers


def _toml_tree(context: TomlContext, data: dict[str, Any], players: list[str], title: str) -> ExtensiveFormGame:
    if "nodes" not in data:
        raise context.error(("root",), "a tree needs its nodes: one [nodes.<id>] table per node")
    if "root" not in data:
        raise context.error(("nodes",), "a tree needs 'root = \"<node id>\"', the id of its first node")
    root = context.string(("root",), data["root"], "root")
    nodes = context.table(("nodes",), data["nodes"], "nodes")
    if len(nodes) > MAX_GAME_NODES:
        raise context.error(
            ("nodes",), f"the tree has {len(nodes):,} nodes, more than the {MAX_GAME_NODES:,} a game file may have"
        )
    if root not in nodes:
        raise context.error(("root",), f"the root '{root}' is not defined (there is no [nodes.{_toml_key(root)}])")
    specs = {node_id: _toml_node(context, node_id, table, players) for node_id, table in nodes.items()}
    check_tree_shape(context, specs, root)
    check_infosets(context, specs, players)
    built = build_tree(specs, root)
    return checked_build(
        partial(context.error, ("nodes", root)), lambda: ExtensiveFormGame(tuple(players), built, title)
    )


def _toml_node(context: TomlContext, node_id: str, value: Any, players: list[str]) -> NodeSpec:
    """Check one node table: its keys decide the kind of node, then that kind's fields are checked."""
    path = ("nodes", node_id)
    table = context.table(path, value, f"nodes.{_toml_key(node_id)}")
    kind = _toml_node_kind(context, node_id, table)
    if kind == "payoffs":
        return _toml_terminal(context, node_id, table, len(players))
    infoset = context.string((*path, "infoset"), table.get("infoset", ""), f"the infoset of node '{node_id}'")
    branches = context.table((*path, kind), table[kind], f"the {kind} of node '{node_id}'")
    if not branches:
        raise context.error((*path, kind), f"node '{node_id}' has no {kind}")
    if len(branches) > MAX_ACTIONS_PER_NODE:
        raise context.error(
            (*path, kind),
            f"node '{node_id}' has {len(branches):,} {kind}, more than the {MAX_ACTIONS_PER_NODE:,} a node may have",
        )
    if kind == "chance":
        targets, probabilities = _toml_chance(context, node_id, branches)
        return NodeSpec(node_id, kind, tuple(branches), targets, probabilities, infoset=infoset)
    player = _toml_player(context, node_id, table, players)
    targets = tuple(
        context.string((*path, kind, a), t, f"action '{a}' of node '{node_id}'") for a, t in branches.items()
    )
    return NodeSpec(node_id, kind, tuple(branches), targets, player=player, infoset=infoset)


def _toml_node_kind(context: TomlContext, node_id: str, table: dict[str, Any]) -> str:
    """Which of "actions", "chance" or "payoffs" the node has: exactly one, with only the keys that go with it."""
    path = ("nodes", node_id)
    for key in table:
        if key not in _NODE_KEYS:
            raise context.error(
                (*path, key), f"node '{node_id}': unknown key '{key}' (a node has {', '.join(_NODE_KEYS)})"
            )
    kinds = [key for key in _ALLOWED if key in table]
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none of them"
        raise context.error(
            path,
            f"node '{node_id}' needs exactly one of 'actions' (a decision node), 'chance' "
            f"(a chance node) or 'payoffs' (a terminal node); it has {found}",
        )
    for key in table:
        if key not in _ALLOWED[kinds[0]]:
            raise context.error((*path, key), f"node '{node_id}': '{key}' does not go with '{kinds[0]}'")
    return kinds[0]


def _toml_terminal(context: TomlContext, node_id: str, table: dict[str, Any], n_players: int) -> NodeSpec:
    path = ("nodes", node_id, "payoffs")
    row = context.array(path, table["payoffs"], f"the payoffs of node '{node_id}'", n_players)
    payoffs = tuple(context.number(path, x, f"payoff {k + 1} of node '{node_id}'") for k, x in enumerate(row))
    outcome_path = ("nodes", node_id, "outcome")
    outcome = context.string(outcome_path, table.get("outcome", ""), f"the outcome of node '{node_id}'")
    return NodeSpec(node_id, "payoffs", payoffs=payoffs, outcome=outcome)


def _toml_player(context: TomlContext, node_id: str, table: dict[str, Any], players: list[str]) -> int:
    """The index of the player named by a decision node."""
    if "player" not in table:
        raise context.error(("nodes", node_id), f"node '{node_id}' has actions but no 'player'")
    path = ("nodes", node_id, "player")
    name = context.string(path, table["player"], f"the player of node '{node_id}'")
    if name not in players:
        known = ", ".join(map(repr, players))
        raise context.error(path, f"node '{node_id}': unknown player '{name}' (the players are {known})")
    return players.index(name)


def _toml_chance(context: TomlContext, node_id: str, branches: dict[str, Any]) -> tuple[tuple[str, ...], tuple]:
    """``{ branch = [probability, "child"] }``: the children and exact probabilities (a distribution)."""
    targets, probabilities = [], []
    for branch, value in branches.items():
        path = ("nodes", node_id, "chance", branch)
        what = f"branch '{branch}' of node '{node_id}'"
        probability, target = context.array(path, value, f"{what} ([probability, child id])", 2)
        probabilities.append(_toml_probability(context, path, probability, what))
        targets.append(context.string(path, target, f"the child id of {what}"))
    problem = distribution_problem(probabilities)
    if problem:
        raise context.error(("nodes", node_id, "chance"), f"node '{node_id}': the chance probabilities {problem}")
    return tuple(targets), tuple(probabilities)


def _toml_probability(context: TomlContext, path: Sequence[str], value: Any, what: str) -> Fraction:
    """A number, or a string such as "1/3"; exact, so that thirds sum to one."""
    try:
        if isinstance(value, str):
            probability = exact_fraction(value)
        else:
            probability = Fraction(context.number(path, value, f"the probability of {what}"))
    except (ValueError, ZeroDivisionError):
        raise context.error(
            path,
            f'the probability of {what} should be a number or a fraction like "1/3", found {describe_value(value)}',
        ) from None
    problem = probability_problem(probability)
    if problem:
        raise context.error(path, f"the probability of {what} {problem} ({value})")
    return probability


def write_toml(game: Game) -> str:
    """A game in this project's TOML game format.

    Parameters
    ----------
    game : NormalFormGame or ExtensiveFormGame
        The game. Every place in a tree gets its own ``[nodes.<id>]`` table (a subtree object used
        at two places is written twice); node ids are the node labels where those are non-empty
        and unique, else ``n<k>``.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    GameError
        If two players, or two actions of one node, have the same name, or a payoff is not finite.
    """
    _require_distinct(game.players, "player names")
    lines = [f"title = {_toml_string(game.title)}"] if game.title else []
    lines.append(f"players = {_toml_array(_toml_string(name) for name in game.players)}")
    if isinstance(game, NormalFormGame):
        lines.extend(_toml_normal_lines(game))
    else:
        lines.extend(_toml_tree_lines(game))
    return "\n".join(lines) + "\n"


def _toml_normal_lines(game: NormalFormGame) -> list[str]:
    strategies = _toml_array(_toml_array(_toml_string(s) for s in labels) for labels in game.strategies)
    table = np.moveaxis(game.payoffs, 0, -1)  # payoffs[s1]...[sn] = [u1, ..., un]
    rows = [f"    {_toml_nested(entry)}," for entry in table]
    return [f"strategies = {strategies}", "payoffs = [", *rows, "]"]


def _toml_nested(value: np.ndarray) -> str:
    if value.ndim == 1:
        return _toml_array(_toml_number(float(x)) for x in value)
    return _toml_array(_toml_nested(entry) for entry in value)


def _toml_tree_lines(game: ExtensiveFormGame) -> list[str]:
    records = depth_first(game)  # by position: a subtree object used at two places is written twice
    ids = _node_ids([node for node, _, _ in records])
    child_ids: list[list[str]] = [[] for _ in records]
    for position, (_, parent, _) in enumerate(records):
        if parent >= 0:
            child_ids[parent].append(ids[position])
    lines = [f"root = {_toml_string(ids[0])}"]
    for (node, _, _), own_id, children in zip(records, ids, child_ids):
        lines.extend(["", f"[nodes.{_toml_key(own_id)}]"])
        if node.kind == "terminal":
            lines.append(f"payoffs = {_toml_array(_toml_number(x) for x in node.payoffs)}")
            if node.outcome:
                lines.append(f"outcome = {_toml_string(node.outcome)}")
            continue
        _require_distinct(node.actions, f"actions of node {node.label!r}")
        if node.kind == "decision":
            lines.append(f"player = {_toml_string(game.players[node.mover])}")
        if node.infoset:
            lines.append(f"infoset = {_toml_string(node.infoset)}")
        if node.kind == "decision":
            entries = (f"{_toml_key(a)} = {_toml_string(c)}" for a, c in zip(node.actions, children))
            lines.append(f"actions = {{ {', '.join(entries)} }}")
        else:
            entries = (
                f"{_toml_key(a)} = [{_toml_number(p)}, {_toml_string(c)}]"
                for a, p, c in zip(node.actions, node.probabilities, children)
            )
            lines.append(f"chance = {{ {', '.join(entries)} }}")
    return lines


def _node_ids(nodes: Sequence[Node]) -> list[str]:
    """Each node's TOML id: its label where that is non-empty and unique, else ``n<k>`` (k: its position)."""
    counts = Counter(node.label for node in nodes)
    unique = {label for label, count in counts.items() if label and count == 1}
    used = set(unique)
    ids = []
    for position, node in enumerate(nodes):
        if node.label in unique:
            ids.append(node.label)
            continue
        candidate, suffix = f"n{position}", 0
        while candidate in used:
            suffix += 1
            candidate = f"n{position}_{suffix}"
        used.add(candidate)
        ids.append(candidate)
    return ids


def _require_distinct(labels: Sequence[str], what: str) -> None:
    repeated = [label for label, count in Counter(labels).items() if count > 1]
    if repeated:
        raise GameError(f"the TOML format needs distinct {what}, but {repeated[0]!r} appears twice")


def _toml_string(value: str) -> str:
    """A TOML basic string: a JSON string is one, once DEL (which JSON leaves literal) is escaped."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_number(value: float) -> str:
    """Integers where exact (and within TOML's 64-bit range), else the shortest float that reads back equal."""
    if not math.isfinite(value):
        raise GameError(f"{value} cannot be written to a game file")
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _toml_array(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"
