"""The recording log in memory: the recordings planned and the pauses, in order."""

from __future__ import annotations

import datetime as dt

from ivr_scripts.recording import (
    PlannedRecording,
)


class MemoryRecordingLog:
    def __init__(self) -> None:
        self.planned_recordings: list[PlannedRecording] = []
        self.pauses: list[tuple[str, dt.datetime]] = []

    def planned(self, recording: PlannedRecording) -> None:
        self.planned_recordings.append(recording)

    def paused(self, path: str, at: dt.datetime) -> None:
        self.pauses.append((path, at))
