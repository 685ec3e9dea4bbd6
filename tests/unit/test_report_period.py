"""The report's period and its rates, without a database: UTC bounds of local dates (DST days), local
hours, and rates from summed parts."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr_scripts.report.model import Period, QueueFigures

UTC = dt.UTC


def test_a_spring_forward_day_has_23_hours_and_an_autumn_day_25() -> None:
    spring = Period(first=dt.date(2024, 3, 31), last=dt.date(2024, 3, 31), zone="Europe/London")
    autumn = Period(first=dt.date(2024, 10, 27), last=dt.date(2024, 10, 27), zone="Europe/London")

    start, end = spring.utc_bounds()
    assert (start, end) == (dt.datetime(2024, 3, 31, 0, tzinfo=UTC), dt.datetime(2024, 3, 31, 23, tzinfo=UTC))
    assert end - start == dt.timedelta(hours=23)
    start, end = autumn.utc_bounds()
    assert (start, end) == (
        dt.datetime(2024, 10, 26, 23, tzinfo=UTC),
        dt.datetime(2024, 10, 28, 0, tzinfo=UTC),
    )


def test_the_repeated_hour_folds_into_one_local_hour_and_the_skipped_one_gets_nothing() -> None:
    autumn = Period(first=dt.date(2024, 10, 27), last=dt.date(2024, 10, 27), zone="Europe/London")
    # 00:15 UTC is 01:15 BST; 01:15 UTC is 01:15 GMT: both the local 01:00 hour.
    assert autumn.local_hour(dt.datetime(2024, 10, 27, 0, 15, tzinfo=UTC)) == 1
    assert autumn.local_hour(dt.datetime(2024, 10, 27, 1, 15, tzinfo=UTC)) == 1
    spring = Period(first=dt.date(2024, 3, 31), last=dt.date(2024, 3, 31), zone="Europe/London")
    hours = {spring.local_hour(spring.utc_bounds()[0] + dt.timedelta(minutes=15 * q)) for q in range(23 * 4)}
    assert hours == set(range(24)) - {1}


def test_a_half_hour_zone_puts_quarter_hours_in_its_own_hours() -> None:
    india = Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 1), zone="Asia/Kolkata")
    assert india.local_hour(dt.datetime(2024, 3, 1, 3, 15, tzinfo=UTC)) == 8
    assert india.local_hour(dt.datetime(2024, 3, 1, 3, 30, tzinfo=UTC)) == 9
    assert india.utc_bounds()[0] == dt.datetime(2024, 2, 29, 18, 30, tzinfo=UTC)


def test_rates_come_from_summed_parts_not_averaged_rates() -> None:
    quiet = QueueFigures(offered=1, answered=1, answered_within_threshold=1, answer_wait_s=2)
    busy = QueueFigures(offered=9, answered=9, answered_within_threshold=0, answer_wait_s=900)
    both = quiet.plus(busy)
    assert both.service_level == pytest.approx(0.1)  # not the mean of 1.0 and 0.0
    assert both.asa_s == pytest.approx(90.2)
    assert QueueFigures().service_level is None


def test_a_bad_zone_or_range_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Londres'"):
        Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 1), zone="Europe/Londres").check()
    with pytest.raises(ValueError, match="ends"):
        Period(first=dt.date(2024, 3, 2), last=dt.date(2024, 3, 1), zone="UTC").check()
