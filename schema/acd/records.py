"""What the ACD hands to schema/acd/agents.py: plain frozen values, checked on creation.

Same rules as schema/calls/records.py: a bad value fails where it is made (`RecordRejected`, a
ValueError), times must carry a timezone, NUL characters in text become U+FFFD.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Final

from ivr_scripts.acd.agent_legs import LEG_OUTCOMES, AgentLegReport
from ivr_scripts.acd.queue_events import QueueEventReport
from schema.acd.models import QUEUE_EVENTS
from schema.calls.records import UUID_MAX_LENGTH
from schema.errors import RecordRejected

AGENT_ID_MAX_LENGTH: Final = 64
DATA_MAX_LENGTH: Final = 1024


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """An agent as configured (YAML); `upsert_agents` writes these without touching live state."""

    agent_id: str
    name: str | None = None
    extension: str | None = None
    department: str | None = None

    def __post_init__(self) -> None:
        check_agent_id(self.agent_id)
        _clean_fields(self, f"agent {self.agent_id}")


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One agent row as read by `agent_snapshot` (for the reconciler)."""

    agent_id: str
    name: str | None
    extension: str | None
    department: str | None
    state: str
    state_reason: str | None
    call_uuid: str | None
    state_since: dt.datetime
    consecutive_no_answers: int
    wrap_up_until: dt.datetime | None
    reserved_by: str | None
    version: int
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One queue_log row. `agent_id` None means no agent (stored as '')."""

    at: dt.datetime
    call_uuid: str
    queue: str
    event: str
    agent_id: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    position: int | None = None
    data: str | None = None

    def __post_init__(self) -> None:
        where = f"queue event {self.event!r} of call {self.call_uuid!r}"
        check_call_uuid(self.call_uuid)
        check_aware(self.at, f"{where}: at")
        if self.event not in QUEUE_EVENTS:
            raise RecordRejected(f"{where}: event is not one of {QUEUE_EVENTS}")
        if not isinstance(self.queue, str) or not self.queue:
            raise RecordRejected(f"{where}: queue is empty")
        if self.agent_id is not None:
            check_agent_id(self.agent_id)
        for name in ("wait_s", "talk_s"):
            seconds = getattr(self, name)
            if seconds is not None and (
                isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < 1e9
            ):
                raise RecordRejected(f"{where}: {name} {seconds!r} is not a number of seconds >= 0")
        if self.position is not None and (
            isinstance(self.position, bool) or not isinstance(self.position, int) or self.position < 0
        ):
            raise RecordRejected(f"{where}: position {self.position!r} is not a whole number >= 0")
        if self.data is not None and len(self.data) > DATA_MAX_LENGTH:
            raise RecordRejected(f"{where}: data is longer than {DATA_MAX_LENGTH} characters")
        _clean_fields(self, where)

    @classmethod
    def from_report(cls, report: QueueEventReport) -> QueueEvent:
        """The row of one reported queue event (raises RecordRejected like the constructor)."""
        return cls(
            at=report.at,
            call_uuid=report.call_uuid,
            queue=report.queue,
            event=report.event,
            agent_id=report.agent_id,
            wait_s=report.wait_s,
            talk_s=report.talk_s,
            position=report.position,
            data=report.data,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLegRecord:
    """One agent_legs row (schema.acd.models.AgentLeg); ring_ms and talk_ms are whole milliseconds."""

    leg_uuid: str
    call_uuid: str
    queue: str
    agent_id: str
    outcome: str
    offered_at: dt.datetime
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    ring_ms: int | None = None
    talk_ms: int | None = None
    cause: str | None = None
    callback: bool = False
    server: str | None = None

    def __post_init__(self) -> None:
        where = f"agent leg {self.leg_uuid!r} of call {self.call_uuid!r}"
        check_call_uuid(self.leg_uuid)
        check_call_uuid(self.call_uuid)
        check_agent_id(self.agent_id)
        if self.outcome not in LEG_OUTCOMES:
            raise RecordRejected(f"{where}: outcome {self.outcome!r} is not one of {LEG_OUTCOMES}")
        if not isinstance(self.queue, str) or not self.queue:
            raise RecordRejected(f"{where}: queue is empty")
        for name in ("ring_ms", "talk_ms"):
            ms = getattr(self, name)
            if ms is not None and (isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms < 2**31):
                raise RecordRejected(f"{where}: {name} {ms!r} is not a whole number of milliseconds >= 0")
        if self.cause is not None and len(self.cause) > DATA_MAX_LENGTH:
            raise RecordRejected(f"{where}: cause is longer than {DATA_MAX_LENGTH} characters")
        _clean_fields(self, where)

    @classmethod
    def from_report(cls, report: AgentLegReport, server: str | None = None) -> AgentLegRecord:
        """The row of one reported leg: ring time up to the answer (or the end, unanswered)."""
        for name in ("offered_at", "answered_at", "ended_at"):
            value = getattr(report, name)
            if value is not None:
                check_aware(value, f"agent leg {report.leg_uuid!r}: {name}")
        rang_until = report.answered_at or report.ended_at
        return cls(
            leg_uuid=report.leg_uuid,
            call_uuid=report.call_uuid,
            queue=report.queue,
            agent_id=report.agent_id,
            outcome=report.outcome,
            offered_at=report.offered_at,
            answered_at=report.answered_at,
            ended_at=report.ended_at,
            ring_ms=None if rang_until is None else _milliseconds(rang_until - report.offered_at),
            talk_ms=None if report.talk_s is None else max(0, round(report.talk_s * 1000)),
            cause=report.cause,
            callback=report.callback,
            server=server,
        )


def _milliseconds(elapsed: dt.timedelta) -> int:
    return max(0, round(elapsed / dt.timedelta(milliseconds=1)))


def check_agent_id(agent_id: str) -> None:
    if (
        not isinstance(agent_id, str)
        or not agent_id
        or len(agent_id) > AGENT_ID_MAX_LENGTH
        or "\x00" in agent_id
    ):
        raise RecordRejected(f"agent id {agent_id!r} is not 1 to {AGENT_ID_MAX_LENGTH} characters of text")


def check_call_uuid(uuid: str) -> None:
    if not isinstance(uuid, str) or not uuid or len(uuid) > UUID_MAX_LENGTH or "\x00" in uuid:
        raise RecordRejected(f"call uuid {uuid!r} is not 1 to {UUID_MAX_LENGTH} characters of text")


def check_aware(value: dt.datetime, what: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RecordRejected(f"{what} {value!r} is not a datetime with a timezone")


def _clean_fields(record: AgentProfile | QueueEvent | AgentLegRecord, where: str) -> None:
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, dt.datetime):
            check_aware(value, f"{where}: {field.name}")
        elif isinstance(value, str) and "\x00" in value:
            object.__setattr__(record, field.name, value.replace("\x00", "\ufffd"))
