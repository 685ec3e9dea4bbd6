"""What the campaign data layer hands the HTTP API: immutable pydantic views, served as JSON as they are."""

from __future__ import annotations

import datetime as dt

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
