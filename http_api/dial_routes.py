"""The API's click-to-dial route: `POST /api/agents/{agent_id}/dial` over a `DeskDialer`
(esl_handlers.desk_calls.DeskCalls in the call server; docs/acd.md, "Click-to-dial").

The dialer decides who may dial (NotFound / PermissionDenied: 404 / 403). What else it refuses:
- 422: not a full phone number in the dialplan's region (`NumberRefused`);
- 409: the agent is not available, or the number is on a do-not-call list (`DialRefused`);
- 503: the switch refused the reservation's first step (`SwitchError`), or this server has no
  click-to-dial (started without the switch, or without an outbound route and caller ID).
The call is placed in the background: 202 with its uuid as soon as the agent is reserved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final, Protocol

from pydantic import Field

from http_api.models import ApiModel
from http_api.routing import ApiError, Context, Handler, Result, Route
from ivr_scripts.switch import SwitchError
from schema.acd.desk_dial import DialRefused, NumberRefused
from schema.viewer import Viewer


class DeskCallStarted(Protocol):
    @property
    def call_uuid(self) -> str: ...
    @property
    def number(self) -> str: ...


class DeskDialer(Protocol):
    def dial(self, viewer: Viewer, agent_id: str, number: str) -> DeskCallStarted:
        """Reserve the agent and place the call (their phone first, then `number`); see the module."""
        ...


class DialIn(ApiModel):
    number: str = Field(min_length=1, max_length=40, description="As the agent typed it; national or +E.164.")


class DialView(ApiModel):
    call_uuid: str = Field(description="The call's uuid: the agent's state and the call record carry it.")
    number: str = Field(description="The number dialled, E.164.")


def dial(ctx: Context, dialer: DeskDialer | None) -> Result:
    if dialer is None:
        raise ApiError(503, "this server has no click-to-dial: no switch, outbound route or caller ID")
    body = ctx.body_as(DialIn)
    try:
        started = dialer.dial(ctx.who, ctx.text("agent_id"), body.number)
    except NumberRefused as exc:
        raise ApiError(422, str(exc)) from exc
    except DialRefused as exc:
        raise ApiError(409, str(exc)) from exc
    except SwitchError as exc:
        raise ApiError(503, f"the switch refused or did not answer: {exc}", [("Retry-After", "5")]) from exc
    return DialView(call_uuid=started.call_uuid, number=started.number)


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to the desk dialer (bind_desk_dialer)")


def bind_desk_dialer(routes: Sequence[Route], dialer: DeskDialer | None) -> tuple[Route, ...]:
    """The routes, with the click-to-dial handler bound to `dialer`."""
    return tuple(
        dataclasses.replace(route, handler=_bound(dialer)) if route.operation_id == "dialForAgent" else route
        for route in routes
    )


def _bound(dialer: DeskDialer | None) -> Handler:
    return lambda ctx: dial(ctx, dialer)


DIAL_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "POST",
        "/api/agents/{agent_id}/dial",
        "dialForAgent",
        "Click-to-dial: ring the agent's phone, then the number, and bridge them",
        _unbound,
        response=DialView,
        status=202,
        body=DialIn,
        errors=(403, 409, 422, 503),
        description="Who: an agent for themselves, a supervisor for their department's agents, a manager "
        "for anyone. The agent must be available; they are reserved at once (offered no queue call), "
        "rung (auto-answered when the dialplan says auto_answer), on_call once they answer, then in "
        "wrap-up. The number is normalised in the dialplan's region and must not be on a do-not-call "
        "list (409); the call goes out through the campaigns' outbound route. 202 once the agent is "
        "reserved: the call itself runs in the background and is recorded in the calls table when it ends.",
    ),
)
