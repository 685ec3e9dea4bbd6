"""What the writers hand to `schema.calls.write_batch`: plain frozen values, checked on creation.

A `CallUpdate` carries whatever one writer knows about a call at one moment; None means "not
known here", never "erase". Both record kinds are checked when they are made, so a bad value
fails where it was produced (as `RecordRejected`, a ValueError) instead of sinking a whole
batch later. Text from the network may carry NUL characters, which PostgreSQL cannot store;
they are replaced by U+FFFD so the record is still kept, on every database alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Final

from schema.errors import RecordRejected

UUID_MAX_LENGTH: Final = 36
DIRECTIONS: Final = ("inbound", "outbound")


@dataclass(frozen=True, slots=True)
class CallUpdate:
    uuid: str
    direction: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    did: str | None = None
    started_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    hangup_cause: str | None = None
    outcome: str | None = None
    destination: str | None = None
    menu_path: str | None = None

    def __post_init__(self) -> None:
        _check_uuid(self.uuid)
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise RecordRejected(f"call {self.uuid}: direction {self.direction!r} is not one of {DIRECTIONS}")
        _clean_fields(self, f"call {self.uuid}")


@dataclass(frozen=True, slots=True)
class IvrStepRecord:
    call_uuid: str
    seq: int
    menu: str | None
    prompt: str | None
    digits: str | None
    result: str
    at: dt.datetime

    def __post_init__(self) -> None:
        _check_uuid(self.call_uuid)
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 0:
            raise RecordRejected(
                f"step of call {self.call_uuid}: seq {self.seq!r} is not a whole number >= 0"
            )
        if not self.result:
            raise RecordRejected(f"step {self.seq} of call {self.call_uuid}: result is empty")
        _clean_fields(self, f"step {self.seq} of call {self.call_uuid}")


def _check_uuid(uuid: str) -> None:
    if not isinstance(uuid, str) or not uuid or len(uuid) > UUID_MAX_LENGTH or "\x00" in uuid:
        raise RecordRejected(f"call uuid {uuid!r} is not 1 to {UUID_MAX_LENGTH} characters of text")


def _clean_fields(record: CallUpdate | IvrStepRecord, where: str) -> None:
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise RecordRejected(f"{where}: {field.name} {value.isoformat()} has no timezone")
        elif isinstance(value, str) and "\x00" in value:
            object.__setattr__(record, field.name, value.replace("\x00", "\ufffd"))
