"""The KPI views of migration 0012 on SQLite and PostgreSQL: exact figures from a small known history
(tests/support/report_history.py), agreement with `queue_stats`, and settings changed by an UPDATE."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, text

from schema.acd.reports import queue_stats
from schema.types import UtcDateTime
from tests.support.report_history import at, seed

DAY1 = "2024-03-01 09:00:00.000000"
DAY1_Q2 = "2024-03-01 09:15:00.000000"
DAY2 = "2024-03-02 09:00:00.000000"
DAY3 = "2024-03-03 10:00:00.000000"
DAY9 = "2024-03-09 09:00:00.000000"


def cell(value: Any) -> Any:
    """One value as SQLite shows it: times as UTC text, numbers rounded to three decimals."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal | float):
        return round(float(value), 3)
    return value


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    statement = text(sql)
    if params:
        statement = statement.bindparams(*(bindparam(name, type_=UtcDateTime()) for name in params))
    with engine.connect() as connection:
        return [tuple(cell(value) for value in row) for row in connection.execute(statement, params)]


def update_settings(engine: Engine, assignments: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE report_settings SET {assignments}"))


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


QUEUE_COLUMNS = (
    "queue, interval_start, entered, offered, answered, answered_within_threshold, abandoned, short_abandons,"
    " exited, callbacks, answer_wait_s, handled, talk_s, wrap_s, service_level, asa_s, abandon_rate, aht_s"
)


def test_queue_interval_counts_by_exit_with_short_abandons_out_of_the_rates(seeded: Engine) -> None:
    found = rows(seeded, f"SELECT {QUEUE_COLUMNS} FROM v_queue_interval ORDER BY queue, interval_start")

    assert found == [
        # 6 offered, 1 short abandon: SL 1/5, abandon rate (2-1)/5, ASA (10+30)/2, AHT (420 talk + 40 wrap)/2.
        ("sales", DAY1, 6, 6, 2, 1, 2, 1, 1, 1, 40.0, 2, 420.0, 40.0, 0.2, 20.0, 0.2, 230.0),
        # The callback's CONNECT: answered, not offered again; no wrap-up written (0 s).
        ("sales", DAY1_Q2, 0, 0, 1, 0, 0, 0, 0, 0, 480.0, 1, 120.0, 0.0, None, 480.0, None, 120.0),
        ("support", DAY3, 1, 1, 1, 1, 0, 0, 0, 0, 4.0, 1, 60.0, 0.0, 1.0, 4.0, 0.0, 60.0),
    ]


def test_queue_interval_shows_the_thresholds_it_used(seeded: Engine) -> None:
    found = rows(seeded, "SELECT DISTINCT service_level_s, short_abandon_s FROM v_queue_interval")
    assert found == [(20.0, 5.0)]


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(0), at(30)), (at(0), at(15)), (at(15), at(30)), (at(0), at(0, day=10))],
    ids=["first-half-hour", "first-quarter", "second-quarter", "everything"],
)
def test_queue_interval_agrees_with_queue_stats_when_short_abandons_count(
    seeded: Engine, start: dt.datetime, end: dt.datetime
) -> None:
    update_settings(seeded, "short_abandon_s = 0")
    summed = rows(
        seeded,
        "SELECT queue, SUM(offered), SUM(answered), SUM(answered_within_threshold), SUM(abandoned),"
        " SUM(short_abandons), SUM(answer_wait_s) FROM v_queue_interval"
        " WHERE interval_start >= :start AND interval_start < :end GROUP BY queue ORDER BY queue",
        start=start,
        end=end,
    )

    stats = queue_stats(seeded, start, end)

    assert [row[0] for row in summed] == [s.queue for s in stats]
    for (_, offered, answered, within, abandoned, short, waited), s in zip(summed, stats, strict=True):
        assert (offered, answered, within, abandoned, short) == (
            s.offered,
            s.answered,
            s.answered_within_threshold,
            s.abandoned,
            0,
        )
        assert cell(within / offered if offered else None) == cell(s.service_level)
        assert cell(abandoned / offered if offered else None) == cell(s.abandon_rate)
        assert cell(waited / answered if answered else None) == cell(s.average_speed_of_answer_s)


