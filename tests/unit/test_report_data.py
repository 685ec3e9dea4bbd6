"""`build_report` on SQLite and PostgreSQL: the figures of the hand-worked history
(tests/support/report_history.py; each view's figures are worked out in test_report_views.py), the
time zone's bounds and hours, the queue filter, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, bindparam, text

from ivr_scripts.report.model import Period
from schema.errors import PermissionDenied, RecordRejected
from schema.reporting.report import build_report
from schema.types import UtcDateTime
from schema.viewer import Viewer
from tests.support.report_history import seed

MANAGER = Viewer("boss", "manager")
WEEK = Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 7), zone="Europe/London")


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def test_the_weeks_headline_figures_sum_the_views_parts(seeded: Engine) -> None:
    report = build_report(seeded, MANAGER, WEEK)

    # c1-c9, c11 on day 1, c12 on day 2, c7 on day 3; c10 (day 9) is after the range.
    assert report.calls == 11
    q = report.queue
    assert (q.offered, q.answered, q.answered_within_threshold, q.abandoned, q.short_abandons) == (
        7,
        4,
        2,
        2,
        1,
    )
    assert q.service_level == pytest.approx(2 / 6)  # the short abandon leaves the denominator
    assert q.asa_s == pytest.approx((10 + 30 + 480 + 4) / 4)
    assert q.abandon_rate == pytest.approx(1 / 6)
    assert q.aht_s == pytest.approx((120 + 300 + 120 + 60 + 30 + 10) / 4)
    assert (report.service_level_s, report.short_abandon_s) == (20.0, 5.0)
    assert (report.csat.responses, report.csat.satisfied, report.csat.rate) == (4, 2, 0.5)


def test_hours_are_local_hours_of_the_day_summed_over_the_days(seeded: Engine) -> None:
    london = build_report(seeded, MANAGER, WEEK)
    new_york = build_report(seeded, MANAGER, WEEK.model_copy(update={"zone": "America/New_York"}))

    assert len(london.hours) == 24
    assert {h.hour: h.calls for h in london.hours if h.calls} == {9: 10, 10: 1}
    assert {h.hour: h.queue.offered for h in london.hours if h.queue.offered} == {9: 6, 10: 1}
    nine = london.hours[9].queue
    assert nine.service_level == pytest.approx(1 / 5)
    assert nine.asa_s == pytest.approx(520 / 3)
    # 09:00 UTC is 04:00 in New York (EST, -5).
    assert {h.hour: h.calls for h in new_york.hours if h.calls} == {4: 10, 5: 1}


def test_the_range_is_local_midnight_to_midnight(seeded: Engine) -> None:
    # Kiritimati is UTC+14: local 1 March is 29 Feb 10:00 UTC to 1 March 10:00 UTC: day 1's 9 calls.
    kiritimati = Period(first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 1), zone="Pacific/Kiritimati")
    report = build_report(seeded, MANAGER, kiritimati)
    assert report.calls == 9
    next_day = build_report(
        seeded,
        MANAGER,
        kiritimati.model_copy(update={"first": dt.date(2024, 3, 2), "last": dt.date(2024, 3, 2)}),
    )
    assert next_day.calls == 1  # c12, outbound, 2 March 09:00 UTC
    assert next_day.queue.offered == 0
    assert next_day.queue.service_level is None


def test_abandons_by_wait_agents_and_the_ivr_funnel(seeded: Engine) -> None:
    report = build_report(seeded, MANAGER, WEEK)

    assert {b.label: b.abandons for b in report.abandons if b.abandons} == {"0-5 s": 1, "30-60 s": 1}
    assert len(report.abandons) == 8
    assert [(a.agent_id, a.offered, a.answered, a.talk_s) for a in report.agents] == [
        ("1001", 2, 2, 240.0),
        ("1002", 2, 1, 300.0),
        ("1003", 1, 1, 60.0),
    ]
    occupancy = [a.occupancy for a in report.agents]
    assert occupancy == [pytest.approx(270 / 1260), pytest.approx(310 / 840), None]
    assert [(s.label, s.calls) for s in report.funnel] == [
        ("Entered the IVR", 10),
        ("Chose an option", 9),
        ("Routed to people", 7),
        ("Contained (IVR finished the call)", 1),
        ("Dropped in the IVR", 2),
    ]


def test_a_queue_narrows_the_queue_figures_only(seeded: Engine) -> None:
    report = build_report(seeded, MANAGER, WEEK.model_copy(update={"queue": "support"}))

    assert (report.queue.offered, report.queue.answered, report.queue.service_level) == (1, 1, 1.0)
    assert sum(b.abandons for b in report.abandons) == 0
    assert report.csat.responses == 1
    assert report.calls == 11  # volume, agents and the IVR are the centre's
    assert len(report.agents) == 3


def test_a_supervisor_sees_their_departments_agents_and_an_agent_nothing(seeded: Engine) -> None:
    with seeded.begin() as connection:
        connection.execute(text("UPDATE agents SET department = 'sales' WHERE agent_id IN ('1001', '1002')"))
    sales = build_report(seeded, Viewer("sue", "supervisor", department="sales"), WEEK)
    other = build_report(seeded, Viewer("tom", "supervisor", department="support"), WEEK)

    assert [a.agent_id for a in sales.agents] == ["1001", "1002"]
    assert sales.agents_of_department == "sales"
    assert other.agents == []
    assert other.queue.offered == 7
    with pytest.raises(PermissionDenied):
        build_report(seeded, Viewer("al", "agent", agent_id="1001"), WEEK)


@pytest.mark.parametrize(
    ("first", "last", "zone", "message"),
    [
        (dt.date(2024, 3, 2), dt.date(2024, 3, 1), "UTC", "before it starts"),
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1), "UTC", "at most 366 days"),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 1), "Mars/Olympus", "unknown time zone"),
    ],
)
def test_a_bad_period_is_refused(
    engine: Engine, first: dt.date, last: dt.date, zone: str, message: str
) -> None:
    with pytest.raises(RecordRejected, match=message):
        build_report(engine, MANAGER, Period(first=first, last=last, zone=zone))


def test_the_day_clocks_go_back_counts_its_repeated_hour_once_per_call(engine: Engine) -> None:
    # Europe/London, 27 October 2024: 01:00-02:00 happens twice (BST, then GMT); the day is 25 hours,
    # 26 October 23:00 UTC to 28 October 00:00 UTC.
    starts = {
        "before": dt.datetime(2024, 10, 26, 22, 59, tzinfo=dt.UTC),  # 23:59 BST on the 26th: out
        "midnight": dt.datetime(2024, 10, 26, 23, 0, tzinfo=dt.UTC),  # 00:00 BST
        "first-one": dt.datetime(2024, 10, 27, 0, 30, tzinfo=dt.UTC),  # 01:30 BST
        "second-one": dt.datetime(2024, 10, 27, 1, 30, tzinfo=dt.UTC),  # 01:30 GMT
        "last": dt.datetime(2024, 10, 27, 23, 59, tzinfo=dt.UTC),  # 23:59 GMT
        "after": dt.datetime(2024, 10, 28, 0, 0, tzinfo=dt.UTC),  # the 28th: out
    }
    insert = text(
        "INSERT INTO calls (uuid, direction, started_at, updated_at) VALUES (:u, 'inbound', :s, :s)"
    )
    with engine.begin() as connection:
        for uuid, utc in starts.items():
            connection.execute(insert.bindparams(bindparam("s", type_=UtcDateTime())), {"u": uuid, "s": utc})
    autumn = Period(first=dt.date(2024, 10, 27), last=dt.date(2024, 10, 27), zone="Europe/London")

    report = build_report(engine, MANAGER, autumn)

    assert report.calls == 4
    assert {h.hour: h.calls for h in report.hours if h.calls} == {0: 1, 1: 2, 23: 1}
