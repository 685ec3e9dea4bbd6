"""The tests' own layout: shared code lives in tests/fakes, tests/support, tests/captures and tests/bench,
never in a test tier. No module under tests/ (conftest files included) imports from tests.unit,
tests.wire or tests.live, nor any `test_*` module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TIERS = ("tests.unit", "tests.wire", "tests.live")


def module_name(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    return module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]


def imported_modules(source: str, package: str) -> Iterator[str]:
    """Every module `source` (a module of `package`) imports, relative imports resolved; `from package
    import name` yields both the package and `package.name` (the name may be a module)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def is_shared_from_a_tier(module: str) -> bool:
    in_a_tier = any(module == tier or module.startswith(f"{tier}.") for tier in TIERS)
    imports_a_test = module.startswith("tests.") and module.rpartition(".")[2].startswith("test_")
    return in_a_tier or imports_a_test


def offenders() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        found += [
            f"{path.relative_to(TESTS.parent)} imports {module}"
            for module in sorted(set(imported_modules(path.read_text(encoding="utf-8"), package_of(path))))
            if is_shared_from_a_tier(module)
        ]
    return found


def test_no_module_imports_a_test_tier_or_a_test_module() -> None:
    assert offenders() == []


def test_the_check_knows_a_tier_from_shared_code() -> None:
    assert is_shared_from_a_tier("tests.unit")
    assert is_shared_from_a_tier("tests.wire.conftest")
    assert is_shared_from_a_tier("tests.live.test_live_menus")
    assert is_shared_from_a_tier("tests.support.test_helpers")
    assert not is_shared_from_a_tier("tests.support.standin")
    assert not is_shared_from_a_tier("tests.fakes.clock")
    assert not is_shared_from_a_tier("tests.unittest_like")


def test_every_form_of_import_is_seen() -> None:
    source = "\n".join(
        [
            "import tests.wire.conftest",
            "from tests.unit import test_codec",
            "from . import test_switch",
            "from ..live.conftest import build",
            "def later():",
            "    from tests.fakes.clock import FakeClock",
        ]
    )
    found = set(imported_modules(source, "tests.wire"))
    assert {
        "tests.wire.conftest",
        "tests.unit.test_codec",
        "tests.wire.test_switch",
        "tests.live.conftest",
        "tests.fakes.clock",
    } <= found


def test_modules_are_named_from_their_paths() -> None:
    assert module_name(TESTS / "wire" / "conftest.py") == "tests.wire.conftest"
    assert package_of(TESTS / "wire" / "conftest.py") == "tests.wire"
    assert package_of(TESTS / "support" / "standin" / "__init__.py") == "tests.support.standin"
