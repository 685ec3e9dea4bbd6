"""agent_legs: one row per agent rung for a queue call (who answered, ring time, talk time)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.acd.models, for the reason given in 0001.
_OUTCOMES = (
    "'answered', 'no_answer', 'rejected', 'lost_race', 'caller_abandoned', 'callback_unanswered', 'failed'"
)


def upgrade() -> None:
    op.create_table(
        "agent_legs",
        sa.Column("leg_uuid", sa.String(36), nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ring_ms", sa.Integer(), nullable=True),
        sa.Column("talk_ms", sa.Integer(), nullable=True),
        sa.Column("cause", sa.String(), nullable=True),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("server", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("leg_uuid", name=op.f("pk_agent_legs")),
        sa.CheckConstraint(f"outcome IN ({_OUTCOMES})", name=op.f("ck_agent_legs_outcome")),
        sa.CheckConstraint("ring_ms >= 0 AND talk_ms >= 0", name=op.f("ck_agent_legs_durations")),
    )
    op.create_index(op.f("ix_agent_legs_call_uuid"), "agent_legs", ["call_uuid"])
    op.create_index(op.f("ix_agent_legs_agent_id_offered_at"), "agent_legs", ["agent_id", "offered_at"])
    op.create_index(op.f("ix_agent_legs_queue_offered_at"), "agent_legs", ["queue", "offered_at"])


def downgrade() -> None:
    op.drop_table("agent_legs")
