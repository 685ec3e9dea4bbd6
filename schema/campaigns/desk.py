"""Campaigns as the HTTP API sees them: who asks decides what they may read, move and close.

- reading campaigns (status, lists, transitions): supervisors and managers; agents are refused;
- moving a campaign along its lifecycle: managers only (it starts or stops dialling for everyone),
  logged with `by` = "api:<user>";
- closing a campaign call: its agent, their department's supervisor, or a manager, for an agent they
  may act for. A call the viewer may not see is not found, as in the CRM.

A campaign exists for the API when the dialplan names it or the database knows it (one of the
dialplan's not used yet is a draft with no `since`). The dialplan's campaigns and scripts come in as a
`CampaignPlan`, read afresh for each request so a reload applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, String, literal, select

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.models import Dialplan
from dialplans.script_models import Script
from ivr_scripts.campaigns.answers import AnswersRefused, check_answers
from schema.campaigns.attempts import ATTEMPTS
from schema.campaigns.closing import Closing, close_attempt
from schema.campaigns.lists import campaign_lists
from schema.campaigns.status import CampaignRow, get_campaign, list_campaigns, transition, transitions
from schema.campaigns.views import (
    CallListView,
    CampaignDetail,
    CampaignSummary,
    ClosingView,
    TransitionView,
)
from schema.crm.access import agent_work_visible
from schema.db import read_connection
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.viewer import Viewer


@dataclass(frozen=True)
class CampaignPlan:
    """The dialplan's campaigns and scripts, by name, and each campaign's member agents."""

    campaigns: Mapping[str, Campaign] = field(default_factory=dict)
    scripts: Mapping[str, Script] = field(default_factory=dict)
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Its `agents` and its queue's (who take its calls)."""

    @classmethod
    def of(cls, dialplan: Dialplan) -> CampaignPlan:
        members = {}
        for name, campaign in dialplan.campaigns.items():
            agents = set(campaign.agents)
            if campaign.queue is not None and campaign.queue in dialplan.queues:
                agents.update(tier.agent for tier in dialplan.queues[campaign.queue].tiers)
            members[name] = frozenset(agents)
        return cls(dialplan.campaigns, dialplan.scripts, members)


@dataclass(frozen=True)
class CallClosing:
    """What the agent's closing form sends."""

    agent_id: str
    disposition: str
    answers: Mapping[str, str]


def list_campaign_summaries(engine: Engine, viewer: Viewer, plan: CampaignPlan) -> list[CampaignSummary]:
    _check_may_read(viewer)
    stored = {row.name: row for row in list_campaigns(engine)}
    names = sorted(set(stored) | set(plan.campaigns))
    return [_summary(engine, name, stored.get(name), plan) for name in names]


def campaign_detail(engine: Engine, viewer: Viewer, name: str, plan: CampaignPlan) -> CampaignDetail:
    _check_may_read(viewer)
    row = get_campaign(engine, name)
    if row is None and name not in plan.campaigns:
        raise NotFound(f"no campaign {name!r} in the dialplan or the database")
    lists = [
        CallListView(
            name=listed.name,
            source_file=listed.source_file,
            leads_added=listed.leads_added,
            rows_duplicate=listed.rows_duplicate,
            rows_excluded=listed.rows_excluded,
            rows_rejected=listed.rows_rejected,
            created_at=listed.created_at,
        )
        for listed in campaign_lists(engine, name)
    ]
    steps = [
        TransitionView(
            from_status=step.from_status, to_status=step.to_status, at=step.at, by=step.by, reason=step.reason
        )
        for step in transitions(engine, name)
    ]
    summary = _summary(engine, name, row, plan)
    return CampaignDetail(**summary.model_dump(), lists=lists, transitions=steps)


