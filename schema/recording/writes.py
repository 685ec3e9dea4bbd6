"""Recording records, written inside `schema.calls.writes.write_batch`'s transaction: one row per file, keyed
by its path, whatever order the records arrive in; a replay changes nothing (not even updated_at).

Merge rule for a recordings row:
- A plan or a switch event creates the row if the path is new (`INSERT ... ON CONFLICT (path) DO
  UPDATE`). A switch event arriving before the plan creates a valid row: format from the path's
  suffix (a plan's format is its suffix too, see schema.recording.records), one channel, no policy,
  queue or retention until the plan says otherwise.
- format, channels, policy, queue, retention_days: the plan's (the newest plan's, were there two);
  switch events never touch them.
- started_at: the earliest start event's; ended_at: the latest stop event's. The plan's `at` is not
  a start time: the switch's RECORD_START is.
- duration_s: the switch's own count from a stop event when one gave it (the newest such), else
  ended_at - started_at once both are known. A stored duration equal to its row's ended - started
  is taken as computed and recomputed when a time moves; any other stored value is the switch's.
- size_bytes, sha256: the newest file facts'; paused: true once any pause was reported (sticky).
- File facts and pauses carry no call UUID, so they only amend a row a plan or event created (in an
  earlier batch or this one); for a path the database does not know they are `RecordRejected`
  (the writer keeps them for a human) rather than silently dropped.
- agent_id: the agent of the call's latest queue_log CONNECT at or before the recording's end (any
  CONNECT while it has not ended), refreshed for every call whose recordings or CONNECT events are
  in the batch, so it holds whichever of the two was written first. A recording that stopped before
  the agent answered (the IVR part, before a queue policy) has no agent.
- agent_leg_uuid: a stop event's other_leg_uuid (the leg the recorded channel was last bridged to,
  the agent's for a queue call; queue_log CONNECT does not record it). The newest non-null wins:
  a stop's leg replaces the stored one when none is stored or the stop is later than ended_at (at
  the same instant the greater uuid, so the result does not depend on arrival order); a stop
  without a leg leaves it alone. A leg from a stop older than a later leg-less stop does not
  replace a stored leg (one stop per file in practice: both sources carry the same variables).
- updated_at moves only when a value changed.

Rows are written in path order (plans and events of one path before its facts and pauses), then
the agent fill in call order. Two writers that write recordings of the same calls at the same
moment could still deadlock on PostgreSQL; it aborts one, which fails as `StorageUnavailable` and
is retried.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import Insert, Update

from dialplans.vocabulary import ANSWERED_EVENT
from schema.acd.models import QueueLogEntry
from schema.errors import RecordRejected
from schema.merge_sql import SecondsBetween, dialect_insert, earliest, latest
from schema.recording.models import Recording
from schema.recording.records import (
    RecordingEvent,
    RecordingFileFacts,
    RecordingPaused,
    RecordingPlanned,
    recording_format,
)

RecordingRecord = RecordingPlanned | RecordingEvent | RecordingFileFacts | RecordingPaused

RECORDINGS: Final = cast(Table, Recording.__table__)
QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
PLANNED_FIELDS: Final = ("format", "channels", "policy", "queue", "retention_days")
UPSERT_FIELDS: Final = (
    "call_uuid",
    "path",
    *PLANNED_FIELDS,
    "started_at",
    "ended_at",
    "duration_s",
    "agent_leg_uuid",
)
UNPLANNED_CHANNELS: Final = 1


def write_recordings(
    connection: Connection,
    records: Sequence[RecordingRecord],
    *,
    connected_calls: Iterable[str],
    now: dt.datetime,
) -> None:
    """Merge the records into the recordings table and refresh the agent of the recordings of their
    calls and of `connected_calls` (calls with a CONNECT in the batch, already written)."""
    creating = {r.path for r in records if isinstance(r, RecordingPlanned | RecordingEvent)}
    _check_known(connection, {r.path for r in records if _amends(r)} - creating)
    ordered = sorted(records, key=lambda r: (r.path, _amends(r)))  # stable: a path's records keep order
    dialect = connection.dialect.name
    for amends, run in itertools.groupby(ordered, key=_amends):
        if amends:
            connection.execute(_amend_update(), [_amend_params(r, now) for r in run])
        else:
            connection.execute(_upsert(dialect), [_upsert_params(r, now) for r in run])
    calls = {r.call_uuid for r in records if isinstance(r, RecordingPlanned | RecordingEvent)}
    calls.update(connected_calls)
    if calls:
        connection.execute(_agent_fill(), [{"p_call_uuid": uuid, "p_now": now} for uuid in sorted(calls)])


def _amends(record: RecordingRecord) -> bool:
    return isinstance(record, RecordingFileFacts | RecordingPaused)


def _check_known(connection: Connection, paths: set[str]) -> None:
    if not paths:
        return
    known = set(connection.execute(select(RECORDINGS.c.path).where(RECORDINGS.c.path.in_(paths))).scalars())
    if unknown := sorted(paths - known):
        raise RecordRejected(f"file facts or a pause for unknown recording {', '.join(unknown)}")


def _upsert_params(record: RecordingRecord, now: dt.datetime) -> dict[str, Any]:
    params: dict[str, Any] = {f"p_{name}": None for name in UPSERT_FIELDS}
    params["p_path"], params["p_now"] = record.path, now
    if isinstance(record, RecordingPlanned):
        params.update({f"p_{name}": getattr(record, name) for name in ("call_uuid", *PLANNED_FIELDS)})
        params["p_planned"] = True
    elif isinstance(record, RecordingEvent):
        params["p_call_uuid"] = record.call_uuid
        params["p_format"] = recording_format(record.path)
        params["p_channels"] = UNPLANNED_CHANNELS
        params["p_started_at" if record.kind == "start" else "p_ended_at"] = record.at
        params["p_duration_s"] = record.duration_s
        params["p_agent_leg_uuid"] = record.other_leg_uuid
        params["p_planned"] = False
    return params


def _amend_params(record: RecordingRecord, now: dt.datetime) -> dict[str, Any]:
    facts = record if isinstance(record, RecordingFileFacts) else None
    return {
        "p_path": record.path,
        "p_size_bytes": facts.size_bytes if facts else None,
        "p_sha256": facts.sha256 if facts else None,
        "p_paused": isinstance(record, RecordingPaused),
        "p_now": now,
    }


@functools.cache  # built once per dialect; SQLAlchemy then reuses the compiled form
def _upsert(dialect: str) -> Insert:
    columns = RECORDINGS.c
    given = {name: bindparam(f"p_{name}", type_=columns[name].type) for name in UPSERT_FIELDS}
    stmt: Insert = dialect_insert(dialect)(RECORDINGS).values(
        **given,
        paused=false(),
        keep=false(),
        updated_at=bindparam("p_now", type_=columns.updated_at.type),
    )
    new = stmt.excluded  # type: ignore[attr-defined]
    planned = bindparam("p_planned", type_=Boolean())
    merged: dict[str, ColumnElement[Any]] = {
        name: case((planned, new[name]), else_=columns[name]) for name in PLANNED_FIELDS
    }
    merged["started_at"] = earliest(columns.started_at, new.started_at)
    merged["ended_at"] = latest(columns.ended_at, new.ended_at)
    leg, stored_leg = new.agent_leg_uuid, columns.agent_leg_uuid
    newer_leg = or_(
        stored_leg.is_(None),
        new.ended_at > columns.ended_at,
        and_(new.ended_at == columns.ended_at, leg > stored_leg),
    )
    merged["agent_leg_uuid"] = case((and_(leg.is_not(None), newer_leg), leg), else_=stored_leg)
    computed_before = SecondsBetween(columns.started_at, columns.ended_at)
    duration = case(
        (new.duration_s.is_not(None), new.duration_s),
        (
            or_(columns.duration_s.is_(None), columns.duration_s == computed_before),
            SecondsBetween(merged["started_at"], merged["ended_at"]),
        ),
        else_=columns.duration_s,
    )
    changed = or_(
        *(value.is_distinct_from(columns[name]) for name, value in merged.items()),
        and_(new.duration_s.is_not(None), new.duration_s.is_distinct_from(columns.duration_s)),
    )
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return, attr-defined]
        index_elements=[columns.path],
        set_={**merged, "duration_s": duration, "updated_at": new.updated_at},
        where=changed,
    )


@functools.cache
def _amend_update() -> Update:
    columns = RECORDINGS.c
    size = func.coalesce(bindparam("p_size_bytes", type_=columns.size_bytes.type), columns.size_bytes)
    sha256 = func.coalesce(bindparam("p_sha256", type_=columns.sha256.type), columns.sha256)
    pausing = bindparam("p_paused", type_=Boolean())
    changed = or_(
        size.is_distinct_from(columns.size_bytes),
        sha256.is_distinct_from(columns.sha256),
        and_(pausing, columns.paused == false()),
    )
    return (
        update(RECORDINGS)
        .where(columns.path == bindparam("p_path"), changed)
        .values(
            size_bytes=size,
            sha256=sha256,
            paused=or_(columns.paused, pausing),
            updated_at=bindparam("p_now", type_=columns.updated_at.type),
        )
    )


@functools.cache
def _agent_fill() -> Update:
    recordings, log = RECORDINGS.c, QUEUE_LOG.c
    connected_agent = (
        select(log.agent_id)
        .where(
            log.call_uuid == recordings.call_uuid,
            log.event == ANSWERED_EVENT,
            log.agent_id != "",
            or_(recordings.ended_at.is_(None), log.at <= recordings.ended_at),
        )
        .order_by(log.at.desc(), log.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        update(RECORDINGS)
        .where(
            recordings.call_uuid == bindparam("p_call_uuid"),
            connected_agent.is_distinct_from(recordings.agent_id),
        )
        .values(agent_id=connected_agent, updated_at=bindparam("p_now", type_=recordings.updated_at.type))
    )
