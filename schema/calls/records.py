"""What the writers hand to `schema.calls.writes.write_batch`: plain frozen values, checked on creation.

A `CallUpdate` carries whatever one writer knows about a call at one moment; None means "not
known here", never "erase". A `SurveyAnswerRecord` is one keypad answer to a post-call survey
question. Every record kind is checked when it is made, so a bad value
fails where it was produced (as `RecordRejected`, a ValueError) instead of sinking a whole
batch later. Text from the network may carry NUL characters, which PostgreSQL cannot store;
they are replaced by U+FFFD so the record is still kept, on every database alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Final

from schema.crm.models import SCREENINGS
from schema.errors import RecordRejected

UUID_MAX_LENGTH: Final = 36
NAME_MAX_LENGTH: Final = 64  # survey, question, queue and agent id columns
DIRECTIONS: Final = ("inbound", "outbound")
SURVEY_SCORES: Final = range(1, 10)  # one keypad key; a survey question's max_key is at most 9


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
    customer_id: int | None = None  # the customer the caller ID matched
    screening: str | None = None  # one of SCREENINGS: what screening decided before the menu
    screening_detail: str | None = None  # the block reason, the VIP tier or "listed", ...

    def __post_init__(self) -> None:
        _check_uuid(self.uuid)
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise RecordRejected(f"call {self.uuid}: direction {self.direction!r} is not one of {DIRECTIONS}")
        if self.customer_id is not None and not _is_whole(self.customer_id, minimum=1):
            raise RecordRejected(
                f"call {self.uuid}: customer_id {self.customer_id!r} is not a whole number >= 1"
            )
        if self.screening is not None and self.screening not in SCREENINGS:
            raise RecordRejected(f"call {self.uuid}: screening {self.screening!r} is not one of {SCREENINGS}")
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
        if not _is_whole(self.seq, minimum=0):
            raise RecordRejected(
                f"step of call {self.call_uuid}: seq {self.seq!r} is not a whole number >= 0"
            )
        if not self.result:
            raise RecordRejected(f"step {self.seq} of call {self.call_uuid}: result is empty")
        _clean_fields(self, f"step {self.seq} of call {self.call_uuid}")


@dataclass(frozen=True, slots=True)
class SurveyAnswerRecord:
    """The caller's key for one survey question; the first answer stored for (call, question) stays."""

    call_uuid: str
    survey: str
    question: str
    score: int
    agent_id: str | None
    queue: str | None
    answered_at: dt.datetime

    def __post_init__(self) -> None:
        _check_uuid(self.call_uuid)
        where = f"survey answer {self.question!r} of call {self.call_uuid}"
        for name in ("survey", "question"):
            _check_name(getattr(self, name), f"{where}: {name}")
        for name in ("agent_id", "queue"):
            if getattr(self, name) is not None:
                _check_name(getattr(self, name), f"{where}: {name}")
        if not _is_whole(self.score, minimum=SURVEY_SCORES.start) or self.score not in SURVEY_SCORES:
            raise RecordRejected(f"{where}: score {self.score!r} is not a key from 1 to 9")
        if not isinstance(self.answered_at, dt.datetime):
            raise RecordRejected(f"{where}: answered_at {self.answered_at!r} is not a datetime")
        _clean_fields(self, where)


def _is_whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _check_name(value: object, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > NAME_MAX_LENGTH:
        raise RecordRejected(f"{what} {value!r} is not 1 to {NAME_MAX_LENGTH} characters of text")


def _check_uuid(uuid: str) -> None:
    if not isinstance(uuid, str) or not uuid or len(uuid) > UUID_MAX_LENGTH or "\x00" in uuid:
        raise RecordRejected(f"call uuid {uuid!r} is not 1 to {UUID_MAX_LENGTH} characters of text")


def _clean_fields(record: CallUpdate | IvrStepRecord | SurveyAnswerRecord, where: str) -> None:
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise RecordRejected(f"{where}: {field.name} {value.isoformat()} has no timezone")
        elif isinstance(value, str) and "\x00" in value:
            object.__setattr__(record, field.name, value.replace("\x00", "\ufffd"))
