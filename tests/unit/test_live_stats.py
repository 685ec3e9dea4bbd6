"""The real-time statistics board (ivr_scripts.acd.live_stats): no sockets, no SQL, a hand-moved clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dialplans.vocabulary import QueueEventName
from ivr_scripts.acd.live_stats import AgentFigures, AgentRow, LiveStats, QueueFigures
from ivr_scripts.acd.queue_events import QueueEventReport
from tests.fakes.clock import FakeClock

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-03-02 23:50 in Berlin (UTC+1): ten minutes before the local midnight.
LATE = dt.datetime(2026, 3, 2, 22, 50, tzinfo=dt.UTC)


def report(
    event: QueueEventName,
    call: str,
    at: dt.datetime,
    *,
    queue: str = "sales",
    wait_s: float | None = None,
    agent_id: str | None = None,
    data: str | None = None,
) -> QueueEventReport:
    return QueueEventReport(
        event=event, call_uuid=call, queue=queue, at=at, wait_s=wait_s, agent_id=agent_id, data=data
    )


def board(clock: FakeClock, zone: ZoneInfo = BERLIN, changes: list[str] | None = None) -> LiveStats:
    on_change = None if changes is None else changes.append
    return LiveStats(clock, zone, thresholds={"sales": 20.0, "support": 60.0}, on_change=on_change)


def sales(stats: LiveStats) -> QueueFigures:
    (figures,) = [q for q in stats.queues(["sales"]) if q.queue == "sales"]
    return figures


def test_waiting_and_the_longest_wait_are_computed_when_read() -> None:
    clock = FakeClock()
    stats = board(clock)
    stats.queue_event(report("ENTERQUEUE", "a", clock.now))
    clock.advance(10)
    stats.queue_event(report("ENTERQUEUE", "b", clock.now))
    clock.advance(5)
    figures = sales(stats)
    assert (figures.waiting, figures.longest_wait_s) == (2, 15.0)
    clock.advance(30)  # no event: the wait still grows
    assert sales(stats).longest_wait_s == 45.0


def test_answer_and_abandon_leave_the_queue_and_count() -> None:
    clock = FakeClock()
    stats = board(clock)
    start = clock.now
    for call in "abcd":
        stats.queue_event(report("ENTERQUEUE", call, start))
    stats.queue_event(report("CONNECT", "a", clock.advance(12), wait_s=12, agent_id="1001"))
    stats.queue_event(report("CONNECT", "b", clock.advance(13), wait_s=25, agent_id="1002"))
    stats.queue_event(report("ABANDON", "c", clock.advance(5), wait_s=30))
    figures = sales(stats)
    assert figures.service_level == pytest.approx(1 / 3)
    assert figures == QueueFigures(
        queue="sales",
        waiting=1,
        longest_wait_s=30.0,
        oldest_entry=start,
        offered=3,
        answered=2,
        answered_within_threshold=1,
        abandoned=1,
        short_abandons=0,
        service_level=figures.service_level,
        service_level_threshold_s=20.0,
    )


def test_short_abandons_leave_the_service_level_as_in_the_report() -> None:
    """As v_queue_interval: an abandon after less than short_abandon_s leaves both the answered-in-time
    share's numerator and its denominator."""
    clock = FakeClock()
    stats = LiveStats(clock, BERLIN, thresholds={"sales": 20.0}, short_abandon_s=5.0)
    for call in "abcd":
        stats.queue_event(report("ENTERQUEUE", call, clock.now))
    stats.queue_event(report("CONNECT", "a", clock.advance(10), wait_s=10, agent_id="1001"))
    stats.queue_event(report("ABANDON", "b", clock.advance(1), wait_s=4.99))  # short
    stats.queue_event(report("ABANDON", "c", clock.advance(1), wait_s=5.0))  # not short: 5 s is not < 5 s
    stats.queue_event(report("CONNECT", "d", clock.advance(20), wait_s=32, agent_id="1002"))
    figures = sales(stats)
    assert (figures.offered, figures.abandoned, figures.short_abandons) == (4, 2, 1)
    assert figures.service_level == pytest.approx(1 / 3)  # 1 answered in time of 4 offered less 1 short


