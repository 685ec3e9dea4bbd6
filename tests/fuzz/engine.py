"""Runs a fuzz target for a number of inputs: hypothesis draws each input, the target checks its
properties, and the engine times every input and watches the process's memory.

An input is one call of the target's check (one drawn value). Hypothesis runs in batches, each a
fresh run with its own seed: its record of the inputs it has tried grows with the run, so one
run of a million examples would measure hypothesis's memory rather than ours.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

# An input may take 1 s of CPU. Wall time is no measure on a shared machine (under a load of 7 on 2
# cores, an input that parses in microseconds waited 1 s for a core), so it only catches an input
# that blocks, with a wider bound.
MAX_SECONDS_PER_INPUT: Final = 1.0
MAX_WALL_SECONDS_PER_INPUT = 10.0
# RSS may grow by this much after the first batch (caches, hypothesis's warm-up); more is a leak.
MAX_RSS_GROWTH_BYTES: Final = 64 * 1024 * 1024
_PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE")


class SlowInput(AssertionError):
    """One input took longer than MAX_SECONDS_PER_INPUT."""


class MemoryGrowth(AssertionError):
    """The process's memory grew past MAX_RSS_GROWTH_BYTES over the run."""


@dataclass(frozen=True)
class Target:
    """`check(value)` raises AssertionError (or anything) when a property fails for `value`."""

    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]
    # Share of the long run's inputs (`make fuzz`), relative to the other targets.
    weight: int = 1


@dataclass
class Stats:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    slowest: float = 0.0  # CPU seconds of the slowest input
    slowest_wall: float = 0.0
    rss_after_first_batch: int = 0
    rss_growth: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        slowest = f"slowest {self.slowest * 1000:.1f} ms CPU ({self.slowest_wall * 1000:.0f} ms wall)"
        return (
            f"{self.target}: {self.inputs:,} inputs in {self.seconds:.1f} s ({self.rate:,.0f}/s), {slowest},"
            f" RSS growth {self.rss_growth / 1024 / 1024:.1f} MiB"
        )


def rss_bytes() -> int:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


def peak_rss_bytes() -> int:
    """The process's peak resident memory so far (Linux: VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - every Linux kernel reports VmHWM


def run(target: Target, inputs: int, *, first_seed: int = 0, batch: int = 2_000) -> Stats:
    """Check `inputs` drawn inputs of `target`; raise on the first failing, slow or leaking one."""
    stats = Stats(target.name)

    def timed_check(value: Any) -> None:
        started, started_cpu = time.perf_counter(), time.process_time()
        target.check(value)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        stats.inputs += 1
        stats.slowest = max(stats.slowest, cpu)
        stats.slowest_wall = max(stats.slowest_wall, wall)
        if cpu > MAX_SECONDS_PER_INPUT or wall > MAX_WALL_SECONDS_PER_INPUT:
            raise SlowInput(
                f"{target.name}: one input took {cpu:.2f} s of CPU, {wall:.2f} s in all: {value!r:.2000}"
            )

    started = time.perf_counter()
    number = 0
    while stats.inputs < inputs:
        before = stats.inputs
        _batch(timed_check, target.strategy, min(batch, inputs - stats.inputs), first_seed + number)
        number += 1
        stats.batches.append(stats.inputs - before)
        if stats.inputs == before:
            break  # the strategy has no inputs left to draw
        _watch_memory(stats)
    stats.seconds = time.perf_counter() - started
    return stats


def _batch(
    check: Callable[[Any], None], strategy: st.SearchStrategy[Any], examples: int, number: int
) -> None:
    test = settings(
        max_examples=examples,
        database=None,
        deadline=None,  # timed by the engine, which names the slow input
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )(given(strategy)(check))
    seed(number)(test)()


def _watch_memory(stats: Stats) -> None:
    now = rss_bytes()
    if not stats.rss_after_first_batch:
        stats.rss_after_first_batch = now
        return
    stats.rss_growth = max(stats.rss_growth, now - stats.rss_after_first_batch)
    if stats.rss_growth > MAX_RSS_GROWTH_BYTES:
        raise MemoryGrowth(
            f"{stats.target}: RSS grew by {stats.rss_growth:,} bytes after {stats.inputs:,} inputs"
            f" (bound {MAX_RSS_GROWTH_BYTES:,})"
        )
