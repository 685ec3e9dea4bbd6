"""What the campaign data layer hands the HTTP API: immutable pydantic views, served as JSON as they are."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from dialplans.campaign_vocabulary import CampaignStatus
from schema.crm.views import View


class CampaignSummary(View):
    """A campaign as `callcenter campaign status` lists it."""

    name: str
    status: CampaignStatus
    since: dt.datetime | None = Field(
        description="When it took this status; null for a campaign of the dialplan not used yet (draft)."
    )
    in_dialplan: bool = Field(description="false: only the database knows it (removed from the dialplan).")
    list_count: int = Field(description="Call lists imported into it.")
    lead_count: int = Field(description="Leads its lists added.")


class CallListView(View):
    name: str
    source_file: str
    leads_added: int
    rows_duplicate: int
    rows_excluded: int
    rows_rejected: int
    created_at: dt.datetime


class TransitionView(View):
    from_status: CampaignStatus
    to_status: CampaignStatus
    at: dt.datetime
    by: str = Field(description='Who moved it: "cli@<host>", or "api:<user>" through this API.')
    reason: str | None = None


class CampaignDetail(CampaignSummary):
    lists: list[CallListView]
    transitions: list[TransitionView] = Field(description="Oldest first.")


class ClosingView(View):
    """A campaign call closed, and what its disposition set off."""

    attempt_id: int
    campaign: str
    agent_id: str | None
    disposition: str
    answers: dict[str, str] = Field(description="As stored: yes_no as yes/no, numbers as plain decimals.")
    opportunity_id: int | None = Field(description="The won opportunity a sale created.")
    customer_id: int | None = Field(description="The sale's customer (found by the number, or created).")
    added_to_dnc: bool = Field(description="The number went on the internal do-not-call list.")
    lead_finished: bool = Field(description="The lead is done; false: the retry rules call it again.")


class PreviousAttempt(View):
    attempt_no: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str = Field(description="human, busy, no_answer, machine, dropped, blocked, ...")
    agent_id: str | None
    disposition: str | None


class ScriptQuestionView(View):
    id: str
    text: str
    kind: str
    choices: list[str]
    required: bool


class ScriptView(View):
    name: str
    intro: str | None
    questions: list[ScriptQuestionView]


class PreviewLead(View):
    id: int
    phone: str = Field(description="E.164.")
    name: str | None = Field(description="The list row's `name` column, if it had one.")
    external_id: str | None
    customer_id: int | None
    fields: dict[str, Any] = Field(description="The list row's other columns, as imported.")
    attempts: int = Field(description="Calls made to it so far.")
    time_zones: str


class PreviewView(View):
    """The record an agent of a preview campaign is looking at, and where the preview stands."""

    campaign: str
    agent_id: str
    state: str = Field(description="previewing, dial_requested (the dialer dials within a second), dialling.")
    call_uuid: str = Field(description="The customer's call once dialled: close it with this UUID.")
    claimed_at: dt.datetime
    expires_at: dt.datetime = Field(
        description="Released if still previewing then (the campaign's preview_seconds)."
    )
    lead: PreviewLead
    previous_attempts: list[PreviousAttempt] = Field(description="Oldest first.")
    script: ScriptView | None = Field(description="The campaign's script, if it names one.")
