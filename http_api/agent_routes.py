"""The desk's agent-state routes: an agent's state, and login / logout / ready / break (over
schema.acd.agent_desk, which decides who may act for whom).

A change the state machine refuses (logging out on a call, ready while ringing) is 409 with its
message. After a change, `on_agent_change(agent_id)` wakes this process's ACD at once, as the CLI's
control-socket message does (on PostgreSQL the change's NOTIFY also reaches every server);
`bind_agents` (called by build_api) fixes it, as recording_routes.bind_services fixes the switch.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Sequence
from typing import Final, Literal, Self

from pydantic import Field, model_validator

from http_api.models import ApiModel
from http_api.routing import ApiError, Context, Result, Route
from ivr_scripts.agent_states import AgentStateError
from schema.acd.agent_desk import WHO, AgentView, agent_view, change_agent_state

AgentChanged = Callable[[str], None]


class AgentStateIn(ApiModel):
    action: Literal["login", "logout", "ready", "break"]
    reason: str | None = Field(
        default=None, min_length=1, max_length=64, description="Why (for `break` only, and required there)."
    )

    @model_validator(mode="after")
    def _reason_for_break_only(self) -> Self:
        if self.action == "break" and self.reason is None:
            raise ValueError("a break needs a reason")
        if self.action != "break" and self.reason is not None:
            raise ValueError(f"'{self.action}' takes no reason")
        return self


def get_agent(ctx: Context) -> Result:
    return ctx.data(agent_view, ctx.text("agent_id"))


def set_agent_state(ctx: Context, on_agent_change: AgentChanged | None) -> Result:
    body = ctx.body_as(AgentStateIn)
    agent_id = ctx.text("agent_id")
    server = f"api@{socket.gethostname()}"  # who changed the agent, in the agent state log
    try:
        view, changed = ctx.data(change_agent_state, agent_id, body.action, body.reason, server=server)
    except AgentStateError as exc:
        raise ApiError(409, str(exc)) from exc
    if changed and on_agent_change is not None:
        on_agent_change(agent_id)
    result: AgentView = view
    return result


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to the ACD's wake-up (bind_agents)")


def bind_agents(routes: Sequence[Route], on_agent_change: AgentChanged | None) -> tuple[Route, ...]:
    """The routes, with the state change bound to what wakes the ACD."""
    return tuple(
        dataclasses.replace(route, handler=lambda ctx: set_agent_state(ctx, on_agent_change))
        if route.operation_id == "setAgentState"
        else route
        for route in routes
    )


AGENT_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/agents/{agent_id}",
        "getAgent",
        "An agent's state now: reason, call, since, wrap-up end",
        get_agent,
        response=AgentView,
        errors=(403,),
        description=f"Who: {WHO}.",
    ),
    Route(
        "POST",
        "/api/agents/{agent_id}/state",
        "setAgentState",
        "Log the agent in or out, make them ready, or put them on a break (with a reason)",
        _unbound,
        response=AgentView,
        body=AgentStateIn,
        errors=(403, 409),
        description=f"Who: {WHO}. The agent after the change (or as they were, for a repeat). 409 with the "
        "state machine's message when the state refuses it (e.g. logout while on a call).",
    ),
)
