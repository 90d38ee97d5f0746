"""Imports run one way (issue 11, part 8): features → order_states → order_log → models.

A cycle between two modules (even through an import inside a function) means neither can be
read, tested or loaded without the other; the only loop allowed is a blueprint package's
`__init__` loading its own views (`from . import routes`).
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "boutique"


def _modules():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imported(module, path, modules, node):
    """The boutique modules an import statement of `module` loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    loaded = set()
    for alias in node.names:
        if f"{source}.{alias.name}" in modules:
            loaded.add(f"{source}.{alias.name}")
        elif source in modules:
            loaded.add(source)
    return loaded


def import_graph():
    """module → the boutique modules it imports anywhere in its text (functions included)."""
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(module, path, modules, node)
        # A package loading its own submodules (a blueprint's views) is not a dependency.
        graph[module] = {other for other in edges - {module} if not other.startswith(f"{module}.")}
    return graph


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "boutique.order_states" in graph["boutique.payments.card"]
    assert cycles(graph) == []


IMPORT_EACH_FRESH = """
import importlib, sys
for name in sys.argv[1:]:
    for loaded in [module for module in sys.modules if module.startswith("boutique")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as error:
        print(name, error)
"""


def test_every_module_imports_on_its_own():
    """Each module loads first, before create_app (a cycle hidden by load order shows here).

    Two interpreters share the modules (the machine has two cores); each starts every module
    from nothing but the third-party libraries already loaded.
    """
    names = sorted(name for name in _modules() if name != "boutique")
    runs = [
        subprocess.Popen(  # noqa: S603  # nosec B603 - our own interpreter and script
            [sys.executable, "-c", IMPORT_EACH_FRESH, *names[half::2]],
            cwd=PACKAGE.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in (0, 1)
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert out == ""
