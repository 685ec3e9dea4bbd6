"""Rows the CRM tests start from: calls, connects, agents, offers, and the customer Jane."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from ivr_scripts.agent_service import AgentService
from schema.acd.agents import reserve_agent, upsert_agents, write_queue_events
from schema.acd.records import AgentProfile, QueueEvent
from schema.adapters.agent_store import SqlAgentStore
from schema.crm.access import CALLS
from schema.crm.queries import create_customer
from schema.crm.views import CustomerView
from schema.viewer import SYSTEM, Viewer

T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def insert_call(engine: Engine, uuid: str, *, started: dt.datetime | None, **values: Any) -> None:
    """A call row as the writers leave it (only the columns a test cares about)."""
    with engine.begin() as connection:
        connection.execute(
            CALLS.insert().values(uuid=uuid, started_at=started, updated_at=started or T0, **values)
        )


def connect(
    engine: Engine, call_uuid: str, agent_id: str, *, queue: str = "sales", when: dt.datetime = T0
) -> None:
    """The queue_log CONNECT that says `agent_id` answered the call."""
    write_queue_events(engine, [QueueEvent(when, call_uuid, queue, "CONNECT", agent_id, wait_s=3.0)])


def add_agents(engine: Engine, **departments: str | None) -> None:
    upsert_agents(engine, [AgentProfile(agent_id, department=dept) for agent_id, dept in departments.items()])


def offer(engine: Engine, agent_id: str, call_uuid: str) -> None:
    """Make `agent_id` available and reserve them for the call (the agent row now holds call_uuid)."""
    AgentService(SqlAgentStore(engine, "test"), None, lambda: T0).login(agent_id)
    assert reserve_agent(engine, call_uuid, [agent_id], "test", T0) == agent_id


def jane(engine: Engine, viewer: Viewer = SYSTEM, **overrides: Any) -> CustomerView:
    values: dict[str, Any] = {
        "name": "Jane Doe",
        "phones": ["(202) 555-0143", "+44 20 7946 0958"],
        "region": "US",
        "account_number": "AC-1001",
        "tier": "gold",
        "department": "sales",
        "owner_agent_id": "1001",
        "custom_fields": {"plate": "AB12 CDE", "purchase_date": dt.date(2024, 5, 17)},
        "now": T0,
    }
    return create_customer(engine, viewer, **(values | overrides))
