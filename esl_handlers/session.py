"""One inbound call's session: run the IVR over the ESL channel and record what happened.

The handler the outbound server calls for every connection. It writes the caller's details when
the call arrives, each IVR step as it happens and the outcome at the end, through the queued
writer; the channel's own CHANNEL_* events (myevents) feed the CDR mapping, so the call row is
complete even when the event listener is not connected, and its RECORD_* events (subscribed when a
recording starts) feed the recordings table the same way.
"""

from __future__ import annotations

import logging
from typing import Protocol

from esl_handlers.cdr import call_update_from_event
from esl_handlers.codec import Event
from esl_handlers.db_writer import RecordQueue
from esl_handlers.esl_channel import EslChannel
from esl_handlers.recording_events import RecordingEvents
from ivr_scripts.journal import IvrStep
from ivr_scripts.runner import IvrRunner
from schema.calls.records import CallUpdate, IvrStepRecord
from schema.errors import RecordRejected

log = logging.getLogger(__name__)

__all__ = ["IvrCallHandler", "RecordQueue", "RunnerSource", "submit_event"]


class RunnerSource(Protocol):
    """Where the current runner comes from: a reload swaps it between calls, never during one."""

    @property
    def runner(self) -> IvrRunner: ...


class _QueueSink:
    def __init__(self, queue: RecordQueue) -> None:
        self._queue = queue

    def record_step(self, call_uuid: str, step: IvrStep) -> None:
        self._queue.submit(
            IvrStepRecord(call_uuid, step.seq, step.menu, step.prompt, step.digits, step.result, step.at)
        )


def submit_event(queue: RecordQueue, event: Event) -> None:
    """Feed one channel event to the CDR; a malformed one is logged and skipped, never raised."""
    try:
        update = call_update_from_event(event)
    except RecordRejected as exc:
        log.warning("ignored %s event: %s", event.name, exc)
        return
    if update is not None:
        queue.submit(update)


class IvrCallHandler:
    def __init__(self, runners: RunnerSource, queue: RecordQueue, recordings: RecordingEvents) -> None:
        """`recordings`: where this call's RECORD_START / RECORD_STOP events go."""
        self._runners = runners
        self._queue = queue
        self._recordings = recordings

    def on_event(self, event: Event) -> None:
        submit_event(self._queue, event)
        self._recordings.on_event(event)

    def __call__(self, channel: EslChannel) -> None:
        info = channel.info
        # Stays registered after the runner returns: CHANNEL_HANGUP_COMPLETE arrives while lingering.
        channel.add_event_listener(self.on_event)
        self._queue.submit(
            CallUpdate(
                uuid=info.uuid,
                direction="inbound",
                caller_number=info.caller_number or None,
                caller_name=info.caller_name or None,
                did=info.destination or None,
            )
        )
        outcome = self._runners.runner.run(channel.leg, _QueueSink(self._queue))
        log.info(
            "call %s from %s to %s: %s %s",
            info.uuid,
            info.caller_number,
            info.destination,
            outcome.kind,
            outcome.destination or "",
        )
        self._queue.submit(
            CallUpdate(
                uuid=info.uuid,
                outcome=outcome.kind,
                destination=outcome.destination,
                menu_path="/".join(outcome.menu_path) or None,
            )
        )
