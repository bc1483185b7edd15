"""The house keeps its shape (docs/architecture.md): imports only point down the layers, inside
functions too; no module imports itself back through others (no cycles); no private name crosses a
module; every module says what it owns; no module grows past the size where it starts owning two
things. Each check reads the code itself, so a wrong-way import added anywhere fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
# A module past this many lines has, so far every time, come to own more than one thing.
MAX_LINES = 750


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def test_imports_follow_the_layers():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (
        f"expected every import-linter contract of pyproject.toml kept:\n{done.stdout[-3000:]}"
    )
    assert "0 broken" in done.stdout, done.stdout[-2000:]


def test_no_import_cycles():
    graph = grimp.build_graph("sim", exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    # A package's __init__ importing its own modules is how it re-exports them, not a cycle of code.
    cycles = [
        sorted(component)
        for component in nx.strongly_connected_components(edges)
        if len(component) > 1 and not _package_and_its_modules(component)
    ]
    assert not cycles, f"expected no import cycles, found {len(cycles)}: {cycles}"


def _package_and_its_modules(component: set[str]) -> bool:
    shortest = min(component, key=len)
    return all(name == shortest or name.startswith(shortest + ".") for name in component) and all(
        not _imports_upward(name, shortest) for name in component if name != shortest
    )


def _imports_upward(module: str, package: str) -> bool:
    """Whether ``module`` imports from its own package's __init__ (then the pair is a real cycle)."""
    tree = ast.parse(_modules()[module].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == package:
            return True
    return False


def test_no_private_name_crosses_a_module():
    crossings = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        crossings.append(f"{name} imports {node.module}.{alias.name}")
    assert not crossings, f"expected private names to stay in their module: {crossings}"


def test_every_module_says_what_it_owns_and_stays_small():
    missing, large = [], []
    for name, path in _modules().items():
        text = path.read_text()
        if not ast.get_docstring(ast.parse(text)) and name != "sim.cli.__main__":
            missing.append(name)
        lines = text.count("\n")
        if lines > MAX_LINES:
            large.append(f"{name} ({lines} lines)")
    assert not missing, f"expected a module docstring saying what the file owns: {missing}"
    assert not large, f"expected no module over {MAX_LINES} lines (split it by what it owns): {large}"
