"""The record codec: every record kind to one JSON line and back, exactly; bad lines are named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from esl_handlers.record_codec import (
    RECORD_KINDS,
    Record,
    UndecodableRecord,
    decode_record,
    encode_record,
    record_from_fields,
)
from schema.acd.records import AgentLegRecord, QueueEvent
from schema.calls.records import CallUpdate, IvrStepRecord, SurveyAnswerRecord
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
ZONES = (dt.UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30)), PARIS)
# 02:30 on 2026-10-25 happens twice in Paris: the second one (fold=1) must come back as the second.
AMBIGUOUS = dt.datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1)
PATH = "/var/lib/recordings/2026/03/01/u1.wav"


def every_kind(at: dt.datetime) -> list[Record]:
    return [
        CallUpdate("u1"),
        CallUpdate(
            "u1",
            direction="inbound",
            caller_number="+15551230001",
            caller_name='Zoë "quote" \\ back\nline ✓',
            did="4001",
            started_at=at,
            answered_at=at + dt.timedelta(microseconds=1),
            ended_at=at + dt.timedelta(seconds=61.5),
            hangup_cause="NORMAL_CLEARING",
            outcome="queued",
            destination="sales",
            menu_path="main>1",
            customer_id=42,
            screening="vip",
            screening_detail="gold",
        ),
        IvrStepRecord("u1", 0, None, None, None, "timeout", at),
        IvrStepRecord("u1", 3, "main", "welcome", "12#", "matched", at),
        QueueEvent(at, "u1", "sales", "ENTERQUEUE"),
        QueueEvent(at, "u1", "sales", "CONNECT", "1001", wait_s=0.1, talk_s=1e-7, position=2, data="cb"),
        AgentLegRecord(
            leg_uuid="l1",
            call_uuid="u1",
            queue="sales",
            agent_id="1001",
            outcome="no_answer",
            offered_at=at,
            ended_at=at + dt.timedelta(seconds=15),
            ring_ms=15000,
            cause="NO_ANSWER",
        ),
        AgentLegRecord(
            leg_uuid="l2",
            call_uuid="u1",
            queue="sales",
            agent_id="1002",
            outcome="answered",
            offered_at=at,
            answered_at=at,
            ended_at=at,
            ring_ms=0,
            talk_ms=2**31 - 1,
            callback=True,
            server="app-1",
        ),
        SurveyAnswerRecord("u1", "after_call", "q1", 9, None, None, at),
        SurveyAnswerRecord("u1", "after_call", "q2", 1, "1001", "sales", at),
        RecordingPlanned("u1", PATH, None, "wav", 1, None, 1, at),
        RecordingPlanned("u1", PATH.replace(".wav", ".mp3"), "all", "mp3", 2, "sales", 3650, at),
        RecordingEvent("u1", PATH, "start", at),
        RecordingEvent("u1", PATH, "stop", at, duration_s=12.345, other_leg_uuid="u2"),
        RecordingFileFacts(PATH, 0, "0" * 64),
        RecordingFileFacts(PATH, 2**63 - 1, "ab" * 32),
        RecordingPaused(PATH, at),
    ]


CASES = [
    record
    for at in (*(dt.datetime(2026, 3, 1, 9, 15, 30, 123456, tzinfo=zone) for zone in ZONES), AMBIGUOUS)
    for record in every_kind(at)
]


def test_the_cases_cover_every_kind() -> None:
    assert {type(record).__name__ for record in CASES} == set(RECORD_KINDS)


@pytest.mark.parametrize("record", CASES, ids=lambda r: type(r).__name__)
def test_decode_of_encode_is_the_record(record: Record) -> None:
    line = encode_record(record)
    assert "\n" not in line
    decoded = decode_record(line)
    assert decoded == record
    assert type(decoded) is type(record)
    for field in dataclasses.fields(record):
        before, after = getattr(record, field.name), getattr(decoded, field.name)
        assert type(after) is type(before), field.name
        if isinstance(before, dt.datetime):
            # Equal instants are not enough: the zone, the wall clock and the fold come back too.
            assert (after.tzinfo, after.replace(tzinfo=None), after.fold) == (
                before.tzinfo,
                before.replace(tzinfo=None),
                before.fold,
            )
    assert encode_record(decoded) == line


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"record": "Nope", "uuid": "u1"}', "record kind 'Nope'"),
        ('{"uuid": "u1"}', "record kind None"),
        ('{"record": "CallUpdate", "uuid": "u1", "colour": "red"}', "unknown fields ['colour']"),
        ('{"record": "IvrStepRecord", "call_uuid": "u1"}', "IvrStepRecord"),
        ('{"record": "CallUpdate", "uuid": "u1", "direction": "sideways"}', "direction"),
        ('{"record": "RecordingPaused", "path": "/r/a.wav", "at": "yesterday"}', "RecordingPaused.at"),
        ('{"record": "RecordingPaused", "path": "/r/a.wav", "at": 5}', "RecordingPaused.at"),
        ('{"record": "RecordingPaused", "path": "/r/a.wav", "at": "2026-03-01T09:00:00"}', "timezone"),
    ],
)
def test_a_line_that_is_not_a_record_says_why(line: str, complaint: str) -> None:
    with pytest.raises(UndecodableRecord, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        decode_record(line)


def test_a_dead_letter_line_decodes_without_its_reason() -> None:
    at = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    fields = {"record": "RecordingPaused", "path": PATH, "at": at.isoformat(), "reason": "refused"}
    assert record_from_fields(fields, ignore=("reason",)) == RecordingPaused(PATH, at)
    with pytest.raises(UndecodableRecord, match="reason"):
        record_from_fields(fields)


def test_a_dead_letter_from_before_the_spool_names_its_kind_in_kind() -> None:
    fields = {"kind": "CallUpdate", "uuid": "u1", "caller_name": "x", "reason": "writer stopped"}
    assert record_from_fields(fields, ignore=("reason",)) == CallUpdate("u1", caller_name="x")
