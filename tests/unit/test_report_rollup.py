"""The report's rollups (`roll_up`, migration 0014) on SQLite and PostgreSQL: the report read from the
rollups and the raw tables after the watermark is the report read through the views, whatever the
watermark (a tail not rolled up yet, an agent's state period across it), after a threshold UPDATE,
and after rolling up again; the rollup is incremental and idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from ivr_scripts.report.model import Period
from schema.reporting.report import build_report
from schema.reporting.rollup import quarter_floor, roll_up
from schema.viewer import Viewer
from tests.support.report_history import at, seed

MANAGER = Viewer("boss", "manager")
NOW = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
PERIODS = (
    Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 7), zone="Europe/London"),
    Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 10), zone="Asia/Kolkata"),
    Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 1), zone="UTC", queue="sales"),
    Period(first=dt.date(2024, 2, 29), last=dt.date(2024, 3, 3), zone="America/New_York", queue="support"),
)
ROLLUPS = (
    "rollup_queue",
    "rollup_volume",
    "rollup_abandons",
    "rollup_agent",
    "rollup_agent_day",
    "rollup_ivr",
    "rollup_csat",
)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def assert_same_reports(engine: Engine, viewer: Viewer = MANAGER) -> None:
    for period in PERIODS:
        from_views = build_report(engine, viewer, period, now=NOW, from_views=True)
        assert build_report(engine, viewer, period, now=NOW) == from_views, period


def stored(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            for table in ROLLUPS
        }


def test_without_any_rollup_the_raw_tables_give_the_views_report(seeded: Engine) -> None:
    assert_same_reports(seeded)
    assert_same_reports(seeded, Viewer("sue", "supervisor", department="sales"))


def test_rolled_up_to_the_end_gives_the_views_report(seeded: Engine) -> None:
    summary = roll_up(seeded, now=NOW)

    assert summary.rolled_up_from == at(0)  # the first quarter-hour with data
    assert summary.rolled_up_to == quarter_floor(NOW - dt.timedelta(hours=1))
    assert summary.quarters == (summary.rolled_up_to - at(0)) // dt.timedelta(minutes=15)
    assert stored(seeded)["rollup_volume"]  # the report below reads them, not the raw tables
    assert_same_reports(seeded)


@pytest.mark.parametrize("minute", [15, 30, 45])
def test_a_tail_after_the_watermark_gives_the_same_report(seeded: Engine, minute: int) -> None:
    # Agent 1001's break (09:10-09:19) and session (09:00-09:30) cross the 09:15 watermark: one part in
    # the rollup, the other in the tail; at 09:30 and 09:45, day 1's tail holds only logged-out agents.
    summary = roll_up(seeded, now=at(minute) + dt.timedelta(hours=1))

    assert summary.rolled_up_to == at(minute)
    assert_same_reports(seeded)
    assert_same_reports(seeded, Viewer("sue", "supervisor", department="sales"))


def test_rolling_up_in_steps_stores_what_one_run_stores_and_again_adds_nothing(seeded: Engine) -> None:
    for minute in (10, 20, 44, 70, 60 * 30, 60 * 24 * 10):
        roll_up(seeded, now=at(minute) + dt.timedelta(hours=1))
    stepped = stored(seeded)
    again = roll_up(seeded, now=at(60 * 24 * 10) + dt.timedelta(hours=1))

    assert again.quarters == 0
    assert stored(seeded) == stepped
    rebuilt = roll_up(seeded, now=at(60 * 24 * 10) + dt.timedelta(hours=1), rebuild=True)
    assert rebuilt.rebuilt
    assert stored(seeded) == stepped


def test_a_threshold_update_reads_the_queue_from_the_raw_tables_until_the_rollup_rebuilds(
    seeded: Engine,
) -> None:
    roll_up(seeded, now=NOW)
    with seeded.begin() as connection:
        connection.execute(text("UPDATE report_settings SET service_level_s = 35, short_abandon_s = 0"))
        connection.execute(
            text("UPDATE report_settings SET csat_question = 'resolved', csat_satisfied_score = 1")
        )
    assert_same_reports(seeded)
    week = build_report(seeded, MANAGER, PERIODS[0], now=NOW)
    assert (week.queue.answered_within_threshold, week.queue.short_abandons) == (3, 0)
    assert (week.csat.responses, week.csat.satisfied) == (1, 1)

    summary = roll_up(seeded, now=NOW)

    assert summary.rebuilt
    assert_same_reports(seeded)
    with seeded.connect() as connection:
        stamp = connection.execute(text("SELECT service_level_s, short_abandon_s FROM rollup_state")).one()
    assert tuple(stamp) == (35.0, 0.0)


def test_nothing_to_roll_up_is_not_an_error(engine: Engine) -> None:
    summary = roll_up(engine, now=NOW)

    assert (summary.rolled_up_to, summary.quarters, summary.rebuilt) == (None, 0, False)
