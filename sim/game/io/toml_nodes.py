"""The ``[nodes.<id>]`` tables of a TOML game file assembled into one tree.

Each table is first checked on its own (in :mod:`sim.game.io.toml_game`) into a
:class:`NodeSpec`. The checks here make sure the specs form one tree: every child is defined,
there is no cycle, each node has one parent and every node is reached from the root; and that the
nodes a player's information set joins offer the same actions. Each is an error at the line of
the offending table or key, not a warning. :func:`build_tree` then makes the immutable nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from sim.game.io.toml_context import TomlContext
from sim.game.tree import Node


@dataclass(frozen=True)
class NodeSpec:
    """One ``[nodes.<id>]`` table, checked, before the tree is assembled.

    Attributes
    ----------
    id : str
        The node's id (the ``<id>`` of its table), which becomes its ``Node.label``.
    kind : str
        ``"actions"``, ``"chance"`` or ``"payoffs"``: the key that made it a decision, chance or
        terminal node.
    actions : tuple of str
        The names of its actions or chance branches, in the file's order.
    targets : tuple of str
        The id of the child each action or branch leads to.
    probabilities : tuple of Fraction
        A chance node's exact branch probabilities.
    player : int or None
        A decision node's player (0-based).
    infoset : str
        The optional ``infoset`` key of a decision or chance node.
    payoffs : tuple of float
        A terminal node's payoffs, one per player.
    outcome : str
        A terminal node's optional outcome label.
    """

    id: str
    kind: str  # "actions", "chance" or "payoffs": the key that made it a decision, chance or terminal node
    actions: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    probabilities: tuple[Fraction, ...] = ()
    player: int | None = None
    infoset: str = ""
    payoffs: tuple[float, ...] = ()
    outcome: str = ""


def check_tree_shape(context: TomlContext, specs: dict[str, NodeSpec], root: str) -> None:
    """Check that the nodes form one tree.

    Every child is defined, there is no cycle, each node has one parent and every node is reached
    from the root: checked in that order, so each message names the first real problem.

    Parameters
    ----------
    context : TomlContext
        The file, for errors at a line.
    specs : dict of str to NodeSpec
        Every node table, by id.
    root : str
        The root's id (known to be defined).

    Raises
    ------
    GameError
        At the line of the first node table or key that breaks the tree.
    """
    _check_children_defined(context, specs)
    _check_no_cycle(context, specs, root)
    _check_one_parent(context, specs)
    _check_all_reached(context, specs, root)


def _check_children_defined(context: TomlContext, specs: dict[str, NodeSpec]) -> None:
    for spec in specs.values():
        for action, target in zip(spec.actions, spec.targets):
            if target not in specs:
                raise context.error(
                    ("nodes", spec.id, spec.kind, action),
                    f"node '{spec.id}': '{action}' leads to '{target}', which is not defined",
                )


def _check_no_cycle(context: TomlContext, specs: dict[str, NodeSpec], root: str) -> None:
    cycle = _find_cycle(specs, [root, *specs])
    if cycle:
        parent = specs[cycle[-2]]
        raise context.error(
            ("nodes", parent.id, parent.kind),
            f"node '{parent.id}' leads back to '{cycle[-1]}': {' -> '.join(cycle)} is a cycle, not a tree",
        )


def _check_one_parent(context: TomlContext, specs: dict[str, NodeSpec]) -> None:
    parent_of: dict[str, str] = {}
    for spec in specs.values():
        for action, target in zip(spec.actions, spec.targets):
            if target in parent_of:
                parents = (
                    f"'{spec.id}' twice" if parent_of[target] == spec.id else f"'{parent_of[target]}' and '{spec.id}'"
                )
                raise context.error(
                    ("nodes", spec.id, spec.kind, action),
                    f"node '{target}' is a child of {parents}; in a tree each node has one parent "
                    "(give each branch its own node)",
                )
            parent_of[target] = spec.id


def _check_all_reached(context: TomlContext, specs: dict[str, NodeSpec], root: str) -> None:
    reached, stack = {root}, [root]
    while stack:
        for target in specs[stack.pop()].targets:
            reached.add(target)
            stack.append(target)
    for node_id in specs:
        if node_id not in reached:
            raise context.error(("nodes", node_id), f"node '{node_id}' is never reached from the root '{root}'")


def _find_cycle(specs: dict[str, NodeSpec], starts: Iterable[str]) -> list[str] | None:
    """A path ``a -> ... -> a`` if the child links have a cycle (depth-first search without recursion)."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    for start in starts:
        if start in state:
            continue
        path, pending = [start], [iter(specs[start].targets)]
        state[start] = "open"
        while path:
            child = next(pending[-1], None)
            if child is None:
                state[path.pop()] = "done"
                pending.pop()
            elif state.get(child) == "open":
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                pending.append(iter(specs[child].targets))
    return None


def check_infosets(context: TomlContext, specs: dict[str, NodeSpec], players: list[str]) -> None:
    """Check that the nodes of one player sharing an infoset key offer the same actions, in order.

    Parameters
    ----------
    context : TomlContext
        The file, for errors at a line.
    specs : dict of str to NodeSpec
        Every node table, by id.
    players : list of str
        The player names, for the message.

    Raises
    ------
    GameError
        At the ``actions`` of the first node that differs from the first node of its infoset.
    """
    first: dict[tuple[int, str], NodeSpec] = {}
    for spec in specs.values():
        if spec.kind != "actions" or not spec.infoset:
            continue
        assert spec.player is not None  # a node with actions names its player
        other = first.setdefault((spec.player, spec.infoset), spec)
        if other.actions != spec.actions:
            raise context.error(
                ("nodes", spec.id, "actions"),
                f"node '{spec.id}' is in information set '{spec.infoset}' of '{players[spec.player]}' "
                f"with node '{other.id}', so it must offer the same actions {list(other.actions)}, "
                f"not {list(spec.actions)}",
            )


def build_tree(specs: dict[str, NodeSpec], root: str) -> Node:
    """The tree's immutable nodes from the checked specs, built children first.

    Without recursion, since trees may be deep.

    Parameters
    ----------
    specs : dict of str to NodeSpec
        Every node table, by id, checked to form one tree.
    root : str
        The root's id.

    Returns
    -------
    Node
        The root.
    """
    preorder, stack = [], [root]
    while stack:
        node_id = stack.pop()
        preorder.append(node_id)
        stack.extend(reversed(specs[node_id].targets))
    built: dict[str, Node] = {}
    for node_id in reversed(preorder):
        spec = specs[node_id]
        children = tuple(built[target] for target in spec.targets)
        if spec.kind == "payoffs":
            built[node_id] = Node.terminal(spec.payoffs, outcome=spec.outcome, label=node_id)
        elif spec.kind == "chance":
            probabilities = tuple(float(p) for p in spec.probabilities)
            built[node_id] = Node("chance", node_id, None, spec.infoset, spec.actions, probabilities, children)
        else:
            built[node_id] = Node("decision", node_id, spec.player, spec.infoset, spec.actions, (), children)
    return built[root]
