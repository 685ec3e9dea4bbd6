"""The writer on its disk spool: bounded memory through any outage, replay on start, in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import gevent

from esl_handlers.db_writer import CallRecordWriter, Record
from esl_handlers.record_spool import RecordSpool
from schema.calls.records import CallUpdate
from schema.errors import StorageUnavailable


class Database:
    """Down until told otherwise; remembers every batch written, and the writer's memory at each try."""

    def __init__(self) -> None:
        self.down = True
        self.batches: list[list[str]] = []
        self.memory_seen: list[int] = []
        self.writer: CallRecordWriter | None = None

    def write(self, batch: Sequence[Record]) -> None:
        if self.writer is not None:
            self.memory_seen.append(self.writer.in_memory)
        if self.down:
            raise StorageUnavailable("database is locked")
        self.batches.append([r.uuid for r in batch if isinstance(r, CallUpdate)])

    @property
    def uuids(self) -> list[str]:
        return [uuid for batch in self.batches for uuid in batch]


def writer_on(db: Database, spool: Path, **kwargs: int) -> CallRecordWriter:
    writer = CallRecordWriter(
        db.write,
        dead_letter=spool.parent / "dead.jsonl",
        spool=RecordSpool(spool),
        backoff_start=0.001,
        backoff_max=0.01,
        **kwargs,
    )
    db.writer = writer
    return writer


def test_memory_stays_bounded_whatever_the_outage_then_everything_is_written(tmp_path: Path) -> None:
    db = Database()
    writer = writer_on(db, tmp_path / "spool", memory_limit=10_000)
    writer.start()
    total = 200_000
    for i in range(total):
        writer.submit(CallUpdate(f"u{i}"))
        assert writer.in_memory <= 10_000
        if i % 5000 == 0:
            gevent.sleep(0)  # let the writer retry now and then, as the hub would
    assert writer.backlog == total
    db.down = False
    assert writer.flush(120)
    assert db.uuids == [f"u{i}" for i in range(total)]  # in order, each once
    assert max(db.memory_seen) <= 10_000
    assert writer.backlog == 0
    writer.stop()
    assert RecordSpool(tmp_path / "spool").pending == 0
    assert [p.name for p in (tmp_path / "spool").iterdir()] == ["commit"]  # every segment deleted


def test_the_spool_is_replayed_on_start_before_new_records(tmp_path: Path) -> None:
    db = Database()
    first = writer_on(db, tmp_path / "spool")
    first.start()
    for i in range(5):
        first.submit(CallUpdate(f"old{i}"))
    gevent.sleep(0.05)
    first.stop(timeout=0.05)  # the database is down: the records stay in the spool
    assert db.uuids == []

    db.down = False
    second = writer_on(db, tmp_path / "spool", memory_limit=500, batch_size=2)
    assert second.replaying == 5
    second.start()
    second.submit(CallUpdate("new"))
    assert second.flush(5)
    assert db.uuids == [*(f"old{i}" for i in range(5)), "new"]
    second.stop()
    third = writer_on(db, tmp_path / "spool")
    assert third.replaying == 0  # the commit point moved past everything written


class KilledBeforeItsCommitPoint(RecordSpool):
    """A spool whose process dies after the database commits, before the commit point is saved."""

    def commit(self, sequence: int) -> None:
        pass


def test_a_kill_before_the_commit_point_moves_replays_the_batch_again(tmp_path: Path) -> None:
    db = Database()
    db.down = False
    spool = RecordSpool(tmp_path / "spool")
    for i in range(3):
        spool.append(CallUpdate(f"u{i}"))
    spool.commit(1)  # u0's batch committed; killed before u1 and u2's commit point was saved
    spool.close()
    for _ in range(2):  # and the replay itself killed the same way: replayed once more
        writer = CallRecordWriter(
            db.write,
            dead_letter=tmp_path / "dead.jsonl",
            spool=KilledBeforeItsCommitPoint(tmp_path / "spool"),
        )
        assert writer.replaying == 2
        writer.start()
        assert writer.flush(5)
        gevent.killall(writer._greenlets)
    assert db.uuids == ["u1", "u2", "u1", "u2"]  # write_batch's upserts make the second one a no-op
    assert RecordSpool(tmp_path / "spool").pending == 2
