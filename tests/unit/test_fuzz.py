"""The short fuzz run of the unit tier: every target of tests/fuzz for a few hundred inputs with a
fixed seed (`make fuzz` is the long run), and the fuzz engine's own checks shown to fail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.fuzz import engine
from tests.fuzz.__main__ import shares
from tests.fuzz.engine import MemoryGrowth, SlowInput, Target, run
from tests.fuzz.http import serve
from tests.fuzz.http_requests import ROUTES, request
from tests.fuzz.targets import all_targets

SHORT_RUN_INPUTS = 600
TARGETS = all_targets()

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_short_fuzz_run(name: str) -> None:
    stats = run(TARGETS[name], SHORT_RUN_INPUTS, first_seed=11, batch=SHORT_RUN_INPUTS // 2)
    assert stats.inputs == SHORT_RUN_INPUTS
    assert stats.slowest < engine.MAX_SECONDS_PER_INPUT


@pytest.mark.parametrize(("method", "target", "body"), ROUTES, ids=[f"{m} {t}" for m, t, _ in ROUTES])
def test_every_seed_request_reaches_its_handler(method: str, target: str, body: object) -> None:
    """The HTTP seeds are valid: past routing, the token and parsing (the data layer is offline: 503)."""
    for chunks in (None, [3, 5, 100]):
        answer = serve([request(method, target, body, chunks=chunks if body is not None else None)])
        status = int(answer.split(b" ", 2)[1])
        assert status in (200, 422, 503), answer[:400]


def test_the_long_run_shares_at_least_its_inputs_by_weight() -> None:
    plan = shares(sorted(TARGETS), 1_000_000)
    assert sum(plan.values()) >= 1_000_000
    assert plan["esl-mutated-frames"] > plan["esl-captured-frames"]


def _target(check: Any) -> Target:
    return Target("probe", st.integers(0, 10**6), check)


def test_a_failing_input_fails_the_run() -> None:
    def check(value: int) -> None:
        if value > 1000:
            raise ValueError(f"crash on {value}")

    with pytest.raises(ValueError, match="crash on"):
        run(_target(check), 500, batch=100)


def test_an_input_taking_a_second_of_cpu_fails_the_run_naming_it() -> None:
    def check(value: int) -> None:
        if value == 0:
            started = time.process_time()
            while time.process_time() - started <= engine.MAX_SECONDS_PER_INPUT:
                pass

    with pytest.raises(SlowInput, match=r"one input took 1\.\d\d s of CPU, .*: 0"):
        run(_target(check), 50, batch=50)


def test_an_input_that_blocks_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_WALL_SECONDS_PER_INPUT", 0.2)

    def check(value: int) -> None:
        if value == 0:
            time.sleep(0.25)

    with pytest.raises(SlowInput, match=r"s of CPU, 0\.2\d s in all: 0"):
        run(_target(check), 50, batch=50)


def test_memory_that_grows_with_the_inputs_fails_the_run() -> None:
    kept: list[bytearray] = []

    def check(_value: int) -> None:
        chunk = bytearray(1024 * 1024)
        chunk[::4096] = b"x" * len(chunk[::4096])  # touched, so resident
        kept.append(chunk)

    with pytest.raises(MemoryGrowth, match="RSS grew by"):
        run(_target(check), 200, batch=10)
