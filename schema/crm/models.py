"""The CRM tables: customers and their phone numbers, keypad keys, tickets, notes and opportunities;
caller screening rules; survey answers; the API's users and tokens. Migration 0003 creates them.

Phone numbers are stored in E.164 (`+441632960001`), normalised with `phonenumbers` and the
dialplan's default region; one number belongs to one customer (UNIQUE), so a caller ID names at
most one customer. `customer_keys` holds what callers can key in for self-service: the account
number and the keypad fields (a licence plate "AB12 CDE" is stored as the digits a phone keypad
gives for it, "2212233").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.calls.models import Base, BigId

TICKET_STATUSES: Final = ("open", "pending", "closed")
OPPORTUNITY_STAGES: Final = ("new", "contacted", "won", "lost")
RULE_KINDS: Final = ("block", "vip")
RULE_SOURCES: Final = ("yaml", "db")
ROLES: Final = ("agent", "supervisor", "manager")
SCREENINGS: Final = ("blocked", "vip", "known", "unknown")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_owner_agent_id", "owner_agent_id"),
        Index("ix_customers_department", "department"),
        Index("ix_customers_name", "name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str]
    account_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    tier: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    owner_agent_id: Mapped[str | None] = mapped_column(String(64))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class PhoneNumber(Base):
    __tablename__ = "phone_numbers"
    __table_args__ = (Index("ix_phone_numbers_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(16), unique=True)
    label: Mapped[str | None] = mapped_column(String(32))


class CustomerKey(Base):
    """What a caller can key in to be found: kind `account` or a keypad field, as keypad digits."""

    __tablename__ = "customer_keys"
    __table_args__ = (
        UniqueConstraint("kind", "keypad", "customer_id"),
        Index("ix_customer_keys_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    keypad: Mapped[str] = mapped_column(String(64))


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(TICKET_STATUSES)})", name="status"),
        Index("ix_tickets_customer_id_status", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    call_uuid: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_customer_id_created_at", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    call_uuid: Mapped[str | None] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str]
    created_at: Mapped[dt.datetime]


class Opportunity(Base):
    """A sales opportunity; campaigns (F12-F15) fill these later."""

    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(f"stage IN ({_in(OPPORTUNITY_STAGES)})", name="stage"),
        Index("ix_opportunities_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str]
    stage: Mapped[str] = mapped_column(String(16))
    value_cents: Mapped[int | None] = mapped_column(Integer)
    campaign: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ScreeningRule(Base):
    """A blacklisted or VIP number (`is_prefix`: every number starting with `pattern`), E.164."""

    __tablename__ = "screening_rules"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(RULE_KINDS)})", name="kind"),
        CheckConstraint(f"source IN ({_in(RULE_SOURCES)})", name="source"),
        UniqueConstraint("kind", "pattern", "is_prefix"),
        Index("ix_screening_rules_pattern", "pattern"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    pattern: Mapped[str] = mapped_column(String(16))
    is_prefix: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None]
    source: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("call_uuid", "question"),
        Index("ix_survey_responses_agent_id_answered_at", "agent_id", "answered_at"),
        Index("ix_survey_responses_queue_answered_at", "queue", "answered_at"),
        Index("ix_survey_responses_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36))
    survey: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[dt.datetime]


class CrmUser(Base):
    """Someone who reads the CRM: an agent (their customers), a supervisor (a department), a manager."""

    __tablename__ = "crm_users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_in(ROLES)})", name="role"),
        CheckConstraint("role <> 'agent' OR agent_id IS NOT NULL", name="agent_has_id"),
        CheckConstraint("role <> 'supervisor' OR department IS NOT NULL", name="supervisor_has_department"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    extension: Mapped[str | None] = mapped_column(String(32))  # their own phone: supervision rings only it
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class ApiToken(Base):
    """An API token, stored as its SHA-256 only: the token itself is shown once, when issued."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("crm_users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A browser's sign-in (POST /api/session): the cookie's SHA-256 only, tied to the token it was made
    from, so revoking the token or disabling its user ends the session too. Migration 0015 creates it."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_token_id", "token_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_tokens.id", ondelete="CASCADE"))
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]


class CallDisposition(Base):
    """How an agent closed a call at the desk: one code of the dialplan's `desktop.dispositions`, and a
    note. One per call: setting it again replaces it. Migration 0015 creates it."""

    __tablename__ = "call_dispositions"
    __table_args__ = (
        Index("ix_call_dispositions_agent_id_set_at", "agent_id", "set_at"),
        Index("ix_call_dispositions_set_at", "set_at"),
    )

    call_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None]
    set_at: Mapped[dt.datetime]
    set_by: Mapped[str] = mapped_column(String(64))
