"""campaign_attempts.decided_at: when the call-progress decision came, so that a restarted dialer's pacer
can learn how long dials take to resolve and how long people talk from the attempt log; earlier rows keep
it empty

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


def upgrade() -> None:
    op.add_column("campaign_attempts", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("campaign_attempts", "decided_at")
