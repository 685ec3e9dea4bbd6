"""campaign_answers: the answers to a campaign script's questions, one row per question and attempt

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.campaigns.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_answers",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("attempt_id", _BIG_ID, nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_answers")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["campaign_attempts.id"],
            name=op.f("fk_campaign_answers_attempt_id_campaign_attempts"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("attempt_id", "question", name=op.f("uq_campaign_answers_attempt_id_question")),
    )
    op.create_index(
        op.f("ix_campaign_answers_campaign_question"), "campaign_answers", ["campaign", "question"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_answers_campaign_question"), table_name="campaign_answers")
    op.drop_table("campaign_answers")
