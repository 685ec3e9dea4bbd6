"""Agents' live state in the database: reservation, transitions, the agent state log, the queue log.

Safe with several application servers on one PostgreSQL. `reserve_agent` picks and locks an agent
in one transaction: `SELECT ... WHERE state IN (<reservable>) ORDER BY <preference> LIMIT 1 FOR UPDATE
SKIP LOCKED`, the reservable states being those the state machine's `reserve` leaves
(ivr_scripts.agent_table.RESERVABLE_STATES). A row another server has locked is skipped, never
waited for. The state machine then applies `reserve` to the row it found, and `write_transition`
writes the result. On SQLite, a write transaction (BEGIN IMMEDIATE, see schema.db) excludes every
other writer, and the same statements apply.

`write_transition` is the one write of an agent's state: the state machine decides the move, the
row's `version` is the guard. Every change bumps `version` by one and, in the same transaction,
writes one agent_state_log row carrying the new version: UNIQUE(agent_id, version) makes the log
idempotent and orders each agent's history without trusting clocks. The rest of the agent's moves
go through ivr_scripts.agent_service with schema.adapters.agent_store.SqlAgentStore.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    Update,
    case,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ivr_scripts.agent_states import AgentState, AgentStatus, Transition, Trigger, apply
from ivr_scripts.agent_table import RESERVABLE_STATES
from schema.acd.agent_notify import agent_change_notification
from schema.acd.models import Agent, AgentStateLog
from schema.acd.records import AgentProfile, AgentSnapshot, QueueEvent, check_aware, check_call_uuid
from schema.calls.writes import write_batch
from schema.db import read_connection, write_transaction
from schema.errors import RecordRejected, StorageError

AGENTS: Final = cast(Table, Agent.__table__)
STATE_LOG: Final = cast(Table, AgentStateLog.__table__)


def reserve_agent(
    engine: Engine, call_uuid: str, candidates: Sequence[str], server: str, at: dt.datetime
) -> str | None:
    """Reserve the first available agent of `candidates` (preference order) for the call.

    One short transaction: the agent goes to "reserved" holding `call_uuid`, `reserved_by` =
    `server`, and the state log gets its row. Returns the agent id, or None when no candidate
    is available (or every available one is being reserved by another server right now).
    Not idempotent by call: ring-all reserves several agents for one call.
    """
    check_call_uuid(call_uuid)
    check_aware(at, "reservation time")
    preference = {agent_id: rank for rank, agent_id in enumerate(dict.fromkeys(candidates))}
    if not preference:
        return None
    pick = (
        select(AGENTS)
        .where(AGENTS.c.agent_id.in_(list(preference)), AGENTS.c.state.in_(RESERVABLE_STATES))
        .order_by(case(preference, value=AGENTS.c.agent_id))
        .limit(1)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    with write_transaction(engine, f"reserving an agent for call {call_uuid}") as connection:
        row = connection.execute(pick).first()
        if row is None:
            return None
        before = AgentStatus(
            agent_id=row.agent_id,
            state=AgentState(row.state),
            since=row.state_since,
            consecutive_no_answers=row.consecutive_no_answers,
        )
        reservation = apply(before, Trigger.RESERVE, at=at, call_uuid=call_uuid)
        if not write_transition(
            connection, reservation, expected_version=row.version, expected_call_uuid=None, server=server
        ):
            return None  # cannot happen under the row lock
        return str(row.agent_id)


def write_transition(
    connection: Connection,
    transition: Transition,
    *,
    expected_version: int,
    expected_call_uuid: str | None,
    server: str,
) -> bool:
    """Store `transition.status` on the agent's row if the row is still at `expected_version`, and
    write its agent_state_log row; False, writing nothing, if the row moved on since it was read.

    `reserved_by` names `server` when the transition gives the agent a call it did not hold
    (`expected_call_uuid`), and is cleared with the call.
    """
    status = transition.status
    version = expected_version + 1
    values: dict[str, Any] = {
        "state": status.state.value,
        "state_reason": status.reason,
        "call_uuid": status.call_uuid,
        "state_since": status.since,
        "consecutive_no_answers": status.consecutive_no_answers,
        "wrap_up_until": status.wrap_up_until,
        "version": version,
        "updated_at": _now(),
    }
    if status.call_uuid is None:
        values["reserved_by"] = None
    elif status.call_uuid != expected_call_uuid:
        values["reserved_by"] = server
    move = (
        update(AGENTS)
        .where(AGENTS.c.agent_id == transition.agent_id, AGENTS.c.version == expected_version)
        .values(values)
    )
    # A log row already holding this version means the row and its log disagree: fail, roll back.
    log_row = {
        "agent_id": transition.agent_id,
        "version": version,
        "from_state": transition.from_state.value,
        "to_state": transition.to_state.value,
        "trigger": transition.trigger.value,
        "reason": transition.reason,
        "call_uuid": transition.call_uuid,
        "at": transition.at,
        "server": server,
    }
    if connection.dialect.name == "postgresql":
        announcement = agent_change_notification(transition.agent_id, status.state.value, version)
        return _move_log_and_announce(connection, move, log_row, announcement)
    if connection.execute(move).rowcount != 1:
        return False
    connection.execute(insert(STATE_LOG).values(log_row))
    return True


def _move_log_and_announce(
    connection: Connection, move: Update, log_row: dict[str, Any], announcement: ColumnElement[Any]
) -> bool:
    """PostgreSQL: the guarded UPDATE, its log row and its NOTIFY in one statement, one round trip.

    `WITH moved AS (UPDATE ... RETURNING agent_id) INSERT INTO agent_state_log SELECT ... FROM moved
    RETURNING pg_notify(...)`: the log row and the notification exist only if the row moved.
    """
    moved = move.returning(AGENTS.c.agent_id).cte("moved")
    columns = [name for name in log_row if name != "agent_id"]
    rows = select(moved.c.agent_id, *(literal(log_row[name], STATE_LOG.c[name].type) for name in columns))
    logged = insert(STATE_LOG).from_select(["agent_id", *columns], rows).returning(announcement)
    return len(connection.execute(logged).all()) == 1


def upsert_agents(engine: Engine, agents: Sequence[AgentProfile]) -> None:
    """Create the configured agents (logged_out) and update names, extensions and departments.

    Never touches live state: a logged-in agent stays as it is. An agent missing from `agents`
    is left alone. `version` moves only when a profile field actually changed.
    """
    ids = [agent.agent_id for agent in agents]
    if len(set(ids)) != len(ids):
        raise RecordRejected(f"agent ids given twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    if not agents:
        return
    now = _now()
    rows = [
        {
            "agent_id": agent.agent_id,
            "name": agent.name,
            "extension": agent.extension,
            "department": agent.department,
            "state": AgentState.LOGGED_OUT.value,
            "state_since": now,
            "consecutive_no_answers": 0,
            "version": 0,
            "updated_at": now,
        }
        for agent in sorted(agents, key=lambda a: a.agent_id)  # one lock order for concurrent callers
    ]
    with write_transaction(engine, f"writing {len(rows)} agents") as connection:
        stmt = _insert(connection)(AGENTS)
        new = stmt.excluded
        profile = ("name", "extension", "department")
        upsert = stmt.on_conflict_do_update(
            index_elements=[AGENTS.c.agent_id],
            set_={
                **{name: new[name] for name in profile},
                "version": AGENTS.c.version + 1,
                "updated_at": new.updated_at,
            },
            where=or_(*(AGENTS.c[name].is_distinct_from(new[name]) for name in profile)),
        )
        connection.execute(upsert, rows)


def agent_snapshot(engine: Engine) -> list[AgentSnapshot]:
    """Every agent row, by agent id."""
    with read_connection(engine, "reading the agents") as connection:
        rows = connection.execute(select(AGENTS).order_by(AGENTS.c.agent_id)).all()
    return [AgentSnapshot(**row._asdict()) for row in rows]


def write_queue_events(engine: Engine, events: Sequence[QueueEvent]) -> None:
    """Append queue events; an event already written (same key, see schema.acd.models) is skipped."""
    write_batch(engine, events)


def _insert(connection: Connection) -> Any:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise StorageError(f"the ACD tables need PostgreSQL or SQLite, not {dialect}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
