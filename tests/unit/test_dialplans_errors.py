"""How a dialplan diagnostic reads: file:line:column, the node path, the message."""

from __future__ import annotations

import pytest

from dialplans.errors import Diagnostic, DialplanError, format_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("menus", "main", "options", "7", "menu"), 'menus.main.options."7".menu'),
        (("schedules", "office", "hours", 3, "close"), "schedules.office.hours[3].close"),
        (("dids", "+4401", "menu"), 'dids."+4401".menu'),
        (("menus", "after-hours"), 'menus."after-hours"'),
        (("menus", 'say "hi"'), 'menus."say \\"hi\\""'),
        ((), ""),
    ],
)
def test_paths_quote_keys_that_are_not_identifiers(path: tuple[str | int, ...], expected: str) -> None:
    assert format_path(path) == expected


def test_an_error_reads_like_a_compiler_message() -> None:
    diagnostic = Diagnostic(
        "dialplans/main.yaml", 14, 9, 'menus.main.options."7".menu', "unknown menu 'sales'"
    )
    assert str(diagnostic) == "dialplans/main.yaml:14:9 menus.main.options.\"7\".menu: unknown menu 'sales'"


def test_a_warning_says_so_and_a_file_level_problem_has_no_path() -> None:
    warning = Diagnostic("plan.yaml", 3, 11, "prompts.hi.file", "audio file missing", "warning")
    assert str(warning) == "plan.yaml:3:11 prompts.hi.file: warning: audio file missing"
    assert str(Diagnostic("plan.yaml", 1, 1, "", "the file is empty")) == "plan.yaml:1:1: the file is empty"


def test_dialplan_error_lists_every_diagnostic_on_its_own_line() -> None:
    first = Diagnostic("plan.yaml", 2, 3, "menus", "one")
    second = Diagnostic("plan.yaml", 5, 7, "dids", "two")
    error = DialplanError(iter([first, second]))
    assert error.diagnostics == [first, second]
    assert str(error).splitlines() == ["plan.yaml:2:3 menus: one", "plan.yaml:5:7 dids: two"]