def test_queue_interval_rates_equal_queue_stats_per_interval_when_short_abandons_count(
    seeded: Engine,
) -> None:
    update_settings(seeded, "short_abandon_s = 0")
    found = rows(
        seeded,
        "SELECT queue, offered, answered, answered_within_threshold, abandoned, service_level, asa_s,"
        " abandon_rate FROM v_queue_interval WHERE queue = 'sales' AND interval_start = :start",
        start=at(0),
    )
    (s,) = queue_stats(seeded, at(0), at(15))
    assert found == [
        (
            s.queue,
            s.offered,
            s.answered,
            s.answered_within_threshold,
            s.abandoned,
            cell(s.service_level),
            cell(s.average_speed_of_answer_s),
            cell(s.abandon_rate),
        )
    ]


def test_an_update_of_report_settings_changes_the_queue_figures(seeded: Engine) -> None:
    sql = (
        "SELECT answered_within_threshold, short_abandons, service_level, abandon_rate, service_level_s,"
        " short_abandon_s FROM v_queue_interval WHERE queue = 'sales' AND interval_start = :start"
    )
    assert rows(seeded, sql, start=at(0)) == [(1, 1, 0.2, 0.2, 20.0, 5.0)]

    update_settings(seeded, "service_level_s = 30, short_abandon_s = 0")

    # c2's 30 s wait is now within the threshold; c3's 3 s abandon counts: SL 2/6, abandon rate 2/6.
    assert rows(seeded, sql, start=at(0)) == [(2, 0, 0.333, 0.333, 30.0, 0.0)]


def test_agent_interval_splits_state_time_at_quarter_hours_and_leaves_breaks_out_of_occupancy(
    seeded: Engine,
) -> None:
    found = rows(
        seeded,
        "SELECT agent_id, interval_start, offered, answered, talk_s, available_s, reserved_s, ringing_s,"
        " on_call_s, wrap_up_s, on_break_s, logged_in_s, occupancy FROM v_agent_interval"
        " ORDER BY agent_id, interval_start",
    )

    assert found == [
        # (120 talk + 30 wrap) / (900 logged in - 300 on a break)
        ("1001", DAY1, 1, 1, 120.0, 448.0, 0.0, 2.0, 120.0, 30.0, 300.0, 900.0, 0.25),
        # the break 09:10-09:19 is split: 300 s before 09:15, 240 s after; 120 / (900 - 240)
        ("1001", DAY1_Q2, 1, 1, 120.0, 540.0, 0.0, 0.0, 120.0, 0.0, 240.0, 900.0, 0.182),
        # logged out at 09:14: 840 s logged in; (300 + 10) / 840; the unanswered leg counts as offered
        ("1002", DAY1, 2, 1, 300.0, 525.0, 0.0, 5.0, 300.0, 10.0, 0.0, 840.0, 0.369),
        # no state log at all: legs only, no occupancy
        ("1003", DAY3, 1, 1, 60.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None),
    ]


def test_agent_state_periods_run_to_the_next_change(seeded: Engine) -> None:
    found = rows(
        seeded,
        "SELECT version, state, call_uuid, started_at, ended_at, seconds FROM v_agent_state_periods"
        " WHERE agent_id = '1002' AND ended_at IS NOT NULL ORDER BY version",
    )
    assert found == [
        (1, "available", None, DAY1, "2024-03-01 09:05:25.000000", 325.0),
        (2, "ringing", "c2", "2024-03-01 09:05:25.000000", "2024-03-01 09:05:30.000000", 5.0),
        (3, "on_call", "c2", "2024-03-01 09:05:30.000000", "2024-03-01 09:10:30.000000", 300.0),
        (4, "wrap_up", "c2", "2024-03-01 09:10:30.000000", "2024-03-01 09:10:40.000000", 10.0),
        (5, "available", None, "2024-03-01 09:10:40.000000", "2024-03-01 09:14:00.000000", 200.0),
    ]
    (current,) = rows(
        seeded,
        "SELECT state, seconds FROM v_agent_state_periods WHERE agent_id = '1002' AND ended_at IS NULL",
    )
    assert current[0] == "logged_out"
    since_logout = (dt.datetime.now(dt.UTC) - at(14)).total_seconds()
    assert since_logout - 60 < current[1] <= since_logout + 1


