"""Preview dialling for agents' screens and the CLI: the next record, dial it, or skip it.

- `next_preview`: an available member agent of a preview campaign in pilot or running is reserved (the
  ACD's atomic reservation, so no inbound call is offered while they read), then one due lead is claimed
  for them by the dialer's rules (calling window in the lead's zones, pilot sample, oldest due first); a
  number now on a do-not-call list is logged `blocked` and the next one taken. No lead due: the
  reservation is cancelled and the answer is None.
- `dial_preview`: the dialer (esl_handlers.preview_calls) places the call at its next tick.
- `skip_preview`: the lead is due again at once, no attempt counted (nobody was called), and the agent
  is available again; it also withdraws a dial the dialer has not taken yet (within its next second). A
  preview left untouched for the campaign's `preview_seconds` is released the same way by the dialer
  (`release_expired`).

Who: an agent acts for themselves, a supervisor for their department's agents, a manager for anyone (the
same rule as closing a campaign call); anyone else's preview is not found.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus, DialMode
from dialplans.script_models import Script
from ivr_scripts.agent_service import AgentService
from ivr_scripts.campaigns.dialing import DialingRules
from ivr_scripts.campaigns.lifecycle import DIALLING
from schema.acd.agent_desk import check_acts_for
from schema.acd.agents import reserve_agent
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns import previews
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import distinct_zone_keys, get_lead
from schema.campaigns.previews import Preview, PreviewRefused
from schema.campaigns.status import get_campaign
from schema.campaigns.views import (
    PreviewLead,
    PreviewView,
    PreviousAttempt,
    ScriptQuestionView,
    ScriptView,
)
from schema.errors import NotFound
from schema.viewer import Viewer

LEASE: Final = dt.timedelta(hours=24)
_BLOCKED_IN_A_ROW: Final = 20


def next_preview(
    engine: Engine,
    viewer: Viewer,
    name: str,
    agent_id: str,
    plan: CampaignPlan,
    *,
    server: str,
    now: dt.datetime,
) -> PreviewView | None:
    """The agent's next record, reserved for them (PreviewRefused: not a preview campaign, not dialling,
    not a member, not available, or a preview open already); None: no lead is due now."""
    check_acts_for(engine, viewer, agent_id, doing="preview")
    campaign = _preview_campaign(engine, name, agent_id, plan)
    if previews.get_preview(engine, agent_id) is not None:
        raise PreviewRefused(f"agent {agent_id} has a preview open already: dial or skip it first")
    token = str(uuid.uuid4())
    if reserve_agent(engine, token, [agent_id], server, now) != agent_id:
        raise PreviewRefused(f"agent {agent_id} is not available (logged out, on break, or on a call)")
    rules = DialingRules.from_campaign(name, campaign)
    found = get_campaign(engine, name)
    pilot = campaign.pilot.percent if found is not None and found.status is CampaignStatus.PILOT else None
    for _ in range(_BLOCKED_IN_A_ROW):
        keys = rules.open_keys(distinct_zone_keys(engine, name), now)
        lead = previews.claim_preview_lead(
            engine,
            name,
            agent_id,
            token=token,
            call_uuid=str(uuid.uuid4()),
            open_zone_keys=keys,
            now=now,
            expires_at=now + dt.timedelta(seconds=campaign.preview_seconds),
            lease_until=now + LEASE,
            pilot_percent=pilot,
        )
        if lead is None:
            break
        preview = previews.get_preview(engine, agent_id)
        if preview is not None and is_blocked(engine, name, lead.phone_e164) is not None:
            previews.drop_blocked(engine, preview, lead.phone_e164, now)
            continue
        return preview_view(engine, viewer, agent_id, plan)
    _cancel_reservation(engine, agent_id, token, server, now)
    return None


def current_preview(engine: Engine, viewer: Viewer, agent_id: str, plan: CampaignPlan) -> PreviewView:
    check_acts_for(engine, viewer, agent_id, doing="preview")
    return preview_view(engine, viewer, agent_id, plan)


def dial_preview(
    engine: Engine, viewer: Viewer, agent_id: str, plan: CampaignPlan, *, now: dt.datetime
) -> PreviewView:
    """Ask the dialer to dial the agent's preview (PreviewRefused if asked already)."""
    check_acts_for(engine, viewer, agent_id, doing="preview")
    previews.request_dial(engine, agent_id, now)
    return preview_view(engine, viewer, agent_id, plan)


