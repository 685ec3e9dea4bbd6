"""What the call server reports about recordings: records for the queued writer (`write_batch`).

Every record names the file by its path, the recordings table's key, so the records merge into one
row whatever order they arrive in, and a replay changes nothing:
- `RecordingPlanned`: the application started a recording under a policy (what the switch events
  cannot tell: policy, format, channels, queue, retention);
- `RecordingEvent`: RECORD_START / RECORD_STOP from the switch (the call's socket or the listener);
- `RecordingFileFacts`: size and sha256 of the closed file, computed by the server afterwards;
- `RecordingPaused`: the recording was masked at least once (PCI pause).
agent_id is filled from the call's queue_log CONNECT; agent_leg_uuid from a stop event's
other_leg_uuid (the channel's last_bridge_to / bridge_uuid when the recording closed).

Like schema/calls/records.py, every record is checked when it is made (`RecordRejected`, a ValueError):
times carry a timezone, the path is 1 to 1024 characters without NUL and names a .wav or .mp3
file (the fixed layout <directory>/YYYY/MM/DD/<call uuid>[-<n>].<format>), a plan's format is its
path's suffix, so a row created by a switch event before its plan already has the right format.
`recording_format(path)` tells a producer whether a path is a recording at all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final, Literal, cast, get_args

from schema.acd.records import check_aware, check_call_uuid
from schema.calls.records import NAME_MAX_LENGTH
from schema.errors import RecordRejected

RecordingFormat = Literal["wav", "mp3"]
RECORDING_FORMATS: Final = get_args(RecordingFormat)
RECORDING_CHANNELS: Final = (1, 2)
PATH_MAX_LENGTH: Final = 1024  # recordings.path
RETENTION_DAYS: Final = range(1, 3651)  # as dialplans.recording_models.RecordingPolicy allows
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class RecordingPlanned:
    call_uuid: str
    path: str
    policy: str | None
    format: Literal["wav", "mp3"]
    channels: Literal[1, 2]
    queue: str | None
    retention_days: int
    at: dt.datetime

    def __post_init__(self) -> None:
        check_call_uuid(self.call_uuid)
        where = _where(self.path, "plan")
        if self.format not in RECORDING_FORMATS:
            raise RecordRejected(f"{where}: format {self.format!r} is not one of {RECORDING_FORMATS}")
        if recording_format(self.path) != self.format:
            raise RecordRejected(f"{where}: format {self.format!r} is not the path's suffix")
        if not _is_whole(self.channels) or self.channels not in RECORDING_CHANNELS:
            raise RecordRejected(f"{where}: channels {self.channels!r} is not 1 or 2")
        for name in ("policy", "queue"):
            _check_optional_name(getattr(self, name), f"{where}: {name}")
        if not _is_whole(self.retention_days) or self.retention_days not in RETENTION_DAYS:
            raise RecordRejected(f"{where}: retention_days {self.retention_days!r} is not 1 to 3650")
        check_aware(self.at, f"{where}: at")


@dataclass(frozen=True, slots=True)
class RecordingEvent:
    call_uuid: str
    path: str
    kind: Literal["start", "stop"]
    at: dt.datetime
    duration_s: float | None = None  # RECORD_STOP: the switch's own count (record_ms / 1000) when given
    other_leg_uuid: str | None = None  # RECORD_STOP: the leg the call was last bridged to (the agent's)

    def __post_init__(self) -> None:
        check_call_uuid(self.call_uuid)
        where = _where(self.path, f"{self.kind} event")
        if self.kind not in ("start", "stop"):
            raise RecordRejected(f"{where}: kind {self.kind!r} is not start or stop")
        check_aware(self.at, f"{where}: at")
        if self.other_leg_uuid is not None:
            if self.kind != "stop":
                raise RecordRejected(f"{where}: only a stop event carries other_leg_uuid")
            try:
                check_call_uuid(self.other_leg_uuid)
            except RecordRejected as exc:
                raise RecordRejected(f"{where}: other_leg_uuid: {exc}") from exc
            if self.other_leg_uuid == self.call_uuid:
                raise RecordRejected(f"{where}: other_leg_uuid is the call's own uuid")
        if self.duration_s is None:
            return
        if self.kind != "stop":
            raise RecordRejected(f"{where}: only a stop event carries duration_s")
        if (
            isinstance(self.duration_s, bool)
            or not isinstance(self.duration_s, int | float)
            or not math.isfinite(self.duration_s)
            or not 0 <= self.duration_s < 1e9
        ):
            raise RecordRejected(f"{where}: duration_s {self.duration_s!r} is not a number of seconds >= 0")


@dataclass(frozen=True, slots=True)
class RecordingFileFacts:
    path: str
    size_bytes: int
    sha256: str

    def __post_init__(self) -> None:
        where = _where(self.path, "file facts")
        if not _is_whole(self.size_bytes) or self.size_bytes >= 2**63:
            raise RecordRejected(f"{where}: size_bytes {self.size_bytes!r} is not a whole number >= 0")
        object.__setattr__(self, "sha256", normalised_sha256(self.sha256, f"{where}: sha256"))


@dataclass(frozen=True, slots=True)
class RecordingPaused:
    path: str
    at: dt.datetime

    def __post_init__(self) -> None:
        check_aware(self.at, f"{_where(self.path, 'pause')}: at")


def recording_format(path: str) -> RecordingFormat | None:
    """The format a recording's path names by its suffix (wav or mp3), None for any other file."""
    suffix = PurePosixPath(path).suffix.lower().removeprefix(".")
    return cast(RecordingFormat, suffix) if suffix in RECORDING_FORMATS else None


def normalised_sha256(value: object, what: str) -> str:
    """`value` as 64 lowercase hexadecimal digits, or `RecordRejected` naming `what`."""
    digest = value.lower() if isinstance(value, str) else value
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise RecordRejected(f"{what} {value!r} is not 64 hexadecimal digits")
    return digest


def _where(path: str, what: str) -> str:
    """Checks the path (every record has one) and says which record a complaint is about."""
    if not isinstance(path, str) or not path or len(path) > PATH_MAX_LENGTH or "\x00" in path:
        raise RecordRejected(f"recording {what}: path {path!r} is not 1 to {PATH_MAX_LENGTH} characters")
    if recording_format(path) is None:
        raise RecordRejected(f"recording {what}: path {path!r} is not a .wav or .mp3 file")
    return f"recording {what} of {path}"


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_optional_name(value: object, what: str) -> None:
    if value is not None and (
        not isinstance(value, str) or not value or len(value) > NAME_MAX_LENGTH or "\x00" in value
    ):
        raise RecordRejected(f"{what} {value!r} is not 1 to {NAME_MAX_LENGTH} characters of text")
