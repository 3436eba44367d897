"""The floors of habeas, read from the import graph of src/habeas: arrows only point down, and nothing circles.

- entry points (cli, api, web, demo) reach the system through the door: habeas.services, habeas.bootstrap and
  domain types; never sqlalchemy, habeas.storage or habeas.ledger;
- the domain imports the standard library and itself, nothing else;
- the pure ledger modules import neither storage nor services;
- no module imports, even lazily inside a function, a module that imports it back (no cycle of any length).

Every import statement counts, at module level or inside a function: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "habeas"

ENTRY_POINTS = ("habeas.cli", "habeas.api", "habeas.web", "habeas.demo")
FORBIDDEN_IN_ENTRY_POINTS = ("sqlalchemy", "habeas.storage", "habeas.ledger")
PURE_LEDGER = ("habeas.ledger.canonical", "habeas.ledger.merkle", "habeas.ledger.note", "habeas.ledger.tiles",
               "habeas.ledger.entry")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _within(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module named by an import in the file (absolute names), with its line. `from x import y` yields x,
    and x.y marked with a trailing "*", since y may itself be a module (the graph keeps only names that are
    modules of the package; the rules read the modules named)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}*", node.lineno


def _named(names: dict[str, int]) -> dict[str, int]:
    """The modules an import statement names (not the members it takes from them)."""
    return {name: line for name, line in names.items() if not name.endswith("*")}


@cache
def graph() -> dict[str, dict[str, int]]:
    """module -> {imported name: line} for every module of src/habeas."""
    found: dict[str, dict[str, int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        found[module] = {}
        for name, line in _imports(path, module):
            found[module].setdefault(name, line)
    return found


def _internal_edges() -> dict[str, set[str]]:
    modules = set(graph())
    edges: dict[str, set[str]] = {}
    for module, names in graph().items():
        targets = set()
        for named in names:
            # `from habeas.services import door` names habeas.services.door; `from habeas.x import f` names habeas.x.
            name = named.rstrip("*")
            if name in modules and name != module:
                targets.add(name)
        edges[module] = targets
    return edges


def _is_package_init(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def test_the_graph_is_read() -> None:
    """The parser sees the package (a guard against a test that passes because it read nothing)."""
    g = graph()
    assert "habeas.cli.main" in g
    assert "habeas.services" in g
    assert any(_within(name, "habeas.domain") for names in g.values() for name in names)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_points_use_only_the_door(entry: str) -> None:
    offences = [
        f"{module}:{line} imports {name}"
        for module, names in graph().items() if _within(module, entry)
        for name, line in _named(names).items() if _within(name, FORBIDDEN_IN_ENTRY_POINTS)
    ]
    assert not offences, "entry points must go through habeas.services:\n" + "\n".join(sorted(set(offences)))


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    stdlib = sys.stdlib_module_names
    offences = [
        f"{module}:{line} imports {name}"
        for module, names in graph().items() if _within(module, "habeas.domain")
        for name, line in _named(names).items()
        if not _within(name, "habeas.domain") and name.split(".")[0] not in stdlib
    ]
    assert not offences, "\n".join(sorted(set(offences)))


def test_the_pure_ledger_sits_below_storage() -> None:
    offences = [
        f"{module}:{line} imports {name}"
        for module, names in graph().items() if module in PURE_LEDGER
        for name, line in _named(names).items()
        if _within(name, ("habeas.storage", "habeas.services", "habeas.bootstrap", "sqlalchemy"))
    ]
    assert not offences, "\n".join(sorted(set(offences)))


# The floors, top to bottom: a module may import its own floor or one below, never one above.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("habeas.cli", "habeas.api", "habeas.web", "habeas.demo", "habeas.importers", "habeas.__main__"),
    ("habeas.bootstrap", "habeas.wiring"),
    ("habeas.services",),
    ("habeas.ledger.log", "habeas.ledger.verify"),
    ("habeas.storage",),
    ("habeas.ledger", "habeas.gates"),
    ("habeas.domain", "habeas"),
)


def floor_of(module: str) -> int:
    """The floor's index (0 is the top); the most specific prefix wins (habeas.ledger.log before habeas.ledger)."""
    best, depth = len(FLOORS) - 1, -1
    for i, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if _within(module, prefix) and prefix.count(".") > depth:
                best, depth = i, prefix.count(".")
    return best


def test_imports_point_down_the_floors() -> None:
    modules = set(graph())
    offences = [
        f"{module} (floor {floor_of(module)}):{line} imports {name} (floor {floor_of(name)})"
        for module, names in graph().items()
        for name, line in _named(names).items()
        if name in modules and floor_of(name) < floor_of(module)
    ]
    assert not offences, "imports that point up:\n" + "\n".join(sorted(set(offences)))


def test_floors_are_told_apart() -> None:
    assert floor_of("habeas.cli.main") < floor_of("habeas.services.door") < floor_of("habeas.storage.engine")
    assert floor_of("habeas.ledger.log") < floor_of("habeas.storage.engine") < floor_of("habeas.ledger.merkle")
    assert floor_of("habeas.gates.rules") < floor_of("habeas.domain.people")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle to report."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    edges = _internal_edges()
    # A package's __init__ importing its own submodules (to re-export them) is not a cycle of dependencies
    # unless a submodule imports the package back: drop only the parent -> child edges of re-exports.
    for module in edges:
        if _is_package_init(module):
            edges[module] = {t for t in edges[module] if not t.startswith(module + ".")}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle check can fail: a three-module circle is reported, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def _layout_block() -> str:
    readme = (SRC.parent / "README.md").read_text()
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def test_readme_layout_names_every_package_folder_and_only_real_ones() -> None:
    """README's Layout lists each folder of src/habeas and each top-level folder it names exists."""
    block = _layout_block()
    listed = set(re.findall(r"^  ([a-z_]+)/", block, re.M))
    actual = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert actual - listed == set(), f"folders missing from README's Layout: {sorted(actual - listed)}"
    assert listed - actual == set(), f"README's Layout names folders that do not exist: {sorted(listed - actual)}"
    for top in re.findall(r"^([a-z_]+(?:/[a-z_]+)?)/", block, re.M):
        assert (SRC.parent / top).is_dir(), f"README's Layout names {top}/, which does not exist"