def test_every_exit_is_offered_and_a_callbacks_answer_is_not_offered_again() -> None:
    clock = FakeClock()
    stats = board(clock)
    for call, exit_event in [("k", "EXITWITHKEY"), ("t", "EXITWITHTIMEOUT"), ("c", "CALLBACK")]:
        stats.queue_event(report("ENTERQUEUE", call, clock.now))
        stats.queue_event(report(exit_event, call, clock.advance(1), wait_s=1))  # type: ignore[arg-type]
    stats.queue_event(report("CONNECT", "c", clock.advance(60), wait_s=63, data="callback ticket 7"))
    figures = sales(stats)
    assert (figures.waiting, figures.offered, figures.answered, figures.abandoned) == (0, 3, 1, 0)
    assert figures.service_level == 0.0


def test_the_threshold_is_the_queues_own() -> None:
    clock = FakeClock()
    stats = board(clock)
    stats.queue_event(report("CONNECT", "x", clock.now, queue="support", wait_s=45))
    stats.queue_event(report("CONNECT", "y", clock.now, queue="other", wait_s=20))
    figures = {q.queue: q for q in stats.queues()}
    assert (figures["support"].service_level, figures["support"].service_level_threshold_s) == (1.0, 60.0)
    assert (figures["other"].service_level, figures["other"].service_level_threshold_s) == (1.0, 20.0)


def test_events_outside_waiting_change_nothing() -> None:
    clock = FakeClock()
    changes: list[str] = []
    stats = board(clock, changes=changes)
    assert not stats.queue_event(report("RINGNOANSWER", "a", clock.now, agent_id="1001"))
    assert not stats.queue_event(report("COMPLETECALLER", "a", clock.now, agent_id="1001"))
    assert stats.queues() == []
    assert changes == []


def test_named_queues_are_listed_even_when_quiet() -> None:
    stats = board(FakeClock())
    assert [(q.queue, q.offered, q.service_level, q.longest_wait_s) for q in stats.queues(["sales"])] == [
        ("sales", 0, None, None)
    ]


def test_the_same_event_heard_twice_counts_once() -> None:
    clock = FakeClock()
    changes: list[str] = []
    stats = board(clock, changes=changes)
    enter = report("ENTERQUEUE", "a", clock.now)
    answer = report("CONNECT", "a", clock.advance(3), wait_s=3, agent_id="1001")
    assert [stats.queue_event(e) for e in (enter, answer, enter, answer)] == [True, True, False, False]
    assert (sales(stats).offered, sales(stats).answered, sales(stats).waiting) == (1, 1, 0)
    assert changes == ["queues", "queues"]


def test_an_exit_heard_before_its_entry_leaves_no_ghost_caller() -> None:
    """Two servers' notifications (or a late spooled batch) can arrive out of order."""
    clock = FakeClock()
    stats = board(clock)
    entered = clock.now
    stats.queue_event(report("ABANDON", "a", clock.advance(8), wait_s=8))
    stats.queue_event(report("ENTERQUEUE", "a", entered))
    assert (sales(stats).waiting, sales(stats).abandoned) == (0, 1)
    # the same call entering again later (after an overflow, say) waits again
    stats.queue_event(report("ENTERQUEUE", "a", clock.advance(2)))
    assert sales(stats).waiting == 1


def test_a_wait_past_forget_after_is_dropped() -> None:
    clock = FakeClock()
    stats = LiveStats(clock, BERLIN, forget_after=dt.timedelta(hours=2))
    stats.queue_event(report("ENTERQUEUE", "lost", clock.now))  # its server died: no exit ever
    clock.advance(3600)
    stats.queue_event(report("ENTERQUEUE", "b", clock.now))
    clock.advance(3601)
    assert (sales(stats).waiting, sales(stats).longest_wait_s) == (1, 3601.0)


