"""Call records (what `schema.calls.writes.write_batch` takes) as one JSON object per line, and back.

A line is `{"record": <class name>, <field>: <value>, ...}` ("record", not "kind":
`RecordingEvent` has a field `kind`), in the spool (esl_handlers.record_spool) and in the dead-letter
file alike, so `callcenter db replay` reads both with the same code; a dead letter written before
the spool existed names its class in "kind" and is read too. A
datetime is its ISO 8601 text with the UTC offset; a `zoneinfo` zone is kept by its key after it,
RFC 9557 style (`2026-03-29T02:30:00+02:00[Europe/Paris]`), so decoding gives back the same zone,
not just the same instant. Decoding builds the record through its constructor, so a decoded record
is checked exactly like a new one; a line that is not a record raises `UndecodableRecord`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
import zoneinfo
from typing import Any, Final

from schema.acd.records import AgentLegRecord, QueueEvent
from schema.calls.records import CallUpdate, IvrStepRecord, SurveyAnswerRecord
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned

# What `schema.calls.writes.write_batch` takes, in one transaction: call records, queue events, agent legs,
# survey answers and what is known of recordings.
Record = (
    CallUpdate
    | IvrStepRecord
    | QueueEvent
    | AgentLegRecord
    | SurveyAnswerRecord
    | RecordingPlanned
    | RecordingEvent
    | RecordingFileFacts
    | RecordingPaused
)
RECORD_KINDS: Final[dict[str, type[Record]]] = {
    kind.__name__: kind
    for kind in (
        CallUpdate,
        IvrStepRecord,
        QueueEvent,
        AgentLegRecord,
        SurveyAnswerRecord,
        RecordingPlanned,
        RecordingEvent,
        RecordingFileFacts,
        RecordingPaused,
    )
}


KIND_KEY: Final = "record"


def _datetime_fields(kind: type[Record]) -> frozenset[str]:
    hints = typing.get_type_hints(kind)
    return frozenset(name for name, hint in hints.items() if dt.datetime in (hint, *typing.get_args(hint)))


_FIELD_NAMES: Final = {
    name: tuple(field.name for field in dataclasses.fields(kind)) for name, kind in RECORD_KINDS.items()
}
_DATETIME_FIELDS: Final = {name: _datetime_fields(kind) for name, kind in RECORD_KINDS.items()}


class UndecodableRecord(ValueError):
    """A line that is not a record of a known kind with valid fields."""


def encode_record(record: Record) -> str:
    """The record as one line of JSON (no newline: the caller frames it)."""
    return json.dumps(record_fields(record), separators=(",", ":"))


def record_fields(record: Record) -> dict[str, Any]:
    """The JSON object of a record: its kind, then every field (datetimes as text)."""
    kind = type(record).__name__
    fields: dict[str, Any] = {KIND_KEY: kind}
    for name in _FIELD_NAMES[kind]:
        value = getattr(record, name)
        fields[name] = _datetime_text(value) if isinstance(value, dt.datetime) else value
    return fields


def decode_record(line: str | bytes, *, ignore: tuple[str, ...] = ()) -> Record:
    """The record of one line (as `encode_record` wrote it); `UndecodableRecord` says what is wrong.
    Keys in `ignore` (the dead letter's "reason") are left aside."""
    try:
        fields = json.loads(line)
    except ValueError as exc:
        raise UndecodableRecord(f"not JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise UndecodableRecord(f"not a JSON object but {type(fields).__name__}")
    return record_from_fields(fields, ignore=ignore)


def record_from_fields(fields: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> Record:
    """The record of a JSON object; keys in `ignore` (the dead letter's "reason") are left aside."""
    key = KIND_KEY if KIND_KEY in fields else "kind"  # "kind": a dead letter from before the spool
    kind = RECORD_KINDS.get(str(fields.get(key)))
    if kind is None:
        raise UndecodableRecord(f"record kind {fields.get(key)!r} is not one of {sorted(RECORD_KINDS)}")
    names = _FIELD_NAMES[kind.__name__]
    unknown = set(fields) - set(names) - {key, *ignore}
    if unknown:
        raise UndecodableRecord(f"{kind.__name__}: unknown fields {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name in names:
        if name not in fields:
            continue  # the constructor says which are required
        value = fields[name]
        if name in _DATETIME_FIELDS[kind.__name__] and value is not None:
            value = _parse_datetime(value, f"{kind.__name__}.{name}")
        values[name] = value
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:  # RecordRejected is a ValueError
        raise UndecodableRecord(f"{kind.__name__}: {exc}") from exc


def _datetime_text(value: dt.datetime) -> str:
    if isinstance(value.tzinfo, zoneinfo.ZoneInfo):
        return f"{value.isoformat()}[{value.tzinfo.key}]"
    return value.isoformat()


def _parse_datetime(value: object, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise UndecodableRecord(f"{what}: {value!r} is not a date and time")
    text, _, zone = value.partition("[")
    try:
        parsed = dt.datetime.fromisoformat(text)
        if zone:
            # The same instant, shown in its zone: fold is kept by going through UTC.
            parsed = parsed.astimezone(zoneinfo.ZoneInfo(zone.removesuffix("]")))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        raise UndecodableRecord(f"{what}: {value!r} is not a date and time: {exc}") from exc
    return parsed
