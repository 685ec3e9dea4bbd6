"""Recordings and their QA scores. Migration 0004 creates them.

One row per recording file, keyed by its path (UNIQUE): written from the switch's RECORD_START and
RECORD_STOP events, so replays and the two event sources (the call's own socket, the event
listener) merge into one row. `sha256` and `size_bytes` are filled once the file is closed.
`keep` protects a file from `recordings prune` (a dispute, a QA sample); `deleted_at` marks a file
pruned; `backed_up_at` and `backup_sha256` a verified copy.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.calls.models import Base, BigId


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        CheckConstraint("channels IN (1, 2)", name="channels"),
        Index("ix_recordings_call_uuid", "call_uuid"),
        Index("ix_recordings_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_recordings_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36))
    agent_leg_uuid: Mapped[str | None] = mapped_column(String(36))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    policy: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    format: Mapped[str] = mapped_column(String(8))
    channels: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int | None] = mapped_column(BigId)
    sha256: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    keep: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_reason: Mapped[str | None]
    retention_days: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[dt.datetime | None]
    backed_up_at: Mapped[dt.datetime | None]
    backup_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime]


class QaScore(Base):
    """One reviewer's score for one criterion of one recording."""

    __tablename__ = "qa_scores"
    __table_args__ = (
        UniqueConstraint("recording_id", "reviewer", "criterion"),
        CheckConstraint("score >= 0 AND score <= max_score", name="score_in_range"),
        Index("ix_qa_scores_agent_id_scored_at", "agent_id", "scored_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recording_id: Mapped[int] = mapped_column(BigId, ForeignKey("recordings.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    criterion: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[dt.datetime]
