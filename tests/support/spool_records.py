"""Call records of every kind for the spool's crash drills, and the rows they leave in the database.

`python -m tests.support.spool_records DATABASE_URL SPOOL_DIR CALLS PROGRESS_FILE` runs a writer on
the spool in a process of its own: it submits `records(CALLS)`, prints "submitted" once every
`submit` has returned (the records are acknowledged), then writes slowly, appending one line to
PROGRESS_FILE after each batch the database committed and sleeping before the spool's commit point
moves, so a SIGKILL from the test lands mid-batch or between a batch and its commit point.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import gevent
from sqlalchemy import Engine, text

from esl_handlers.db_writer import CallRecordWriter, Record
from esl_handlers.record_spool import RecordSpool
from schema.acd.records import QueueEvent
from schema.calls.records import CallUpdate, IvrStepRecord, SurveyAnswerRecord
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned

START = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
TABLES = {
    "calls": "uuid, caller_number, started_at, answered_at, ended_at, hangup_cause, outcome, updated_at",
    "ivr_steps": "call_uuid, seq, result",
    "queue_log": "call_uuid, queue, event, agent_id, wait_s",
    "survey_responses": "call_uuid, question, score",
    "recordings": "path, call_uuid, size_bytes, sha256, paused, duration_s, agent_id, updated_at",
}


def records(calls: int) -> list[Record]:
    """Each call's life, in the order a server reports it: every record kind."""
    out: list[Record] = []
    for n in range(calls):
        uuid, at = f"call-{n:05d}", START + dt.timedelta(seconds=n)
        path = f"/recordings/2026/03/01/{uuid}.wav"
        out += [
            CallUpdate(uuid, direction="inbound", caller_number=f"+1555{n:07d}", started_at=at),
            IvrStepRecord(uuid, 0, "main", "welcome", "1", "ok", at),
            QueueEvent(at, uuid, "sales", "ENTERQUEUE", position=1),
            CallUpdate(uuid, answered_at=at + dt.timedelta(seconds=2)),
            QueueEvent(at + dt.timedelta(seconds=3), uuid, "sales", "CONNECT", "1001", wait_s=3.0),
            RecordingPlanned(uuid, path, "all", "wav", 2, "sales", 30, at),
            RecordingEvent(uuid, path, "start", at + dt.timedelta(seconds=3)),
            RecordingPaused(path, at + dt.timedelta(seconds=5)),
            RecordingEvent(uuid, path, "stop", at + dt.timedelta(seconds=20), duration_s=17.0),
            CallUpdate(uuid, ended_at=at + dt.timedelta(seconds=20), hangup_cause="NORMAL_CLEARING"),
            RecordingFileFacts(path, 1000 + n, f"{n:064x}"),
            SurveyAnswerRecord(
                uuid, "after_call", "q1", 1 + n % 9, "1001", "sales", at + dt.timedelta(seconds=30)
            ),
        ]
    return out


def rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY 1, 2"))
            ]
            for table, columns in TABLES.items()
        }


def _slow_write(engine: Engine, progress: Path, batch: Sequence[Record]) -> None:
    time.sleep(0.02)
    write_batch(engine, batch)
    with open(progress, "a", encoding="ascii") as handle:
        handle.write(f"{len(batch)}\n")
    time.sleep(0.05)  # committed, the spool's commit point not yet moved: the worst moment to die


def main(database_url: str, spool: str, calls: str, progress: str) -> None:
    engine = create_engine_from_url(database_url)
    writer = CallRecordWriter(
        functools.partial(_slow_write, engine, Path(progress)),
        dead_letter=Path(spool).parent / "dead_letter.jsonl",
        spool=RecordSpool(Path(spool), segment_records=100),
        batch_size=50,
    )
    for record in records(int(calls)):
        writer.submit(record)
    print("submitted", flush=True)
    writer.start()
    gevent.sleep(3600)  # until killed


if __name__ == "__main__":
    main(*sys.argv[1:])
