"""Idempotent writes of call records: both writers upsert by channel UUID and the database merges.

A batch may also carry queue events (`schema.acd.records.QueueEvent`), written in the same
transaction as the call records: queue_log rows are inserted `ON CONFLICT DO NOTHING` on their
key (call_uuid, queue, event, agent_id, at), exactly as `schema.acd.agents.write_queue_events` does,
so a replay through either path writes nothing. A queue event needs no call row (queue_log has
no foreign key): a batch of queue events alone touches only queue_log. Survey answers
(`SurveyAnswerRecord`) likewise: inserted `ON CONFLICT (call_uuid, question) DO NOTHING` (the
first answer stored stays, a replay changes nothing), no call row needed. Recording records
(`schema.recording.writes.RecordingRecord`) are merged into the recordings table by path, and the
agent of a call's recordings is refreshed from its queue_log CONNECT: see schema/recording/writes.py.
On PostgreSQL the queue_log rows the live statistics count are also announced with NOTIFY in the
same transaction (schema/acd/queue_notify.py). Agent legs (`schema.acd.records.AgentLegRecord`) are
upserted by leg UUID: see schema/acd/leg_writes.py.

Merge rule for a call row (`INSERT ... ON CONFLICT (uuid) DO UPDATE`), field by field:
- started_at, answered_at: the earliest value any writer gave; ended_at: the latest.
- every other field: the value of the update written last, unless that update left it None
  (None means "not known here": it never erases a value).
- customer_id is written only if that customer still exists (a scalar subquery on customers.id):
  a customer deleted since the caller-ID lookup leaves the link as it was instead of making the
  database refuse the whole batch (the foreign key then sets it NULL anyway, ON DELETE SET NULL).
- duration_s = ended_at - started_at and billsec_s = ended_at - answered_at, in seconds with
  microsecond precision, computed in SQL from the merged times (None until both ends are known).
- updated_at moves only when a field actually changed, so replaying an event changes nothing.
IVR steps are inserted `ON CONFLICT (call_uuid, seq) DO NOTHING`: the first write of a step wins.
A step for a call not yet written first creates the bare call row (uuid only) its foreign key needs.

Rows are written in UUID order, so concurrent batches lock rows in the same order and cannot
deadlock; records for one UUID keep their order in the batch, which is what "last" means above.
Tables are always written in the same order too: calls, then ivr_steps, then queue_log (in key
order, the order `write_queue_events` uses), then agent_legs (in leg UUID order), then survey_responses
(in (call_uuid, question) order), then recordings (in path order).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Engine, bindparam, func, or_, select
from sqlalchemy.sql.dml import Insert

from dialplans.vocabulary import ANSWERED_EVENT
from schema.acd.leg_writes import write_agent_legs
from schema.acd.models import QueueLogEntry
from schema.acd.queue_notify import notify_queue_rows
from schema.acd.records import AgentLegRecord, QueueEvent
from schema.calls.models import Call, IvrStep
from schema.calls.records import CallUpdate, IvrStepRecord, SurveyAnswerRecord

# calls.customer_id references customers: SQLAlchemy must know that table to resolve the foreign key.
from schema.crm.models import Customer, SurveyResponse
from schema.db import write_transaction
from schema.merge_sql import SecondsBetween, dialect_insert, earliest, latest
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned
from schema.recording.writes import RecordingRecord, write_recordings

Record = CallUpdate | IvrStepRecord | QueueEvent | AgentLegRecord | SurveyAnswerRecord | RecordingRecord
RECORDING_RECORDS: Final = (RecordingPlanned, RecordingEvent, RecordingFileFacts, RecordingPaused)

CALLS: Final = Call.__table__
STEPS: Final = IvrStep.__table__
QUEUE_LOG: Final = QueueLogEntry.__table__
SURVEYS: Final = SurveyResponse.__table__
CUSTOMERS: Final = Customer.__table__
QUEUE_LOG_KEY: Final = ("call_uuid", "queue", "event", "agent_id", "at")
EARLIEST_FIELDS: Final = ("started_at", "answered_at")
LATEST_FIELDS: Final = ("ended_at",)
NEWEST_FIELDS: Final = tuple(
    f.name
    for f in dataclasses.fields(CallUpdate)
    if f.name != "uuid" and f.name not in EARLIEST_FIELDS + LATEST_FIELDS
)
_CALL_FIELDS: Final = tuple(f.name for f in dataclasses.fields(CallUpdate))
STEP_FIELDS: Final = tuple(f.name for f in dataclasses.fields(IvrStepRecord))
SURVEY_FIELDS: Final = tuple(f.name for f in dataclasses.fields(SurveyAnswerRecord))


def write_batch(engine: Engine, records: Sequence[Record]) -> None:
    """Write the records in one transaction; writing the same batch again changes nothing.

    Raises `StorageUnavailable` (retry the same batch later), `RecordRejected`, or `StorageError`.
    """
    if not records:
        return
    calls = merge_call_updates(r for r in records if isinstance(r, CallUpdate))
    steps = [r for r in records if isinstance(r, IvrStepRecord)]
    known = {c.uuid for c in calls}
    calls += [CallUpdate(uuid) for uuid in sorted({s.call_uuid for s in steps} - known)]
    calls.sort(key=lambda c: c.uuid)
    steps.sort(key=lambda s: (s.call_uuid, s.seq))
    queue_rows = sorted(
        (queue_log_row(r) for r in records if isinstance(r, QueueEvent)),
        key=lambda row: tuple(row[name] for name in QUEUE_LOG_KEY),
    )
    answers = sorted(
        (r for r in records if isinstance(r, SurveyAnswerRecord)), key=lambda a: (a.call_uuid, a.question)
    )
    recordings = [r for r in records if isinstance(r, RECORDING_RECORDS)]
    legs = [r for r in records if isinstance(r, AgentLegRecord)]
    connected = {r.call_uuid for r in records if isinstance(r, QueueEvent) and r.event == ANSWERED_EVENT}
    now = dt.datetime.now(dt.UTC)
    with write_transaction(engine, f"writing {len(records)} call records") as connection:
        dialect = connection.dialect.name
        if calls:
            # executemany: one execution per record, in order (psycopg pipelines them), so a
            # batch may update one call several times; a single multi-row INSERT could not.
            connection.execute(_call_upsert(dialect), [_call_params(call, now) for call in calls])
        if steps:
            connection.execute(_step_insert(dialect), [_step_params(s) for s in steps])
        if queue_rows:
            connection.execute(_queue_insert(dialect), queue_rows)
            notify_queue_rows(connection, queue_rows)
        if legs:
            write_agent_legs(connection, legs)
        if answers:
            connection.execute(_survey_insert(dialect), [_survey_params(a) for a in answers])
        if recordings or connected:
            write_recordings(connection, recordings, connected_calls=connected, now=now)


def merge_call_updates(updates: Iterable[CallUpdate]) -> list[CallUpdate]:
    """One update per call, folded in order by the upsert's own rules (earliest, latest, newest
    non-NULL), so a batch writes each call's row once: a call's socket and the event listener
    report the same CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE, and a batch often holds a call's
    start, its screening and its first events together."""
    merged: dict[str, dict[str, Any]] = {}
    for update in updates:
        fields = merged.get(update.uuid)
        if fields is None:
            merged[update.uuid] = {name: getattr(update, name) for name in _CALL_FIELDS}
            continue
        for name in EARLIEST_FIELDS:
            fields[name] = _pick(fields[name], getattr(update, name), min)
        for name in LATEST_FIELDS:
            fields[name] = _pick(fields[name], getattr(update, name), max)
        for name in NEWEST_FIELDS:
            value = getattr(update, name)
            if value is not None:
                fields[name] = value
    return [CallUpdate(**fields) for fields in merged.values()]


def _pick(old: Any, new: Any, choose: Callable[[Any, Any], Any]) -> Any:
    if old is None:
        return new
    if new is None:
        return old
    return choose(old, new)


def queue_log_row(event: QueueEvent) -> dict[str, Any]:
    """The queue_log row of an event: `at` in UTC, '' for no agent (see schema.acd.models)."""
    return {
        "at": event.at.astimezone(dt.UTC),
        "call_uuid": event.call_uuid,
        "queue": event.queue,
        "agent_id": event.agent_id or "",
        "event": event.event,
        "wait_s": event.wait_s,
        "talk_s": event.talk_s,
        "position": event.position,
        "data": event.data,
    }


def _call_params(call: CallUpdate, now: dt.datetime) -> dict[str, Any]:
    params = {f"p_{f.name}": getattr(call, f.name) for f in dataclasses.fields(call)}
    params["p_now"] = now
    return params


def _step_params(step: IvrStepRecord) -> dict[str, Any]:
    return {name: getattr(step, name) for name in STEP_FIELDS}


def _survey_params(answer: SurveyAnswerRecord) -> dict[str, Any]:
    return {name: getattr(answer, name) for name in SURVEY_FIELDS}


@functools.cache  # built once per dialect; SQLAlchemy then reuses the compiled form
def _call_upsert(dialect: str) -> Insert:
    columns = CALLS.c
    given: dict[str, ColumnElement[Any]] = {
        f.name: bindparam(f"p_{f.name}", type_=columns[f.name].type) for f in dataclasses.fields(CallUpdate)
    }
    given["customer_id"] = _existing_customer(given["customer_id"])
    stmt: Insert = dialect_insert(dialect)(CALLS).values(
        **given,
        duration_s=SecondsBetween(given["started_at"], given["ended_at"]),
        billsec_s=SecondsBetween(given["answered_at"], given["ended_at"]),
        updated_at=bindparam("p_now", type_=columns.updated_at.type),
    )
    new = stmt.excluded  # type: ignore[attr-defined]
    merged: dict[str, ColumnElement[Any]] = {}
    for name in EARLIEST_FIELDS:
        merged[name] = earliest(columns[name], new[name])
    for name in LATEST_FIELDS:
        merged[name] = latest(columns[name], new[name])
    for name in NEWEST_FIELDS:
        merged[name] = func.coalesce(new[name], columns[name])
    changed = or_(*(value.is_distinct_from(columns[name]) for name, value in merged.items()))
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return, attr-defined]
        index_elements=[columns.uuid],
        set_={
            **merged,
            "duration_s": SecondsBetween(merged["started_at"], merged["ended_at"]),
            "billsec_s": SecondsBetween(merged["answered_at"], merged["ended_at"]),
            "updated_at": new.updated_at,
        },
        where=changed,
    )


@functools.cache
def _step_insert(dialect: str) -> Insert:
    stmt = dialect_insert(dialect)(STEPS)
    return stmt.on_conflict_do_nothing(index_elements=[STEPS.c.call_uuid, STEPS.c.seq])  # type: ignore[no-any-return]


@functools.cache
def _survey_insert(dialect: str) -> Insert:
    stmt = dialect_insert(dialect)(SURVEYS)
    return stmt.on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=[SURVEYS.c.call_uuid, SURVEYS.c.question]
    )


@functools.cache
def _queue_insert(dialect: str) -> Insert:
    stmt = dialect_insert(dialect)(QUEUE_LOG)
    return stmt.on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=[QUEUE_LOG.c[name] for name in QUEUE_LOG_KEY]
    )


def _existing_customer(customer_id: ColumnElement[Any]) -> ColumnElement[Any]:
    # NULL when no such customer (deleted since the lookup): see "customer_id" in the module docstring.
    return select(CUSTOMERS.c.id).where(CUSTOMERS.c.id == customer_id).scalar_subquery()
