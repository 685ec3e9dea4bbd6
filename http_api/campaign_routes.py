"""The API's campaign routes: campaigns' status, lifecycle steps, and the agent's closing of a campaign call
(over schema.campaigns.desk, which decides who may do what).

The dialplan's campaigns and scripts reach the handlers as a `CampaignPlans` callable, read for each
request so a reloaded dialplan applies at once; `bind_campaigns` (called by build_api) fixes it, as
recording_routes.bind_services fixes the switch and the QA forms.

What only these routes refuse: a step the lifecycle forbids is 409 with the lifecycle's message;
answers the campaign's script refuses are 422 with `problems`, each refused answer's reason by
question id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints

from dialplans.campaign_vocabulary import CampaignStatus
from http_api.models import ApiModel
from http_api.preview_routes import PREVIEW_HANDLERS
from http_api.routing import ApiError, Context, Handler, Result, Route
from ivr_scripts.campaigns.answers import AnswersRefused
from ivr_scripts.campaigns.lifecycle import TransitionRefused
from schema.campaigns import desk
from schema.campaigns.desk import CallClosing, CampaignPlan
from schema.campaigns.views import CampaignDetail, CampaignSummary, ClosingView, TransitionView

CampaignPlans = Callable[[], CampaignPlan]
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class TransitionIn(ApiModel):
    to: Literal["pilot", "running", "paused", "closed"] = Field(description="The status to move to.")
    reason: str | None = Field(default=None, max_length=500, description="Why, for the transition log.")


class ClosingIn(ApiModel):
    agent_id: str = Field(min_length=1, max_length=64, description="The agent who took the call.")
    disposition: str = Field(
        min_length=1, max_length=64, description="A code of the campaign's dispositions (e.g. sale)."
    )
    answers: dict[QuestionId, str] = Field(
        default_factory=dict,
        max_length=50,
        description="The script's answers by question id, as text (yes_no: yes/no; rating: 1-5).",
    )


def list_campaigns(ctx: Context, plans: CampaignPlans) -> Result:
    return ctx.data(desk.list_campaign_summaries, plans())


def get_campaign(ctx: Context, plans: CampaignPlans) -> Result:
    return ctx.data(desk.campaign_detail, ctx.text("name"), plans())


def move_campaign(ctx: Context, plans: CampaignPlans) -> Result:
    body = ctx.body_as(TransitionIn)
    try:
        return ctx.data(
            desk.move_campaign,
            ctx.text("name"),
            CampaignStatus(body.to),
            reason=body.reason,
            plan=plans(),
            now=ctx.now(),
        )
    except TransitionRefused as exc:
        raise ApiError(409, str(exc)) from exc


def close_call(ctx: Context, plans: CampaignPlans) -> Result:
    body = ctx.body_as(ClosingIn)
    form = CallClosing(body.agent_id, body.disposition, dict(body.answers))
    try:
        return ctx.data(desk.close_call, ctx.text("call_uuid"), form, plan=plans(), now=ctx.now())
    except AnswersRefused as exc:
        raise ApiError(422, f"answers refused: {exc}", problems=exc.problems) from exc


CampaignHandler = Callable[[Context, CampaignPlans], Result]
CAMPAIGN_HANDLERS: Final[Mapping[str, CampaignHandler]] = {
    "listCampaigns": list_campaigns,
    "getCampaign": get_campaign,
    "moveCampaign": move_campaign,
    "closeCampaignCall": close_call,
    **PREVIEW_HANDLERS,
}


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to the dialplan's campaigns (bind_campaigns)")


def bind_campaigns(routes: Sequence[Route], plans: CampaignPlans) -> tuple[Route, ...]:
    """The routes, with the campaign handlers bound to `plans`."""
    return tuple(
        dataclasses.replace(route, handler=_bound(CAMPAIGN_HANDLERS[route.operation_id], plans))
        if route.operation_id in CAMPAIGN_HANDLERS
        else route
        for route in routes
    )


def _bound(handler: CampaignHandler, plans: CampaignPlans) -> Handler:
    return lambda ctx: handler(ctx, plans)


CAMPAIGN_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/campaigns",
        "listCampaigns",
        "Every campaign of the dialplan or the database: status, lists, leads (supervisors and managers)",
        _unbound,
        response=CampaignSummary,
        many=True,
        errors=(403,),
        description="A campaign of the dialplan not used yet is a draft with `since` null; one only the "
        "database knows has `in_dialplan` false.",
    ),
    Route(
        "GET",
        "/api/campaigns/{name}",
        "getCampaign",
        "One campaign with its call lists and its transitions, oldest first (supervisors and managers)",
        _unbound,
        response=CampaignDetail,
        errors=(403,),
    ),
    Route(
        "POST",
        "/api/campaigns/{name}/transitions",
        "moveCampaign",
        "Move a campaign along its lifecycle: pilot, running, paused or closed (managers)",
        _unbound,
        response=TransitionView,
        status=201,
        body=TransitionIn,
        errors=(403, 409),
        description="draft -> pilot -> running <-> paused -> closed; a pilot may be skipped, a paused "
        "campaign may go back to pilot, closed is final. The step is logged with `by` = api:<user>. "
        "409: the lifecycle refuses the step (the message says what is allowed).",
    ),
    Route(
        "POST",
        "/api/campaign-calls/{call_uuid}/closing",
        "closeCampaignCall",
        "Close a campaign call: its disposition and the script's answers (the agent, their supervisor, a "
        "manager)",
        _unbound,
        response=ClosingView,
        status=201,
        body=ClosingIn,
        errors=(403, 422),
        description="The call's attempt is logged when the call ends, so a call is closed after it (404 "
        "before). The answers are checked against the campaign's script: 422 with `problems` by question "
        "id. 422 also for a disposition the campaign does not have, a campaign gone from the dialplan, "
        "or a call closed before. A sale creates a won opportunity, do_not_call puts the number on the "
        "internal do-not-call list, a final disposition finishes the lead.",
    ),
)
