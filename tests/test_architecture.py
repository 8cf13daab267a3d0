"""The rooms' import rules (DESIGN.md) and lint, checked by the test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    result = subprocess.run([BIN / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [BIN / "ruff", "check", "core", "photo", "generator", "bot", "avatarbot", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_rooms_builds_nothing_heavy() -> None:
    # No settings, engine, model or Celery app at import time: importing the contract and the
    # bot must not pull torch in.
    code = "import sys, core.spec, core.settings, bot.app; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_product_ships_no_test_fixtures() -> None:
    # Tiny random models are test fixtures: they live in tests/, which no package includes.
    rooms = ("core", "photo", "generator", "bot", "avatarbot")
    shipped = [path for room in rooms for path in (ROOT / room).rglob("*.py") if "node_modules" not in path.parts]
    assert shipped and not [path for path in shipped if path.stem.startswith("tiny")]


ROOMS = ("core", "photo", "generator", "bot", "avatarbot")


def import_cycles(graph: object, modules: set[str]) -> list[list[str]]:
    """Every strongly connected group of more than one module (each holds at least one cycle),
    and modules importing themselves; Tarjan's algorithm over `graph`'s direct imports."""
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules} for m in modules}  # type: ignore[attr-defined]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(edges[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in edges[module]:
                groups.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycles_inside_the_project() -> None:
    # Every import counts, also those inside functions and under TYPE_CHECKING: a cycle is a
    # cycle whether or not Python happens to survive it at import time.
    import grimp

    graph = grimp.build_graph(*ROOMS, cache_dir=None)
    modules = {m for m in graph.modules if m.split(".")[0] in ROOMS}
    assert len(modules) > 50
    assert import_cycles(graph, modules) == []


def test_the_cycle_finder_finds_cycles() -> None:
    class Graph:
        imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}

        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return self.imports[module]

    assert import_cycles(Graph(), set(Graph.imports)) == [["a", "b", "c"], ["e"]]
