"""A queue's history from the database (both engines), and the forecast day drawn from it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from ivr_scripts.forecast.history import (
    HandledCall,
    IntervalDemand,
    QueueHistory,
    busy_span,
    forecast_day,
    same_weekdays,
)
from schema.acd.forecast_history import queue_history
from schema.errors import RecordRejected
from tests.support.queue_history import AHT_S, BERLIN, FIRST, LAST, TUESDAYS, local, seed

START = local(FIRST, 0, 0)
END = local(LAST + dt.timedelta(days=1), 0, 0)
UTC = dt.UTC


def test_the_history_query_reads_arrivals_and_talk_plus_wrap_up(engine: Engine) -> None:
    seed(engine)

    histories = queue_history(engine, ["sales", "support", "nobody"], START, END)

    sales = histories["sales"]
    assert len(sales.arrivals) == 3 + 1 + 4 + 1 + 1  # the Tuesdays' 8, 10:15, and the Wednesday
    assert min(sales.arrivals) == local(TUESDAYS[0], 9, 1)
    assert local(dt.date(2026, 11, 30), 0, 0) not in sales.arrivals  # the range's end is outside it
    assert sorted(sales.handled, key=lambda call: call.answered_at) == [
        HandledCall(local(TUESDAYS[0], 9, 1, 5), 100.0 + 10.0),
        HandledCall(local(TUESDAYS[3], 9, 20, 5), 200.0 + 30.0),
    ]  # the call answered before the range is not there, though it ended inside it
    assert all(at.utcoffset() == dt.timedelta(0) for at in sales.arrivals)  # read back as UTC
    assert len(histories["support"].arrivals) == 1
    assert histories["nobody"] == QueueHistory([], [])


def test_a_call_without_a_wrap_up_row_counts_its_talk_alone(engine: Engine) -> None:
    seed(engine)
    earlier = local(dt.date(2026, 11, 1), 0, 0)

    handled = queue_history(engine, ["sales"], earlier, END)["sales"].handled

    assert HandledCall(local(dt.date(2026, 11, 1), 23, 58), 600.0) in handled
    assert len(handled) == 3


def test_the_history_query_refuses_naive_times_and_no_queue(engine: Engine) -> None:
    with pytest.raises(RecordRejected):
        queue_history(engine, ["sales"], START.replace(tzinfo=None), END)
    with pytest.raises(RecordRejected):
        queue_history(engine, [], START, END)


def test_a_forecast_tuesday_from_four_tuesdays(engine: Engine) -> None:
    seed(engine)
    history = queue_history(engine, ["sales"], START, END)["sales"]

    day = forecast_day(history, TUESDAYS, BERLIN, interval_min=30)

    assert len(day) == 48
    by_start = {row.start: row for row in day}
    assert by_start[dt.time(9, 0)] == IntervalDemand(dt.time(9, 0), (3 + 1 + 0 + 4) / 4, AHT_S)
    # No call answered at 10:00-10:30: the AHT of all the days' answered calls.
    assert by_start[dt.time(10, 0)] == IntervalDemand(dt.time(10, 0), 1 / 4, AHT_S)
    assert sum(row.calls for row in day) == 9 / 4  # the Wednesday is not a Tuesday
    assert [row.start for row in busy_span(day)] == [dt.time(9, 0), dt.time(9, 30), dt.time(10, 0)]


@pytest.mark.parametrize(("statistic", "calls"), [("mean", 2.0), ("median", 2.0), ("max", 4.0)])
def test_the_statistic_over_the_days(statistic: str, calls: float) -> None:
    history = QueueHistory(
        [local(TUESDAYS[0], 9, m) for m in (1, 10, 29)]
        + [local(TUESDAYS[1], 9, 15)]
        + [local(TUESDAYS[3], 9, m) for m in (0, 5, 20, 29)],
        [],
    )
    (row,) = [r for r in forecast_day(history, TUESDAYS, BERLIN, statistic=statistic) if r.calls]  # type: ignore[arg-type]
    assert (row.start, row.calls, row.aht_s) == (dt.time(9, 0), calls, None)


def test_intervals_of_15_and_60_minutes() -> None:
    history = QueueHistory(
        [local(TUESDAYS[0], 9, 14), local(TUESDAYS[0], 9, 15), local(TUESDAYS[0], 9, 59)],
        [HandledCall(local(TUESDAYS[0], 9, 14), 60.0), HandledCall(local(TUESDAYS[0], 9, 50), 120.0)],
    )
    quarter = {r.start: r for r in forecast_day(history, TUESDAYS[:1], BERLIN, interval_min=15)}
    assert len(quarter) == 96
    assert (quarter[dt.time(9, 0)].calls, quarter[dt.time(9, 15)].calls, quarter[dt.time(9, 45)].calls) == (
        1,
        1,
        1,
    )
    assert (quarter[dt.time(9, 0)].aht_s, quarter[dt.time(9, 45)].aht_s, quarter[dt.time(9, 15)].aht_s) == (
        60.0,
        120.0,
        90.0,  # no answer in that quarter: the day's mean
    )
    hour = {r.start: r for r in forecast_day(history, TUESDAYS[:1], BERLIN, interval_min=60)}
    assert (len(hour), hour[dt.time(9, 0)].calls, hour[dt.time(9, 0)].aht_s) == (24, 3.0, 90.0)
    with pytest.raises(ValueError):
        forecast_day(history, TUESDAYS, BERLIN, interval_min=20)
    with pytest.raises(ValueError):
        forecast_day(history, [], BERLIN)


def test_the_local_clock_decides_the_interval() -> None:
    # 08:10 UTC is 09:10 in Berlin in November; in New York it is 03:10.
    at = dt.datetime(2026, 11, 3, 8, 10, tzinfo=UTC)
    history = QueueHistory([at], [])
    (berlin,) = busy_span(forecast_day(history, TUESDAYS, BERLIN))
    (new_york,) = busy_span(forecast_day(history, TUESDAYS, ZoneInfo("America/New_York")))
    assert (berlin.start, new_york.start) == (dt.time(9, 0), dt.time(3, 0))


def test_the_repeated_hour_when_clocks_go_back() -> None:
    # 2026-10-25, a Sunday: Berlin goes from 03:00 CEST back to 02:00 CET; 00:30 and 01:30 UTC are
    # both 02:30 local, so that day counts both in the 02:30 interval.
    sunday = dt.date(2026, 10, 25)
    history = QueueHistory([dt.datetime(2026, 10, 25, h, 30, tzinfo=UTC) for h in (0, 1)], [])
    (row,) = busy_span(forecast_day(history, [sunday], BERLIN))
    assert (row.start, row.calls) == (dt.time(2, 30), 2.0)


def test_same_weekdays() -> None:
    assert same_weekdays(FIRST, LAST, 1) == TUESDAYS
    assert same_weekdays(FIRST, FIRST, 0) == [FIRST]
    assert same_weekdays(FIRST, FIRST, 1) == []
    assert same_weekdays(FIRST, LAST, 6) == [dt.date(2026, 11, d) for d in (8, 15, 22, 29)]
    with pytest.raises(ValueError):
        same_weekdays(LAST, FIRST, 1)
    with pytest.raises(ValueError):
        same_weekdays(FIRST, LAST, 7)


def test_naive_history_times_are_refused() -> None:
    with pytest.raises(ValueError):
        forecast_day(QueueHistory([dt.datetime(2026, 11, 3, 9)], []), TUESDAYS, BERLIN)
