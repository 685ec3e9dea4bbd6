"""RECORD_START / RECORD_STOP into recording records, the closed file's facts, and the recording log."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

import pytest

from esl_handlers import app_args
from esl_handlers.codec import Event
from esl_handlers.db_writer import Record
from esl_handlers.recording_events import RECORD_EVENTS, RecordingEvents, file_facts, recording_event
from esl_handlers.recording_log import WriterRecordingLog
from ivr_scripts.recording import PlannedRecording
from schema.recording.records import (
    RecordingEvent,
    RecordingFileFacts,
    RecordingPaused,
    RecordingPlanned,
)

CALL = "6a1b2c3d-0000-4000-8000-000000000001"
DIRECTORY = "/srv/recordings"
PATH = f"{DIRECTORY}/2026/11/23/{CALL}.wav"
STAMP = 1_795_000_000_123_456  # microseconds since the epoch, as Event-Date-Timestamp carries it


class Queue:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def submit(self, record: Record) -> None:
        self.records.append(record)


def record_event(name: str, path: str = PATH, **headers: str) -> Event:
    base = {
        "Event-Name": name,
        "Unique-ID": CALL,
        "Event-Date-Timestamp": str(STAMP),
        "Record-File-Path": path,
    }
    return Event({**base, **headers}, None)


def test_start_is_the_switch_time_of_the_event() -> None:
    record = recording_event(record_event("RECORD_START"))
    at = dt.datetime.fromtimestamp(STAMP / 1_000_000, tz=dt.UTC)
    assert record == RecordingEvent(CALL, PATH, "start", at, duration_s=None)


def test_stop_takes_the_switch_duration_from_record_ms_else_record_seconds() -> None:
    with_ms = recording_event(
        record_event("RECORD_STOP", variable_record_ms="12340", variable_record_seconds="12")
    )
    only_seconds = recording_event(record_event("RECORD_STOP", variable_record_seconds="12"))
    garbled = recording_event(record_event("RECORD_STOP", variable_record_ms="soon"))
    durations = [r.duration_s if r is not None else "none" for r in (with_ms, only_seconds, garbled)]
    assert durations == [12.34, 12.0, None]
    assert {r.kind for r in (with_ms, only_seconds, garbled) if r is not None} == {"stop"}


def test_stop_names_the_other_leg_of_the_last_bridge_and_nothing_doubtful() -> None:
    agent_leg = "7b2c3d4e-0000-4000-8000-000000000002"

    def other_leg(**headers: str) -> str | None:
        record = recording_event(record_event("RECORD_STOP", **headers))
        assert record is not None
        return record.other_leg_uuid

    assert other_leg(variable_last_bridge_to=agent_leg) == agent_leg  # after the unbridge
    assert other_leg(variable_bridge_uuid=agent_leg, variable_last_bridge_to="x") == agent_leg
    assert other_leg() is None  # an IVR-only recording
    assert other_leg(variable_last_bridge_to=CALL) is None  # its own uuid is no other leg
    assert other_leg(variable_last_bridge_to="not a uuid; rm -rf") is None


def test_other_events_and_events_without_a_path_or_channel_are_not_recordings() -> None:
    assert recording_event(record_event("CHANNEL_ANSWER")) is None
    assert recording_event(record_event("RECORD_START", path="")) is None
    assert recording_event(Event({"Event-Name": "RECORD_STOP", "Record-File-Path": PATH}, None)) is None
    assert recording_event(record_event("RECORD_STOP", path=f"{DIRECTORY}/greeting.txt")) is None
    assert RECORD_EVENTS == ("RECORD_START", "RECORD_STOP")


def test_file_facts_are_the_size_and_sha256_of_the_whole_file(tmp_path: Path) -> None:
    data = b"RIFF" + bytes(range(256)) * 5000  # more than one read chunk
    target = tmp_path / "a.wav"
    target.write_bytes(data)
    assert file_facts(str(target)) == RecordingFileFacts(
        str(target), len(data), hashlib.sha256(data).hexdigest()
    )


def test_a_missing_file_gives_no_facts_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert file_facts(str(tmp_path / "elsewhere.wav")) is None
    assert "not hashed" in caplog.text


def test_events_under_the_directory_are_written_and_each_stopped_file_hashed_once(tmp_path: Path) -> None:
    queue = Queue()
    hashed: list[str] = []

    def facts(path: str) -> RecordingFileFacts:
        hashed.append(path)
        return RecordingFileFacts(path, 44, "0" * 64)

    events = RecordingEvents(queue, lambda: DIRECTORY + "/", facts=facts)
    events.on_event(record_event("RECORD_START"))
    stop = record_event("RECORD_STOP", variable_record_ms="1000")
    events.on_event(stop)  # the event listener's copy
    events.on_event(stop)  # the call's socket's copy
    assert events.wait(5)
    assert hashed == [PATH]
    kinds = [type(r).__name__ for r in queue.records]
    assert kinds == ["RecordingEvent", "RecordingEvent", "RecordingEvent", "RecordingFileFacts"]


def test_voicemail_and_other_files_outside_the_directory_are_not_ours() -> None:
    queue = Queue()
    events = RecordingEvents(queue, lambda: DIRECTORY, facts=lambda path: None)
    events.on_event(record_event("RECORD_STOP", path="/var/lib/freeswitch/storage/voicemail/msg.wav"))
    events.on_event(record_event("RECORD_STOP", path=DIRECTORY + "-old/x.wav"))  # a prefix, not a parent
    assert events.wait(5)
    assert queue.records == []


def test_a_path_started_here_stays_ours_after_the_directory_moved() -> None:
    queue = Queue()
    directory = [DIRECTORY]
    events = RecordingEvents(queue, lambda: directory[0], facts=lambda path: None)
    log = WriterRecordingLog(queue, events)
    at = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    log.planned(PlannedRecording(CALL, PATH, "all_calls", "wav", 2, "sales", 90, at))
    directory[0] = "/srv/elsewhere"  # a reload
    events.on_event(record_event("RECORD_START"))
    assert [type(r) for r in queue.records] == [RecordingPlanned, RecordingEvent]


def test_the_recording_log_writes_plans_and_pauses() -> None:
    queue = Queue()
    log = WriterRecordingLog(queue)
    at = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    mp3 = PATH.replace(".wav", ".mp3")
    log.planned(PlannedRecording(CALL, mp3, "all_calls", "mp3", 1, None, 30, at))
    log.paused(mp3, at)
    assert queue.records == [
        RecordingPlanned(CALL, mp3, "all_calls", "mp3", 1, None, 30, at),
        RecordingPaused(mp3, at),
    ]


def test_a_record_the_schema_refuses_is_logged_and_the_call_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    queue = Queue()
    log = WriterRecordingLog(queue)
    with caplog.at_level(logging.ERROR):
        # The plan's format must be its path's suffix (schema.recording.records).
        log.planned(PlannedRecording(CALL, PATH, "all_calls", "mp3", 1, None, 30, dt.datetime.now(dt.UTC)))
        log.paused(PATH, dt.datetime(2026, 11, 23, 10))  # a time without its zone
    assert queue.records == []
    assert caplog.text.count("not kept") == 2


@pytest.mark.parametrize(
    "path", [PATH, "/r/2026/01/02/abc-2.mp3", "/var/lib/callcenter/recordings/x_y+z.wav"]
)
def test_recording_paths_in_one_word_are_accepted(path: str) -> None:
    assert app_args.recording_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "relative/a.wav",  # FreeSWITCH would put it under its own sound prefix
        "/a b.wav",  # uuid_record splits at spaces
        "/a.wav +10",  # record_session reads " +10" as a time limit
        "/${api system}.wav",
        "/{x=1}/a.wav",
        "/r/../etc/a.wav",
        "/r/",
        "/a'.wav",
        "/a.wav\n",
    ],
)
def test_recording_paths_that_freeswitch_would_read_otherwise_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="recording path"):
        app_args.recording_path(path)
