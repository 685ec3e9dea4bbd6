"""Recording records ride write_batch: one row per path whatever order the plan, the switch events, the
file facts, the pause and the queue's CONNECT arrive in; replays change nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, insert, select
from sqlalchemy import exc as sa_exc

from schema.acd.records import QueueEvent
from schema.calls.models import Call
from schema.calls.records import CallUpdate
from schema.calls.writes import Record, write_batch
from schema.errors import RecordRejected
from schema.recording.models import Recording
from schema.recording.records import (
    RecordingEvent,
    RecordingFileFacts,
    RecordingPaused,
    RecordingPlanned,
    recording_format,
)

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
SHA = "ab" * 32
RECORDINGS = cast(Table, Recording.__table__)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def path_of(call: str, suffix: str = "", fmt: str = "wav") -> str:
    return f"/var/lib/callcenter/recordings/2024/03/01/{call}{suffix}.{fmt}"


def plan(call: str, **changes: Any) -> RecordingPlanned:
    values: dict[str, Any] = {
        "call_uuid": call,
        "path": path_of(call),
        "policy": "everything",
        "format": "wav",
        "channels": 2,
        "queue": "support",
        "retention_days": 30,
        "at": at(-1),
    }
    return RecordingPlanned(**(values | changes))


def start(call: str, seconds: float = 0, **changes: Any) -> RecordingEvent:
    values: dict[str, Any] = {"call_uuid": call, "path": path_of(call), "kind": "start", "at": at(seconds)}
    return RecordingEvent(**(values | changes))


def stop(call: str, seconds: float = 95, duration: float | None = 94.5, **changes: Any) -> RecordingEvent:
    values: dict[str, Any] = {
        "call_uuid": call,
        "path": path_of(call),
        "kind": "stop",
        "at": at(seconds),
        "duration_s": duration,
    }
    return RecordingEvent(**(values | changes))


def connect(call: str, agent: str = "alice", seconds: float = 20) -> QueueEvent:
    return QueueEvent(at(seconds), call, "support", "CONNECT", agent_id=agent, wait_s=20.0)


def row(engine: Engine, path: str) -> dict[str, Any]:
    with engine.connect() as connection:
        return dict(connection.execute(select(RECORDINGS).where(RECORDINGS.c.path == path)).mappings().one())


def content(engine: Engine, path: str) -> dict[str, Any]:
    """The row without what legitimately differs between two rows of the same facts."""
    return {k: v for k, v in row(engine, path).items() if k not in ("id", "updated_at", "call_uuid", "path")}


def full_story(call: str, *, duration: float | None = 94.5) -> list[Record]:
    return [
        plan(call),
        start(call),
        connect(call),
        RecordingPaused(path_of(call), at(40)),
        stop(call, duration=duration),
        RecordingFileFacts(path_of(call), 1_520_044, SHA),
    ]


EXPECTED = {
    "agent_leg_uuid": None,  # queue_log CONNECT does not carry the agent's leg; a stop event's does
    "agent_id": "alice",
    "queue": "support",
    "policy": "everything",
    "format": "wav",
    "channels": 2,
    "started_at": at(0),
    "ended_at": at(95),
    "duration_s": 94.5,
    "size_bytes": 1_520_044,
    "sha256": SHA,
    "paused": True,
    "keep": False,
    "keep_reason": None,
    "retention_days": 30,
    "deleted_at": None,
    "backed_up_at": None,
    "backup_sha256": None,
}


# --- merging -------------------------------------------------------------------------------------


def test_the_whole_story_in_one_batch_fills_one_row(engine: Engine) -> None:
    write_batch(engine, full_story("c1"))
    assert content(engine, path_of("c1")) == EXPECTED
    assert row(engine, path_of("c1"))["call_uuid"] == "c1"


def test_every_arrival_order_of_plan_events_and_connect_gives_the_same_row(engine: Engine) -> None:
    # Facts and the pause name no call, so they need the row first: they come last here (and in the
    # same batch as a creating record in the next test).
    for n, order in enumerate(itertools.permutations(range(4))):
        call = f"order-{n}"
        story: list[Record] = [plan(call), start(call), connect(call), stop(call)]
        for index in order:
            write_batch(engine, [story[index]])
        write_batch(engine, [RecordingPaused(path_of(call), at(40))])
        write_batch(engine, [RecordingFileFacts(path_of(call), 1_520_044, SHA)])
        assert content(engine, path_of(call)) == EXPECTED, order


def test_records_of_one_path_in_one_batch_merge_in_any_order(engine: Engine) -> None:
    # One batch holding every order, each for its own call: write_batch keeps a path's records in order.
    orders = list(itertools.permutations(full_story("c")))
    write_batch(
        engine, [_for_call(record, f"batch-{n}") for n, story in enumerate(orders) for record in story]
    )
    for n, story in enumerate(orders):
        assert content(engine, path_of(f"batch-{n}")) == EXPECTED, story


def _for_call(record: Record, call: str) -> Record:
    if isinstance(record, QueueEvent | RecordingPlanned | RecordingEvent):
        record = dataclasses.replace(record, call_uuid=call)
    if isinstance(record, RecordingPlanned | RecordingEvent | RecordingFileFacts | RecordingPaused):
        record = dataclasses.replace(record, path=path_of(call))
    return record


def test_replays_change_nothing_not_even_updated_at(engine: Engine) -> None:
    story = full_story("c1")
    write_batch(engine, story)
    first = row(engine, path_of("c1"))
    write_batch(engine, story)
    for record in reversed(story):
        write_batch(engine, [record])
    assert row(engine, path_of("c1")) == first
    with engine.connect() as connection:
        assert connection.execute(select(RECORDINGS.c.id)).scalars().all() == [first["id"]]


def test_updated_at_moves_when_a_value_changes(engine: Engine) -> None:
    write_batch(engine, [plan("c1"), start("c1")])
    before = row(engine, path_of("c1"))
    write_batch(engine, [stop("c1")])
    after = row(engine, path_of("c1"))
    assert after["ended_at"] == at(95)
    assert after["updated_at"] > before["updated_at"]


def test_a_switch_event_before_the_plan_creates_a_valid_row_the_plan_completes(engine: Engine) -> None:
    mp3 = path_of("c1", fmt="mp3")
    write_batch(engine, [start("c1", path=mp3)])
    early = content(engine, mp3)
    assert (early["format"], early["channels"], early["paused"], early["keep"]) == ("mp3", 1, False, False)
    assert (early["policy"], early["queue"], early["retention_days"]) == (None, None, None)

    write_batch(engine, [plan("c1", path=mp3, format="mp3", channels=2, retention_days=7)])
    write_batch(engine, [stop("c1", path=mp3)])  # a later event leaves the plan's values alone
    late = content(engine, mp3)
    assert (late["format"], late["channels"], late["policy"], late["retention_days"]) == (
        "mp3",
        2,
        "everything",
        7,
    )
    assert (late["started_at"], late["ended_at"]) == (at(0), at(95))


def test_a_mono_plan_after_the_events_keeps_one_channel(engine: Engine) -> None:
    write_batch(engine, [start("c1"), stop("c1")])
    write_batch(engine, [plan("c1", channels=1, policy=None, queue=None)])
    stored = content(engine, path_of("c1"))
    assert (stored["channels"], stored["policy"], stored["queue"], stored["retention_days"]) == (
        1,
        None,
        None,
        30,
    )


def test_started_at_is_the_earliest_start_and_ended_at_the_latest_stop(engine: Engine) -> None:
    # The call's socket and the event listener both report; their times may differ slightly.
    write_batch(engine, [start("c1", 0.2), stop("c1", 95.0, duration=None)])
    write_batch(engine, [start("c1", 0.0), stop("c1", 94.8, duration=None), start("c1", 0.4)])
    stored = content(engine, path_of("c1"))
    assert (stored["started_at"], stored["ended_at"]) == (at(0), at(95))
    assert stored["duration_s"] == pytest.approx(95.0, abs=1e-6)  # recomputed when the start moved


def test_without_the_switch_count_the_duration_is_end_minus_start_in_any_order(engine: Engine) -> None:
    write_batch(engine, [stop("a", 95.25, duration=None)])
    assert content(engine, path_of("a"))["duration_s"] is None  # the start is not known yet
    write_batch(engine, [start("a", 0.0)])
    write_batch(engine, [start("b", 0.0), stop("b", 95.25, duration=None)])
    assert content(engine, path_of("a"))["duration_s"] == pytest.approx(95.25, abs=1e-6)
    assert content(engine, path_of("b"))["duration_s"] == pytest.approx(95.25, abs=1e-6)


def test_the_switch_count_wins_over_end_minus_start_whatever_the_order(engine: Engine) -> None:
    write_batch(engine, [start("a"), stop("a", duration=None)])
    write_batch(engine, [stop("a", duration=90.0)])  # the listener's copy, with record_ms
    write_batch(engine, [stop("b", duration=90.0)])
    write_batch(engine, [start("b"), stop("b", duration=None)])
    write_batch(engine, [start("b", -0.5)])  # a time moving does not override the switch's count
    assert content(engine, path_of("a"))["duration_s"] == 90.0
    assert content(engine, path_of("b"))["duration_s"] == 90.0


def test_paused_is_sticky_and_the_newest_file_facts_win(engine: Engine) -> None:
    write_batch(engine, [plan("c1"), RecordingPaused(path_of("c1"), at(10))])
    write_batch(engine, [start("c1"), stop("c1"), RecordingFileFacts(path_of("c1"), 10, SHA)])
    write_batch(engine, [RecordingFileFacts(path_of("c1"), 12, "CD" * 32)])
    stored = content(engine, path_of("c1"))
    assert (stored["paused"], stored["size_bytes"], stored["sha256"]) == (True, 12, "cd" * 32)


def test_facts_or_a_pause_for_an_unknown_recording_are_refused_and_the_batch_rolled_back(
    engine: Engine,
) -> None:
    for orphan in (RecordingFileFacts(path_of("ghost"), 1, SHA), RecordingPaused(path_of("ghost"), at(1))):
        with pytest.raises(RecordRejected, match="ghost"):
            write_batch(engine, [CallUpdate("c1", outcome="queued"), plan("c2"), orphan])
    with engine.connect() as connection:
        assert connection.execute(select(RECORDINGS.c.id)).all() == []
        assert connection.execute(select(Call.uuid)).all() == []


def test_recording_records_mix_with_call_records_and_leave_them_alone(engine: Engine) -> None:
    write_batch(engine, [CallUpdate("c1", direction="inbound", started_at=at(-5)), *full_story("c1")])
    with engine.connect() as connection:
        call = connection.execute(select(Call.__table__).where(Call.uuid == "c1")).mappings().one()
    assert (call["direction"], call["started_at"]) == ("inbound", at(-5))
    assert content(engine, path_of("c1")) == EXPECTED


# --- the agent -----------------------------------------------------------------------------------


def test_the_agent_comes_from_connect_written_before_or_after_the_recording(engine: Engine) -> None:
    write_batch(engine, [connect("before", "alice")])
    write_batch(engine, [plan("before"), start("before")])
    write_batch(engine, [plan("after"), start("after")])
    assert content(engine, path_of("after"))["agent_id"] is None
    write_batch(engine, [connect("after", "bob")])
    assert content(engine, path_of("before"))["agent_id"] == "alice"
    assert content(engine, path_of("after"))["agent_id"] == "bob"


def test_a_recording_that_stopped_before_the_agent_answered_has_no_agent(engine: Engine) -> None:
    # The DID policy's recording covers the IVR and stops when the queue's (stereo) one starts.
    ivr, queue = path_of("c1"), path_of("c1", "-2")
    write_batch(
        engine, [plan("c1", channels=1), start("c1", 0), plan("c1", path=queue), start("c1", 12, path=queue)]
    )
    write_batch(engine, [connect("c1", "alice", seconds=20)])  # before the IVR recording's stop is known
    assert content(engine, ivr)["agent_id"] == "alice"
    write_batch(engine, [stop("c1", 12, duration=None), stop("c1", 95, path=queue)])
    assert content(engine, ivr)["agent_id"] is None
    assert content(engine, queue)["agent_id"] == "alice"


def test_the_agent_is_the_last_to_answer_before_the_recording_ended(engine: Engine) -> None:
    write_batch(engine, [plan("c1"), start("c1"), connect("c1", "alice", 20), connect("c1", "bob", 60)])
    assert content(engine, path_of("c1"))["agent_id"] == "bob"
    write_batch(engine, [stop("c1", 50, duration=None)])
    assert content(engine, path_of("c1"))["agent_id"] == "alice"


# --- the agent's leg ----------------------------------------------------------------------------

LEG_A, LEG_B = "a0a0a0a0-0000-4000-8000-00000000000a", "b0b0b0b0-0000-4000-8000-00000000000b"


def test_the_agent_leg_comes_from_the_stop_event_and_a_leg_less_copy_keeps_it(engine: Engine) -> None:
    write_batch(engine, [plan("c1"), start("c1"), stop("c1", other_leg_uuid=LEG_A)])
    assert content(engine, path_of("c1"))["agent_leg_uuid"] == LEG_A
    write_batch(engine, [stop("c1", 96, duration=None), plan("c1")])  # a later stop naming no leg
    assert content(engine, path_of("c1"))["agent_leg_uuid"] == LEG_A


def test_a_leg_from_an_event_before_the_plan_survives_the_plan(engine: Engine) -> None:
    write_batch(engine, [stop("c1", other_leg_uuid=LEG_A)])
    write_batch(engine, [plan("c1"), start("c1")])
    assert content(engine, path_of("c1"))["agent_leg_uuid"] == LEG_A


def test_the_newest_stop_leg_wins_in_any_arrival_order(engine: Engine) -> None:
    stops = [
        stop("c", 90, duration=None, other_leg_uuid=LEG_A),
        stop("c", 95, duration=None, other_leg_uuid=LEG_B),
        stop("c", 95, duration=None),
    ]
    for n, order in enumerate(itertools.permutations(stops)):
        call = f"leg-{n}"
        for record in order:
            write_batch(engine, [_for_call(record, call)])
        assert content(engine, path_of(call))["agent_leg_uuid"] == LEG_B, order


def test_two_legs_at_the_same_instant_settle_on_one_whatever_the_order(engine: Engine) -> None:
    a, b = stop("c1", other_leg_uuid=LEG_A), stop("c1", other_leg_uuid=LEG_B)
    write_batch(engine, [a])
    write_batch(engine, [b])
    write_batch(engine, [_for_call(b, "c2")])
    write_batch(engine, [_for_call(a, "c2")])
    assert content(engine, path_of("c1"))["agent_leg_uuid"] == LEG_B
    assert content(engine, path_of("c2"))["agent_leg_uuid"] == LEG_B


def test_replaying_a_story_with_the_agent_leg_changes_nothing(engine: Engine) -> None:
    story = [*full_story("c1")[:-2], stop("c1", other_leg_uuid=LEG_A), full_story("c1")[-1]]
    write_batch(engine, story)
    first = row(engine, path_of("c1"))
    assert first["agent_leg_uuid"] == LEG_A
    assert {k: v for k, v in first.items() if k in EXPECTED} == EXPECTED | {"agent_leg_uuid": LEG_A}
    write_batch(engine, story)
    for record in reversed(story):
        write_batch(engine, [record])
    assert row(engine, path_of("c1")) == first


# --- checks --------------------------------------------------------------------------------------


def test_the_database_refuses_a_third_channel(engine: Engine) -> None:
    values = {"call_uuid": "c1", "path": "/x.wav", "format": "wav", "channels": 3, "paused": False}
    with pytest.raises(sa_exc.IntegrityError, match=r"(?i)check"), engine.begin() as connection:
        connection.execute(insert(RECORDINGS).values(**values, keep=False, updated_at=T0))


def test_recording_format_reads_the_suffix() -> None:
    assert recording_format("/r/c1.WAV") == "wav"
    assert recording_format("/r/c1-2.mp3") == "mp3"
    assert recording_format("/r/voicemail/msg.ogg") is None
    assert recording_format("/r/c1") is None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"format": "ogg"}, "format"),
        ({"format": "mp3"}, "suffix"),
        ({"path": "/r/c1.ogg", "format": "wav"}, "path"),
        ({"path": ""}, "path"),
        ({"path": "/r/" + "x" * 1021 + ".wav"}, "path"),
        ({"path": "/r/c\x001.wav"}, "path"),
        ({"channels": 3}, "channels"),
        ({"channels": True}, "channels"),
        ({"channels": 2.0}, "channels"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 3651}, "retention_days"),
        ({"retention_days": "30"}, "retention_days"),
        ({"policy": ""}, "policy"),
        ({"queue": "q" * 65}, "queue"),
        ({"call_uuid": ""}, "uuid"),
        ({"call_uuid": "u" * 37}, "uuid"),
        ({"at": dt.datetime(2024, 3, 1, 9, 0)}, "at"),
    ],
)
def test_bad_plans_are_refused_where_they_are_made(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        plan("c1", **changes)


@pytest.mark.parametrize(
    ("record", "complaint"),
    [
        (lambda: start("c1", kind="pause"), "kind"),
        (lambda: start("c1", duration_s=3.0), "duration_s"),
        (lambda: stop("c1", duration=-1.0), "duration_s"),
        (lambda: stop("c1", duration=float("nan")), "duration_s"),
        (lambda: stop("c1", duration=True), "duration_s"),
        (lambda: start("c1", at=dt.datetime(2024, 3, 1)), "at"),
        (lambda: start("c1", other_leg_uuid="a0"), "only a stop"),
        (lambda: stop("c1", other_leg_uuid=""), "other_leg_uuid"),
        (lambda: stop("c1", other_leg_uuid="u" * 37), "other_leg_uuid"),
        (lambda: stop("c1", other_leg_uuid="a\x00b"), "other_leg_uuid"),
        (lambda: stop("c1", other_leg_uuid="c1"), "own uuid"),
        (lambda: start("c1", path="/r/c1.txt"), "path"),
        (lambda: RecordingFileFacts(path_of("c1"), -1, SHA), "size_bytes"),
        (lambda: RecordingFileFacts(path_of("c1"), 10, "ab" * 31), "sha256"),
        (lambda: RecordingFileFacts(path_of("c1"), 10, "zz" * 32), "sha256"),
        (lambda: RecordingPaused(path_of("c1"), dt.datetime(2024, 3, 1)), "at"),
        (lambda: RecordingPaused("", at(0)), "path"),
    ],
)
def test_bad_events_facts_and_pauses_are_refused_where_they_are_made(record: Any, complaint: str) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        record()


def test_a_stop_event_may_carry_the_switch_count_and_sha256_is_stored_lowercase() -> None:
    assert stop("c1", duration=0).duration_s == 0
    assert RecordingFileFacts(path_of("c1"), 0, "AB" * 32).sha256 == "ab" * 32
