"""The queue log: idempotent appends, and service level, ASA and abandon rate from SQL alone."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from schema.acd.agents import write_queue_events
from schema.acd.models import QueueLogEntry
from schema.acd.records import QueueEvent
from schema.acd.reports import QueueStats, queue_stats
from schema.db import session_scope
from schema.errors import RecordRejected

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def ev(seconds: float, call: str, event: str, agent: str | None = None, **extra: float) -> QueueEvent:
    queue = "support" if call.startswith("s") else "sales"
    wait_s = extra.get("wait_s")
    talk_s = extra.get("talk_s")
    return QueueEvent(at(seconds), call, queue, event, agent, wait_s=wait_s, talk_s=talk_s)


# A morning hand-computed below: sales offered 6 (3 answered, 2 within 20 s), support offered 1.
DAY = [
    ev(0, "c1", "ENTERQUEUE"),
    ev(10, "c1", "RINGNOANSWER", "1001"),
    ev(25, "c1", "RINGNOANSWER", "1002"),
    ev(30, "c1", "CONNECT", "1003", wait_s=30),
    ev(200, "c1", "COMPLETECALLER", "1003", wait_s=30, talk_s=170),
    ev(100, "c2", "ENTERQUEUE"),
    ev(105, "c2", "CONNECT", "1001", wait_s=5),
    ev(300, "c2", "COMPLETEAGENT", "1001", wait_s=5, talk_s=195),
    ev(200, "c3", "ENTERQUEUE"),
    ev(260, "c3", "ABANDON", wait_s=60),
    ev(300, "c4", "ENTERQUEUE"),
    ev(600, "c4", "EXITWITHTIMEOUT", wait_s=300),
    ev(400, "c5", "ENTERQUEUE"),
    ev(430, "c5", "CALLBACK", wait_s=30),
    ev(500, "c6", "ENTERQUEUE"),
    ev(520, "c6", "CONNECT", "1002", wait_s=20),  # exactly the threshold: within it
    ev(540, "c6", "TRANSFER", "1002", wait_s=20, talk_s=20),
    ev(-10, "c7", "CONNECT", "1001", wait_s=1),  # before the range
    ev(3600, "c8", "CONNECT", "1001", wait_s=1),  # at its end: outside [start, end)
    ev(700, "s1", "ENTERQUEUE"),
    ev(712, "s1", "EXITWITHKEY", wait_s=12),
]


def row_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(QueueLogEntry)) or 0)


def test_service_level_speed_of_answer_and_abandon_rate(engine: Engine) -> None:
    write_queue_events(engine, DAY)

    sales, support = queue_stats(engine, T0, T0 + HOUR, service_level_s=20)

    assert sales == QueueStats(
        queue="sales",
        offered=6,  # c1, c2, c6 answered; c3 abandoned; c4 timed out; c5 chose a callback
        answered=3,
        answered_within_threshold=2,  # c2 after 5 s, c6 after 20 s
        abandoned=1,
        service_level=2 / 6,  # sums of whole seconds and one division: exact on both databases
        average_speed_of_answer_s=(30 + 5 + 20) / 3,
        abandon_rate=1 / 6,
    )
    assert support == QueueStats("support", 1, 0, 0, 0, 0.0, None, 0.0)


def test_the_threshold_and_the_range_are_parameters(engine: Engine) -> None:
    write_queue_events(engine, DAY)

    (sales, _) = queue_stats(engine, T0, T0 + HOUR, service_level_s=30)
    assert (sales.answered_within_threshold, sales.service_level) == (3, 0.5)

    (early,) = queue_stats(engine, T0 - HOUR, T0 + dt.timedelta(seconds=200))
    assert (early.queue, early.offered, early.answered, early.average_speed_of_answer_s) == (
        "sales",
        3,  # c7, c1, c2
        3,
        (1 + 30 + 5) / 3,
    )
    assert queue_stats(engine, T0 + 2 * HOUR, T0 + 3 * HOUR) == []


def test_replays_write_nothing_twice(engine: Engine) -> None:
    write_queue_events(engine, DAY)
    first = queue_stats(engine, T0, T0 + HOUR)
    count = row_count(engine)

    replay = list(DAY)
    random.Random(3).shuffle(replay)
    write_queue_events(engine, replay)
    write_queue_events(engine, replay[:5] + replay[:5])  # duplicates inside one batch too

    assert row_count(engine) == count == len(DAY)
    assert queue_stats(engine, T0, T0 + HOUR) == first


def test_same_event_for_other_agents_or_moments_is_kept(engine: Engine) -> None:
    ring = QueueEvent(at(10), "c1", "sales", "RINGNOANSWER", "1001")
    write_queue_events(
        engine,
        [
            ring,
            QueueEvent(at(10), "c1", "sales", "RINGNOANSWER", "1002"),  # ring-all: another agent
            QueueEvent(at(40), "c1", "sales", "RINGNOANSWER", "1001"),  # the same agent, rung again
            QueueEvent(at(10), "c1", "support", "RINGNOANSWER", "1001"),  # another queue
            QueueEvent(
                at(10).astimezone(dt.timezone(dt.timedelta(hours=2))), "c1", "sales", "RINGNOANSWER", "1001"
            ),
        ],
    )
    assert row_count(engine) == 4  # the last one is `ring` again, written in another zone


def test_an_event_without_an_agent_is_stored_with_an_empty_agent_id(engine: Engine) -> None:
    enter = QueueEvent(at(0), "c1", "sales", "ENTERQUEUE", position=3, data="vip")
    write_queue_events(engine, [enter])
    write_queue_events(engine, [enter])
    with session_scope(engine) as session:
        (row,) = session.scalars(select(QueueLogEntry)).all()
    assert (row.agent_id, row.position, row.data, row.at) == ("", 3, "vip", at(0))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: QueueEvent(at(0), "c1", "sales", "HANGUP"), "not one of"),
        (lambda: QueueEvent(at(0), "c1", "", "ENTERQUEUE"), "queue is empty"),
        (lambda: QueueEvent(at(0), "c1", "sales", "ABANDON", wait_s=-1), "wait_s"),
        (lambda: QueueEvent(at(0), "c1", "sales", "ENTERQUEUE", position=-1), "position"),
        (lambda: QueueEvent(at(0), "c1", "sales", "ENTERQUEUE", data="x" * 1025), "longer"),
        (lambda: QueueEvent(dt.datetime(2024, 3, 1), "c1", "sales", "ENTERQUEUE"), "timezone"),
        (lambda: QueueEvent(at(0), "", "sales", "ENTERQUEUE"), "call uuid"),
    ],
)
def test_bad_events_are_refused_where_they_are_made(make: Callable[[], object], message: str) -> None:
    with pytest.raises(RecordRejected, match=message):
        make()


def test_nul_characters_are_replaced_not_refused() -> None:
    assert QueueEvent(at(0), "c1", "sa\x00les", "ENTERQUEUE", data="a\x00b").data == "a\ufffdb"


def test_a_callback_is_offered_once_and_answered_by_its_connect(engine: Engine) -> None:
    # As the waiting loop and the offer flow record them: the callback's own events carry "callback".
    number = "+15551230000"
    write_queue_events(
        engine,
        [
            QueueEvent(at(0), "cb1", "sales", "ENTERQUEUE", position=1),
            QueueEvent(at(30), "cb1", "sales", "CALLBACK", wait_s=30, position=1, data=number),
            QueueEvent(
                at(200), "cb1", "sales", "RINGNOANSWER", "1001", wait_s=200, data="callback NO_ANSWER"
            ),
            QueueEvent(at(300), "cb1", "sales", "CONNECT", "1002", wait_s=300, data="callback"),
            QueueEvent(
                at(400), "cb1", "sales", "COMPLETEAGENT", "1002", wait_s=300, talk_s=100, data="callback"
            ),
            # A callback nobody reached: offered, never answered.
            QueueEvent(at(10), "cb2", "sales", "ENTERQUEUE", position=2),
            QueueEvent(at(40), "cb2", "sales", "CALLBACK", wait_s=30, position=2, data=number),
            # An ordinary call, and one that left with the exit key and came back: two offers.
            ev(50, "c3", "ENTERQUEUE"),
            ev(60, "c3", "CONNECT", "1003", wait_s=10),
            ev(70, "c5", "ENTERQUEUE"),
            ev(80, "c5", "EXITWITHKEY", wait_s=10),
            ev(90, "c5", "ENTERQUEUE"),
            ev(95, "c5", "CONNECT", "1001", wait_s=5),
        ],
    )

    (sales,) = queue_stats(engine, T0, T0 + HOUR, service_level_s=20)

    assert sales == QueueStats(
        queue="sales",
        offered=5,  # cb1 once, cb2, c3, c5 twice
        answered=3,  # cb1 (its CONNECT), c3, c5
        answered_within_threshold=2,  # c3, c5
        abandoned=0,
        service_level=2 / 5,
        average_speed_of_answer_s=(300 + 10 + 5) / 3,
        abandon_rate=0.0,
    )
    # A range holding only the callback's CONNECT counts the answer, not a second offer.
    (late,) = queue_stats(engine, at(250), at(350))
    assert (late.offered, late.answered, late.service_level) == (0, 1, None)