def test_midnight_in_the_boards_zone_starts_a_new_day_and_keeps_the_waiting() -> None:
    clock = FakeClock(LATE)
    stats = board(clock)
    stats.queue_event(report("ENTERQUEUE", "a", clock.now))
    stats.queue_event(report("ENTERQUEUE", "b", clock.now))
    stats.queue_event(report("CONNECT", "a", clock.advance(5), wait_s=5))
    assert (sales(stats).offered, sales(stats).waiting) == (1, 1)
    clock.advance(9 * 60 + 54)  # 23:59:59 local
    assert sales(stats).offered == 1
    clock.advance(2)  # 00:00:01 local, still 23:00 UTC: a UTC board would not roll over yet
    figures = sales(stats)
    assert (figures.offered, figures.answered, figures.service_level) == (0, 0, None)
    assert (figures.waiting, figures.longest_wait_s) == (1, 601.0)
    stats.queue_event(report("ABANDON", "b", clock.now, wait_s=601))
    assert (sales(stats).offered, sales(stats).abandoned, sales(stats).waiting) == (1, 1, 0)


def test_the_same_moment_is_still_yesterday_on_a_utc_board() -> None:
    clock = FakeClock(LATE)
    stats = board(clock, zone=ZoneInfo("UTC"))
    stats.queue_event(report("CONNECT", "a", clock.now, wait_s=5))
    clock.advance(11 * 60)
    assert sales(stats).offered == 1


def test_an_event_counts_on_its_own_day_whatever_the_clock_says() -> None:
    """A server whose clock runs ahead reports an event just after midnight while ours is just before."""
    clock = FakeClock(LATE + dt.timedelta(minutes=9, seconds=59))  # 23:59:59 local
    stats = board(clock)
    after_midnight = clock.now + dt.timedelta(seconds=2)
    stats.queue_event(report("CONNECT", "a", after_midnight, wait_s=5))
    assert sales(stats).offered == 0  # tomorrow's
    clock.advance(2)
    assert sales(stats).offered == 1


def test_two_servers_events_merge_in_any_order() -> None:
    clock = FakeClock()
    first: list[QueueEventReport] = []
    second: list[QueueEventReport] = []
    start = clock.now
    for n in range(10):
        server = first if n % 2 else second
        server.append(report("ENTERQUEUE", f"c{n}", start + dt.timedelta(seconds=n)))
        if n < 7:
            exit_event: QueueEventName = "CONNECT" if n % 3 else "ABANDON"
            at = start + dt.timedelta(seconds=30 + n)
            server.append(report(exit_event, f"c{n}", at, wait_s=30.0 - 3 * n, agent_id=f"a{n}"))
    clock.advance(60)
    merged = board(clock)
    for event in [*second, *first]:
        merged.queue_event(event)
    interleaved = board(clock)
    for pair in zip(first, second, strict=False):
        for event in pair:
            interleaved.queue_event(event)
    for event in first[len(second) :] + second[len(first) :]:
        interleaved.queue_event(event)
    in_time_order = board(clock)
    for event in sorted([*first, *second], key=lambda e: e.at):
        in_time_order.queue_event(event)
    expected = sales(in_time_order)
    assert (expected.waiting, expected.offered, expected.abandoned, expected.answered) == (3, 7, 3, 4)
    assert expected.answered_within_threshold == 2  # waits 27 and 24 s are over 20 s; 18 and 15 within
    assert sales(merged) == expected
    assert sales(interleaved) == expected
    assert expected.longest_wait_s == 53.0  # c7 entered at +7 s, now is +60 s


def test_agents_state_and_since() -> None:
    clock = FakeClock()
    changes: list[str] = []
    stats = board(clock, changes=changes)
    t0 = clock.now
    assert stats.agent_changed("1001", "available", since=t0, version=1, department="sales")
    t1 = clock.advance(30)
    assert stats.agent_changed("1001", "ringing", since=t1, version=2)
    assert stats.agents() == [AgentFigures("1001", "ringing", t1, "sales")]
    # a version bump that leaves the state alone keeps the since
    assert stats.agent_changed("1001", "ringing", since=clock.advance(5), version=3)
    assert stats.agents() == [AgentFigures("1001", "ringing", t1, "sales")]
    # an older version, heard late, is ignored
    assert not stats.agent_changed("1001", "available", since=clock.advance(1), version=2)
    assert stats.agents()[0].state == "ringing"
    stats.agent_removed("1001")
    assert stats.agents() == []
    assert changes == ["agents"] * 4


