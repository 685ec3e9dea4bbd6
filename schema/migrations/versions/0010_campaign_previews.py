"""campaign_previews: the lead each agent of a preview campaign is looking at, until dialled or released

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.campaigns.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_previews",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("token", sa.String(36), nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("lead_id", _BIG_ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dial_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dialled_by", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "state IN ('previewing', 'dial_requested', 'dialling')", name=op.f("ck_campaign_previews_state")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_campaign_previews")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_campaign_previews_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("lead_id", name=op.f("uq_campaign_previews_lead_id")),
        sa.UniqueConstraint("token", name=op.f("uq_campaign_previews_token")),
        sa.UniqueConstraint("call_uuid", name=op.f("uq_campaign_previews_call_uuid")),
    )


def downgrade() -> None:
    op.drop_table("campaign_previews")
