"""recordings (one row per file, from RECORD_START/RECORD_STOP) and qa_scores

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.recording.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("agent_leg_uuid", sa.String(36), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("policy", sa.String(64), nullable=True),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        _timestamp("started_at"),
        _timestamp("ended_at"),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("size_bytes", _BIG_ID, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("keep", sa.Boolean(), nullable=False),
        sa.Column("keep_reason", sa.String(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        _timestamp("deleted_at"),
        _timestamp("backed_up_at"),
        sa.Column("backup_sha256", sa.String(64), nullable=True),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("path", name=op.f("uq_recordings_path")),
        sa.CheckConstraint("channels IN (1, 2)", name=op.f("ck_recordings_channels")),
    )
    op.create_index(op.f("ix_recordings_call_uuid"), "recordings", ["call_uuid"])
    op.create_index(op.f("ix_recordings_agent_id_started_at"), "recordings", ["agent_id", "started_at"])
    op.create_index(op.f("ix_recordings_started_at"), "recordings", ["started_at"])

    op.create_table(
        "qa_scores",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("recording_id", _BIG_ID, nullable=False),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("criterion", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        _timestamp("scored_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scores")),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_qa_scores_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "recording_id", "reviewer", "criterion", name=op.f("uq_qa_scores_recording_id_reviewer_criterion")
        ),
        sa.CheckConstraint("score >= 0 AND score <= max_score", name=op.f("ck_qa_scores_score_in_range")),
    )
    op.create_index(op.f("ix_qa_scores_agent_id_scored_at"), "qa_scores", ["agent_id", "scored_at"])


def downgrade() -> None:
    op.drop_table("qa_scores")
    op.drop_table("recordings")