def move_campaign(
    engine: Engine,
    viewer: Viewer,
    name: str,
    target: CampaignStatus,
    *,
    reason: str | None,
    plan: CampaignPlan,
    now: dt.datetime,
) -> TransitionView:
    """The lifecycle step, logged as the viewer's (`TransitionRefused` if the lifecycle forbids it)."""
    if not viewer.sees_everything:
        raise PermissionDenied(
            f"{viewer.user} ({viewer.role}) may not start or stop campaigns: managers only"
        )
    if name not in plan.campaigns and get_campaign(engine, name) is None:
        raise NotFound(f"no campaign {name!r} in the dialplan or the database")
    step = transition(engine, name, target, by=f"api:{viewer.user}", reason=reason, now=now)
    return TransitionView(
        from_status=step.from_status, to_status=step.to_status, at=step.at, by=step.by, reason=step.reason
    )


def close_call(
    engine: Engine, viewer: Viewer, call_uuid: str, form: CallClosing, *, plan: CampaignPlan, now: dt.datetime
) -> ClosingView:
    """Close the campaign call's attempt with the form's disposition and answers (`AnswersRefused`
    naming every bad answer; RecordRejected for an unknown disposition or an attempt closed before)."""
    attempt = _visible_attempt(engine, viewer, call_uuid, form.agent_id)
    campaign = plan.campaigns.get(attempt.campaign)
    if campaign is None:
        raise RecordRejected(
            f"campaign {attempt.campaign!r} is no longer in the dialplan: its calls cannot be closed"
        )
    rule = campaign.dispositions.get(form.disposition)
    if rule is None:
        known = ", ".join(sorted(campaign.dispositions))
        raise RecordRejected(
            f"{form.disposition!r} is not a disposition of campaign {attempt.campaign!r} "
            f"(its dispositions: {known})"
        )
    answers = _checked_answers(campaign, plan, form.answers)
    closed = close_attempt(
        engine, Closing(int(attempt.id), form.disposition, rule, answers, form.agent_id, now)
    )
    return ClosingView(
        attempt_id=int(attempt.id),
        campaign=attempt.campaign,
        agent_id=attempt.agent_id or form.agent_id,
        disposition=form.disposition,
        answers=answers,
        opportunity_id=closed.opportunity_id,
        customer_id=closed.customer_id,
        added_to_dnc=closed.added_to_dnc,
        lead_finished=closed.lead_done,
    )


def _check_may_read(viewer: Viewer) -> None:
    if viewer.role == "agent":
        raise PermissionDenied(f"{viewer.user} (agent) may not read campaigns: supervisors and managers")


def _summary(engine: Engine, name: str, row: CampaignRow | None, plan: CampaignPlan) -> CampaignSummary:
    lists = campaign_lists(engine, name) if row is not None else []
    return CampaignSummary(
        name=name,
        status=row.status if row is not None else CampaignStatus.DRAFT,
        since=row.updated_at if row is not None else None,
        in_dialplan=name in plan.campaigns,
        list_count=len(lists),
        lead_count=sum(listed.leads_added for listed in lists),
    )


def _visible_attempt(engine: Engine, viewer: Viewer, call_uuid: str, agent_id: str) -> Any:
    """The call's latest attempt if the viewer may see it and act for `agent_id` (NotFound /
    PermissionDenied otherwise)."""
    query = (
        select(ATTEMPTS)
        .where(ATTEMPTS.c.call_uuid == call_uuid, agent_work_visible(viewer, ATTEMPTS.c.agent_id))
        .order_by(ATTEMPTS.c.id.desc())
        .limit(1)
    )
    acts_for = select(agent_work_visible(viewer, literal(agent_id, String)))
    with read_connection(engine, f"reading campaign call {call_uuid}") as connection:
        attempt = connection.execute(query).first()
        may_act = bool(connection.execute(acts_for).scalar())
    if attempt is None:
        raise NotFound(f"no campaign call {call_uuid} (its attempt is logged once the call has ended)")
    if not may_act:
        raise PermissionDenied(f"{viewer.user} ({viewer.role}) may not close calls for agent {agent_id}")
    return attempt


def _checked_answers(campaign: Campaign, plan: CampaignPlan, answers: Mapping[str, str]) -> dict[str, str]:
    script = plan.scripts.get(campaign.script) if campaign.script is not None else None
    if script is None:
        if answers:
            raise AnswersRefused(dict.fromkeys(answers, "this campaign has no script"))
        return {}
    return check_answers(script, answers)
