"""The house rules that import-linter cannot see (docs/architecture.md).

- Transactions: commits happen only in ``app.db.session``; a function handed a ``Session``
  works inside its caller's transaction and never opens one (use cases take ``sessions``).
- Tasks: a task's name is written once (``app.tasks.refs``); every reference has exactly one
  body; beat schedules only references.
- Inversions: every payout purpose has its effects registered by the bootstrap.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from celery import Celery

from app.bootstrap import wire_domains
from app.payments.models import PayoutPurpose
from app.payments.purposes import effects_of
from app.settings import Settings
from app.tasks import refs
from app.tasks.schedule import periodic_tasks
from app.worker import bind_tasks

APP = Path(__file__).resolve().parents[2] / "app"


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _calls(node: ast.AST, attribute: str) -> list[ast.Call]:
    return [
        call
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == attribute
    ]


def test_nothing_commits_by_hand() -> None:
    found = [
        f"{path.relative_to(APP)}:{call.lineno}"
        for path, tree in _modules()
        if path.relative_to(APP) != Path("db/session.py")
        for call in _calls(tree, "commit")
    ]
    assert found == []


def test_a_function_given_a_session_never_opens_a_transaction() -> None:
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = node.args.args + node.args.kwonlyargs
            takes_session = any(
                a.annotation is not None and ast.unparse(a.annotation) == "Session"
                for a in arguments
            )
            if takes_session and _calls(node, "unit_of_work"):
                found.append(f"{path.relative_to(APP)}:{node.lineno} {node.name}")
    assert found == []


def test_a_task_name_is_written_only_in_the_catalogue() -> None:
    names = {ref.name for ref in refs.ALL}
    found = [
        f"{path.relative_to(APP)}:{node.lineno} {node.value}"
        for path, tree in _modules()
        if path.relative_to(APP) != Path("tasks/refs.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert found == []


def test_every_task_reference_has_one_body_and_beat_schedules_only_references() -> None:
    celery = Celery("architecture-test")
    bind_tasks(celery)  # raises TaskWithoutBody if a reference has none
    assert {ref.name for ref in refs.ALL} <= set(celery.tasks)
    scheduled = {task.task for task in periodic_tasks(Settings())}
    assert scheduled <= {ref.name for ref in refs.ALL}


def test_every_payout_purpose_has_its_effects_registered() -> None:
    wire_domains()
    for purpose in PayoutPurpose:
        assert effects_of(purpose) is not None


def _imports_of(path: Path, root: Path) -> set[str]:
    """Every module of ours ``path`` imports, wherever the import stands (also under
    ``TYPE_CHECKING`` or inside a function: a cycle hidden there is still a cycle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_of_ours_is_in_an_import_cycle() -> None:
    root = APP.parent
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for package in ("app", "integrations", "ledger")
        for path in (root / package).rglob("*.py")
    }
    graph = {
        name: {m for m in _imports_of(path, root) if m in modules and m != name}
        for name, path in modules.items()
        if path.name != "__init__.py"
    }
    cycles = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
