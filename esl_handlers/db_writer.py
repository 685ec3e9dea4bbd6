"""Queued, batched call-record writes that never block the ESL loop and never lose a record.

`submit` appends the record to the disk spool (esl_handlers.record_spool: one write(2), so it
survives a kill -9 once `submit` returns) and queues it in memory: the greenlets reading
FreeSWITCH's sockets never wait for the database (FreeSWITCH disconnects an event listener that
falls 500 events behind). The memory queue holds at most `memory_limit` records; past that,
records are on disk only and are read back from the spool, in order, as the queue drains, so
memory stays bounded whatever the length of a database outage.

One writer greenlet drains the queue in batches, in order, and runs each batch in gevent's thread
pool, so a slow database stalls only that greenlet. After a batch commits, the spool's commit point
moves past it; a flush greenlet fsyncs the spool and saves the commit point every `SYNC_INTERVAL`
(0.05 s) in the thread pool, never on the hub.

A batch that fails with a `StorageError` (database down, connection dropped, locked) is retried,
in order, with capped exponential backoff: the writes are idempotent, so a retry after a half-known
outcome cannot duplicate anything. A batch the database refuses (`RecordRejected`) is split until
the refused record stands alone; that record, and a batch that fails for any other reason, is
appended to the dead-letter file (`callcenter db replay` sends it again).

On start the writer replays every spooled record past the commit point (left by a crash, a stop
during an outage, an OS crash) before the records submitted since: those come after it on disk.
`stop` writes what it can in its time; what is left stays in the spool for the next start.
A record the disk refuses (disk full) is logged and kept in memory only, past the bound.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event

from esl_handlers.dead_letters import WriteBatch, append_dead_letters, dead_letter_line
from esl_handlers.record_codec import Record
from esl_handlers.record_spool import SYNC_INTERVAL, RecordSpool
from schema.errors import RecordRejected, StorageError
from schema.threadpool import in_thread

__all__ = ["CallRecordWriter", "Record", "RecordQueue", "WriteBatch"]

MEMORY_LIMIT = 10_000  # records held in memory; the rest of a backlog is read back from the spool


class RecordQueue(Protocol):
    """Where records go (`CallRecordWriter.submit`); must not block."""

    def submit(self, record: Record) -> None: ...


log = logging.getLogger(__name__)

# A queued record and its spool sequence (None: the disk refused it, it is in memory only).
_Queued = tuple[int | None, Record]


class CallRecordWriter:
    def __init__(
        self,
        write: WriteBatch,
        *,
        dead_letter: Path,
        spool: RecordSpool,
        batch_size: int = 500,
        linger: float = 0.02,
        backoff_start: float = 0.1,
        backoff_max: float = 10.0,
        memory_limit: int = MEMORY_LIMIT,
    ) -> None:
        self._write = write
        self._dead_letter = dead_letter
        self._spool = spool
        self._batch_size = batch_size
        self._linger = linger
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._memory_limit = max(memory_limit, batch_size)
        self._pending: deque[_Queued] = deque()
        # Spooled records up to this sequence are in memory or written; those after, on disk only
        # (at start: everything past the commit point, which is the replay).
        self._taken = spool.committed
        self._wakeup = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._stopping = False
        self._closing = False
        self._greenlets: list[gevent.Greenlet[Any]] = []
        self.written = 0
        self.retries = 0
        self.dead_lettered = 0
        self.replaying = spool.pending  # records found in the spool at start
        if not self.replaying:
            self._idle.set()

    def start(self) -> None:
        if self.replaying:
            log.info("replaying %d call records from %s", self.replaying, self._spool.directory)
            self._wakeup.set()
        self._greenlets = [gevent.spawn(self._run), gevent.spawn(self._sync_loop)]

    def submit(self, record: Record) -> None:
        try:
            sequence: int | None = self._spool.append(record)
        except OSError as exc:
            log.error("the spool refused a call record, kept in memory only: %s", exc)
            sequence = None
        if sequence is None:
            self._pending.append((None, record))
        elif sequence == self._taken + 1 and len(self._pending) < self._memory_limit:
            self._pending.append((sequence, record))
            self._taken = sequence
        # else: on disk only, read back in order when the queue drains.
        self._idle.clear()
        self._wakeup.set()

    @property
    def backlog(self) -> int:
        """Records not yet written: in memory and on disk only."""
        return len(self._pending) + self._on_disk_only

    @property
    def in_memory(self) -> int:
        return len(self._pending)

    @property
    def _on_disk_only(self) -> int:
        return self._spool.last - self._taken

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is written (or dead-lettered)."""
        return bool(self._idle.wait(timeout))

    def stop(self, timeout: float = 10.0) -> None:
        """Write what can be written in `timeout`, then stop; the rest stays in the spool."""
        self._stopping = True
        self._wakeup.set()
        if self._greenlets:
            writing, syncing = self._greenlets
            writing.join(timeout)
            writing.kill(block=True)
            self._closing = True
            syncing.join()  # its sync in progress finishes: the spool's close must not overlap it
        in_thread(self._spool.close)
        if self.backlog:
            log.warning(
                "stopped with %d call records not written; they stay in %s for the next start",
                self.backlog,
                self._spool.directory,
            )

    def _run(self) -> None:
        while not (self._stopping and not self.backlog):
            self._wakeup.wait()
            self._wakeup.clear()
            if self._linger and not self._stopping:
                gevent.sleep(self._linger)  # let a burst gather into one transaction
            while True:
                self._read_back()
                if not self._pending:
                    break
                # Records leave the queue only once written or dead-lettered, so a stop in the middle
                # of a retry still finds them (and the spool still has them).
                batch = list(itertools.islice(self._pending, self._batch_size))
                self._write_with_retry([record for _, record in batch])
                for _ in batch:
                    self._pending.popleft()
                done = [sequence for sequence, _ in batch if sequence is not None]
                if done:
                    self._spool.commit(max(done))  # saved by the next sync, within SYNC_INTERVAL
            if not self.backlog:
                self._idle.set()

    def _read_back(self) -> None:
        """Refill the memory queue from the spool when it has room for a batch or more."""
        room = self._memory_limit - len(self._pending)
        if not self._on_disk_only or (room < self._batch_size and self._pending):
            return
        # Records submitted meanwhile go to disk only (`_taken` moves after), so order holds.
        upto = min(self._spool.last, self._taken + room)
        records = in_thread(self._spool.read, self._taken, upto)
        self._pending.extend(records)
        self._taken = upto

    def _sync_loop(self) -> None:
        while not self._closing:
            gevent.sleep(SYNC_INTERVAL)
            if self._spool.needs_sync:
                try:
                    in_thread(self._spool.sync)
                except OSError as exc:  # tried again next interval; the records are still queued
                    log.error("syncing the call record spool failed: %s", exc)

    def _write_with_retry(self, batch: list[Record]) -> None:
        delay = self._backoff_start
        while True:
            try:
                in_thread(self._write, batch)
            except RecordRejected as exc:
                if len(batch) > 1:
                    # One bad record must not take its neighbours down: split until it stands alone.
                    middle = len(batch) // 2
                    self._write_with_retry(batch[:middle])
                    self._write_with_retry(batch[middle:])
                    return
                log.error("record refused by the database; kept in %s: %s", self._dead_letter, exc)
                self._to_dead_letter(batch, str(exc))
                return
            except StorageError as exc:
                self.retries += 1
                log.warning(
                    "database unavailable, %d records held; retry in %.1f s: %s", len(batch), delay, exc
                )
                gevent.sleep(delay)
                delay = min(delay * 2, self._backoff_max)
                continue
            except Exception as exc:
                log.exception("records refused by the database; kept in %s", self._dead_letter)
                self._to_dead_letter(batch, repr(exc))
                return
            self.written += len(batch)
            return

    def _to_dead_letter(self, records: Sequence[Record], reason: str) -> None:
        lines = "".join(dead_letter_line(record, reason) for record in records)
        in_thread(append_dead_letters, self._dead_letter, lines)
        self.dead_lettered += len(records)
