"""Announcing queue events to every application server's statistics board, in the transaction that
records them, and reading back what a board needs after a (re)connect.

On PostgreSQL `schema.calls.writes.write_batch` runs `pg_notify('cc_queue_stats', <payload>)` for
each queue_log row it writes that the board counts (ENTERQUEUE and the exits), inside the batch's
transaction: a batch that rolls back announces nothing, a committed one announces every row, to every
server listening (esl_handlers.pg_listen). A replayed batch announces its rows again; the board counts
an event once (ivr_scripts.acd.live_stats). The payload is compact JSON, at most a few hundred bytes
(PostgreSQL refuses 8000): the event's key and wait, and `cb` for a callback ticket's answer instead of
the free-text `data`.

A notification missed while a server was not listening is covered by its resync: `board_record` reads
the queue events since a moment and every agent's row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

from sqlalchemy import Connection, Engine, Table, select, text

from dialplans.vocabulary import QUEUE_EVENT_NAMES, QueueEventName
from ivr_scripts.acd.live_stats import CALLBACK_MARK, EXIT_EVENTS, AgentRow
from ivr_scripts.acd.queue_events import QueueEventReport
from schema.acd.models import Agent, QueueLogEntry
from schema.db import read_connection

CHANNEL: Final = "cc_queue_stats"
BOARD_EVENTS: Final = (*sorted(EXIT_EVENTS), "ENTERQUEUE")
MAX_PAYLOAD_BYTES: Final = 7999  # PostgreSQL's limit is under 8000 bytes
QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
AGENTS: Final = cast(Table, Agent.__table__)
_AGENT_ROWS: Final = select(
    AGENTS.c.agent_id,
    AGENTS.c.state,
    AGENTS.c.state_since,
    AGENTS.c.version,
    AGENTS.c.department,
    AGENTS.c.state_reason,
    AGENTS.c.call_uuid,
    AGENTS.c.wrap_up_until,
)
_NOTIFY_ALL: Final = text(
    "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload"
)


def notify_queue_rows(connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Inside a write on PostgreSQL: announce each queue_log row the board counts (else nothing)."""
    if connection.dialect.name != "postgresql":
        return
    payloads = [format_payload(row) for row in rows if row["event"] in BOARD_EVENTS]
    if payloads:  # one round trip for the whole batch
        connection.execute(_NOTIFY_ALL, {"channel": CHANNEL, "payloads": payloads})


def format_payload(row: Mapping[str, Any]) -> str:
    """A queue_log row (schema.calls.writes.queue_log_row) as the notification's JSON."""
    data = row.get("data")
    at: dt.datetime = row["at"]
    fields: dict[str, Any] = {
        "c": row["call_uuid"],
        "q": row["queue"],
        "e": row["event"],
        "a": row["agent_id"] or "",
        "t": at.astimezone(dt.UTC).isoformat(),
    }
    if row.get("wait_s") is not None:
        fields["w"] = row["wait_s"]
    if data is not None and str(data).startswith(CALLBACK_MARK):
        fields["cb"] = True
    payload = json.dumps(fields, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"queue event of call {row['call_uuid']!r}: notification over 8000 bytes")
    return payload


def parse_payload(payload: str) -> QueueEventReport:
    """The event a notification announces; ValueError if it is not one of ours."""
    try:
        fields = json.loads(payload)
        event = fields["e"]
        if event not in QUEUE_EVENT_NAMES:
            raise ValueError(f"unknown queue event {event!r}")
        at = dt.datetime.fromisoformat(fields["t"])
        if at.tzinfo is None:
            raise ValueError("a time without a timezone")
        wait = fields.get("w")
        return QueueEventReport(
            event=cast(QueueEventName, event),
            call_uuid=str(fields["c"]),
            queue=str(fields["q"]),
            agent_id=str(fields["a"]) or None,
            wait_s=None if wait is None else float(wait),
            at=at,
            data=CALLBACK_MARK if fields.get("cb") else None,
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a queue statistics notification: {payload[:200]!r}") from exc


def board_record(engine: Engine, since: dt.datetime) -> tuple[list[QueueEventReport], list[AgentRow]]:
    """What a board rebuilds from: the queue events it counts with `at >= since`, in time order, and
    every agent's state, since when, row version, break reason, call held and wrap-up end."""
    log = QUEUE_LOG.c
    with read_connection(engine, "reading the live statistics' record") as connection:
        events = connection.execute(
            select(log.call_uuid, log.queue, log.event, log.agent_id, log.at, log.wait_s, log.data)
            .where(log.at >= since, log.event.in_(BOARD_EVENTS))
            .order_by(log.at, log.id)
        ).all()
        rows = connection.execute(_AGENT_ROWS.order_by(AGENTS.c.agent_id)).all()
    return (
        [
            QueueEventReport(
                event=row.event,
                call_uuid=row.call_uuid,
                queue=row.queue,
                agent_id=row.agent_id or None,
                wait_s=row.wait_s,
                at=row.at,
                data=row.data,
            )
            for row in events
        ],
        [AgentRow(*row) for row in rows],
    )


def agent_row(engine: Engine, agent_id: str) -> AgentRow | None:
    """One agent as a board needs it (a change heard without its state: the control socket)."""
    with read_connection(engine, f"reading agent {agent_id}") as connection:
        row = connection.execute(_AGENT_ROWS.where(AGENTS.c.agent_id == agent_id)).first()
    return None if row is None else AgentRow(*row)
