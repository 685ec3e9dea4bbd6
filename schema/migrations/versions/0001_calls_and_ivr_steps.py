"""calls and ivr_steps: one row per call (keyed by channel UUID) and its IVR steps in order

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.calls.models: a migration must keep describing the
# schema of its own revision after the models move on. Names are final (op.f): the models'
# naming convention must not be applied to them a second time.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(8), nullable=True),
        sa.Column("caller_number", sa.String(), nullable=True),
        sa.Column("caller_name", sa.String(), nullable=True),
        sa.Column("did", sa.String(), nullable=True),
        _timestamp("started_at"),
        _timestamp("answered_at"),
        _timestamp("ended_at"),
        sa.Column("hangup_cause", sa.String(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("billsec_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("destination", sa.String(), nullable=True),
        sa.Column("menu_path", sa.String(), nullable=True),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("uuid", name=op.f("uq_calls_uuid")),
        sa.CheckConstraint("direction IN ('inbound', 'outbound')", name=op.f("ck_calls_direction")),
    )
    op.create_index(op.f("ix_calls_started_at"), "calls", ["started_at"])
    op.create_index(op.f("ix_calls_did_started_at"), "calls", ["did", "started_at"])
    op.create_index(op.f("ix_calls_caller_number_started_at"), "calls", ["caller_number", "started_at"])

    op.create_table(
        "ivr_steps",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("menu", sa.String(), nullable=True),
        sa.Column("prompt", sa.String(), nullable=True),
        sa.Column("digits", sa.String(), nullable=True),
        sa.Column("result", sa.String(), nullable=False),
        _timestamp("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_steps")),
        sa.ForeignKeyConstraint(
            ["call_uuid"], ["calls.uuid"], name=op.f("fk_ivr_steps_call_uuid_calls"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("call_uuid", "seq", name=op.f("uq_ivr_steps_call_uuid_seq")),
    )


def downgrade() -> None:
    op.drop_table("ivr_steps")
    op.drop_index(op.f("ix_calls_caller_number_started_at"), table_name="calls")
    op.drop_index(op.f("ix_calls_did_started_at"), table_name="calls")
    op.drop_index(op.f("ix_calls_started_at"), table_name="calls")
    op.drop_table("calls")
