"""The API's preview-dialling routes: an agent's next record of a preview campaign, dial it, skip it
(over schema.campaigns.preview_desk, which decides who may do what).

What only these routes refuse: a preview the campaign or the agent's state does not allow (not a preview
campaign, not in pilot or running, not a member, not available, a preview open already, dialled already)
is 409 with the reason. No lead due now is 404 with a message saying so.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Final

from pydantic import Field

from http_api.models import ApiModel
from http_api.routing import ApiError, Context, Result, Route
from schema.campaigns import preview_desk
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.previews import PreviewRefused
from schema.campaigns.views import PreviewView

CampaignPlans = Callable[[], CampaignPlan]


class PreviewIn(ApiModel):
    agent_id: str = Field(min_length=1, max_length=64, description="The agent who will see the record.")


def _server(ctx: Context) -> str:
    """Who reserved the agent, in the agent state log: this API on this host."""
    return f"api@{socket.gethostname()}"


def next_preview(ctx: Context, plans: CampaignPlans) -> Result:
    body = ctx.body_as(PreviewIn)
    name = ctx.text("name")
    try:
        shown = ctx.data(
            preview_desk.next_preview, name, body.agent_id, plans(), server=_server(ctx),
            now=ctx.now(),
        )  # fmt: skip
    except PreviewRefused as exc:
        raise ApiError(409, str(exc)) from exc
    if shown is None:
        raise ApiError(404, f"no lead of campaign {name!r} is due in its calling window now")
    return shown


def get_preview(ctx: Context, plans: CampaignPlans) -> Result:
    return ctx.data(preview_desk.current_preview, ctx.text("agent_id"), plans())


def dial_preview(ctx: Context, plans: CampaignPlans) -> Result:
    try:
        return ctx.data(preview_desk.dial_preview, ctx.text("agent_id"), plans(), now=ctx.now())
    except PreviewRefused as exc:
        raise ApiError(409, str(exc)) from exc


def skip_preview(ctx: Context, plans: CampaignPlans) -> Result:
    try:
        ctx.data(preview_desk.skip_preview, ctx.text("agent_id"), server=_server(ctx), now=ctx.now())
    except PreviewRefused as exc:
        raise ApiError(409, str(exc)) from exc
    return None


PREVIEW_HANDLERS: Final[Mapping[str, Callable[[Context, CampaignPlans], Result]]] = {
    "nextPreview": next_preview,
    "getPreview": get_preview,
    "dialPreview": dial_preview,
    "skipPreview": skip_preview,
}


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to the dialplan's campaigns (bind_campaigns)")


_WHO: Final = "an agent for themselves, a supervisor for their department's agents, a manager for anyone"

PREVIEW_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "POST",
        "/api/campaigns/{name}/previews",
        "nextPreview",
        "Preview dialling: the agent's next record of a preview campaign, reserved for them",
        _unbound,
        response=PreviewView,
        status=201,
        body=PreviewIn,
        errors=(403, 409),
        description=f"Who: {_WHO}. The agent must be available and a member of the campaign, which must "
        "dial `preview` and be in pilot or running; the agent is reserved (offered no ACD call) until "
        "they dial or skip, or the campaign's preview_seconds pass. One due lead is claimed by the "
        "dialer's rules (calling window in the lead's zones, pilot sample, do-not-call lists re-checked). "
        "404: no lead is due now. 409: refused, the message says why.",
    ),
    Route(
        "GET",
        "/api/previews/{agent_id}",
        "getPreview",
        "The record the agent is previewing, and whether it is being dialled",
        _unbound,
        response=PreviewView,
        errors=(403,),
        description=f"Who: {_WHO}. 404 when the agent has no preview (never asked, skipped, released, "
        "or its call ended).",
    ),
    Route(
        "POST",
        "/api/previews/{agent_id}/dial",
        "dialPreview",
        "Dial the previewed record: the agent's phone first (auto-answered), then the customer, bridged",
        _unbound,
        response=PreviewView,
        errors=(403, 409),
        description=f"Who: {_WHO}. The dialer places the call at its next tick (within a second); `state` "
        "is dial_requested, then dialling. The attempt is logged with the agent under `call_uuid` when "
        "the call ends; close it with POST /api/campaign-calls/{call_uuid}/closing. 409: asked already.",
    ),
    Route(
        "POST",
        "/api/previews/{agent_id}/skip",
        "skipPreview",
        "Skip the previewed record: it is due again at once, no attempt counted; the agent is available",
        _unbound,
        status=204,
        errors=(403, 409),
        description=f"Who: {_WHO}. Also withdraws a dial no dialer has taken yet; 409 once one has.",
    ),
)
