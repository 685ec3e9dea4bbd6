"""`SqlRecordingCatalog`: ivr_scripts.retention's RecordingCatalog over the recordings table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from schema.recording import recordings
from schema.recording.views import BackupCandidate, PruneCandidate


@dataclass(frozen=True)
class SqlRecordingCatalog:
    """ivr_scripts.retention's RecordingCatalog over the recordings table (schema.recording.recordings)."""

    engine: Engine

    def due_for_pruning(self, now: dt.datetime) -> list[PruneCandidate]:
        return recordings.due_for_pruning(self.engine, now=now)

    def mark_deleted(self, recording_id: int, now: dt.datetime) -> None:
        recordings.mark_deleted(self.engine, recording_id, now=now)

    def backup_candidates(self) -> list[BackupCandidate]:
        return recordings.backup_candidates(self.engine)

    def mark_backed_up(self, recording_id: int, backup_sha256: str, now: dt.datetime) -> None:
        recordings.mark_backed_up(self.engine, recording_id, backup_sha256, now=now)
