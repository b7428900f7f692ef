"""The schedule engine is pure: it imports only the standard library and itself, reads no
clock and draws no randomness, so the same terms always give the same schedule. (The
import-linter contract in pyproject.toml keeps the database and web out; this test also
keeps the rest of the app, the clock and floats out.)"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import app.loan_math.schedules as package

PACKAGE_DIR = Path(package.__file__).parent
ALLOWED_PREFIX = "app.loan_math.schedules"
FORBIDDEN_CALLS = {"now", "today", "utcnow", "time", "monotonic", "random"}
FORBIDDEN_STDLIB = {"time", "random", "os"}


def sources() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.py"))


def imported_modules(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_package_imports_only_the_standard_library_and_itself() -> None:
    assert sources()
    for path in sources():
        for name in imported_modules(ast.parse(path.read_text())):
            top = name.split(".")[0]
            own = name == ALLOWED_PREFIX or name.startswith(ALLOWED_PREFIX + ".")
            stdlib = top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB
            assert own or stdlib or top == "__future__", f"{path.name} imports {name}"


def test_the_package_reads_no_clock_and_makes_no_floats() -> None:
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                called = node.func
                name = (
                    called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
                )
                assert name not in FORBIDDEN_CALLS | {"float"}, f"{path.name} calls {name}()"
            if isinstance(node, ast.Constant):
                assert not isinstance(node.value, float), f"{path.name} has a float literal"
