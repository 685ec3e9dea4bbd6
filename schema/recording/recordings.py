"""The recordings data layer: lists and the keep flag for people, and the bookkeeping of pruning and backup.

Reads and the keep flag take the viewer and apply `schema.crm.access.recording_visible`: a recording
the viewer may not see is `NotFound`, exactly like a missing one. Only supervisors (of recordings
they see), managers and the system set the keep flag; agents get `PermissionDenied`.

Pruning and backup are run by the server or the CLI (no viewer); the file work happens elsewhere
(ivr_scripts), and each step is safe to repeat after an interruption:
- `due_for_pruning` lists closed recordings whose retention has run out and that are not kept;
  the caller deletes each file, then `mark_deleted` (idempotent). The mark follows the file: a
  recording flagged keep after it was listed but whose file is gone is still marked deleted.
- `backup_candidates` lists closed recordings with a known sha256 not yet backed up; the caller
  copies each, checks the copy, then `mark_backed_up` with the copy's sha256 (which must match).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, false, func, or_, select, update

from schema.crm.access import RECORDINGS, may_review_recordings, recording_visible
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.recording.records import normalised_sha256
from schema.recording.views import BackupCandidate, PruneCandidate, RecordingView
from schema.viewer import Viewer

MAX_PAGE: Final = 500
KEEP_REASON_MAX_LENGTH: Final = 500


def list_recordings(
    engine: Engine,
    viewer: Viewer,
    *,
    agent_id: str | None = None,
    call_uuid: str | None = None,
    since: dt.datetime | None = None,
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[RecordingView]:
    """Visible recordings, newest first (by start); of one agent and/or call, started at or after
    `since`; pruned ones only with `include_deleted`."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise RecordRejected(f"limit must be 1 to {MAX_PAGE} and offset >= 0, not {limit} and {offset}")
    columns = RECORDINGS.c
    statement = select(RECORDINGS).where(recording_visible(viewer))
    if agent_id is not None:
        statement = statement.where(columns.agent_id == agent_id)
    if call_uuid is not None:
        statement = statement.where(columns.call_uuid == call_uuid)
    if since is not None:
        statement = statement.where(columns.started_at >= _aware(since, "since"))
    if not include_deleted:
        statement = statement.where(columns.deleted_at.is_(None))
    statement = statement.order_by(columns.started_at.desc().nulls_last(), columns.id.desc())
    with read_connection(engine, "listing recordings") as connection:
        rows = connection.execute(statement.limit(limit).offset(offset))
        return [_view(row) for row in rows]


def get_recording(engine: Engine, viewer: Viewer, recording_id: int) -> RecordingView:
    """The recording, deleted or not; `NotFound` when missing or not visible."""
    with read_connection(engine, f"reading recording {recording_id}") as connection:
        return _view(_visible_row(connection, viewer, recording_id))


def set_keep(
    engine: Engine,
    viewer: Viewer,
    recording_id: int,
    keep: bool,
    reason: str | None,
    *,
    now: dt.datetime | None = None,
) -> RecordingView:
    """Flag the recording to keep (or not) and say why (None: no reason); updated_at moves only on a
    change. A deleted recording cannot be kept (`RecordRejected`)."""
    if not may_review_recordings(viewer):
        raise PermissionDenied(f"{viewer.user} may not flag recordings to keep")
    if not isinstance(keep, bool):
        raise RecordRejected(f"keep must be true or false, not {keep!r}")
    reason = (reason.strip() or None) if reason is not None else None
    at = _aware(now, "now") if now is not None else _utc_now()
    if reason is not None and len(reason) > KEEP_REASON_MAX_LENGTH:
        raise RecordRejected(f"a keep reason is at most {KEEP_REASON_MAX_LENGTH} characters")
    with write_transaction(engine, f"flagging recording {recording_id}") as connection:
        row = _visible_row(connection, viewer, recording_id)
        if keep and row.deleted_at is not None:
            raise RecordRejected(f"recording {recording_id} was deleted at {row.deleted_at.isoformat()}")
        if (row.keep, row.keep_reason) != (keep, reason):
            changed = (
                update(RECORDINGS)
                .where(RECORDINGS.c.id == recording_id)
                .values(keep=keep, keep_reason=reason, updated_at=at)
            )
            row = connection.execute(changed.returning(*RECORDINGS.c)).one()
        return _view(row)


