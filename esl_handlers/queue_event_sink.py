"""Queue events from the ACD flow to the database, through the same non-blocking writer as call records.

`WriterQueueEvents` is the `ivr_scripts.acd.queue_events.QueueEventSink` the server hands to the
waiting loop and the offer flow: each event becomes a `schema.acd.records.QueueEvent` appended to the
`CallRecordWriter`, which batches it with the call records into one transaction. Recording never
blocks the call and never raises into it: an event the record checks refuse is logged and dropped,
like a malformed channel event (esl_handlers.session.submit_event).
"""

from __future__ import annotations

import logging
from typing import Protocol

from esl_handlers.db_writer import Record
from ivr_scripts.acd.queue_events import QueueEventReport
from schema.acd.records import QueueEvent
from schema.errors import RecordRejected

log = logging.getLogger(__name__)


class RecordSubmitter(Protocol):
    """`esl_handlers.db_writer.CallRecordWriter`, as far as this adapter needs it."""

    def submit(self, record: Record) -> None: ...


class WriterQueueEvents:
    """A `QueueEventSink` that submits `QueueEvent` records to the queued writer."""

    def __init__(self, writer: RecordSubmitter) -> None:
        self._writer = writer

    def record(self, event: QueueEventReport) -> None:
        try:
            record = QueueEvent.from_report(event)
        except RecordRejected as exc:
            log.error("queue event %s of call %s not recorded: %s", event.event, event.call_uuid, exc)
            return
        self._writer.submit(record)
