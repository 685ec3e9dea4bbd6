"""Queued, batched call-record writes that never block the ESL loop and never lose a record.

`submit` is an append: the greenlets reading FreeSWITCH's sockets never wait for the database
(FreeSWITCH disconnects an event listener that falls 500 events behind). One writer greenlet
drains the queue in batches and runs each batch in gevent's thread pool, so a slow database
stalls only that greenlet. A batch that fails with a `StorageError` (database down, connection
dropped, locked) is retried, in order, with capped exponential backoff: the writes are
idempotent, so a retry after a half-known outcome cannot duplicate anything. A batch the database
refuses (`RecordRejected`) is split until the refused record stands alone; that record, and a
batch that fails for any other reason, is appended to a dead-letter file as JSON lines, kept for
a human rather than retried forever or dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event

from schema.acd.records import QueueEvent
from schema.calls.records import CallUpdate, IvrStepRecord, SurveyAnswerRecord
from schema.errors import RecordRejected, StorageError
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned
from schema.threadpool import in_thread

# What `schema.calls.writes.write_batch` takes, in one transaction: call records, queue events, survey answers
# and what is known of recordings.
Record = (
    CallUpdate
    | IvrStepRecord
    | QueueEvent
    | SurveyAnswerRecord
    | RecordingPlanned
    | RecordingEvent
    | RecordingFileFacts
    | RecordingPaused
)
WriteBatch = Callable[[Sequence[Record]], None]


class RecordQueue(Protocol):
    """Where records go (`CallRecordWriter.submit`); must not block."""

    def submit(self, record: Record) -> None: ...


log = logging.getLogger(__name__)


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


class CallRecordWriter:
    def __init__(
        self,
        write: WriteBatch,
        *,
        dead_letter: Path,
        batch_size: int = 500,
        linger: float = 0.02,
        backoff_start: float = 0.1,
        backoff_max: float = 10.0,
    ) -> None:
        self._write = write
        self._dead_letter = dead_letter
        self._batch_size = batch_size
        self._linger = linger
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._pending: deque[Record] = deque()
        self._wakeup = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._idle.set()
        self._stopping = False
        self._greenlet: gevent.Greenlet[Any] | None = None
        self.written = 0
        self.retries = 0
        self.dead_lettered = 0

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def submit(self, record: Record) -> None:
        self._pending.append(record)
        self._idle.clear()
        self._wakeup.set()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is written (or dead-lettered)."""
        return bool(self._idle.wait(timeout))

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop; what cannot be written in time goes to the dead letter."""
        self._stopping = True
        self._wakeup.set()
        if self._greenlet is not None:
            self._greenlet.join(timeout)
            self._greenlet.kill(block=True)
        if self._pending:
            leftover = list(self._pending)
            self._pending.clear()
            self._to_dead_letter(leftover, "writer stopped before the database accepted them")

    def _run(self) -> None:
        while not (self._stopping and not self._pending):
            self._wakeup.wait()
            self._wakeup.clear()
            if self._linger and not self._stopping:
                gevent.sleep(self._linger)  # let a burst gather into one transaction
            while self._pending:
                # Records leave the queue only once written or dead-lettered, so a stop in the middle
                # of a retry still finds them.
                batch = list(itertools.islice(self._pending, self._batch_size))
                self._write_with_retry(batch)
                for _ in batch:
                    self._pending.popleft()
            if not self._pending:
                self._idle.set()

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
        self._dead_letter.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by this user only: the records carry callers' numbers.
        with open(self._dead_letter, "a", encoding="utf-8", opener=_private_opener) as handle:
            for record in records:
                line = {"kind": type(record).__name__, "reason": reason, **dataclasses.asdict(record)}
                handle.write(json.dumps(line, default=_json_default) + "\n")
        self.dead_lettered += len(records)


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)
