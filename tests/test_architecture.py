"""The import rule of ``docs/explanation/architecture.md``, checked over every module's imports.

``sim`` is built in layers; a module imports only its own layer and the layers its layer stands on,
so the architecture can be read from the folders. Imports under ``if TYPE_CHECKING:`` are for type
hints only and are not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

# Each layer and the layers below it that it may import (its own layer always).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "engine": {"domain"},
    "runs": {"domain", "engine"},
    "studies": {"domain", "engine", "runs"},
    "game": {"domain", "engine"},
    "datasets": set(),
    "estimation": {"domain", "engine", "runs", "game", "datasets"},
    "live": {"domain", "engine", "runs", "game", "datasets", "estimation"},
    "cli": {"domain", "engine", "runs", "studies", "game", "datasets", "estimation", "live"},
    "webapp": {"domain", "engine", "runs", "studies", "game", "datasets", "estimation", "live"},
}
CLIENTS = {"cli", "webapp"}  # may use the public API (``import sim``), never a private name below them


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SIM.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every run-time import of a file."""

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            yield child
            yield from walk(child)

    tree = ast.parse(path.read_text(), filename=str(path))
    for node in walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: a relative import; write the full sim.... name")


def internal_imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    for target, names, line in imports(path):
        if target == "sim" or target.startswith("sim."):
            yield target, names, line


def test_every_module_is_in_a_layer():
    loose = [
        name for name in modules() if layer_of(name) is None and name not in ("sim", "sim.__main__", "sim._version")
    ]
    assert not loose, f"modules outside the layers of docs/explanation/architecture.md: {loose}"


@pytest.mark.parametrize("module", sorted(modules()))
def test_a_module_imports_only_the_layers_below_it(module: str):
    path = modules()[module]
    layer = layer_of(module)
    wrong = []
    for target, names, line in internal_imports(path):
        if target == "sim._version":
            continue
        if target == "sim":
            if layer is not None and layer not in CLIENTS and names != ["__version__"]:
                wrong.append(f"line {line}: the public API `sim` is for clients (cli, webapp), not {layer}")
            if names == ["__version__"] and module != "sim":
                wrong.append(f"line {line}: take __version__ from sim._version")
            continue
        target_layer = layer_of(target)
        if layer is None:  # sim/__init__.py and __main__: the public face may import any layer
            continue
        if target_layer != layer and target_layer not in ALLOWED[layer]:
            wrong.append(f"line {line}: {layer} imports {target} ({target_layer})")
        if layer in CLIENTS and target_layer != layer:
            private = [name for name in names if name.startswith("_")]
            if private:
                wrong.append(f"line {line}: {layer} takes private names {private} from {target}")
    assert not wrong, f"{path.relative_to(SIM.parent)}:\n" + "\n".join(wrong)


def test_no_import_loops():
    graph: dict[str, set[str]] = {}
    known = modules()
    for module, path in known.items():
        targets = set()
        for target, names, _ in internal_imports(path):
            for candidate in [f"{target}.{name}" for name in names] + [target]:
                if candidate in known and candidate != module:
                    targets.add(candidate)
                    break
        graph[module] = targets
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        trail.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                loop = [*trail[trail.index(target) :], target]
                raise AssertionError("import loop: " + " -> ".join(loop))
            if state.get(target) is None:
                visit(target)
        trail.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node)


def test_modules_stay_small_or_say_why():
    """No module over about 500 lines unless it is one algorithm and says so at its top."""
    long = []
    for _module, path in modules().items():
        lines = path.read_text().splitlines()
        if len(lines) > 550 and "One algorithm" not in "\n".join(lines[:40]):
            long.append(f"{path.relative_to(SIM.parent)} ({len(lines)} lines)")
    assert not long, "split these, or say at their top why they are one algorithm ('One algorithm: ...'): " + ", ".join(
        long
    )
