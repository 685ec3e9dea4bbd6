"""Queue events and agent legs from the ACD flow to the database, through the same non-blocking writer as
call records.

`WriterQueueEvents` is the `ivr_scripts.acd.queue_events.QueueEventSink` the server hands to the
waiting loop and the offer flow: each event becomes a `schema.acd.records.QueueEvent`, each agent leg an
`AgentLegRecord` (stamped with this server's name), appended to the `CallRecordWriter`, which batches
them with the call records into one transaction (and spools them while the database is away). Recording never
blocks the call and never raises into it: an event the record checks refuse is logged and dropped,
like a malformed channel event (esl_handlers.session.submit_event).
"""

from __future__ import annotations

import logging
from typing import Protocol

from esl_handlers.db_writer import Record
from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.queue_events import QueueEventReport
from schema.acd.records import AgentLegRecord, QueueEvent
from schema.errors import RecordRejected

log = logging.getLogger(__name__)


class RecordSubmitter(Protocol):
    """`esl_handlers.db_writer.CallRecordWriter`, as far as this adapter needs it."""

    def submit(self, record: Record) -> None: ...


class WriterQueueEvents:
    """A `QueueEventSink` that submits `QueueEvent` records to the queued writer."""

    def __init__(self, writer: RecordSubmitter, *, server: str | None = None) -> None:
        self._writer = writer
        self._server = server

    def record(self, event: QueueEventReport) -> None:
        try:
            record = QueueEvent.from_report(event)
        except RecordRejected as exc:
            log.error("queue event %s of call %s not recorded: %s", event.event, event.call_uuid, exc)
            return
        self._writer.submit(record)

    def leg(self, report: AgentLegReport) -> None:
        try:
            record = AgentLegRecord.from_report(report, self._server)
        except RecordRejected as exc:
            log.error("agent leg %s of call %s not recorded: %s", report.leg_uuid, report.call_uuid, exc)
            return
        self._writer.submit(record)
