"""outbound campaigns: campaigns, their transitions, call lists, leads, do-not-call numbers, attempts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.campaigns.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATUSES = "'draft', 'pilot', 'running', 'paused', 'closed'"
_OUTCOMES = "'human', 'machine', 'fax', 'busy', 'no_answer', 'unreachable', 'dropped', 'blocked'"


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign"], ["campaigns.name"], name=op.f(f"fk_{table}_campaign_campaigns"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_campaigns")),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_campaigns_status")),
    )
    op.create_table(
        "campaign_transitions",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_transitions")),
        _campaign_fk("campaign_transitions"),
    )
    op.create_index(op.f("ix_campaign_transitions_campaign_at"), "campaign_transitions", ["campaign", "at"])
    _create_lists_and_leads()
    _create_dnc()
    _create_attempts()


def _create_lists_and_leads() -> None:
    op.create_table(
        "call_lists",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.Column("source_file", sa.String(1024), nullable=False),
        *(
            sa.Column(count, sa.Integer(), nullable=False)
            for count in ("rows_read", "leads_added", "rows_duplicate", "rows_excluded", "rows_rejected")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_call_lists_name")),
        _campaign_fk("call_lists"),
    )
    op.create_index(op.f("ix_call_lists_campaign"), "call_lists", ["campaign"])
    op.create_table(
        "leads",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("list_id", _BIG_ID, nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("phone_e164", sa.String(16), nullable=False),
        sa.Column("time_zones", sa.String(), nullable=False),
        sa.Column("region", sa.String(2), nullable=True),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("customer_id", _BIG_ID, nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at"),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("list_id", "phone_e164", name=op.f("uq_leads_list_id_phone_e164")),
        sa.ForeignKeyConstraint(
            ["list_id"], ["call_lists.id"], name=op.f("fk_leads_list_id_call_lists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_leads_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("status IN ('pending', 'done', 'blocked')", name=op.f("ck_leads_status")),
        sa.CheckConstraint(
            "status <> 'pending' OR next_attempt_at IS NOT NULL", name=op.f("ck_leads_pending_is_scheduled")
        ),
    )
    op.create_index(
        op.f("ix_leads_campaign_status_next_attempt_at_id"),
        "leads",
        ["campaign", "status", "next_attempt_at", "id"],
    )
    op.create_index(op.f("ix_leads_campaign_phone_e164"), "leads", ["campaign", "phone_e164"])


def _create_dnc() -> None:
    op.create_table(
        "dnc_numbers",
        sa.Column("phone_e164", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _timestamp("added_at", nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("phone_e164", "source", name=op.f("pk_dnc_numbers")),
        sa.CheckConstraint("source IN ('internal', 'national')", name=op.f("ck_dnc_numbers_source")),
    )
    op.create_table(
        "campaign_exclusions",
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("phone_e164", sa.String(16), nullable=False),
        _timestamp("added_at", nullable=False),
        sa.PrimaryKeyConstraint("campaign", "phone_e164", name=op.f("pk_campaign_exclusions")),
        _campaign_fk("campaign_exclusions"),
    )


def _create_attempts() -> None:
    op.create_table(
        "campaign_attempts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("lead_id", _BIG_ID, nullable=True),
        sa.Column("list_id", _BIG_ID, nullable=True),
        sa.Column("phone_e164", sa.String(16), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=True),
        _timestamp("started_at", nullable=False),
        _timestamp("answered_at"),
        _timestamp("ended_at"),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("hangup_cause", sa.String(64), nullable=True),
        sa.Column("amd_result", sa.String(32), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(64), nullable=True),
        sa.Column("wait_for_agent_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")),
        sa.CheckConstraint(f"outcome IN ({_OUTCOMES})", name=op.f("ck_campaign_attempts_outcome")),
    )
    op.create_index(
        op.f("ix_campaign_attempts_campaign_started_at"), "campaign_attempts", ["campaign", "started_at"]
    )
    op.create_index(op.f("ix_campaign_attempts_lead_id"), "campaign_attempts", ["lead_id"])


def downgrade() -> None:
    for table in (
        "campaign_attempts",
        "campaign_exclusions",
        "dnc_numbers",
        "leads",
        "call_lists",
        "campaign_transitions",
        "campaigns",
    ):
        op.drop_table(table)
