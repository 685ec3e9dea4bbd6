"""campaign_attempts.decided_at: when the call-progress decision came, so that a restarted dialer's pacer
can learn how long dials take to resolve and how long people talk from the attempt log (earlier rows keep
it empty); and an index of the dropped attempts by number, for the uk's 72 hours without a call after an
abandoned one, whichever campaign made it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


_DROPPED = sa.text("outcome = 'dropped'")


def upgrade() -> None:
    op.add_column("campaign_attempts", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_campaign_attempts_dropped_phone"),
        "campaign_attempts",
        ["phone_e164", "ended_at"],
        postgresql_where=_DROPPED,
        sqlite_where=_DROPPED,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_attempts_dropped_phone"), table_name="campaign_attempts")
    op.drop_column("campaign_attempts", "decided_at")
