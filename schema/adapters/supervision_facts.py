"""`SqlSupervisionFacts`: ivr_scripts.supervision's SupervisionFacts over the agents, queue_log, calls
and recordings tables."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from dialplans.vocabulary import ENTERQUEUE
from ivr_scripts.supervision import AgentRow, CallFacts
from schema.acd.models import Agent, QueueLogEntry
from schema.calls.models import Call
from schema.db import session_scope
from schema.recording.models import Recording


class SqlSupervisionFacts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def agent(self, agent_id: str) -> AgentRow | None:
        with session_scope(self._engine) as session:
            row = session.get(Agent, agent_id)
            if row is None:
                return None
            return AgentRow(
                row.agent_id, row.extension or row.agent_id, row.department, row.state, row.call_uuid
            )

    def call(self, call_uuid: str) -> CallFacts:
        with session_scope(self._engine) as session:
            agents = [
                AgentRow(a.agent_id, a.extension or a.agent_id, a.department, a.state, a.call_uuid)
                for a in session.scalars(select(Agent).where(Agent.call_uuid == call_uuid))
            ]
            of_call = (Recording.call_uuid == call_uuid, Recording.deleted_at.is_(None))
            running = select(Recording.path).where(*of_call, Recording.ended_at.is_(None))
            files = select(func.count()).select_from(Recording).where(Recording.call_uuid == call_uuid)
            queue = (
                select(QueueLogEntry.queue)
                .where(QueueLogEntry.call_uuid == call_uuid, QueueLogEntry.event == ENTERQUEUE)
                .order_by(QueueLogEntry.at.desc(), QueueLogEntry.id.desc())
                .limit(1)
            )
            return CallFacts(
                agents=agents,
                running=list(session.scalars(running.order_by(Recording.path))),
                files=session.scalar(files) or 0,
                queue=session.scalar(queue),
                did=session.scalar(select(Call.did).where(Call.uuid == call_uuid)),
            )