def test_agents_carry_the_break_reason_the_call_its_queue_and_the_wrap_up_end() -> None:
    clock = FakeClock()
    stats = board(clock)
    stats.queue_event(report("ENTERQUEUE", "c1", clock.now, queue="support"))
    stats.agent_changed("1001", "on_break", since=clock.now, version=1, reason="lunch")
    stats.agent_changed("1002", "ringing", since=clock.now, version=1, call_uuid="c1")
    stats.agent_changed("1003", "on_call", since=clock.now, version=1, call_uuid="unheard")

    on_break, ringing, unheard = stats.agents()

    assert (on_break.reason, on_break.call_uuid, on_break.call_queue) == ("lunch", None, None)
    assert (ringing.call_uuid, ringing.call_queue) == ("c1", "support")
    assert (unheard.call_uuid, unheard.call_queue) == ("unheard", None)
    stats.queue_event(report("CONNECT", "c1", clock.advance(5), queue="support", wait_s=5, agent_id="1002"))
    until = clock.advance(60)
    stats.agent_changed("1002", "wrap_up", since=clock.now, version=2, call_uuid="c1", wrap_up_until=until)
    clock.advance(3600)  # the prune's minute has passed: the call is still held, its queue still known
    stats.queues()
    wrapping = stats.agents()[1]
    assert (wrapping.state, wrapping.call_queue, wrapping.wrap_up_until) == ("wrap_up", "support", until)
    stats.resync([], [AgentRow("1001", "on_break", clock.now, 3, "sales", "training")])
    assert stats.agents()[0].reason == "training"


def test_a_resync_rebuilds_everything_from_the_record() -> None:
    clock = FakeClock(LATE)
    stats = board(clock)
    stats.queue_event(report("ENTERQUEUE", "gone", clock.now))  # heard, but not in the record below
    stats.agent_changed("9", "available", since=clock.now, version=4)
    yesterday = LATE - dt.timedelta(hours=24)
    record = [
        report("CONNECT", "a", LATE - dt.timedelta(minutes=1), wait_s=4),
        report("ENTERQUEUE", "a", LATE - dt.timedelta(minutes=1, seconds=4)),
        report("ABANDON", "y", yesterday, wait_s=50),
        report("ENTERQUEUE", "w", LATE - dt.timedelta(seconds=30)),
    ]
    since = LATE - dt.timedelta(hours=2)
    stats.resync(record, [AgentRow("1001", "on_call", since, 7, "sales")])
    figures = sales(stats)
    assert (figures.offered, figures.answered, figures.abandoned, figures.waiting) == (1, 1, 0, 1)
    assert figures.longest_wait_s == 30.0
    assert stats.agents() == [AgentFigures("1001", "on_call", since, "sales")]
    assert not stats.agent_changed("1001", "available", since=clock.now, version=7)
    assert stats.agent_changed("1001", "wrap_up", since=clock.now, version=8)
    assert stats.agents()[0].department == "sales"
    # events the record already had count once when their notifications arrive after the resync
    assert not stats.queue_event(record[0])


def test_a_resync_reads_from_the_start_of_yesterday() -> None:
    clock = FakeClock(LATE)
    stats = board(clock)
    assert stats.since_for_resync() == dt.datetime(2026, 3, 1, tzinfo=BERLIN)
    short = LiveStats(clock, BERLIN, forget_after=dt.timedelta(days=3))
    assert short.since_for_resync() == LATE - dt.timedelta(days=3)


def test_thresholds_may_follow_a_reloaded_dialplan() -> None:
    clock = FakeClock()
    current = {"sales": 10.0}
    stats = LiveStats(clock, BERLIN, thresholds=lambda: current)
    stats.queue_event(report("CONNECT", "a", clock.now, wait_s=15))
    current["sales"] = 30.0  # reloaded: later answers are judged by the new threshold
    stats.queue_event(report("CONNECT", "b", clock.now, wait_s=15))
    figures = sales(stats)
    assert (figures.answered_within_threshold, figures.service_level_threshold_s) == (1, 30.0)
