"""The desk's disposition routes: the dialplan's dispositions, and a call's (over schema.crm.dispositions,
which decides who may set or read which call's).

The dialplan's `desktop.dispositions` reach the handlers as a `DispositionLabels` callable, read for each
request so a reloaded dialplan applies at once; `bind_dispositions` (called by build_api) fixes it, as
campaign_routes.bind_campaigns fixes the campaigns. An unknown code is 422 (the data layer's refusal).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from pydantic import Field

from http_api.models import ApiModel
from http_api.routing import Context, Handler, Result, Route
from schema.crm.dispositions import (
    DispositionChoice,
    DispositionView,
    disposition_choices,
    get_disposition,
    set_disposition,
)

DispositionLabels = Callable[[], Mapping[str, str]]
_WHO: Final = (
    "an agent on a call they were offered or answered, a supervisor on their department's agents' calls, "
    "a manager on any call; 404 for any other"
)


class DispositionIn(ApiModel):
    code: str = Field(min_length=1, max_length=64, description="A code of GET /api/dispositions.")
    note: str | None = Field(default=None, max_length=2000, description="Free text, kept with the code.")


def list_dispositions(ctx: Context, labels: DispositionLabels) -> Result:
    return disposition_choices(labels())


def put_disposition(ctx: Context, labels: DispositionLabels) -> Result:
    body = ctx.body_as(DispositionIn)
    return ctx.data(set_disposition, ctx.text("call_uuid"), body.code, body.note, labels=labels())


def read_disposition(ctx: Context, labels: DispositionLabels) -> Result:
    return ctx.data(get_disposition, ctx.text("call_uuid"), labels=labels())


_HANDLERS: Final[Mapping[str, Callable[[Context, DispositionLabels], Result]]] = {
    "listDispositions": list_dispositions,
    "setDisposition": put_disposition,
    "getDisposition": read_disposition,
}


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to the dialplan's dispositions (bind_dispositions)")


def _bound(handler: Callable[[Context, DispositionLabels], Result], labels: DispositionLabels) -> Handler:
    return lambda ctx: handler(ctx, labels)


def bind_dispositions(routes: Sequence[Route], labels: DispositionLabels) -> tuple[Route, ...]:
    """The routes, with the disposition handlers bound to the dialplan's dispositions."""
    return tuple(
        dataclasses.replace(route, handler=_bound(_HANDLERS[route.operation_id], labels))
        if route.operation_id in _HANDLERS
        else route
        for route in routes
    )


DISPOSITION_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/dispositions",
        "listDispositions",
        "The dispositions a call may be closed with (the dialplan's desktop.dispositions), in order",
        _unbound,
        response=DispositionChoice,
        many=True,
    ),
    Route(
        "PUT",
        "/api/calls/{call_uuid}/disposition",
        "setDisposition",
        "Close a call with a disposition and a note (setting it again replaces it)",
        _unbound,
        response=DispositionView,
        body=DispositionIn,
        errors=(422,),
        description=f"Who: {_WHO}. 422 for a code the dialplan does not have.",
    ),
    Route(
        "GET",
        "/api/calls/{call_uuid}/disposition",
        "getDisposition",
        "A call's disposition (404 when it has none)",
        _unbound,
        response=DispositionView,
        description=f"Who: {_WHO}.",
    ),
)
