"""The outbound campaigns' tables. Migration 0006 creates them.

`campaigns` holds each campaign's status (the YAML holds everything else); `campaign_transitions`
logs every change of it. A campaign's leads come from its `call_lists`; a lead is one phone number
to call, with the IANA zones it may be in (`time_zones`, a sorted "|"-joined key), its status and
when it is next due. A pending lead always has `next_attempt_at` (the import sets it to the import
time), so "due" is one index range. `leads.campaign` repeats its list's campaign for that index.
`dnc_numbers` are numbers nobody may call (internal opt-outs and the national register);
`campaign_exclusions` are numbers one campaign may not call. `campaign_attempts` logs every dial;
`campaign_answers` (migration 0007) holds the script answers given on an attempt; `campaign_previews`
(migration 0009) the leads agents of preview campaigns are looking at. A lead's
`pilot_bucket` (migration 0008) is its place in its campaign's pilot draw (ivr_scripts.campaigns.pilot),
stored so that a pilot's claim takes its sample in SQL; an insert through SQLAlchemy fills it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus
from ivr_scripts.campaigns.pilot import pilot_bucket
from schema.calls.models import Base, BigId

LEAD_STATUSES: Final = ("pending", "done", "blocked")
DNC_SOURCES: Final = ("internal", "national")
CAMPAIGN_STATUSES: Final = tuple(status.value for status in CampaignStatus)
OUTCOMES: Final = tuple(outcome.value for outcome in AttemptOutcome)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(f"status IN ({_in(CAMPAIGN_STATUSES)})", name="status"),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class CampaignTransition(Base):
    __tablename__ = "campaign_transitions"
    __table_args__ = (Index("ix_campaign_transitions_campaign_at", "campaign", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), ForeignKey("campaigns.name", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None]


class CallList(Base):
    __tablename__ = "call_lists"
    __table_args__ = (Index("ix_call_lists_campaign", "campaign"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    campaign: Mapped[str] = mapped_column(String(64), ForeignKey("campaigns.name", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime]
    source_file: Mapped[str] = mapped_column(String(1024))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    leads_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_excluded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)


def _pilot_bucket_of_row(context: DefaultExecutionContext) -> int:
    row: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return pilot_bucket(row["campaign"], row["phone_e164"])


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("list_id", "phone_e164"),
        CheckConstraint(f"status IN ({_in(LEAD_STATUSES)})", name="status"),
        CheckConstraint("status <> 'pending' OR next_attempt_at IS NOT NULL", name="pending_is_scheduled"),
        Index("ix_leads_campaign_status_next_attempt_at_id", "campaign", "status", "next_attempt_at", "id"),
        Index("ix_leads_campaign_phone_e164", "campaign", "phone_e164"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(BigId, ForeignKey("call_lists.id", ondelete="CASCADE"))
    campaign: Mapped[str] = mapped_column(String(64))
    phone_e164: Mapped[str] = mapped_column(String(16))
    time_zones: Mapped[str] = mapped_column(String())
    region: Mapped[str | None] = mapped_column(String(2))
    external_id: Mapped[str | None] = mapped_column(String(128))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    pilot_bucket: Mapped[int | None] = mapped_column(SmallInteger, default=_pilot_bucket_of_row)


class DncNumber(Base):
    """A number on a do-not-call list; the same number may be on both (one row per source)."""

    __tablename__ = "dnc_numbers"
    __table_args__ = (CheckConstraint(f"source IN ({_in(DNC_SOURCES)})", name="source"),)

    phone_e164: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    added_at: Mapped[dt.datetime]
    reason: Mapped[str | None]


class CampaignExclusion(Base):
    __tablename__ = "campaign_exclusions"

    campaign: Mapped[str] = mapped_column(
        String(64), ForeignKey("campaigns.name", ondelete="CASCADE"), primary_key=True
    )
    phone_e164: Mapped[str] = mapped_column(String(16), primary_key=True)
    added_at: Mapped[dt.datetime]


class CampaignAttempt(Base):
    """One dial attempt, queue_log style: written when it ends, read for reports and the pacer."""

    __tablename__ = "campaign_attempts"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_in(OUTCOMES)})", name="outcome"),
        Index("ix_campaign_attempts_campaign_started_at", "campaign", "started_at"),
        Index("ix_campaign_attempts_lead_id", "lead_id"),
        # The uk's 72 h after an abandoned call: a number's drops, whichever campaign (migration 0009).
        Index(
            "ix_campaign_attempts_dropped_phone",
            "phone_e164",
            "ended_at",
            postgresql_where=text("outcome = 'dropped'"),
            sqlite_where=text("outcome = 'dropped'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int | None] = mapped_column(BigId)
    list_id: Mapped[int | None] = mapped_column(BigId)
    phone_e164: Mapped[str] = mapped_column(String(16))
    attempt_no: Mapped[int] = mapped_column(Integer)
    call_uuid: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    """When the call-progress decision came (migration 0009; empty before it and for calls not decided)."""
    outcome: Mapped[str] = mapped_column(String(16))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    amd_result: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(64))
    wait_for_agent_ms: Mapped[int | None] = mapped_column(Integer)


class CampaignAnswer(Base):
    """One answer to a campaign script's question, given on one attempt (migration 0007)."""

    __tablename__ = "campaign_answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question"),
        Index("ix_campaign_answers_campaign_question", "campaign", "question"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaign_attempts.id", ondelete="CASCADE"))
    campaign: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str]
    agent_id: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[dt.datetime]


PREVIEW_STATES: Final = ("previewing", "dial_requested", "dialling")


class CampaignPreview(Base):
    """A lead an agent of a preview campaign is looking at (migration 0009): one per agent, one per lead.

    `token` is the call the agent is reserved with and, once dialled, their phone leg's UUID;
    `call_uuid` the customer's leg, chosen up front so the agent's screen knows the call it closes. The row
    goes when the preview ends (skipped, released, or its call logged)."""

    __tablename__ = "campaign_previews"
    __table_args__ = (CheckConstraint(f"state IN ({_in(PREVIEW_STATES)})", name="state"),)

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(36), unique=True)
    call_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    campaign: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    dial_requested_at: Mapped[dt.datetime | None]
    dialled_by: Mapped[str | None] = mapped_column(String(64))
