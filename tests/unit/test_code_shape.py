"""The size rule of the production code: no module over 400 lines, no function or method over 60.

A function's lines run from its `def` to its last line (decorators not counted). Alembic migrations
are left out: each is a dated record, never edited again.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
PACKAGES: Final = (
    "callcenter",
    "esl_handlers",
    "ivr_scripts",
    "schema",
    "http_api",
    "customer_import",
    "freeswitch_conf",
    "dialplans",
    "sipp_scenarios",
)
MIGRATIONS: Final = "schema/migrations"
MAX_MODULE_LINES: Final = 400
MAX_FUNCTION_LINES: Final = 60


def production_modules() -> list[str]:
    """Every production module, as a path relative to the project root."""
    paths = (
        path.relative_to(ROOT).as_posix() for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    )
    return sorted(path for path in paths if not path.startswith(MIGRATIONS + "/"))


def shape_offences(source: str) -> list[str]:
    """What in one module's source breaks the size rule, one line each."""
    offences: list[str] = []
    module_lines = len(source.splitlines())
    if module_lines > MAX_MODULE_LINES:
        offences.append(f"module: {module_lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = node.end_lineno if node.end_lineno is not None else node.lineno
            lines = end - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                offences.append(
                    f"{node.name} (line {node.lineno}): {lines} lines (at most {MAX_FUNCTION_LINES})"
                )
    return offences


@pytest.mark.parametrize("module", production_modules())
def test_module_keeps_the_size_rule(module: str) -> None:
    offences = shape_offences((ROOT / module).read_text(encoding="utf-8"))
    assert not offences, f"{module} breaks the size rule:\n  " + "\n  ".join(offences)


def test_the_rule_counts_from_def_to_the_last_line_without_decorators() -> None:
    body = "\n".join(f"    x = {n}" for n in range(MAX_FUNCTION_LINES - 1))
    assert shape_offences(f"@decorator\n@another\ndef fits():\n{body}\n") == []
    method_body = "\n".join(f"        x = {n}" for n in range(MAX_FUNCTION_LINES))
    too_long = f"class Host:\n    @decorator\n    def method(self):\n{method_body}\n"
    assert shape_offences(too_long) == [
        f"method (line 3): {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})"
    ]
    assert shape_offences("x = 0\n" * MAX_MODULE_LINES) == []
    assert shape_offences("x = 0\n" * (MAX_MODULE_LINES + 1)) == [
        f"module: {MAX_MODULE_LINES + 1} lines (at most {MAX_MODULE_LINES})"
    ]
