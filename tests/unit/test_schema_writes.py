"""write_batch merges both writers' records by call UUID, idempotently, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import Engine, delete, select

from schema.calls.models import Call, IvrStep
from schema.calls.queries import call_with_steps
from schema.calls.records import CallUpdate, IvrStepRecord
from schema.calls.writes import merge_call_updates, write_batch
from schema.db import session_scope

T0 = dt.datetime(2024, 3, 1, 9, 0, 0, 123456, tzinfo=dt.UTC)
CALLER = "+15551230000"
DID = "+15557654321"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def rows(engine: Engine, model: type[Call] | type[IvrStep]) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        found = session.scalars(select(model).order_by(model.id)).all()
        return [{c.key: getattr(row, c.key) for c in model.__table__.columns} for row in found]


def call_row(engine: Engine, uuid: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        call = session.scalars(select(Call).where(Call.uuid == uuid)).one()
        return {c.key: getattr(call, c.key) for c in Call.__table__.columns}


def without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


# The event listener's view of one call (CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_HANGUP_COMPLETE) ...
def listener_events(uuid: str) -> list[CallUpdate]:
    return [
        CallUpdate(
            uuid, direction="inbound", caller_number=CALLER, caller_name="Ann", did=DID, started_at=at(0)
        ),
        CallUpdate(uuid, direction="inbound", started_at=at(0), answered_at=at(2.5)),
        CallUpdate(
            uuid,
            direction="inbound",
            did=DID,
            started_at=at(0),
            answered_at=at(2.5),
            ended_at=at(95.25),
            hangup_cause="NORMAL_CLEARING",
        ),
    ]


# ... and the outbound session's: caller info, routing outcome and the IVR steps.
def session_batch(uuid: str) -> list[CallUpdate | IvrStepRecord]:
    return [
        IvrStepRecord(uuid, 1, "main", "main-greeting", None, "played", at(1)),
        IvrStepRecord(uuid, 2, "main", "main-menu", "2", "ok", at(8)),
        IvrStepRecord(uuid, 3, "support", None, "3001", "queue", at(9)),
        CallUpdate(
            uuid,
            direction="inbound",
            caller_number=CALLER,
            caller_name="Ann",
            did=DID,
            outcome="queued",
            destination="queue:support",
            menu_path="main/support",
        ),
    ]


MERGED = {
    "direction": "inbound",
    "caller_number": CALLER,
    "caller_name": "Ann",
    "did": DID,
    "started_at": at(0),
    "answered_at": at(2.5),
    "ended_at": at(95.25),
    "hangup_cause": "NORMAL_CLEARING",
    "duration_s": 95.25,
    "billsec_s": 92.75,
    "outcome": "queued",
    "destination": "queue:support",
    "menu_path": "main/support",
    "customer_id": None,
    "screening": None,
    "screening_detail": None,
}


def test_same_batch_twice_leaves_the_same_rows(engine: Engine) -> None:
    batch = [*listener_events("call-a"), *session_batch("call-a"), *session_batch("call-b")]
    write_batch(engine, batch)
    calls, steps = rows(engine, Call), rows(engine, IvrStep)

    write_batch(engine, batch)

    assert rows(engine, Call) == calls  # updated_at included: nothing was rewritten
    assert rows(engine, IvrStep) == steps
    assert sorted(c["uuid"] for c in calls) == ["call-a", "call-b"]
    assert len(steps) == 6


def test_two_writers_in_any_order_merge_to_the_same_row(engine: Engine) -> None:
    create, answer, hangup = listener_events("x")
    batches: list[tuple[str, list[CallUpdate | IvrStepRecord]]] = [
        ("create", [create]),
        ("answer", [answer]),
        ("hangup", [hangup]),
        ("session", session_batch("x")),
    ]
    orders = list(itertools.permutations(batches))
    for number, order in enumerate(orders):
        uuid = f"order-{number}"
        for _, batch in order:
            write_batch(engine, [_with_uuid(record, uuid) for record in batch])

    for number, order in enumerate(orders):
        row = call_row(engine, f"order-{number}")
        assert without(row, "id", "uuid", "updated_at") == MERGED, [name for name, _ in order]
    with session_scope(engine) as session:
        for number in range(len(orders)):
            call = call_with_steps(session, f"order-{number}")
            assert call is not None
            assert [(s.seq, s.result) for s in call.steps] == [(1, "played"), (2, "ok"), (3, "queue")]


def _with_uuid(record: CallUpdate | IvrStepRecord, uuid: str) -> CallUpdate | IvrStepRecord:
    if isinstance(record, CallUpdate):
        return CallUpdate(**{**_fields(record), "uuid": uuid})
    return IvrStepRecord(**{**_fields(record), "call_uuid": uuid})


def _fields(record: CallUpdate | IvrStepRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def test_replayed_hangup_complete_changes_nothing(engine: Engine) -> None:
    events = listener_events("replayed")
    write_batch(engine, [*events, *session_batch("replayed")])
    before = rows(engine, Call)

    write_batch(engine, [events[-1]])
    write_batch(engine, [events[-1], events[-1]])

    assert rows(engine, Call) == before


def test_start_and_answer_keep_the_earliest_end_keeps_the_latest(engine: Engine) -> None:
    uuid = "times"
    write_batch(engine, [CallUpdate(uuid, started_at=at(5), answered_at=at(9), ended_at=at(60))])
    assert _times(engine, uuid) == (at(5), at(9), at(60), 55.0, 51.0)

    write_batch(engine, [CallUpdate(uuid, started_at=at(0), answered_at=at(7), ended_at=at(30))])
    assert _times(engine, uuid) == (at(0), at(7), at(60), 60.0, 53.0)

    write_batch(engine, [CallUpdate(uuid, started_at=at(10), answered_at=at(20), ended_at=at(90.5))])
    assert _times(engine, uuid) == (at(0), at(7), at(90.5), 90.5, 83.5)


def _times(engine: Engine, uuid: str) -> tuple[object, ...]:
    row = call_row(engine, uuid)
    return tuple(row[k] for k in ("started_at", "answered_at", "ended_at", "duration_s", "billsec_s"))


def test_durations_wait_for_both_ends_and_keep_microseconds(engine: Engine) -> None:
    uuid = "durations"
    write_batch(engine, [CallUpdate(uuid, started_at=at(0))])
    assert _times(engine, uuid)[3:] == (None, None)

    write_batch(engine, [CallUpdate(uuid, ended_at=at(12.000001))])  # hung up before an answer
    assert _times(engine, uuid)[3:] == (12.000001, None)

    write_batch(engine, [CallUpdate(uuid, answered_at=at(0.5))])
    assert _times(engine, uuid)[3:] == (12.000001, 11.500001)


def test_none_never_erases_and_the_newest_value_wins(engine: Engine) -> None:
    uuid = "newest"
    write_batch(engine, [CallUpdate(uuid, outcome="queued", destination="queue:sales", caller_name="Ann")])
    write_batch(engine, [CallUpdate(uuid, hangup_cause="NORMAL_CLEARING")])
    row = call_row(engine, uuid)
    assert (row["outcome"], row["destination"], row["caller_name"]) == ("queued", "queue:sales", "Ann")

    write_batch(engine, [CallUpdate(uuid, outcome="transferred", destination="1001")])
    row = call_row(engine, uuid)
    assert (row["outcome"], row["destination"], row["hangup_cause"]) == (
        "transferred",
        "1001",
        "NORMAL_CLEARING",
    )


def test_updates_of_one_call_in_one_batch_apply_in_batch_order(engine: Engine) -> None:
    write_batch(
        engine,
        [
            CallUpdate("z-call", outcome="queued"),
            CallUpdate("a-call", outcome="hangup"),
            CallUpdate("z-call", outcome="abandoned"),
            CallUpdate("a-call", outcome="fallback"),
        ],
    )
    assert call_row(engine, "z-call")["outcome"] == "abandoned"
    assert call_row(engine, "a-call")["outcome"] == "fallback"


def test_a_batch_folds_a_calls_updates_exactly_as_separate_batches_would(engine: Engine) -> None:
    updates = [
        *listener_events("m"),
        *(r for r in session_batch("m") if isinstance(r, CallUpdate)),
        CallUpdate("m", started_at=at(-5), ended_at=at(99), outcome="fallback", customer_id=None),
    ]
    for number, order in enumerate(itertools.permutations(updates)):
        one_by_one, together = f"apart-{number}", f"together-{number}"
        for update in order:
            write_batch(engine, [_with_uuid(update, one_by_one)])
        write_batch(engine, [_with_uuid(update, together) for update in order])
        assert without(call_row(engine, together), "id", "uuid", "updated_at") == without(
            call_row(engine, one_by_one), "id", "uuid", "updated_at"
        ), number


def test_merging_leaves_one_update_per_call() -> None:
    merged = merge_call_updates(
        [
            CallUpdate("b", outcome="queued"),
            CallUpdate("a", did="4001"),
            CallUpdate("b", outcome=None, did="4002"),
        ]
    )
    assert merged == [CallUpdate("b", outcome="queued", did="4002"), CallUpdate("a", did="4001")]


def test_steps_for_an_unknown_call_create_the_bare_call(engine: Engine) -> None:
    write_batch(engine, session_batch("bare")[:3])

    row = call_row(engine, "bare")
    assert without(row, "id", "uuid", "updated_at") == dict.fromkeys(MERGED)
    assert row["updated_at"] is not None

    write_batch(engine, listener_events("bare"))
    with session_scope(engine) as session:
        call = call_with_steps(session, "bare")
        assert call is not None
        assert call.started_at == at(0)
        assert [s.seq for s in call.steps] == [1, 2, 3]
    assert len(rows(engine, Call)) == 1


def test_a_step_written_twice_keeps_its_first_version(engine: Engine) -> None:
    write_batch(engine, [IvrStepRecord("steps", 1, "main", "p1", "1", "ok", at(1))])
    write_batch(engine, [IvrStepRecord("steps", 1, "other", "p2", "9", "invalid", at(2))])
    (step,) = rows(engine, IvrStep)
    assert (step["menu"], step["digits"], step["result"], step["at"]) == ("main", "1", "ok", at(1))


def test_times_are_stored_as_the_same_instant_in_utc(engine: Engine) -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    local = dt.datetime(2024, 6, 1, 11, 0, 0, 500000, tzinfo=paris)
    write_batch(engine, [CallUpdate("zone", started_at=local, ended_at=local + dt.timedelta(seconds=3))])
    row = call_row(engine, "zone")
    assert row["started_at"] == local
    assert row["started_at"].utcoffset() == dt.timedelta(0)
    assert row["duration_s"] == 3.0


def test_an_empty_batch_writes_nothing(engine: Engine) -> None:
    write_batch(engine, [])
    assert rows(engine, Call) == []


def test_deleting_a_call_deletes_its_steps(engine: Engine) -> None:
    write_batch(engine, [*session_batch("gone"), *session_batch("kept")])
    with session_scope(engine) as session:
        session.execute(delete(Call).where(Call.uuid == "gone"))
    assert {s["call_uuid"] for s in rows(engine, IvrStep)} == {"kept"}
    with session_scope(engine) as session:
        assert call_with_steps(session, "gone") is None
