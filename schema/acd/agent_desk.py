"""An agent's state from the desk (the HTTP API): read it, log in and out, ready, break.

What `callcenter agent login|logout|ready|break|status` does, with the CRM's rule of who may act for
whom: an agent for themselves, a supervisor for their department's agents (`agents.department`), a
manager for anyone (schema.crm.access.agent_work_visible, as preview dialling uses it). Anyone else
is PermissionDenied; an agent the store does not have is NotFound. The change goes through the agent
service (ivr_scripts.agent_service) on the agents table, so it is judged by the state machine, written
with its state-log row, and on PostgreSQL announced to every server in the same transaction; what the
state machine refuses raises its `AgentStateError` (the API's 409). Waking the local ACD is the
caller's part: the returned `changed` says whether there is anything to wake it for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, String, literal, select

from dialplans.vocabulary import AgentState
from ivr_scripts.agent_service import AgentService, UnknownAgent
from ivr_scripts.agent_states import AgentStatus, Transition
from schema.acd.agents import AGENTS
from schema.adapters.agent_store import SqlAgentStore
from schema.crm.access import agent_work_visible
from schema.db import read_connection
from schema.errors import NotFound, PermissionDenied
from schema.viewer import Viewer

AgentAction = Literal["login", "logout", "ready", "break"]
WHO: Final = "an agent for themselves, a supervisor for their department's agents, a manager for anyone"


class AgentView(BaseModel):
    """One agent now, as the desk shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent_id: str
    name: str | None = None
    extension: str | None = None
    state: AgentState
    reason: str | None = Field(default=None, description="Why on a break (on_break only).")
    call_uuid: str | None = Field(default=None, description="The call held: reserved to wrap_up.")
    since: dt.datetime = Field(description="When the agent entered this state.")
    wrap_up_until: dt.datetime | None = Field(
        default=None, description="When wrap-up ends and the agent is available again (wrap_up only)."
    )
    consecutive_no_answers: int = Field(
        description="Offers in a row not answered (3 put the agent on break)."
    )


def agent_view(engine: Engine, viewer: Viewer, agent_id: str) -> AgentView:
    """The agent's state now (PermissionDenied / NotFound as the module says)."""
    check_acts_for(engine, viewer, agent_id)
    status = SqlAgentStore(engine, server="api").get(agent_id)
    if status is None:
        raise NotFound(f"no agent {agent_id!r} (`callcenter agent sync` adds the dialplan's agents)")
    return _view(engine, status)


def change_agent_state(
    engine: Engine,
    viewer: Viewer,
    agent_id: str,
    action: AgentAction,
    reason: str | None = None,
    *,
    server: str,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> tuple[AgentView, bool]:
    """Apply the command; the agent after it, and whether anything changed (a repeat changes nothing).
    `break` needs a reason, the others take none (ValueError: the API's body model checks it first)."""
    if (action == "break") != (reason is not None):
        raise ValueError("a break needs a reason, and only a break takes one")
    check_acts_for(engine, viewer, agent_id)
    service = AgentService(SqlAgentStore(engine, server), None, clock)
    try:
        transition = _command(service, agent_id, action, reason)
    except UnknownAgent as exc:
        raise NotFound(f"no agent {agent_id!r} (`callcenter agent sync` adds the dialplan's agents)") from exc
    return _view(engine, transition.status), transition.changed


def check_acts_for(engine: Engine, viewer: Viewer, agent_id: str, *, doing: str = "act") -> None:
    """PermissionDenied unless the viewer may act for the agent (the desk's state changes, preview
    dialling); `doing` names the act in the refusal."""
    acts_for = select(agent_work_visible(viewer, literal(agent_id, String)))
    with read_connection(engine, f"checking who may act for agent {agent_id}") as connection:
        if not connection.execute(acts_for).scalar():
            raise PermissionDenied(
                f"{viewer.user} ({viewer.role}) may not {doing} for agent {agent_id}: {WHO}"
            )


def _command(service: AgentService, agent_id: str, action: AgentAction, reason: str | None) -> Transition:
    if action == "break":
        return service.go_break(agent_id, reason or "")
    commands = {"login": service.login, "logout": service.logout, "ready": service.ready}
    return commands[action](agent_id)


def _view(engine: Engine, status: AgentStatus) -> AgentView:
    with read_connection(engine, f"reading agent {status.agent_id}") as connection:
        row = connection.execute(
            select(AGENTS.c.name, AGENTS.c.extension).where(AGENTS.c.agent_id == status.agent_id)
        ).first()
    return AgentView(
        agent_id=status.agent_id,
        name=None if row is None else row.name,
        extension=None if row is None else row.extension,
        state=status.state,
        reason=status.reason,
        call_uuid=status.call_uuid,
        since=status.since,
        wrap_up_until=status.wrap_up_until,
        consecutive_no_answers=status.consecutive_no_answers,
    )
