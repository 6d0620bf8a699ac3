"""Games in extensive form: a tree of decision, chance and terminal nodes with information sets.

Nodes are immutable; a game is its players and its root. Information sets are named by a key
unique per player; nodes sharing a key must belong to the same player and offer the same actions.
A perfect-information game has one node in every information set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sim.domain.limits import MAX_STRATEGY_PROFILES, MAX_TREE_DEPTH
from sim.game.normal import GameError, NormalFormGame

NodeKind = Literal["decision", "chance", "terminal"]
PROBABILITY_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Node:
    """One node. Decision nodes name a player (index) and an information set; chance nodes carry
    probabilities; terminal nodes carry one payoff per player and an outcome label."""

    kind: NodeKind
    label: str = ""
    player: int | None = None
    infoset: str = ""
    actions: tuple[str, ...] = ()
    probabilities: tuple[float, ...] = ()
    children: tuple[Node, ...] = field(default=(), repr=False)
    payoffs: tuple[float, ...] = ()
    outcome: str = ""

    @property
    def mover(self) -> int:
        """The index of the player who moves at this decision node (its ``player``, never None there).

        Raises
        ------
        ValueError
            At a chance or terminal node, where no player moves.
        """
        if self.player is None:
            raise ValueError(f"no player moves at a {self.kind} node")
        return self.player

    @classmethod
    def decision(cls, player: int, actions: dict[str, Node], infoset: str = "", label: str = "") -> Node:
        """A decision node: ``player`` picks one of ``actions``.

        Parameters
        ----------
        player : int
            The index of the player who moves (into the game's ``players``).
        actions : dict of str to Node
            Each action's name and the node it leads to, in the order the actions are offered.
        infoset : str, optional
            The key of the player's information set; nodes with the same key are indistinguishable
            to the mover. Empty: the node is an information set of its own.
        label : str, optional
            A name for the node (shown in files and figures).

        Returns
        -------
        Node
        """
        return cls("decision", label, player, infoset, tuple(actions), (), tuple(actions.values()))

    @classmethod
    def chance(cls, branches: Sequence[tuple[str, float, Node]], label: str = "", infoset: str = "") -> Node:
        """A chance node: nature takes each branch with its probability.

        The probabilities are checked when the game is built (:class:`ExtensiveFormGame`), not here.

        Parameters
        ----------
        branches : sequence of (str, float, Node)
            Each branch's name, probability and the node it leads to.
        label : str, optional
            A name for the node.
        infoset : str, optional
            A key for the chance move (as Gambit's ``.efg`` files number chance nodes' information sets).

        Returns
        -------
        Node
        """
        names, probabilities, children = zip(*branches, strict=True) if branches else ((), (), ())
        probabilities = tuple(float(p) for p in probabilities)
        return cls("chance", label, None, infoset, tuple(names), probabilities, tuple(children))

    @classmethod
    def terminal(cls, payoffs: Iterable[float], outcome: str = "", label: str = "") -> Node:
        """A terminal node: the game ends with one payoff per player.

        Parameters
        ----------
        payoffs : iterable of float
            Each player's payoff, in the order of the game's ``players``.
        outcome : str, optional
            The outcome's name (``"major_war"``, ...).
        label : str, optional
            A name for the node.

        Returns
        -------
        Node
        """
        return cls("terminal", label, payoffs=tuple(float(x) for x in payoffs), outcome=outcome)


@dataclass(frozen=True, eq=False)
class Infoset:
    """An information set: the player to move, its key, its actions and the nodes it holds."""

    player: int
    key: str
    actions: tuple[str, ...]
    nodes: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class ExtensiveFormGame:
    """A finite game tree."""

    players: tuple[str, ...]
    root: Node
    title: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "players", tuple(self.players))
        self._validate()

    # ------------------------------------------------------------------ structure

    def nodes(self) -> Iterator[Node]:
        """All nodes, depth first, parents before children (Gambit's order)."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def infosets(self) -> list[Infoset]:
        """Information sets in the order their first node appears; decision nodes with an empty key
        are each their own information set."""
        grouped: dict[tuple[int, str], list[Node]] = {}
        for position, node in enumerate(self.nodes()):
            if node.kind == "decision":
                key = node.infoset or f"#{position}"
                grouped.setdefault((node.mover, key), []).append(node)
        return [Infoset(player, key, nodes[0].actions, tuple(nodes)) for (player, key), nodes in grouped.items()]

    def node_infosets(self) -> dict[int, tuple[int, str]]:
        """``id(decision node) -> (player, infoset key)``: where a node's behaviour is looked up."""
        return {id(node): (infoset.player, infoset.key) for infoset in self.infosets() for node in infoset.nodes}

    def infosets_of(self, player: int) -> list[Infoset]:
        """The information sets at which player ``player`` (an index) moves, in the order of :meth:`infosets`."""
        return [infoset for infoset in self.infosets() if infoset.player == player]

    def is_perfect_information(self) -> bool:
        """Whether every information set holds one node: each mover knows exactly where it is."""
        return all(len(infoset.nodes) == 1 for infoset in self.infosets())

    @property
    def n_players(self) -> int:
        """The number of players."""
        return len(self.players)

    def _validate(self) -> None:
        n = len(self.players)
        if n < 1:
            raise GameError("a game needs at least one player")
        self._check_depth()
        seen_decisions: set[int] = set()
        for node in self.nodes():
            where = f"node {node.label!r}" if node.label else f"a {node.kind} node"
            if node.kind == "decision":
                if id(node) in seen_decisions:
                    raise GameError(f"{where}: the same decision node object appears twice; build one per place")
                seen_decisions.add(id(node))
            if node.kind == "terminal":
                if len(node.payoffs) != n:
                    raise GameError(f"{where}: {len(node.payoffs)} payoffs for {n} players")
                if not all(np.isfinite(node.payoffs)):
                    raise GameError(f"{where}: payoffs must be finite numbers")
                continue
            if not node.actions or len(node.actions) != len(node.children):
                raise GameError(f"{where}: {len(node.actions)} actions but {len(node.children)} children")
            if node.kind == "decision" and (node.player is None or not 0 <= node.player < n):
                raise GameError(f"{where}: unknown player {node.player!r}")
            if node.kind == "chance":
                probabilities = np.array(node.probabilities, dtype=float)
                if len(probabilities) != len(node.actions) or np.any(probabilities < 0):
                    raise GameError(f"{where}: chance probabilities must be one non-negative number per branch")
                if abs(probabilities.sum() - 1.0) > PROBABILITY_TOLERANCE:
                    raise GameError(f"{where}: chance probabilities sum to {probabilities.sum():g}, not 1")
        for infoset in self.infosets():
            if any(node.actions != infoset.actions for node in infoset.nodes):
                raise GameError(f"information set {infoset.key!r}: its nodes offer different actions")

    def _check_depth(self) -> None:
        """Refuse a tree deeper than :data:`~sim.domain.limits.MAX_TREE_DEPTH` before anything walks it recursively."""
        stack = [(self.root, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_TREE_DEPTH:
                raise GameError(
                    f"the tree is more than {MAX_TREE_DEPTH} moves deep, the most the solvers here accept "
                    "(deeper trees exhaust Python's recursion limit)"
                )
            stack.extend((child, depth + 1) for child in node.children)

    # ------------------------------------------------------------------ strategies

    def strategy_counts(self) -> tuple[int, ...]:
        """Each player's number of pure strategies: the product of its information sets' action counts.

        Exact integers, computed without enumerating anything, so the size of a normal form can be
        checked before it is built (a player with no move has one strategy: doing nothing)."""
        counts = [1] * self.n_players
        for infoset in self.infosets():
            counts[infoset.player] *= len(infoset.actions)
        return tuple(counts)

    def strategy_profiles(self) -> int:
        """The number of pure-strategy profiles, the size of the normal form (an exact integer)."""
        return math.prod(self.strategy_counts())

    def normal_form_problem(self) -> str | None:
        """Why the normal form is too large to build (a sentence naming the numbers and the cap), or ``None``.

        Checks the profiles against ``MAX_STRATEGY_PROFILES``, then each player's strategies
        times the tree's ends (the reach table :meth:`to_normal_form` builds) against the same cap.
        """
        counts = self.strategy_counts()
        profiles = math.prod(counts)
        if profiles > MAX_STRATEGY_PROFILES:
            factors = " x ".join(describe_count(count) for count in counts)
            by_player = f" ({factors})" if len(counts) > 1 else ""
            return (
                f"the game has {describe_count(profiles)} pure-strategy profiles{by_player}, more than the "
                f"{MAX_STRATEGY_PROFILES:,} a normal form is built for"
            )
        ends = sum(node.kind == "terminal" for node in self.nodes())
        for player, count in enumerate(counts):
            if count * ends > MAX_STRATEGY_PROFILES:
                return (
                    f"{self.players[player]} has {count:,} pure strategies and the tree {ends:,} ends: "
                    f"{count * ends:,} strategy-end pairs, more than the {MAX_STRATEGY_PROFILES:,} a normal form "
                    "is built for"
                )
        return None

    def pure_strategies(self, player: int) -> list[tuple[str, ...]]:
        """Every pure strategy of a player: one action per information set (in infoset order).

        Refused (GameError) above ``MAX_STRATEGY_PROFILES`` strategies: the count is taken first."""
        infosets = self.infosets_of(player)
        count = math.prod(len(infoset.actions) for infoset in infosets)
        if count > MAX_STRATEGY_PROFILES:
            raise GameError(
                f"{self.players[player]} has {describe_count(count)} pure strategies, more than the "
                f"{MAX_STRATEGY_PROFILES:,} that can be listed"
            )
        return list(itertools.product(*(infoset.actions for infoset in infosets))) or [()]

    def outcome_of(self, strategies: Sequence[Sequence[str]]) -> np.ndarray:
        """Expected payoffs when each player plays a pure strategy (averaging over chance)."""
        choice = {}
        for player, strategy in enumerate(strategies):
            for infoset, action in zip(self.infosets_of(player), strategy, strict=True):
                for node in infoset.nodes:
                    choice[id(node)] = infoset.actions.index(action)
        return self._value(self.root, lambda node: np.eye(len(node.actions))[choice[id(node)]])

    def behaviour_value(self, behaviour: dict[tuple[int, str], np.ndarray]) -> np.ndarray:
        """Expected payoffs under a behaviour profile: one probability vector per information set."""
        keys = self.node_infosets()
        return self._value(self.root, lambda node: np.asarray(behaviour[keys[id(node)]], dtype=float))

    def _value(self, node: Node, policy) -> np.ndarray:
        if node.kind == "terminal":
            return np.array(node.payoffs, dtype=float)
        weights = np.array(node.probabilities) if node.kind == "chance" else policy(node)
        return sum(
            (w * self._value(child, policy) for w, child in zip(weights, node.children, strict=True) if w > 0),
            start=np.zeros(self.n_players),
        )

    def to_normal_form(self) -> NormalFormGame:
        """The (unreduced) normal form: every pure strategy profile and its expected payoffs.

        A terminal is reached with its chance probability times, for each player, 1 if the
        player's strategy takes every action of its own on the way there, else 0. So
        ``payoffs[p, s_1..s_n] = sum_t chance_t * u_p(t) * prod_i reaches_i[s_i, t]``: one einsum.
        Refused (GameError) when :meth:`normal_form_problem` finds it too large, before any work.
        """
        problem = self.normal_form_problem()
        if problem:
            raise GameError(f"{problem}: its normal form cannot be built")
        terminals = list(self._terminal_paths())
        chance = np.array([probability for probability, _, _ in terminals])
        utilities = np.array([payoffs for _, _, payoffs in terminals]).T  # (players, terminals)
        reaches = [self._reach_indicators(player, terminals) for player in range(self.n_players)]
        letters = "abcdefghijklmnoqrsuvwxyz"[: self.n_players]  # no "p" or "t": they name other axes
        formula = ",".join(f"{letter}t" for letter in letters) + ",pt->p" + letters
        payoffs = np.einsum(formula, *reaches, utilities * chance, optimize=True)
        strategies = [self.pure_strategies(player) for player in range(self.n_players)]
        labels = [tuple("/".join(strategy) or "(no move)" for strategy in options) for options in strategies]
        return NormalFormGame(self.players, tuple(labels), payoffs, self.title)

    def _terminal_paths(self) -> Iterator[tuple[float, dict[tuple[int, str], str], tuple[float, ...]]]:
        """Each terminal with its chance probability and the (player, infoset) -> action it requires.

        A pure strategy takes one action at each information set, so a path through one set twice
        (absent-mindedness) that needs two different actions there is reached by no pure strategy and
        is left out."""
        infoset_of = self.node_infosets()
        stack: list[tuple[Node, float, dict]] = [(self.root, 1.0, {})]
        while stack:
            node, probability, required = stack.pop()
            if node.kind == "terminal":
                yield probability, required, node.payoffs
                continue
            for k, child in enumerate(node.children):
                if node.kind == "chance":
                    if node.probabilities[k] > 0:
                        stack.append((child, probability * node.probabilities[k], required))
                else:
                    infoset, action = infoset_of[id(node)], node.actions[k]
                    if required.get(infoset, action) != action:
                        continue  # the path asks two different moves at one set: no pure strategy takes it
                    stack.append((child, probability, {**required, infoset: action}))

    def _reach_indicators(self, player: int, terminals) -> np.ndarray:
        """(strategies x terminals): 1 where the strategy takes all of the player's moves to the terminal.

        Strategies are numbered as :meth:`pure_strategies` lists them (``itertools.product``: the
        last information set varies fastest), so the action a strategy takes at an information set
        is a digit of its number in mixed radix: whole columns at once, no loop over strategies."""
        infosets = self.infosets_of(player)
        sizes = [len(infoset.actions) for infoset in infosets]
        count = math.prod(sizes)
        strides = [math.prod(sizes[k + 1 :]) for k in range(len(sizes))]
        numbers = np.arange(count)
        position = {infoset.key: k for k, infoset in enumerate(infosets)}
        digits: dict[int, np.ndarray] = {}
        indicator = np.ones((count, len(terminals)))
        for column, (_, required, _) in enumerate(terminals):
            for (owner, key), action in required.items():
                if owner != player:
                    continue
                k = position[key]
                if k not in digits:
                    digits[k] = numbers // strides[k] % sizes[k]
                takes = np.array([name == action for name in infosets[k].actions])
                indicator[:, column] *= takes[digits[k]]
        return indicator


def describe_count(number: int) -> str:
    """A count for a message: exact with thousands separators, or ``about 10^N`` when too long to
    read (Python also refuses to print integers of more than 4,300 digits)."""
    if number < 10**15:
        return f"{number:,}"
    return f"about 10^{math.floor(math.log10(number)):,}"


def depth_first(game: ExtensiveFormGame) -> list[tuple[Node, int, int]]:
    """``(node, parent position, child index)`` in the order of :meth:`ExtensiveFormGame.nodes`, so
    positions match the keys (``#position``) of unnamed information sets. Positions, unlike node
    objects, are distinct where one subtree object is used at several places of a tree."""
    records: list[tuple[Node, int, int]] = []
    stack = [(game.root, -1, -1)]
    while stack:
        node, parent, k = stack.pop()
        position = len(records)
        records.append((node, parent, k))
        stack.extend((child, position, j) for j, child in reversed(list(enumerate(node.children))))
    return records
