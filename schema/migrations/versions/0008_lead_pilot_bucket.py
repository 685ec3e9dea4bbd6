"""leads.pilot_bucket: each lead's place (0..9999) in its campaign's pilot draw, so a claim can take the
pilot's sample in SQL; existing leads are backfilled

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ivr_scripts.campaigns.pilot import pilot_bucket

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 5000
_LEADS = sa.table(
    "leads",
    sa.column("id", sa.BigInteger()),
    sa.column("campaign", sa.String()),
    sa.column("phone_e164", sa.String()),
    sa.column("pilot_bucket", sa.SmallInteger()),
)


def upgrade() -> None:
    op.add_column("leads", sa.Column("pilot_bucket", sa.SmallInteger(), nullable=True))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_LEADS.c.id, _LEADS.c.campaign, _LEADS.c.phone_e164)
            .where(_LEADS.c.id > last)
            .order_by(_LEADS.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            sa.update(_LEADS).where(_LEADS.c.id == sa.bindparam("lead_id")),
            [{"lead_id": row.id, "pilot_bucket": pilot_bucket(row.campaign, row.phone_e164)} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_column("leads", "pilot_bucket")