VOLUME_COLUMNS = (
    "direction, did, calls, answered, abandoned, callbacks, contained, dropped_in_ivr, duration_s"
)


def test_interval_and_hourly_volume(seeded: Engine) -> None:
    quarters = rows(seeded, f"SELECT interval_start, {VOLUME_COLUMNS} FROM v_interval_volume ORDER BY 1")
    hours = rows(seeded, f"SELECT hour_start, {VOLUME_COLUMNS} FROM v_hourly_volume ORDER BY 1")

    assert quarters == [
        (DAY1, "inbound", "4001", 6, 2, 2, 1, 0, 0, 674.0),
        (DAY1_Q2, "inbound", "4001", 3, 0, 0, 0, 1, 2, 57.0),
        (DAY2, "outbound", None, 1, 1, 0, 0, 0, 0, 50.0),
        (DAY3, "inbound", "4001", 1, 1, 0, 0, 0, 0, 70.0),
        (DAY9, "inbound", "4001", 1, 0, 0, 0, 1, 0, 20.0),
    ]
    assert hours == [
        (DAY1, "inbound", "4001", 9, 2, 2, 1, 1, 2, 731.0),
        (DAY2, "outbound", None, 1, 1, 0, 0, 0, 0, 50.0),
        (DAY3, "inbound", "4001", 1, 1, 0, 0, 0, 0, 70.0),
        (DAY9, "inbound", "4001", 1, 0, 0, 0, 1, 0, 20.0),
    ]


def test_ivr_menu_options_count_presses_and_where_each_call_left(seeded: Engine) -> None:
    found = rows(
        seeded,
        "SELECT menu, option, interval_start, calls, presses, exits, contained, dropped, routed,"
        " containment_rate, drop_off_rate FROM v_ivr_menu_options ORDER BY menu, option, interval_start",
    )

    assert found == [
        # c11 pressed 3 in main, then 1 in billing, and hung up: it left at billing's option 1
        ("billing", "1", DAY1_Q2, 1, 1, 1, 0, 1, 0, 0.0, 1.0),
        # c9 pressed nothing and hung up: main's '' row
        ("main", "", DAY1_Q2, 0, 0, 1, 0, 1, 0, 0.0, 1.0),
        ("main", "1", DAY1, 6, 6, 6, 0, 0, 6, 0.0, 0.0),
        ("main", "1", DAY3, 1, 1, 1, 0, 0, 1, 0.0, 0.0),
        ("main", "2", DAY1_Q2, 1, 1, 1, 1, 0, 0, 1.0, 0.0),
        ("main", "2", DAY9, 1, 1, 1, 1, 0, 0, 1.0, 0.0),
        ("main", "3", DAY1_Q2, 1, 1, 0, 0, 0, 0, None, None),
    ]


FCR_COLUMNS = (
    "call_uuid, interval_start, answered, queue, agent_id, window_ends_at, repeat_calls, repeated, resolved"
)


def test_first_call_resolution_per_call(seeded: Engine) -> None:
    found = rows(seeded, f"SELECT {FCR_COLUMNS} FROM v_first_call_resolution ORDER BY started_at")

    assert found == [
        ("c1", DAY1, 1, "sales", "1001", "2024-03-08 09:00:00.000000", 1, 1, 0),  # c7 two days later
        ("c2", DAY1, 1, "sales", "1002", "2024-03-08 09:05:00.000000", 0, 0, 1),  # c10 after 8 days
        ("c3", DAY1, 0, None, None, "2024-03-08 09:07:00.000000", 0, 0, 0),  # c12 is outbound
        ("c4", DAY1, 0, None, None, "2024-03-08 09:08:00.000000", 0, 0, 0),
        ("c5", DAY1, 0, None, None, "2024-03-08 09:09:00.000000", 0, 0, 0),
        ("c6", DAY1, 0, "sales", "1001", "2024-03-08 09:12:00.000000", 0, 0, 0),
        ("c8", DAY1_Q2, 0, None, None, "2024-03-08 09:20:00.000000", 0, 0, 0),
        ("c9", DAY1_Q2, 0, None, None, "2024-03-08 09:25:00.000000", 0, 0, 0),
        # c11 is anonymous, c12 outbound: not in the view
        ("c7", DAY3, 1, "support", "1003", "2024-03-10 10:00:00.000000", 0, 0, 1),
        ("c10", DAY9, 0, None, None, "2024-03-16 09:04:00.000000", 0, 0, 0),
    ]


