"""Fixtures of the live tier: one module-scoped `build` per FreeSWITCH release found, and each failed
test's FreeSWITCH and application-server logs kept under var/live-logs/ and shown in the report."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator
from pathlib import Path

import pytest

from freeswitch_conf.settings import CallControl
from tests.support.live.harness import (
    BUILD_TESTS_ONLY_ENV,
    CALL_CONTROL,
    ROOT,
    Build,
    Live,
    freeswitch_builds,
)

LOG_KEEP_DIR = ROOT / "var" / "live-logs"
_TAIL_LINES = 60
_BUILDS = freeswitch_builds()
_BUILD_PARAMS: list[Build | None] = [*_BUILDS] or [None]


@pytest.fixture(
    scope="module",
    params=_BUILD_PARAMS,
    ids=[build.release for build in _BUILDS] or ["no-freeswitch"],
)
def build(request: pytest.FixtureRequest) -> Build | None:
    """The FreeSWITCH build this module's tests run on (None: none found; live_switch skips)."""
    found: Build | None = request.param
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`call_control`: the module's CALL_CONTROLS, each a run of its own switch and server (the
    modules proving park mode live run both), else LIVE_CALL_CONTROL's (socket unless told)."""
    if "call_control" in metafunc.fixturenames:
        controls: tuple[CallControl, ...] = getattr(metafunc.module, "CALL_CONTROLS", (CALL_CONTROL,))
        metafunc.parametrize("call_control", controls, scope="module", ids=[f"control={c}" for c in controls])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(BUILD_TESTS_ONLY_ENV):
        return
    keep = [item for item in items if "build" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if "build" not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _live_of(item: pytest.Item) -> Live | None:
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Live):
            return value
        nested = getattr(value, "live", None)
        if isinstance(nested, Live):
            return nested
    return None


def _logs(live: Live) -> list[Path]:
    candidates = [live.switch.log_dir / "freeswitch.log", live.switch.run_dir / "freeswitch.out"]
    candidates.append(live.work / "app_server.out")
    return [path for path in candidates if path.is_file()]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    live = _live_of(item)
    if live is None or not report.failed:
        return report
    keep = LOG_KEEP_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
    keep.mkdir(parents=True, exist_ok=True)
    for path in _logs(live):
        shutil.copy2(path, keep / path.name)
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-_TAIL_LINES:]
        report.sections.append((f"{path.name} (last {_TAIL_LINES} lines)", "\n".join(tail)))
    report.sections.append(("live logs kept", str(keep)))
    return report
