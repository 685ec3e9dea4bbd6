"""What the CRM data layer returns: immutable pydantic views, the same shapes the HTTP API serves as JSON
(their JSON Schemas are the OpenAPI document's components)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TicketStatus = Literal["open", "pending", "closed"]
Screening = Literal["blocked", "vip", "known", "unknown"]


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PhoneNumberView(View):
    e164: str = Field(description="E.164, e.g. +441632960001.")
    label: str | None = None


class CustomerSummary(View):
    id: int
    name: str
    account_number: str | None = None
    tier: str | None = None
    department: str | None = None
    owner_agent_id: str | None = None


class CustomerView(CustomerSummary):
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    phone_numbers: list[PhoneNumberView] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime


class CallSummary(View):
    """One call as a list shows it: when, which queue, which agent, how it ended."""

    uuid: str
    started_at: dt.datetime | None = None
    caller_number: str | None = None
    did: str | None = None
    queue: str | None = None
    agent_id: str | None = Field(default=None, description="The agent who answered (queue log CONNECT).")
    outcome: str | None = None
    duration_s: float | None = None
    customer_id: int | None = None
    screening: Screening | None = None


class TicketView(View):
    id: int
    customer_id: int
    call_uuid: str | None = None
    subject: str
    status: TicketStatus
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class NoteView(View):
    id: int
    customer_id: int
    call_uuid: str | None = None
    author: str
    body: str
    created_at: dt.datetime


class ScreenPop(View):
    """What the agent sees when a call is offered: the customer (None when the caller is unknown), their
    last 10 calls and open tickets, and the one-line name set on plain SIP phones."""

    call_uuid: str
    caller_number: str | None = None
    known: bool
    display_name: str = Field(description='Caller name for SIP phones, e.g. "Jane Doe (gold)".')
    customer: CustomerView | None = None
    recent_calls: list[CallSummary] = Field(default_factory=list, description="Newest first, at most 10.")
    open_tickets: list[TicketView] = Field(default_factory=list)
    queue: str | None = None
    screening: Screening | None = None


class ScreeningRuleView(View):
    id: int
    kind: Literal["block", "vip"]
    pattern: str
    is_prefix: bool
    reason: str | None = None
    source: Literal["yaml", "db"]
    created_by: str
    created_at: dt.datetime


class CallerMatch(View):
    """The caller-ID lookup at call start (the server's SYSTEM view): the number in E.164, the customer
    it matched, and the screening rules that apply to it."""

    e164: str | None = Field(description="None when the caller ID is withheld or not a phone number.")
    customer: CustomerSummary | None = None
    blocked: ScreeningRuleView | None = None
    vip_listed: bool = False


class SurveyAverage(View):
    agent_id: str | None = None
    queue: str | None = None
    question: str
    answers: int
    average: float
