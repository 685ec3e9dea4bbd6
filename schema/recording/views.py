"""What the recordings and QA data layer returns: immutable pydantic views, served as JSON by the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from schema.crm.views import View
from schema.recording.records import RecordingFormat


class RecordingView(View):
    """One recording file and its bookkeeping (times in UTC)."""

    id: int
    call_uuid: str
    agent_id: str | None = Field(default=None, description="The agent who answered (queue log CONNECT).")
    agent_leg_uuid: str | None = None
    queue: str | None = None
    policy: str | None = None
    path: str
    format: RecordingFormat
    channels: Literal[1, 2] = Field(description="2: caller on the left channel, agent on the right.")
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    duration_s: float | None = None
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, description="Of the closed file.")
    paused: bool = Field(description="Masked at least once (PCI pause).")
    keep: bool = Field(description="Protected from pruning (a dispute, a QA sample).")
    keep_reason: str | None = None
    retention_days: int | None = None
    deleted_at: dt.datetime | None = Field(default=None, description="When pruning deleted the file.")
    backed_up_at: dt.datetime | None = None
    backup_sha256: str | None = None
    updated_at: dt.datetime


class PruneCandidate(View):
    """A recording whose retention has run out: delete the file, then `mark_deleted`."""

    id: int
    path: str
    sha256: str | None = None


class BackupCandidate(View):
    """A closed recording not yet backed up: copy, check the copy's sha256, then `mark_backed_up`."""

    id: int
    path: str
    sha256: str


class QaCriterionScore(View):
    criterion: str
    score: int
    max_score: int
    weight: float


class QaResult(View):
    """One reviewer's scores for one recording; `percent` = sum(weight * score / max_score) / sum(weight)
    * 100."""

    recording_id: int
    form: str
    reviewer: str
    agent_id: str | None = None
    scored_at: dt.datetime
    scores: list[QaCriterionScore]
    percent: float


class QaAverage(View):
    """An agent's QA average: the mean percent of their scored recordings
    (see `schema.recording.qa.qa_averages`)."""

    agent_id: str | None = None
    recordings: int
    average_percent: float