def due_for_pruning(engine: Engine, *, now: dt.datetime | None = None) -> list[PruneCandidate]:
    """Recordings to delete: ended, not kept, not yet deleted, started more than their retention_days
    before `now` (the end stands in for a start the switch never reported). Recordings whose plan
    never arrived (no retention_days) are never pruned. Oldest first."""
    at = _aware(now, "now") if now is not None else _utc_now()
    columns = RECORDINGS.c
    eligible = and_(
        columns.keep == false(),
        columns.deleted_at.is_(None),
        columns.ended_at.is_not(None),
        columns.retention_days.is_not(None),
    )
    started = func.coalesce(columns.started_at, columns.ended_at)
    with read_connection(engine, "finding recordings due for pruning") as connection:
        # One bound cutoff per retention (a handful: one per policy) keeps the date arithmetic
        # out of SQL, where SQLite and PostgreSQL disagree.
        retentions = connection.execute(select(columns.retention_days).where(eligible).distinct()).scalars()
        expired = [
            and_(columns.retention_days == days, started < at - dt.timedelta(days=days))
            for days in sorted(retentions)
        ]
        if not expired:
            return []
        statement = (
            select(columns.id, columns.path, columns.sha256)
            .where(eligible, or_(*expired))
            .order_by(started, columns.id)
        )
        return [
            PruneCandidate(id=row.id, path=row.path, sha256=row.sha256)
            for row in connection.execute(statement)
        ]


def mark_deleted(engine: Engine, recording_id: int, *, now: dt.datetime | None = None) -> bool:
    """Record that the file was deleted; True if this call marked it, False if it already was
    (the first mark's time stays). `NotFound` when there is no such recording."""
    at = _aware(now, "now") if now is not None else _utc_now()
    mark = (
        update(RECORDINGS)
        .where(RECORDINGS.c.id == recording_id, RECORDINGS.c.deleted_at.is_(None))
        .values(deleted_at=at, updated_at=at)
    )
    with write_transaction(engine, f"marking recording {recording_id} deleted") as connection:
        if connection.execute(mark).rowcount:
            return True
        _row(connection, recording_id, RECORDINGS.c.id)
        return False


def backup_candidates(engine: Engine) -> list[BackupCandidate]:
    """Closed recordings with a known sha256, not deleted and not backed up yet, by id."""
    columns = RECORDINGS.c
    statement = (
        select(columns.id, columns.path, columns.sha256)
        .where(
            columns.ended_at.is_not(None),
            columns.sha256.is_not(None),
            columns.deleted_at.is_(None),
            columns.backed_up_at.is_(None),
        )
        .order_by(columns.id)
    )
    with read_connection(engine, "finding recordings to back up") as connection:
        return [
            BackupCandidate(id=row.id, path=row.path, sha256=row.sha256)
            for row in connection.execute(statement)
        ]


def mark_backed_up(
    engine: Engine, recording_id: int, backup_sha256: str, *, now: dt.datetime | None = None
) -> bool:
    """Record a verified copy; True if this call marked it, False if it already was with this sha256.
    A copy whose sha256 is not the recording's is `RecordRejected` (it is no backup); `NotFound` when
    there is no such recording."""
    digest = normalised_sha256(backup_sha256, f"backup of recording {recording_id}: sha256")
    at = _aware(now, "now") if now is not None else _utc_now()
    columns = RECORDINGS.c
    with write_transaction(engine, f"marking recording {recording_id} backed up") as connection:
        row = _row(connection, recording_id, columns.sha256, columns.backed_up_at, columns.backup_sha256)
        if row.sha256 != digest:
            raise RecordRejected(
                f"recording {recording_id}: the copy's sha256 {digest} is not the file's {row.sha256}"
            )
        if row.backed_up_at is not None and row.backup_sha256 == digest:
            return False
        connection.execute(
            update(RECORDINGS)
            .where(columns.id == recording_id)
            .values(backed_up_at=at, backup_sha256=digest, updated_at=at)
        )
        return True


def _visible_row(connection: Connection, viewer: Viewer, recording_id: int) -> Row[Any]:
    statement = select(RECORDINGS).where(RECORDINGS.c.id == recording_id, recording_visible(viewer))
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"no recording {recording_id}")
    return row


def _row(connection: Connection, recording_id: int, *columns: ColumnElement[Any]) -> Row[Any]:
    row = connection.execute(select(*columns).where(RECORDINGS.c.id == recording_id)).first()
    if row is None:
        raise NotFound(f"no recording {recording_id}")
    return row


def _view(row: Row[Any]) -> RecordingView:
    return RecordingView.model_validate(dict(row._mapping))


def _aware(value: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RecordRejected(f"{what} {value!r} is not a datetime with a timezone")
    return value.astimezone(dt.UTC)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
