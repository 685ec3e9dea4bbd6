"""The soak (issue 11): a steady call rate through the real switch for a long time, watching the
application server for what only time shows.

10 calls a second reach the roadside line; each caller is answered, stays 3 s in the menu and
hangs up. CALLCENTER_SOAK_SECONDS long, a warm-up minute included (300 in CI; `make soak` runs
3,600). Every 10 s the worker's resident memory and open descriptors are sampled; SIPp writes each
call's answer time (INVITE to 200 OK: FreeSWITCH's socket connect, our `answer`, its reply), the
command round trip a caller feels. Checked, after the warm-up:
- memory flat: the mean RSS of the first minute and of the last within 5 % of each other, and the
  second half of the soak adding at most 2 % (caches warm up in the first minutes and level off; a
  leak keeps climbing: the RSS of each tenth is printed);
- no descriptor growth: once the calls have drained, no more descriptors than after the warm-up's, but
  for the database pool, which keeps up to POOL_SIZE connections once a busy moment opened them;
- latency stable: the last minute's 99th percentile answer time at most twice the first minute's
  (plus 20 ms, below which scheduling noise dominates).
Figures are printed and recorded in docs/performance.md.

Skipped, saying why, without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp.
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from schema.db import POOL_SIZE
from sipp_scenarios.sipp_run import call_counts
from tests.support.live import harness
from tests.support.live.harness import Build, Live, freeswitch_builds
from tests.support.live.load import (
    descriptor_kinds,
    hanging_up_scenario,
    open_descriptors,
    rss,
    start_load,
    worker_of,
)

pytestmark = [pytest.mark.live, pytest.mark.solo]

DID = "4002"
RATE = 10  # calls per second
HOLD_MS = 3000
SOAK = float(os.environ.get("CALLCENTER_SOAK_SECONDS", "300"))
WARMUP = 60.0
WINDOW = 60.0  # the first and last minute compared
SAMPLE_EVERY = 10.0
MEMORY_TOLERANCE = 0.05
SECOND_HALF_TOLERANCE = 0.02
LATENCY_FACTOR, LATENCY_NOISE_MS = 2.0, 20.0


# CI runs the 5-minute soak on the newest build only (the drills run on every build): five more
# minutes per build would take CI past its time budget. `make soak` runs on FREESWITCH_BIN's.
_NEWEST: list[Build | None] = [*freeswitch_builds()[-1:]] or [None]


@pytest.fixture(scope="module", params=_NEWEST, ids=[b.release if b else "no-freeswitch" for b in _NEWEST])
def build(request: pytest.FixtureRequest) -> Build | None:
    found: Build | None = request.param
    return found


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("live_soak")
    with harness.live_switch(work, build, call_control="socket") as running:
        yield running


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the load started
    rss: int
    fds: int


def answer_times(work: Path) -> list[tuple[float, float]]:
    """(seconds since SIPp started, answer time in ms) of each call, from SIPp's *_rtt.csv
    (`Date_ms;response_time_ms;rtd_no`, Date_ms counted from SIPp's start)."""
    found = []
    for path in work.glob("*_rtt.csv"):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                found.append((float(row["Date_ms"]) / 1000, float(row["response_time_ms"])))
    return sorted(found)


def held_for_good(kinds: Counter[str], database: str) -> Counter[str]:
    """Descriptors that must not grow: all but the database pool's (up to POOL_SIZE connections, each
    with the database file and its WAL open), with the spool's rotating segment names made one."""
    held: Counter[str] = Counter()
    for target, count in kinds.items():
        if not target.startswith(database):
            held["spool segment" if "/spool/" in target else target] += count
    return held


def rss_trend(samples: list[Sample]) -> list[float]:
    """The mean RSS of each tenth of the soak, in MiB: a leak climbs, a warm cache levels off."""
    tenth = samples[-1].at / 10
    buckets = [[s.rss for s in samples if i * tenth <= s.at < (i + 1) * tenth] for i in range(10)]
    return [round(statistics.mean(b) / 2**20, 1) for b in buckets if b]


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def run_load(live: Live, work: Path, seconds: float, worker: int) -> list[Sample]:
    """`seconds` of calls at RATE; the worker sampled every SAMPLE_EVERY until SIPp is done."""
    total = int(RATE * seconds)
    started = time.monotonic()
    callers = start_load(
        live,
        work,
        hanging_up_scenario(work),
        did=DID,
        rate=RATE,
        total=total,
        limit=RATE * 20,
        timeout_s=int(seconds + 120),
        extra=("-d", str(HOLD_MS), "-trace_rtt", "-rtt_freq", "1"),
    )
    samples: list[Sample] = []
    while callers.poll() is None:
        samples.append(Sample(time.monotonic() - started, rss(worker), open_descriptors(worker)))
        time.sleep(SAMPLE_EVERY)
    successful, failed = call_counts(work / "stat.csv")
    assert (successful, failed) == (total, 0), (work / "stat.csv").read_text()[-2000:]
    time.sleep(10)  # the last calls' sockets close
    return samples


def test_a_steady_rate_for_the_soak(live: Live) -> None:
    """A warm-up minute first (the database pool, the spool and the CDR sweep open what they keep
    open), then the soak proper; descriptors are compared idle after each."""
    work = live.work / "soak"
    with harness.app_server(live) as supervisor:
        worker = worker_of(supervisor)
        run_load(live, live.work / "soak-warm-up", WARMUP, worker)
        idle_fds, idle_kinds = open_descriptors(worker), descriptor_kinds(worker)
        samples = run_load(live, work, SOAK - WARMUP, worker)
        drained_fds, drained_kinds = open_descriptors(worker), descriptor_kinds(worker)

    first = [s.rss for s in samples if s.at < WINDOW]
    last = [s.rss for s in samples if s.at >= samples[-1].at - WINDOW]
    assert len(samples) * SAMPLE_EVERY >= 2 * WINDOW, "the soak must outlast its warm-up and two minutes"
    first_rss, last_rss = statistics.mean(first), statistics.mean(last)
    drift = (last_rss - first_rss) / first_rss

    times = answer_times(work)
    end = times[-1][0]
    first_p99 = p99([ms for at, ms in times if at < WINDOW])
    last_p99 = p99([ms for at, ms in times if at >= end - WINDOW])
    print(
        f"\n{live.release}: {int(RATE * SOAK)} calls at {RATE}/s over {SOAK:.0f} s; worker RSS first minute "
        f"{first_rss / 2**20:.1f} MiB, last {last_rss / 2**20:.1f} MiB ({drift:+.1%}); descriptors idle "
        f"{idle_fds}, under load {max(s.fds for s in samples)}, drained {drained_fds}; answer time p99 "
        f"first minute {first_p99:.0f} ms, last {last_p99:.0f} ms"
    )
    print(f"worker RSS by tenth of the soak (MiB): {rss_trend(samples)}")
    print(f"descriptors idle {dict(idle_kinds)}; drained {dict(drained_kinds)}")
    trend = rss_trend(samples)
    assert abs(drift) <= MEMORY_TOLERANCE, f"memory drifted {drift:+.1%}: {trend}"
    second_half = (trend[-1] - trend[len(trend) // 2 - 1]) / trend[len(trend) // 2 - 1]
    assert second_half <= SECOND_HALF_TOLERANCE, f"memory still climbing ({second_half:+.1%}): {trend}"
    database = str(live.work / "calls.db")
    # A connection holds the database file and its own WAL; the file's descriptor alone may outlive a
    # connection closed while another held a lock (SQLite's unix VFS parks it, os_unix.c setPendingFd,
    # and reuses or closes it later). So the WAL descriptors count the connections kept.
    kept = drained_kinds[f"{database}-wal"]
    assert kept <= POOL_SIZE, f"{kept} database connections kept"
    assert drained_kinds[database] >= kept, drained_kinds
    grown = held_for_good(drained_kinds, database) - held_for_good(idle_kinds, database)
    assert not grown, f"descriptors grew from {idle_fds} to {drained_fds}: {grown}"
    assert last_p99 <= first_p99 * LATENCY_FACTOR + LATENCY_NOISE_MS, (first_p99, last_p99)
