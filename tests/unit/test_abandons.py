from __future__ import annotations

import math

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction
from ivr_scripts.campaigns.abandons import DAY, HOUR, AbandonBudget

A = AttemptOutcome


def test_us_counts_people_and_drops_and_nothing_else() -> None:
    budget = AbandonBudget(Jurisdiction.US, amd_false_positive_rate=0.5)
    for outcome in (A.HUMAN, A.HUMAN, A.HUMAN, A.DROPPED, A.MACHINE, A.BUSY, A.NO_ANSWER, A.FAX, A.BLOCKED):
        budget.record(100.0, outcome)
    assert budget.live_answers(100.0) == 4  # a dropped call was answered by a person
    assert budget.abandons(100.0) == 1
    assert budget.rate(100.0) == pytest.approx(0.25)


def test_uk_counts_each_machine_as_a_fraction_of_a_person_hung_up_on() -> None:
    budget = AbandonBudget(Jurisdiction.UK, amd_false_positive_rate=0.05)
    for _ in range(97):
        budget.record(10.0, A.HUMAN)
    budget.record(10.0, A.DROPPED)
    for _ in range(20):
        budget.record(10.0, A.MACHINE)
    assert budget.live_answers(10.0) == pytest.approx(99.0)
    assert budget.abandons(10.0) == pytest.approx(2.0)
    assert budget.rate(10.0) == pytest.approx(2.0 / 99.0)


def test_no_live_answer_is_a_rate_of_zero() -> None:
    assert AbandonBudget(Jurisdiction.US).rate(0.0) == 0.0


def test_the_us_window_is_thirty_days_counted_by_the_hour() -> None:
    budget = AbandonBudget(Jurisdiction.US)
    budget.record(0.0, A.DROPPED)
    budget.record(10 * DAY, A.HUMAN)
    assert budget.abandons(30 * DAY - 1.0) == 1
    assert budget.abandons(30 * DAY) == 0  # its hour has left the window
    assert budget.live_answers(30 * DAY) == 1
    assert budget.live_answers(40 * DAY) == 0


def test_the_uk_window_is_a_day_counted_by_the_minute() -> None:
    budget = AbandonBudget(Jurisdiction.UK)
    budget.record(30.0, A.DROPPED)
    assert budget.abandons(DAY - 1.0) == 1
    assert budget.abandons(DAY + 60.0) == 0
    assert budget.rule.bucket_seconds == 60.0


def test_memory_is_bounded_by_the_window_not_the_calls() -> None:
    us, uk = AbandonBudget(Jurisdiction.US), AbandonBudget(Jurisdiction.UK)
    for minute in range(60 * 24 * 45):  # 45 days, a call a minute
        us.record(minute * 60.0, A.HUMAN)
        uk.record(minute * 60.0, A.HUMAN)
    assert us.bucket_count() == 30 * 24
    assert uk.bucket_count() == 24 * 60
    assert us.live_answers(45 * DAY - 1.0) == 30 * 24 * 60
    assert uk.live_answers(45 * DAY - 1.0) == 24 * 60


def test_a_record_older_than_the_window_is_ignored() -> None:
    budget = AbandonBudget(Jurisdiction.UK)
    budget.record(2 * DAY, A.HUMAN)
    budget.record(0.5 * DAY, A.DROPPED)
    assert budget.abandons(2 * DAY) == 0
    budget.record(1.5 * DAY, A.DROPPED)  # late, but inside the window: counted
    assert budget.abandons(2 * DAY) == 1


def test_affordable_is_the_headroom_with_the_calls_in_flight() -> None:
    budget = AbandonBudget(Jurisdiction.US, limit_percent=3.0)
    for _ in range(98):
        budget.record(0.0, A.HUMAN)
    budget.record(0.0, A.DROPPED)
    budget.record(0.0, A.DROPPED)
    assert budget.affordable(1.0) == pytest.approx(1.0)
    assert budget.affordable(1.0, expected_live_in_flight=50.0) == pytest.approx(2.5)
    for _ in range(5):
        budget.record(2.0, A.DROPPED)
    assert budget.affordable(3.0) == 0.0  # spent: never negative


def test_from_attempts_is_the_same_as_recording_them_in_time_order() -> None:
    attempts = [(3 * HOUR, A.DROPPED), (HOUR, A.HUMAN), (2 * HOUR, A.MACHINE), (0.0, A.HUMAN)]
    seeded = AbandonBudget.from_attempts(Jurisdiction.UK, attempts, amd_false_positive_rate=0.1)
    recorded = AbandonBudget(Jurisdiction.UK, amd_false_positive_rate=0.1)
    for at, outcome in sorted(attempts):
        recorded.record(at, outcome)
    now = 4 * HOUR
    assert seeded.live_answers(now) == recorded.live_answers(now) == pytest.approx(3.1)
    assert seeded.abandons(now) == recorded.abandons(now) == pytest.approx(1.1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit_percent": 0.0}, "limit_percent"),
        ({"limit_percent": 101.0}, "limit_percent"),
        ({"amd_false_positive_rate": -0.1}, "amd_false_positive_rate"),
        ({"amd_false_positive_rate": 1.5}, "amd_false_positive_rate"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AbandonBudget(Jurisdiction.US, **kwargs)


def test_bad_times_and_counts_are_refused() -> None:
    budget = AbandonBudget(Jurisdiction.US)
    with pytest.raises(ValueError, match="finite"):
        budget.record(math.nan, A.HUMAN)
    with pytest.raises(ValueError, match="expected_live_in_flight"):
        budget.affordable(0.0, -1.0)
    assert budget.live_answers(0.0) == 0
