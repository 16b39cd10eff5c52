"""The shape a newcomer can read: small modules and functions in ``chat/``.

Modules are split by noun before they pass 300 lines, and a function longer
than 50 lines is a sign that it does two jobs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHAT = Path(__file__).resolve().parent.parent / "chat"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
MODULES = sorted(CHAT.rglob("*.py"))


def long_functions(source: str, limit: int) -> list[str]:
    """``name (N lines)`` of each function or method in ``source`` longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > limit:
                found.append(f"{node.name} ({length} lines)")
    return found


def test_the_check_finds_a_long_function() -> None:
    body = "\n".join(f"    x = {n}" for n in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def long():\n{body}\n", MAX_FUNCTION_LINES) == [
        f"long ({MAX_FUNCTION_LINES + 1} lines)"
    ]
    assert long_functions("def short():\n    return 1\n", MAX_FUNCTION_LINES) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(CHAT.parent)))
def test_modules_and_functions_stay_small(module: Path) -> None:
    source = module.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"split {module.name} by noun"
    assert long_functions(source, MAX_FUNCTION_LINES) == []
