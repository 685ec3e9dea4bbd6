"""The ACD's tables: agents and their live state, the agent state log, the queue log, the agent legs.

They share `schema.calls.models.Base`, so importing this module registers them on `Base.metadata`
(schema/migrations/env.py does). Migration 0002 creates exactly these.

Idempotency keys, chosen so a replay writes nothing and no legitimate row is lost:
- agent_state_log: UNIQUE(agent_id, version). Every change of an agent row bumps its `version`
  once, in the same transaction that writes the log row with the new version, so the pair is
  the transition's identity; it also orders one agent's history without trusting clocks.
- queue_log: UNIQUE(call_uuid, queue, event, agent_id, at). `at` is in the key because one call
  may legitimately produce the same event twice in a queue (an agent rung twice, a caller
  re-entering after overflow), at different moments; a replay carries the same moment.
  `agent_id` is '' (never NULL) when no agent is involved, like Asterisk's "NONE": NULLs never
  conflict in a UNIQUE constraint on either database, so a replayed ENTERQUEUE would double.
- agent_legs: the leg's channel UUID (the offer flow names every leg before ringing it). Migration 0011
  creates the table.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialplans import vocabulary
from dialplans.vocabulary import AgentState
from ivr_scripts.acd.agent_legs import LEG_OUTCOMES
from schema.calls.models import Base, BigId

# The CHECK constraints below are generated from the shared vocabularies (dialplans.vocabulary), in
# their order, so the constraint text stays the one migration 0002 created.
AGENT_STATES: Final = tuple(state.value for state in AgentState)
# States in which the agent row holds a call (its `call_uuid` is set).
CALL_STATES: Final = tuple(state.value for state in vocabulary.CALL_STATES)
QUEUE_EVENTS: Final = vocabulary.QUEUE_EVENT_NAMES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Agent(Base):
    """One agent and its live state; `version` grows by one on every change of the row."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(_in("state", AGENT_STATES), name="state"),
        CheckConstraint(f"NOT ({_in('state', CALL_STATES)}) OR call_uuid IS NOT NULL", name="call_held"),
        CheckConstraint("consecutive_no_answers >= 0", name="no_answers"),
        Index("ix_agents_state", "state"),
    )

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None]
    extension: Mapped[str | None]
    department: Mapped[str | None]
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str | None]
    call_uuid: Mapped[str | None] = mapped_column(String(36))
    state_since: Mapped[dt.datetime]
    consecutive_no_answers: Mapped[int] = mapped_column(Integer)
    wrap_up_until: Mapped[dt.datetime | None]
    reserved_by: Mapped[str | None]
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"Agent(agent_id={self.agent_id!r}, state={self.state!r}, call_uuid={self.call_uuid!r})"


class AgentStateLog(Base):
    """One change of an agent's state, written in the transaction that made it."""

    __tablename__ = "agent_state_log"
    __table_args__ = (
        UniqueConstraint("agent_id", "version"),
        CheckConstraint(_in("to_state", AGENT_STATES), name="to_state"),
        Index("ix_agent_state_log_at", "at"),
        Index("ix_agent_state_log_call_uuid", "call_uuid"),
        Index("ix_agent_state_log_agent_id_at", "agent_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), ForeignKey("agents.agent_id"))
    version: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str]
    reason: Mapped[str | None]
    call_uuid: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[dt.datetime]
    server: Mapped[str]

    def __repr__(self) -> str:
        return (
            f"AgentStateLog(agent_id={self.agent_id!r}, version={self.version}, "
            f"{self.from_state!r}->{self.to_state!r})"
        )


class QueueLogEntry(Base):
    """One queue event, like a line of Asterisk's queue_log."""

    __tablename__ = "queue_log"
    __table_args__ = (
        UniqueConstraint("call_uuid", "queue", "event", "agent_id", "at"),
        CheckConstraint(_in("event", QUEUE_EVENTS), name="event"),
        Index("ix_queue_log_queue_event_at", "queue", "event", "at"),
        Index("ix_queue_log_agent_id_at", "agent_id", "at"),
        Index("ix_queue_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime]
    call_uuid: Mapped[str] = mapped_column(String(36))
    queue: Mapped[str]
    agent_id: Mapped[str] = mapped_column(String(64))  # '' when no agent is involved
    event: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    position: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str | None]

    def __repr__(self) -> str:
        return f"QueueLogEntry(call_uuid={self.call_uuid!r}, queue={self.queue!r}, event={self.event!r})"


class AgentLeg(Base):
    """One agent rung for a queue call (ring-all: one row per agent rung), written by the ACD when the
    leg's offer is settled and again, with its end, when an answered leg's conversation ends."""

    __tablename__ = "agent_legs"
    __table_args__ = (
        CheckConstraint(_in("outcome", LEG_OUTCOMES), name="outcome"),
        CheckConstraint("ring_ms >= 0 AND talk_ms >= 0", name="durations"),
        Index("ix_agent_legs_call_uuid", "call_uuid"),
        Index("ix_agent_legs_agent_id_offered_at", "agent_id", "offered_at"),
        Index("ix_agent_legs_queue_offered_at", "queue", "offered_at"),
        Index("ix_agent_legs_offered_at", "offered_at"),
        Index("ix_agent_legs_answered_at", "answered_at"),
    )

    leg_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36))
    queue: Mapped[str]
    agent_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    offered_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    ring_ms: Mapped[int | None] = mapped_column(Integer)
    talk_ms: Mapped[int | None] = mapped_column(Integer)
    cause: Mapped[str | None]
    callback: Mapped[bool] = mapped_column(Boolean)
    server: Mapped[str | None]

    def __repr__(self) -> str:
        return f"AgentLeg(leg_uuid={self.leg_uuid!r}, agent_id={self.agent_id!r}, outcome={self.outcome!r})"
