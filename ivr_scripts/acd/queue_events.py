"""Where the ACD flow reports queue events (dialplans.vocabulary.QueueEventName, Asterisk's queue_log words).

The waiting loop and the offer flow report every event through a `QueueEventSink`; the server maps
it to `schema.acd.records.QueueEvent` rows. `MemoryQueueEvents` keeps them in a list for tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from dialplans.clock import Clock as Clock  # noqa: PLC0414 (re-exported: the ACD flow imports it from here)
from dialplans.vocabulary import QueueEventName


class QueueEventSink(Protocol):
    def record(
        self,
        event: QueueEventName,
        call_uuid: str,
        queue: str,
        *,
        agent_id: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
        position: int | None = None,
        at: dt.datetime,
        data: str | None = None,
    ) -> None:
        """Record one event; `data` is free text such as a hang-up cause or the exit key."""
        ...


@dataclass(frozen=True, slots=True)
class RecordedQueueEvent:
    event: QueueEventName
    call_uuid: str
    queue: str
    agent_id: str | None
    wait_s: float | None
    talk_s: float | None
    position: int | None
    at: dt.datetime
    data: str | None


class MemoryQueueEvents:
    """A `QueueEventSink` that keeps every event in order."""

    def __init__(self) -> None:
        self.events: list[RecordedQueueEvent] = []

    def record(
        self,
        event: QueueEventName,
        call_uuid: str,
        queue: str,
        *,
        agent_id: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
        position: int | None = None,
        at: dt.datetime,
        data: str | None = None,
    ) -> None:
        self.events.append(
            RecordedQueueEvent(event, call_uuid, queue, agent_id, wait_s, talk_s, position, at, data)
        )

    def names(self) -> list[QueueEventName]:
        return [recorded.event for recorded in self.events]