def skip_preview(engine: Engine, viewer: Viewer, agent_id: str, *, server: str, now: dt.datetime) -> Preview:
    """Let the record go undialled, or withdraw a dial no dialer has taken yet (PreviewRefused once one
    has); the agent is available again."""
    check_acts_for(engine, viewer, agent_id, doing="preview")
    released = previews.release_preview(engine, agent_id, now, withdraw_dial=True)
    _cancel_reservation(engine, agent_id, released.token, server, now)
    return released


def release_expired(engine: Engine, *, server: str, now: dt.datetime) -> list[Preview]:
    """Release every preview untouched past its `expires_at`; the ones released."""
    released = []
    for stale in previews.expired_previews(engine, now):
        try:
            previews.release_preview(engine, stale.agent_id, now, token=stale.token)
        except (NotFound, PreviewRefused):
            continue  # dialled or skipped meanwhile
        _cancel_reservation(engine, stale.agent_id, stale.token, server, now)
        released.append(stale)
    return released


def preview_view(engine: Engine, viewer: Viewer, agent_id: str, plan: CampaignPlan) -> PreviewView:
    preview = previews.get_preview(engine, agent_id)
    if preview is None:
        raise NotFound(f"agent {agent_id} has no preview")
    lead = get_lead(engine, preview.lead_id)
    campaign = plan.campaigns.get(preview.campaign)
    script_name = campaign.script if campaign is not None else None
    script = plan.scripts.get(script_name) if script_name is not None else None
    name = lead.fields.get("name")
    return PreviewView(
        campaign=preview.campaign,
        agent_id=agent_id,
        state=preview.state,
        call_uuid=preview.call_uuid,
        claimed_at=preview.claimed_at,
        expires_at=preview.expires_at,
        lead=PreviewLead(
            id=lead.id,
            phone=lead.phone_e164,
            name=name if isinstance(name, str) else None,
            external_id=lead.external_id,
            customer_id=lead.customer_id,
            fields=dict(lead.fields),
            attempts=lead.attempts,
            time_zones=lead.time_zones,
        ),
        previous_attempts=[
            PreviousAttempt(
                attempt_no=a.attempt_no,
                started_at=a.started_at,
                ended_at=a.ended_at,
                outcome=a.outcome.value,
                agent_id=a.agent_id,
                disposition=a.disposition,
            )
            for a in previews.lead_attempts(engine, lead.id)
        ],
        script=None if script is None or script_name is None else _script_view(script_name, script),
    )


def _script_view(name: str, script: Script) -> ScriptView:
    questions = [
        ScriptQuestionView(id=q.id, text=q.text, kind=q.kind, choices=list(q.choices), required=q.required)
        for q in script.questions
    ]
    return ScriptView(name=name, intro=script.intro, questions=questions)


def _preview_campaign(engine: Engine, name: str, agent_id: str, plan: CampaignPlan) -> Campaign:
    campaign = plan.campaigns.get(name)
    if campaign is None:
        raise NotFound(f"no campaign {name!r} in the dialplan")
    if campaign.dial_mode is not DialMode.PREVIEW:
        raise PreviewRefused(f"campaign {name!r} dials {campaign.dial_mode}, not preview: agents do not pick")
    found = get_campaign(engine, name)
    if found is None or found.status not in DIALLING:
        status = "draft" if found is None else found.status
        raise PreviewRefused(f"campaign {name!r} is {status}: records are shown in pilot or running only")
    if agent_id not in plan.members.get(name, frozenset()):
        raise PreviewRefused(f"agent {agent_id} is not an agent of campaign {name!r}")
    return campaign


def _cancel_reservation(engine: Engine, agent_id: str, token: str, server: str, now: dt.datetime) -> None:
    AgentService(SqlAgentStore(engine, server), None, lambda: now).reservation_cancelled(
        agent_id, token, at=now
    )
