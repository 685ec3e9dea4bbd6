"""CRM: customers, phone numbers, keypad keys, tickets, notes, opportunities, screening rules, survey
answers, API users and tokens; calls linked to the customer their caller ID matched

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.crm.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column[int]:
    return sa.Column("id", _BIG_ID, nullable=False)


def _customer_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "customers",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("account_number", sa.String(64), nullable=True),
        sa.Column("tier", sa.String(64), nullable=True),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("owner_agent_id", sa.String(64), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("account_number", name=op.f("uq_customers_account_number")),
    )
    op.create_index(op.f("ix_customers_owner_agent_id"), "customers", ["owner_agent_id"])
    op.create_index(op.f("ix_customers_department"), "customers", ["department"])
    op.create_index(op.f("ix_customers_name"), "customers", ["name"])

    op.create_table(
        "phone_numbers",
        _id(),
        sa.Column("customer_id", _BIG_ID, nullable=False),
        sa.Column("e164", sa.String(16), nullable=False),
        sa.Column("label", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_numbers")),
        _customer_fk("phone_numbers"),
        sa.UniqueConstraint("e164", name=op.f("uq_phone_numbers_e164")),
    )
    op.create_index(op.f("ix_phone_numbers_customer_id"), "phone_numbers", ["customer_id"])

    op.create_table(
        "customer_keys",
        _id(),
        sa.Column("customer_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("keypad", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_keys")),
        _customer_fk("customer_keys"),
        sa.UniqueConstraint(
            "kind", "keypad", "customer_id", name=op.f("uq_customer_keys_kind_keypad_customer_id")
        ),
    )
    op.create_index(op.f("ix_customer_keys_customer_id"), "customer_keys", ["customer_id"])

    op.create_table(
        "tickets",
        _id(),
        sa.Column("customer_id", _BIG_ID, nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        _customer_fk("tickets"),
        sa.CheckConstraint("status IN ('open', 'pending', 'closed')", name=op.f("ck_tickets_status")),
    )
    op.create_index(op.f("ix_tickets_customer_id_status"), "tickets", ["customer_id", "status"])

    op.create_table(
        "notes",
        _id(),
        sa.Column("customer_id", _BIG_ID, nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        _customer_fk("notes"),
    )
    op.create_index(op.f("ix_notes_customer_id_created_at"), "notes", ["customer_id", "created_at"])

    op.create_table(
        "opportunities",
        _id(),
        sa.Column("customer_id", _BIG_ID, nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("value_cents", sa.Integer(), nullable=True),
        sa.Column("campaign", sa.String(64), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        _customer_fk("opportunities"),
        sa.CheckConstraint(
            "stage IN ('new', 'contacted', 'won', 'lost')", name=op.f("ck_opportunities_stage")
        ),
    )
    op.create_index(op.f("ix_opportunities_customer_id"), "opportunities", ["customer_id"])

    op.create_table(
        "screening_rules",
        _id(),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("pattern", sa.String(16), nullable=False),
        sa.Column("is_prefix", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_rules")),
        sa.UniqueConstraint(
            "kind", "pattern", "is_prefix", name=op.f("uq_screening_rules_kind_pattern_is_prefix")
        ),
        sa.CheckConstraint("kind IN ('block', 'vip')", name=op.f("ck_screening_rules_kind")),
        sa.CheckConstraint("source IN ('yaml', 'db')", name=op.f("ck_screening_rules_source")),
    )
    op.create_index(op.f("ix_screening_rules_pattern"), "screening_rules", ["pattern"])

    op.create_table(
        "survey_responses",
        _id(),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("survey", sa.String(64), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        _timestamp("answered_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("call_uuid", "question", name=op.f("uq_survey_responses_call_uuid_question")),
    )
    op.create_index(
        op.f("ix_survey_responses_agent_id_answered_at"), "survey_responses", ["agent_id", "answered_at"]
    )
    op.create_index(
        op.f("ix_survey_responses_queue_answered_at"), "survey_responses", ["queue", "answered_at"]
    )

    op.create_table(
        "crm_users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_users")),
        sa.UniqueConstraint("username", name=op.f("uq_crm_users_username")),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'manager')", name=op.f("ck_crm_users_role")),
        sa.CheckConstraint("role <> 'agent' OR agent_id IS NOT NULL", name=op.f("ck_crm_users_agent_has_id")),
        sa.CheckConstraint(
            "role <> 'supervisor' OR department IS NOT NULL", name=op.f("ck_crm_users_supervisor_has_department")
        ),
    )

    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", _BIG_ID, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("revoked_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["crm_users.id"], name=op.f("fk_api_tokens_user_id_crm_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    with op.batch_alter_table("calls") as calls:
        calls.add_column(sa.Column("customer_id", _BIG_ID, nullable=True))
        calls.add_column(sa.Column("screening", sa.String(16), nullable=True))
        calls.add_column(sa.Column("screening_detail", sa.String(), nullable=True))
        calls.create_foreign_key(
            op.f("fk_calls_customer_id_customers"), "customers", ["customer_id"], ["id"], ondelete="SET NULL"
        )
        calls.create_index(op.f("ix_calls_customer_id_started_at"), ["customer_id", "started_at"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as calls:
        calls.drop_index(op.f("ix_calls_customer_id_started_at"))
        calls.drop_constraint(op.f("fk_calls_customer_id_customers"), type_="foreignkey")
        calls.drop_column("screening_detail")
        calls.drop_column("screening")
        calls.drop_column("customer_id")
    for table in (
        "api_tokens",
        "crm_users",
        "survey_responses",
        "screening_rules",
        "opportunities",
        "notes",
        "tickets",
        "customer_keys",
        "phone_numbers",
        "customers",
    ):
        op.drop_table(table)
