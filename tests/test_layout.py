"""The layout's rules, read from the code's imports: the kernel never imports a feature, features never
import the runtime or the console, no import cycle between modules, imports at the top of files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
FEATURES = ("bot.proposals", "bot.reminders", "bot.stats", "bot.digest", "bot.calendar")
KERNEL = (
    "bot.settings",
    "bot.clock",
    "bot.context",
    "bot.blocks",
    "bot.errors",
    "bot.workdays",
    "bot.feature",
    "bot.i18n",
    "bot.outbox",
    "bot.terminal",
)
# Imports allowed inside a function: heavy optional dependencies, loaded only when a chart is drawn.
LAZY_ALLOWED = ("matplotlib",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import names (`from bot.stats import figures` names bot.stats.figures)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path, modules: dict[str, Path], *, runtime_only: bool = True) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) and runtime_only:
            for child in ast.walk(node):
                child._type_only = True  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if getattr(node, "_type_only", False):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] or [node.module]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _inside(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_kernel_imports_no_feature_runtime_console_or_handler():
    wrong = {
        (m, t)
        for m, targets in _graph().items()
        if _inside(m, KERNEL)
        for t in targets
        if _inside(t, FEATURES + ("bot.runtime", "bot.console", "bot.features", "handlers"))
    }
    assert not wrong, sorted(wrong)


def test_features_never_import_the_runtime_or_the_console():
    wrong = {
        (m, t)
        for m, targets in _graph().items()
        if _inside(m, FEATURES)
        for t in targets
        if _inside(t, ("bot.runtime", "bot.console", "bot.features"))
    }
    assert not wrong, sorted(wrong)


def test_storage_imports_nothing_but_storage_and_the_clock():
    wrong = {
        (m, t)
        for m, targets in _graph().items()
        if _inside(m, ("storage",))
        for t in targets
        if not _inside(t, ("storage", "bot.clock"))
    }
    assert not wrong, sorted(wrong)


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_imports_are_at_the_top_of_files():
    late = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    if not (module or "").startswith(LAZY_ALLOWED):
                        late.append(f"{name}:{node.lineno} {module}")
    assert not late, late


def test_nothing_registers_itself_by_being_imported():
    """No module-name strings loaded with importlib, no inspect to decide how to call a function."""
    wrong = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        for needle in ("import_module(", "importlib", "inspect.signature"):
            if needle in text:
                wrong.append(f"{name}: {needle}")
    assert not wrong, wrong


def test_the_features_tuple_lists_every_feature_package():
    from bot.features import FEATURES as DECLARED

    packages = {p.parent.name for p in (ROOT / "bot").glob("*/feature.py")}
    assert {f.name for f in DECLARED} == packages


SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|BEGIN\s+IMMEDIATE)\b", re.S)


def test_sql_lives_only_in_storage():
    wrong = []
    for name, path in _modules().items():
        if _inside(name, ("storage",)):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                wrong.append(f"{name}:{node.lineno}")
    assert not wrong, wrong
