"""Where the ACD flow reports queue events (dialplans.vocabulary.QueueEventName, Asterisk's queue_log words).

The waiting loop and the offer flow report every event as a `QueueEventReport` through a
`QueueEventSink`; the server maps it to `schema.acd.records.QueueEvent` rows. The same sink hears
every agent leg (`ivr_scripts.acd.agent_legs.AgentLegReport`, agent_legs rows). `MemoryQueueEvents`
keeps them in lists for tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from dialplans.vocabulary import QueueEventName
from ivr_scripts.acd.agent_legs import AgentLegReport


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEventReport:
    """One queue event as the ACD flow reports it; `data` is free text such as a hang-up cause or the
    exit key."""

    event: QueueEventName
    call_uuid: str
    queue: str
    agent_id: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    position: int | None = None
    at: dt.datetime
    data: str | None = None


class QueueEventSink(Protocol):
    def record(self, event: QueueEventReport) -> None: ...

    def leg(self, report: AgentLegReport) -> None: ...


class MemoryQueueEvents:
    """A `QueueEventSink` that keeps every event, and every agent leg, in order."""

    def __init__(self) -> None:
        self.events: list[QueueEventReport] = []
        self.legs: list[AgentLegReport] = []

    def record(self, event: QueueEventReport) -> None:
        self.events.append(event)

    def leg(self, report: AgentLegReport) -> None:
        self.legs.append(report)

    def names(self) -> list[QueueEventName]:
        return [recorded.event for recorded in self.events]
