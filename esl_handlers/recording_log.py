"""`WriterRecordingLog`: the call logic's RecordingLog (ivr_scripts.recording) over the queued writer.

A recording the runner starts becomes a RecordingPlanned (what the switch's events cannot tell:
policy, format, channels, queue, retention); a mask becomes a RecordingPaused. Both merge by path
with the RECORD_START / RECORD_STOP records (esl_handlers.recording_events) in the recordings table.
A record the schema refuses is logged, never raised: the call goes on, recorded or not.
"""

from __future__ import annotations

import datetime as dt
import logging

from esl_handlers.db_writer import RecordQueue
from esl_handlers.recording_events import RecordingEvents
from ivr_scripts.recording import PlannedRecording
from schema.errors import RecordRejected
from schema.recording.records import RecordingPaused, RecordingPlanned

log = logging.getLogger(__name__)


def planned_record(recording: PlannedRecording) -> RecordingPlanned:
    """The writer's record of a recording the call logic started (RecordRejected if it is invalid)."""
    return RecordingPlanned(
        call_uuid=recording.call_uuid,
        path=recording.path,
        policy=recording.policy,
        format=recording.format,
        channels=recording.channels,
        queue=recording.queue,
        retention_days=recording.retention_days,
        at=recording.at,
    )


class WriterRecordingLog:
    def __init__(self, queue: RecordQueue, events: RecordingEvents | None = None) -> None:
        """`events`: told of each path started here, so its switch events are kept after a reload
        moves the recording directory."""
        self._queue = queue
        self._events = events

    def planned(self, recording: PlannedRecording) -> None:
        if self._events is not None:
            self._events.planned(recording.path)
        try:
            planned = planned_record(recording)
        except RecordRejected as exc:
            log.error("call %s: recording plan not kept: %s", recording.call_uuid, exc)
            return
        self._queue.submit(planned)

    def paused(self, path: str, at: dt.datetime) -> None:
        try:
            paused = RecordingPaused(path=path, at=at)
        except RecordRejected as exc:
            log.error("recording pause not kept: %s", exc)
            return
        self._queue.submit(paused)
