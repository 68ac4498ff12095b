"""Stages depend one way: no import cycle between stage packages or between
modules, counting imports inside functions too (they are cycles all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fupin_docs"

# The pipeline's order (docs/DESIGN.md): a stage may import only stages below it.
LAYERS = [
    {"fupin_docs", "errors", "atomic", "hashing", "locking", "chinese_script", "text_safety"},
    {"inputs"},
    {"workspace"},
    {"compose"},
    {"render"},
    {"archive"},
    {"search"},
    {"ledger", "audit"},  # audit: the access journal, which archive verify checks too
    {"pack", "filing"},
    {"pipeline", "drafts"},  # drafts: the YAML inputs clerks are still writing in the browser
    {"accounts"},  # fupin serve's accounts, below its clients
    {"county"},  # the county database's tables, and workspaces moved into it and back
    {"cli", "__main__", "server"},
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _targets(module: str, path: Path, node, modules) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        if node.level:
            base = ".".join(base.split(".")[:len(base.split(".")) - node.level + 1])
            target = base + ("." + node.module if node.module else "")
        else:
            target = node.module or ""
        names = [target] + [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
    out = []
    for name in names:
        while name and name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            out.append(name)
    return out


def _edges() -> dict[str, set]:
    modules = _modules()
    edges = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges[module].update(_targets(module, path, node, modules))
    return edges


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _layer(stage: str) -> int:
    for number, stages in enumerate(LAYERS):
        if stage in stages:
            return number
    raise AssertionError(f"stage {stage!r} has no place in LAYERS: decide where it sits in the pipeline")


def test_every_stage_imports_only_stages_below_it():
    wrong = sorted(f"{a} -> {b}" for a, targets in _edges().items() for b in targets
                   if _stage(a) != _stage(b) and _layer(_stage(b)) > _layer(_stage(a)))
    assert not wrong, "imports against the pipeline's direction:\n" + "\n".join(wrong)


def test_no_module_import_cycle():
    edges = _edges()
    # a package's __init__ importing its own submodules (re-exports) is not a cycle
    graph = {a: {b for b in targets if a != b.rsplit(".", 1)[0]} for a, targets in edges.items()}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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
                cycles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    source = "def f():\n    from ..search import search\n"
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom))
    modules = _modules()
    assert _targets("fupin_docs.archive.store", PACKAGE / "archive" / "store.py", node, modules) == ["fupin_docs.search"]