def test_first_call_resolution_per_queue_and_a_longer_window(seeded: Engine) -> None:
    sql = (
        "SELECT queue, interval_start, answered_calls, repeated, resolved, fcr_rate"
        " FROM v_first_call_resolution_queue ORDER BY queue, interval_start"
    )
    assert rows(seeded, sql) == [("sales", DAY1, 2, 1, 1, 0.5), ("support", DAY3, 1, 0, 1, 1.0)]

    update_settings(seeded, "fcr_window_days = 8")

    # c10 came 8 days less a minute after c2: within 8 days, c2 was not resolved either.
    assert rows(seeded, sql) == [("sales", DAY1, 2, 2, 0, 0.0), ("support", DAY3, 1, 0, 1, 1.0)]


def test_csat_per_agent_and_queue(seeded: Engine) -> None:
    sql = (
        "SELECT agent_id, queue, interval_start, responses, score_sum, satisfied, average_score, csat_rate"
        " FROM v_csat ORDER BY agent_id, interval_start"
    )
    assert rows(seeded, sql) == [
        ("1001", "sales", DAY1, 1, 5, 1, 5.0, 1.0),  # c1's `resolved` answer is not a CSAT score
        ("1001", "sales", DAY1_Q2, 1, 4, 1, 4.0, 1.0),
        ("1002", "sales", DAY1, 1, 3, 0, 3.0, 0.0),
        ("1003", "support", DAY3, 1, 2, 0, 2.0, 0.0),
    ]

    update_settings(seeded, "csat_satisfied_score = 3")
    assert [row[5] for row in rows(seeded, sql)] == [1, 1, 1, 0]

    update_settings(seeded, "csat_question = 'resolved'")
    assert rows(seeded, sql) == [("1001", "sales", DAY1, 1, 1, 0, 1.0, 0.0)]


@pytest.mark.parametrize(
    "view",
    [
        "v_queue_interval",
        "v_agent_interval",
        "v_interval_volume",
        "v_ivr_menu_options",
        "v_first_call_resolution",
        "v_first_call_resolution_queue",
        "v_csat",
    ],
)
def test_every_interval_view_filters_by_a_utc_time_bound(seeded: Engine, view: str) -> None:
    everything = rows(seeded, f"SELECT COUNT(*) FROM {view}")[0][0]
    before = rows(seeded, f"SELECT COUNT(*) FROM {view} WHERE interval_start < :bound", bound=at(15))[0][0]
    after = rows(seeded, f"SELECT COUNT(*) FROM {view} WHERE interval_start >= :bound", bound=at(15))[0][0]
    assert before > 0
    assert after > 0
    assert before + after == everything


def test_buckets_are_utc_whatever_the_sessions_time_zone(seeded: Engine) -> None:
    with seeded.connect() as connection:
        if seeded.dialect.name == "postgresql":  # SQLite has no session time zone
            connection.execute(text("SET TIME ZONE 'Asia/Kolkata'"))  # +05:30: no UTC hour is a local one
        hours = connection.execute(text("SELECT hour_start, calls FROM v_hourly_volume ORDER BY 1")).all()
        quarters = connection.execute(
            text("SELECT interval_start FROM v_queue_interval WHERE queue = 'sales' ORDER BY 1")
        ).all()
    assert [(cell(hour), calls) for hour, calls in hours] == [(DAY1, 9), (DAY2, 1), (DAY3, 1), (DAY9, 1)]
    assert [cell(quarter) for (quarter,) in quarters] == [DAY1, DAY1_Q2]
