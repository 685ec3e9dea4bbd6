"""The queued writer: batches, retries through a database outage in order, never drops a record."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Sequence
from pathlib import Path

import gevent

from esl_handlers.db_writer import CallRecordWriter, Record
from esl_handlers.record_spool import RecordSpool
from schema.acd.records import QueueEvent
from schema.calls.records import CallUpdate
from schema.errors import RecordRejected, StorageError


class FlakyDatabase:
    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or StorageError("connection refused")
        self.batches: list[list[str]] = []
        self.attempts = 0

    def write(self, batch: Sequence[Record]) -> None:
        self.attempts += 1
        if isinstance(self.error, RecordRejected) and not any(
            isinstance(r, CallUpdate) and r.uuid == "bad" for r in batch
        ):
            self.batches.append([r.uuid for r in batch if isinstance(r, CallUpdate)])
            return
        if self.failures:
            self.failures -= 1
            raise self.error
        self.batches.append([r.uuid for r in batch if isinstance(r, CallUpdate)])


def make_writer(db: FlakyDatabase, tmp_path: Path) -> CallRecordWriter:
    writer = CallRecordWriter(
        db.write,
        dead_letter=tmp_path / "dead.jsonl",
        spool=RecordSpool(tmp_path / "spool"),
        batch_size=3,
        backoff_start=0.001,
    )
    writer.start()
    return writer


def test_batches_in_submission_order(tmp_path: Path) -> None:
    db = FlakyDatabase()
    writer = make_writer(db, tmp_path)
    for i in range(7):
        writer.submit(CallUpdate(uuid=f"u{i}"))
    assert writer.flush(5)
    assert [u for batch in db.batches for u in batch] == [f"u{i}" for i in range(7)]
    assert max(len(batch) for batch in db.batches) <= 3
    assert writer.written == 7
    writer.stop()


def test_outage_is_retried_without_loss_or_reordering(tmp_path: Path) -> None:
    db = FlakyDatabase(failures=4)
    writer = make_writer(db, tmp_path)
    for i in range(5):
        writer.submit(CallUpdate(uuid=f"u{i}"))
    assert writer.flush(5)
    assert [u for batch in db.batches for u in batch] == [f"u{i}" for i in range(5)]
    assert writer.retries == 4
    assert not (tmp_path / "dead.jsonl").exists()
    writer.stop()


def test_refused_batch_goes_to_dead_letter_and_the_rest_continues(tmp_path: Path) -> None:
    db = FlakyDatabase(failures=1, error=ValueError("value too long"))
    writer = make_writer(db, tmp_path)
    for i in range(4):
        writer.submit(CallUpdate(uuid=f"u{i}", caller_name="x"))
    assert writer.flush(5)
    lines = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [line["uuid"] for line in lines] == ["u0", "u1", "u2"]
    assert lines[0]["record"] == "CallUpdate"
    assert "value too long" in lines[0]["reason"]
    assert db.batches == [["u3"]]
    assert stat.S_IMODE((tmp_path / "dead.jsonl").stat().st_mode) == 0o600  # callers' numbers
    writer.stop()


def test_stop_during_outage_keeps_every_record_in_the_spool_for_the_next_start(tmp_path: Path) -> None:
    db = FlakyDatabase(failures=10**9)
    writer = make_writer(db, tmp_path)
    for i in range(5):
        writer.submit(CallUpdate(uuid=f"u{i}"))
    gevent.sleep(0.05)
    writer.stop(timeout=0.05)
    assert db.batches == []
    assert not (tmp_path / "dead.jsonl").exists()  # the dead letter is for refused records only

    db.failures = 0
    again = make_writer(db, tmp_path)
    assert again.flush(5)
    assert [u for batch in db.batches for u in batch] == [f"u{i}" for i in range(5)]
    again.stop()


def test_batch_the_database_refuses_is_not_retried_forever(tmp_path: Path) -> None:
    db = FlakyDatabase(failures=10**9, error=RecordRejected("check constraint ck_calls_direction"))
    writer = make_writer(db, tmp_path)
    for uuid in ("good1", "bad", "good2"):
        writer.submit(CallUpdate(uuid=uuid))
    assert writer.flush(5)
    assert writer.retries == 0
    dead = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [line["uuid"] for line in dead] == ["bad"]
    assert "ck_calls_direction" in dead[0]["reason"]
    assert sorted(u for batch in db.batches for u in batch) == ["good1", "good2"]
    writer.stop()


def test_a_refused_queue_event_is_kept_with_its_kind(tmp_path: Path) -> None:
    db = FlakyDatabase(failures=1, error=ValueError("value too long"))
    writer = make_writer(db, tmp_path)
    at = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
    writer.submit(QueueEvent(at, "u1", "repair", "CONNECT", "1001", wait_s=12.5, data="callback"))
    assert writer.flush(5)
    writer.stop()
    (line,) = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert (line["record"], line["call_uuid"], line["event"], line["agent_id"]) == (
        "QueueEvent",
        "u1",
        "CONNECT",
        "1001",
    )
    assert (line["at"], line["wait_s"], line["data"]) == (at.isoformat(), 12.5, "callback")
    assert "value too long" in line["reason"]
