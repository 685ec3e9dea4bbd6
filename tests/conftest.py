"""Shared fixtures are plugins under tests/support/. Under CI=true a skipped live or browser test fails:
CI must prove the live tier on the real switch and the report in a real browser, and a skip there
hides that it did not."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

pytest_plugins = ["tests.support.postgres"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STRICT_IN_CI = ("live", "browser")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = next((name for name in STRICT_IN_CI if item.get_closest_marker(name) is not None), None)
    if IN_CI and report.skipped and marker is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: a {marker} test may not skip ({reason})"
    return report
