"""The abandon budget: a campaign's live-answered calls and abandons over a rolling window, in buckets.

US (FTC TSR): abandons at most `limit_percent` of live-answered calls over any rolling 30 days; buckets
of one hour. UK (Ofcom): over 24 h, buckets of one minute, and each call the AMD classified as a
machine counts as `amd_false_positive_rate` of a person hung up on: that fraction of an abandon and of
a live answer. Memory is O(window / bucket) whatever the call volume.

Times are seconds on any fixed origin (epoch seconds in the dialer); they should move forward. A
record older than the window is ignored (it could no longer count).
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction

HOUR: Final = 3600.0
DAY: Final = 24 * HOUR


@dataclass(frozen=True)
class AbandonRule:
    """How long the window is and how finely it is counted, per jurisdiction."""

    window_seconds: float
    bucket_seconds: float


RULES: Final[dict[Jurisdiction, AbandonRule]] = {
    Jurisdiction.US: AbandonRule(window_seconds=30 * DAY, bucket_seconds=HOUR),
    Jurisdiction.UK: AbandonRule(window_seconds=DAY, bucket_seconds=60.0),
}


class AbandonBudget:
    """Rolling counts of live answers and abandons; the current rate and the headroom left."""

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        *,
        limit_percent: float = 3.0,
        amd_false_positive_rate: float = 0.0,
    ) -> None:
        if not 0.0 < limit_percent <= 100.0:
            raise ValueError(f"limit_percent must be in (0, 100], got {limit_percent!r}")
        if not 0.0 <= amd_false_positive_rate <= 1.0:
            raise ValueError(f"amd_false_positive_rate must be in [0, 1], got {amd_false_positive_rate!r}")
        self.jurisdiction = jurisdiction
        self.rule = RULES[jurisdiction]
        self.limit = limit_percent / 100.0
        # Only the UK rule counts estimated AMD false positives; in the US a machine is no live answer.
        self.machine_weight = amd_false_positive_rate if jurisdiction is Jurisdiction.UK else 0.0
        self._buckets = math.ceil(self.rule.window_seconds / self.rule.bucket_seconds)
        self._order: list[int] = []
        self._counts: dict[int, list[float]] = {}  # bucket -> [live answers, abandons]
        self._live = 0.0
        self._abandons = 0.0

    @classmethod
    def from_attempts(
        cls,
        jurisdiction: Jurisdiction,
        attempts: Iterable[tuple[float, AttemptOutcome]],
        *,
        limit_percent: float = 3.0,
        amd_false_positive_rate: float = 0.0,
    ) -> AbandonBudget:
        """A budget seeded from the attempt log's (time, outcome) pairs, e.g. at the dialer's start."""
        budget = cls(
            jurisdiction, limit_percent=limit_percent, amd_false_positive_rate=amd_false_positive_rate
        )
        for at, outcome in sorted(attempts, key=lambda pair: pair[0]):
            budget.record(at, outcome)
        return budget

    def record(self, at: float, outcome: AttemptOutcome, count: int = 1) -> None:
        """Count `count` attempts' outcome at `at` (the dialer reads the log as counts per outcome);
        outcomes other than a person or a machine do not count."""
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count!r}")
        live, abandons = self._weights(outcome)
        live, abandons = live * count, abandons * count
        if live == 0.0:
            return
        bucket = self._bucket_of(at)
        newest = self._order[-1] if self._order else bucket
        if bucket <= max(newest, bucket) - self._buckets:
            return
        if bucket not in self._counts:
            self._counts[bucket] = [0.0, 0.0]
            insort(self._order, bucket)
        counts = self._counts[bucket]
        counts[0] += live
        counts[1] += abandons
        self._live += live
        self._abandons += abandons
        self._expire(max(newest, bucket))

    def live_answers(self, now: float) -> float:
        """Live-answered calls in the window ending at `now` (abandons included: a person answered)."""
        self._expire(self._bucket_of(now))
        return self._live

    def abandons(self, now: float) -> float:
        self._expire(self._bucket_of(now))
        return self._abandons

    def rate(self, now: float) -> float:
        """Abandons as a fraction of live answers in the window (0 when nobody answered)."""
        live = self.live_answers(now)
        return self._abandons / live if live else 0.0

    def affordable(self, now: float, expected_live_in_flight: float = 0.0) -> float:
        """How many more abandons keep the window within the limit, if the calls in flight bring
        `expected_live_in_flight` more live answers (those abandons among them); never below 0."""
        if expected_live_in_flight < 0 or math.isnan(expected_live_in_flight):
            raise ValueError(f"expected_live_in_flight must be >= 0, got {expected_live_in_flight!r}")
        live = self.live_answers(now)
        return max(0.0, self.limit * (live + expected_live_in_flight) - self._abandons)

    def bucket_count(self) -> int:
        """Buckets held now (at most the window's number of buckets plus one)."""
        return len(self._order)

    def _weights(self, outcome: AttemptOutcome) -> tuple[float, float]:
        if outcome is AttemptOutcome.HUMAN:
            return 1.0, 0.0
        if outcome is AttemptOutcome.DROPPED:
            return 1.0, 1.0
        if outcome is AttemptOutcome.MACHINE:
            return self.machine_weight, self.machine_weight
        return 0.0, 0.0

    def _bucket_of(self, at: float) -> int:
        if not math.isfinite(at):
            raise ValueError(f"time must be a finite number of seconds, got {at!r}")
        return math.floor(at / self.rule.bucket_seconds)

    def _expire(self, current: int) -> None:
        oldest_kept = current - self._buckets + 1
        while self._order and self._order[0] < oldest_kept:
            live, abandons = self._counts.pop(self._order.pop(0))
            self._live -= live
            self._abandons -= abandons
        if not self._order:
            self._live = self._abandons = 0.0
