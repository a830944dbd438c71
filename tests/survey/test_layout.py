"""The code's shape (docs/design.md): subsystem packages one level deep, few loose modules, and no import
circle, counting imports made inside functions too (importing inside a function to dodge a circle hides
it; it does not remove it)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LOOSE = 16


def module_names() -> dict[str, Path]:
    names = {}
    for path in [*(ROOT / "survey").rglob("*.py"), *(ROOT / "analysis").rglob("*.py")]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every project module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def graph_without_package_inits(names: dict[str, Path]) -> dict[str, set[str]]:
    # A package's __init__ importing its own modules to name its verbs is not a circle: Python runs it
    # first, and its modules import their siblings directly.
    graph = {}
    for name, path in names.items():
        graph[name] = {other for other in imports_of(path, set(names))
                       if not (path.name == "__init__.py" and other.startswith(name + "."))}
    return graph


def test_no_module_imports_itself_round_a_circle():
    assert circles(graph_without_package_inits(module_names())) == []


def test_the_circle_check_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_few_modules_stay_loose_and_packages_are_one_level_deep():
    loose = sorted(path.name for path in (ROOT / "survey").glob("*.py"))
    assert len(loose) <= MAX_LOOSE, loose
    deep = [str(path.relative_to(ROOT)) for path in (ROOT / "survey").glob("*/*/*/*.py")
            if "static" not in path.parts]
    assert deep == [], deep  # survey/<package>/<module>.py, and views/<audience>/<module>.py at most


# The data path's order (docs/design.md): a package may import the ones before it, never one after. The
# loose modules and models/ come first: anything may import them.
ORDER = ("webhooks", "accounts", "web", "authoring", "results", "followups", "responding", "outreach", "alerts",
         "changes", "transfer", "background", "cli", "views")


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "survey" and len(parts) >= 2 and parts[1] in ORDER else None


def test_packages_import_only_those_before_them_on_the_data_path():
    names = module_names()
    upward = []
    for name, imported in graph_without_package_inits(names).items():
        here = package_of(name)
        for other in imported:
            there = package_of(other)
            if here and there and here != there and ORDER.index(there) > ORDER.index(here):
                upward.append(f"{name} imports {other}")
    assert upward == []
    assert {path.name for path in (ROOT / "survey").iterdir() if (path / "__init__.py").exists()} \
        == {*ORDER, "models"}
