"""Queue events ride the call-record batches: one transaction, idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from esl_handlers.db_writer import CallRecordWriter, Record
from esl_handlers.queue_event_sink import WriterQueueEvents
from esl_handlers.record_spool import RecordSpool
from ivr_scripts.acd.queue_events import QueueEventReport, QueueEventSink
from schema.acd.agents import write_queue_events
from schema.acd.models import QueueLogEntry
from schema.acd.records import QueueEvent
from schema.calls.models import Call, IvrStep
from schema.calls.records import CallUpdate, IvrStepRecord
from schema.calls.writes import write_batch
from schema.db import session_scope
from schema.errors import RecordRejected

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CALLER = "+15551230000"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def queued_call(uuid: str) -> list[Record]:
    """One call as the session and the ACD report it: caller, IVR steps, then its time in a queue."""
    return [
        CallUpdate(uuid, direction="inbound", caller_number=CALLER, started_at=at(0)),
        IvrStepRecord(uuid, 1, "main", "greeting", None, "played", at(1)),
        IvrStepRecord(uuid, 2, "main", "menu", "1", "queue", at(5)),
        QueueEvent(at(6), uuid, "repair", "ENTERQUEUE", position=2),
        QueueEvent(at(26), uuid, "repair", "RINGNOANSWER", "1001", wait_s=20, data="NO_ANSWER"),
        QueueEvent(at(40), uuid, "repair", "CONNECT", "1002", wait_s=34),
        CallUpdate(uuid, outcome="queued", destination="queue:repair"),
        QueueEvent(at(100), uuid, "repair", "COMPLETECALLER", "1002", wait_s=34, talk_s=60),
        CallUpdate(uuid, ended_at=at(100), hangup_cause="NORMAL_CLEARING"),
    ]


def queue_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with session_scope(engine) as session:
        found = session.scalars(
            select(QueueLogEntry).order_by(QueueLogEntry.call_uuid, QueueLogEntry.at, QueueLogEntry.event)
        ).all()
        return [
            (r.call_uuid, r.queue, r.event, r.agent_id, r.at, r.wait_s, r.talk_s, r.position, r.data)
            for r in found
        ]


def counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return (
            len(session.scalars(select(Call.uuid)).all()),
            len(session.scalars(select(IvrStep.id)).all()),
            len(session.scalars(select(QueueLogEntry.id)).all()),
        )


def test_a_mixed_batch_writes_calls_steps_and_queue_events(engine: Engine) -> None:
    write_batch(engine, queued_call("call-a") + queued_call("call-b"))

    assert counts(engine) == (2, 4, 8)
    with session_scope(engine) as session:
        call = session.scalars(select(Call).where(Call.uuid == "call-a")).one()
        assert (call.caller_number, call.outcome, call.duration_s) == (CALLER, "queued", 100.0)
    assert queue_rows(engine)[:4] == [
        ("call-a", "repair", "ENTERQUEUE", "", at(6), None, None, 2, None),
        ("call-a", "repair", "RINGNOANSWER", "1001", at(26), 20.0, None, None, "NO_ANSWER"),
        ("call-a", "repair", "CONNECT", "1002", at(40), 34.0, None, None, None),
        ("call-a", "repair", "COMPLETECALLER", "1002", at(100), 34.0, 60.0, None, None),
    ]


def test_replays_write_nothing_twice(engine: Engine) -> None:
    batch = queued_call("call-a")
    write_batch(engine, batch)
    before = (counts(engine), queue_rows(engine))

    replay = list(batch)
    random.Random(7).shuffle(replay)
    write_batch(engine, replay)
    write_batch(engine, [r for r in batch if isinstance(r, QueueEvent)] * 2)  # duplicates in one batch

    assert (counts(engine), queue_rows(engine)) == before


def test_both_paths_to_queue_log_recognise_each_others_rows(engine: Engine) -> None:
    events = [r for r in queued_call("call-a") if isinstance(r, QueueEvent)]
    write_queue_events(engine, events[:2])
    write_batch(engine, events)  # the first two again, through the batch
    write_queue_events(engine, events)  # and everything again, the other way

    assert counts(engine) == (0, 0, 4)
    # The same moment in another zone is the same row.
    paris = dt.timezone(dt.timedelta(hours=1))
    write_batch(engine, [dataclasses.replace(events[0], at=events[0].at.astimezone(paris))])
    assert counts(engine) == (0, 0, 4)


def test_queue_events_alone_need_no_call_row(engine: Engine) -> None:
    write_batch(engine, [QueueEvent(at(0), "no-call-row", "repair", "ENTERQUEUE")])
    assert counts(engine) == (0, 0, 1)


def test_a_refused_row_rolls_the_whole_batch_back(engine: Engine) -> None:
    bad = QueueEvent(at(50), "call-a", "repair", "ABANDON")
    object.__setattr__(bad, "event", "VANISHED")  # past the record's checks, so the database refuses it

    with pytest.raises(RecordRejected):
        write_batch(engine, [*queued_call("call-a"), bad])

    assert counts(engine) == (0, 0, 0)


def test_concurrent_mixed_batches_neither_deadlock_nor_double(engine: Engine) -> None:
    uuids = [f"conc-{n:02d}" for n in range(20)]
    start_together = threading.Barrier(2)

    def run(writer: int) -> None:
        shuffle = random.Random(writer)
        batches = []
        for _ in range(6):
            order = list(uuids)
            shuffle.shuffle(order)  # each writer in its own order: lock order is write_batch's job
            batch = [record for uuid in order for record in queued_call(uuid)]
            shuffle.shuffle(batch)
            batches.append(batch)
        start_together.wait(timeout=30)
        for batch in batches:
            write_batch(engine, batch)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(run, 0), pool.submit(run, 1)]:
            future.result()

    assert counts(engine) == (20, 40, 80)


# --- the sink: the ACD flow's events into the queued writer ------------------------------------------


class Submitted:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def submit(self, record: Record) -> None:
        self.records.append(record)


def test_the_sink_submits_one_queue_event_per_record() -> None:
    writer = Submitted()
    sink: QueueEventSink = WriterQueueEvents(writer)

    sink.record(
        QueueEventReport(event="ENTERQUEUE", call_uuid="call-a", queue="repair", position=3, at=at(0))
    )
    sink.record(
        QueueEventReport(
            event="CONNECT",
            call_uuid="call-a",
            queue="repair",
            agent_id="1002",
            wait_s=34.0,
            talk_s=None,
            at=at(34),
            data="callback",
        )
    )
    sink.record(
        QueueEventReport(
            event="COMPLETEAGENT",
            call_uuid="call-a",
            queue="repair",
            agent_id="1002",
            wait_s=34.0,
            talk_s=60.5,
            at=at(95),
        )
    )

    assert writer.records == [
        QueueEvent(at(0), "call-a", "repair", "ENTERQUEUE", position=3),
        QueueEvent(at(34), "call-a", "repair", "CONNECT", "1002", wait_s=34.0, data="callback"),
        QueueEvent(at(95), "call-a", "repair", "COMPLETEAGENT", "1002", wait_s=34.0, talk_s=60.5),
    ]


def test_the_sink_drops_and_logs_an_event_it_cannot_record(caplog: pytest.LogCaptureFixture) -> None:
    writer = Submitted()
    sink = WriterQueueEvents(writer)

    with caplog.at_level(logging.ERROR, logger="esl_handlers.queue_event_sink"):
        sink.record(
            QueueEventReport(event="ABANDON", call_uuid="call-a", queue="", wait_s=3.0, at=at(3))
        )  # no queue
        sink.record(
            QueueEventReport(
                event="ABANDON", call_uuid="call-a", queue="repair", wait_s=3.0, at=dt.datetime(2024, 3, 1)
            )
        )  # no zone

    assert writer.records == []
    assert len(caplog.records) == 2
    assert "queue is empty" in caplog.records[0].getMessage()


def test_events_through_the_writer_reach_the_database(engine: Engine, tmp_path: Path) -> None:
    writer = CallRecordWriter(
        functools.partial(write_batch, engine),
        dead_letter=tmp_path / "dead.jsonl",
        spool=RecordSpool(tmp_path / "spool"),
    )
    writer.start()
    sink = WriterQueueEvents(writer)
    try:
        writer.submit(CallUpdate("call-a", caller_number=CALLER, started_at=at(0)))
        sink.record(
            QueueEventReport(event="ENTERQUEUE", call_uuid="call-a", queue="repair", position=1, at=at(1))
        )
        sink.record(
            QueueEventReport(
                event="CONNECT", call_uuid="call-a", queue="repair", agent_id="1001", wait_s=9.0, at=at(10)
            )
        )
        assert writer.flush(30)
    finally:
        writer.stop()

    assert (writer.written, writer.dead_lettered) == (3, 0)
    assert counts(engine) == (1, 0, 2)
    assert [row[2:5] for row in queue_rows(engine)] == [
        ("ENTERQUEUE", "", at(1)),
        ("CONNECT", "1001", at(10)),
    ]
