"""Agent legs ride the call-record batches: the sink's records, and agent_legs rows on SQLite and PostgreSQL,
one per leg, completed by the answered leg's end and unchanged by a replay."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pytest
from sqlalchemy import Engine, select

from esl_handlers.db_writer import Record
from esl_handlers.queue_event_sink import WriterQueueEvents
from ivr_scripts.acd.agent_legs import AgentLegReport
from schema.acd.leg_writes import merge_legs
from schema.acd.models import AgentLeg
from schema.acd.records import AgentLegRecord
from schema.calls.writes import write_batch
from schema.db import session_scope
from schema.errors import RecordRejected

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CALL = "call-a"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def report(leg_uuid: str, agent_id: str, **fields: Any) -> AgentLegReport:
    values: dict[str, Any] = {"outcome": "no_answer", "offered_at": at(0), **fields}
    return AgentLegReport(leg_uuid=leg_uuid, call_uuid=CALL, queue="repair", agent_id=agent_id, **values)


NO_ANSWER = report("leg-1", "1001", ended_at=at(15), cause="NO_ANSWER")
ANSWERED = report("leg-2", "1002", outcome="answered", offered_at=at(15), answered_at=at(21.5))
ENDED = ANSWERED.with_end(at(81.5), 60.0004)


class Submitted:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def submit(self, record: Record) -> None:
        self.records.append(record)


def test_the_sink_submits_one_row_per_leg_with_ring_and_talk_milliseconds_and_the_server() -> None:
    writer = Submitted()
    sink = WriterQueueEvents(writer, server="app-1")

    for leg in (NO_ANSWER, ANSWERED, ENDED):
        sink.leg(leg)

    common: dict[str, Any] = {"call_uuid": CALL, "queue": "repair", "server": "app-1"}
    assert writer.records == [
        AgentLegRecord(
            leg_uuid="leg-1",
            agent_id="1001",
            outcome="no_answer",
            offered_at=at(0),
            ended_at=at(15),
            ring_ms=15000,
            cause="NO_ANSWER",
            **common,
        ),
        AgentLegRecord(
            leg_uuid="leg-2",
            agent_id="1002",
            outcome="answered",
            offered_at=at(15),
            answered_at=at(21.5),
            ring_ms=6500,
            **common,
        ),
        AgentLegRecord(
            leg_uuid="leg-2",
            agent_id="1002",
            outcome="answered",
            offered_at=at(15),
            answered_at=at(21.5),
            ended_at=at(81.5),
            ring_ms=6500,
            talk_ms=60000,
            **common,
        ),
    ]


def test_the_sink_logs_and_drops_a_leg_the_record_checks_refuse(caplog: pytest.LogCaptureFixture) -> None:
    writer = Submitted()
    with caplog.at_level(logging.ERROR):
        WriterQueueEvents(writer).leg(dataclasses.replace(NO_ANSWER, agent_id=""))
    assert writer.records == []
    assert "agent leg leg-1 of call call-a not recorded" in caplog.text


def test_a_leg_without_a_timezone_is_refused_not_raised_into_the_call() -> None:
    writer = Submitted()
    WriterQueueEvents(writer).leg(dataclasses.replace(NO_ANSWER, offered_at=dt.datetime(2024, 3, 1)))
    assert writer.records == []


@pytest.mark.parametrize(
    "change",
    [
        {"outcome": "lost"},
        {"agent_id": ""},
        {"queue": ""},
        {"ring_ms": -1},
        {"talk_ms": 1.5},
        {"leg_uuid": ""},
    ],
)
def test_a_bad_leg_record_is_refused_where_it_is_made(change: dict[str, Any]) -> None:
    good = AgentLegRecord.from_report(NO_ANSWER)
    with pytest.raises(RecordRejected):
        dataclasses.replace(good, **change)


def leg_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AgentLeg).order_by(AgentLeg.leg_uuid)).all()
        return [
            (
                r.leg_uuid,
                r.call_uuid,
                r.agent_id,
                r.outcome,
                r.offered_at,
                r.answered_at,
                r.ended_at,
                r.ring_ms,
                r.talk_ms,
                r.cause,
                r.callback,
                r.server,
            )
            for r in rows
        ]


def records(*reports: AgentLegReport) -> list[Record]:
    return [AgentLegRecord.from_report(leg, "app-1") for leg in reports]


EXPECTED = [
    ("leg-1", CALL, "1001", "no_answer", at(0), None, at(15), 15000, None, "NO_ANSWER", False, "app-1"),
    ("leg-2", CALL, "1002", "answered", at(15), at(21.5), at(81.5), 6500, 60000, None, False, "app-1"),
]


def test_the_answered_legs_end_completes_its_row_and_a_replay_changes_nothing(engine: Engine) -> None:
    write_batch(engine, records(NO_ANSWER, ANSWERED))
    assert [row[6:9] for row in leg_rows(engine)] == [(at(15), 15000, None), (None, 6500, None)]

    write_batch(engine, records(ENDED))
    assert leg_rows(engine) == EXPECTED

    write_batch(engine, records(NO_ANSWER, ANSWERED))
    write_batch(engine, records(ENDED))
    assert leg_rows(engine) == EXPECTED


@pytest.mark.parametrize("order", ["one batch", "end first"])
def test_a_leg_written_once_whatever_the_order_of_its_reports(engine: Engine, order: str) -> None:
    if order == "one batch":
        write_batch(engine, records(ANSWERED, NO_ANSWER, ENDED))
    else:
        write_batch(engine, records(ENDED))
        write_batch(engine, records(ANSWERED, NO_ANSWER))
    assert leg_rows(engine) == EXPECTED


def test_merging_keeps_the_first_record_and_fills_in_the_end() -> None:
    first = AgentLegRecord.from_report(ANSWERED)
    ended = AgentLegRecord.from_report(ENDED)
    assert merge_legs([ended, first]) == [ended]
    later = dataclasses.replace(ended, cause="only the end is taken from a later record")
    assert merge_legs([first, later]) == [dataclasses.replace(first, ended_at=at(81.5), talk_ms=60000)]
