"""Agents' live state in the database: reservation, transitions, the agent state log, the queue log.

Safe with several application servers on one PostgreSQL. `reserve_agent` picks and reserves an
agent in one statement: `UPDATE agents ... WHERE agent_id = (SELECT ... WHERE state = 'available'
ORDER BY <preference> LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'available' RETURNING ...`.
A row another server has locked is skipped, never waited for; the outer `state = 'available'`
is a second guard, so one agent is never reserved twice. On SQLite, a write transaction
(BEGIN IMMEDIATE, see schema.db) excludes every other writer, and the same statement applies.

Every change of an agent row bumps `version` by one and, in the same transaction, writes one
agent_state_log row carrying the new version: UNIQUE(agent_id, version) makes the log
idempotent and orders each agent's history without trusting clocks. A transition is
conditional (the agent must still hold the expected call and be in an allowed from-state), so
replaying one changes nothing and returns False.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from sqlalchemy import Connection, Engine, Table, case, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from schema.acd_models import AGENT_STATES, CALL_STATES, Agent, AgentStateLog
from schema.acd_records import (
    AgentProfile,
    AgentSnapshot,
    QueueEvent,
    check_agent_id,
    check_agent_state,
    check_aware,
    check_call_uuid,
)
from schema.agent_notify import announce_agent_change
from schema.calls import write_batch
from schema.db import write_transaction
from schema.errors import RecordRejected, StorageError, translate

AGENTS: Final = cast(Table, Agent.__table__)
STATE_LOG: Final = cast(Table, AgentStateLog.__table__)

# The from-states each target state may be entered from by `transition_agent`: exactly the moves
# of the state machine's table (ivr_scripts.agent_states.TABLE and its no-answer and zero wrap-up
# rules; tests/unit/test_agent_rules_agree.py holds the two together). "reserved" is only entered
# through `reserve_agent`, which also picks the agent. Moves outside the table (logging out an
# agent on a call) are supervisors' and the reconciler's `force`, written through
# schema.adapters.agent_store with the version as the only guard.
ALLOWED_FROM: Final[Mapping[str, frozenset[str]]] = {
    "logged_out": frozenset({"available", "wrap_up", "on_break"}),
    "available": frozenset(AGENT_STATES) - {"available"},
    "ringing": frozenset({"reserved"}),
    "on_call": frozenset({"reserved", "ringing"}),
    # From reserved or ringing: the call ended and its "answered" event was lost.
    "wrap_up": frozenset({"reserved", "ringing", "on_call"}),
    # From on_break: a new reason (lunch -> meeting); the same reason again is a replay.
    "on_break": frozenset({"available", "reserved", "ringing", "wrap_up", "on_break"}),
}
# A call stays on the agent row in these states; leaving them clears call_uuid and reserved_by.
HOLDS_CALL: Final = frozenset(CALL_STATES) | {"wrap_up"}


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
    candidate = AGENTS.alias("candidate")
    pick = (
        select(candidate.c.agent_id)
        .where(candidate.c.agent_id.in_(list(preference)), candidate.c.state == "available")
        .order_by(case(preference, value=candidate.c.agent_id))
        .limit(1)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
        .scalar_subquery()
    )
    reserve = (
        update(AGENTS)
        .where(AGENTS.c.agent_id == pick, AGENTS.c.state == "available")
        .values(
            state="reserved",
            state_reason=None,
            call_uuid=call_uuid,
            state_since=at,
            wrap_up_until=None,
            reserved_by=server,
            version=AGENTS.c.version + 1,
            updated_at=_now(),
        )
        .returning(AGENTS.c.agent_id, AGENTS.c.version)
    )
    with write_transaction(engine, f"reserving an agent for call {call_uuid}") as connection:
        reserved = connection.execute(reserve).first()
        if reserved is None:
            return None
        agent_id, version = reserved
        announce_agent_change(connection, agent_id, "reserved", version)
        _log(
            connection,
            {
                "agent_id": agent_id,
                "version": version,
                "from_state": "available",
                "to_state": "reserved",
                "trigger": "reserve",
                "reason": None,
                "call_uuid": call_uuid,
                "at": at,
                "server": server,
            },
        )
        return str(agent_id)


def transition_agent(
    engine: Engine,
    agent_id: str,
    expected_call_uuid: str | None,
    to_state: str,
    *,
    trigger: str,
    reason: str | None,
    at: dt.datetime,
    server: str,
    wrap_up_until: dt.datetime | None = None,
    no_answer: bool = False,
) -> bool:
    """Move the agent to `to_state` if it still holds `expected_call_uuid` (None: no call) and
    its state is one `ALLOWED_FROM[to_state]` allows; write the state-log row. False otherwise.

    The call stays on the row in ringing, on_call and wrap_up, and is cleared in other states.
    `no_answer` counts one more consecutive no-answer; entering on_call or logged_out resets the
    count. `wrap_up_until` is kept only in wrap_up.
    """
    if to_state == "reserved":
        raise RecordRejected("agents are reserved by reserve_agent, which also picks the agent")
    check_agent_state(to_state)
    return _transition(
        engine,
        agent_id,
        expected_call_uuid,
        ALLOWED_FROM[to_state],
        to_state,
        trigger=trigger,
        reason=reason,
        at=at,
        server=server,
        wrap_up_until=wrap_up_until,
        no_answer=no_answer,
    )


def release_reservation(
    engine: Engine, agent_id: str, call_uuid: str, *, at: dt.datetime, server: str, reason: str | None = None
) -> bool:
    """Give back a reservation that never rang (reserved -> available); False if it is gone."""
    return _transition(
        engine,
        agent_id,
        call_uuid,
        frozenset({"reserved"}),
        "available",
        trigger="release",
        reason=reason,
        at=at,
        server=server,
    )


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
            "state": "logged_out",
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
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(AGENTS).order_by(AGENTS.c.agent_id)).all()
    except sa_exc.SQLAlchemyError as exc:
        raise translate(exc, "reading the agents") from exc
    return [AgentSnapshot(**row._asdict()) for row in rows]


def write_queue_events(engine: Engine, events: Sequence[QueueEvent]) -> None:
    """Append queue events; an event already written (same key, see schema.acd_models) is skipped."""
    write_batch(engine, events)


def _transition(
    engine: Engine,
    agent_id: str,
    expected_call_uuid: str | None,
    allowed_from: frozenset[str],
    to_state: str,
    *,
    trigger: str,
    reason: str | None,
    at: dt.datetime,
    server: str,
    wrap_up_until: dt.datetime | None = None,
    no_answer: bool = False,
) -> bool:
    check_agent_id(agent_id)
    check_aware(at, "transition time")
    action = f"moving agent {agent_id} to {to_state}"
    with write_transaction(engine, action) as connection:
        current = connection.execute(
            select(
                AGENTS.c.state,
                AGENTS.c.state_reason,
                AGENTS.c.call_uuid,
                AGENTS.c.version,
                AGENTS.c.consecutive_no_answers,
            )
            .where(AGENTS.c.agent_id == agent_id)
            .with_for_update()
        ).first()
        if current is None or current.state not in allowed_from or current.call_uuid != expected_call_uuid:
            return False
        if current.state == to_state and current.state_reason == reason:
            return False  # on_break -> on_break with the same reason: a replay
        keeps_call = to_state in HOLDS_CALL
        if to_state in ("on_call", "logged_out"):
            no_answers = 0
        else:
            no_answers = current.consecutive_no_answers + (1 if no_answer else 0)
        moved = connection.execute(
            update(AGENTS)
            .where(AGENTS.c.agent_id == agent_id, AGENTS.c.version == current.version)
            .values(
                state=to_state,
                state_reason=reason,
                call_uuid=expected_call_uuid if keeps_call else None,
                **({} if keeps_call else {"reserved_by": None}),
                state_since=at,
                consecutive_no_answers=no_answers,
                wrap_up_until=wrap_up_until if to_state == "wrap_up" else None,
                version=current.version + 1,
                updated_at=_now(),
            )
        )
        if moved.rowcount != 1:  # cannot happen under the row lock; kept as the second guard
            return False
        announce_agent_change(connection, agent_id, to_state, current.version + 1)
        _log(
            connection,
            {
                "agent_id": agent_id,
                "version": current.version + 1,
                "from_state": current.state,
                "to_state": to_state,
                "trigger": trigger,
                "reason": reason,
                "call_uuid": expected_call_uuid,
                "at": at,
                "server": server,
            },
        )
        return True


def _log(connection: Connection, entry: dict[str, Any]) -> None:
    """Write one agent_state_log row (agent_id, version, from_state, to_state, trigger, reason,
    call_uuid, at, server); a row already written for that (agent_id, version) is kept."""
    stmt = _insert(connection)(STATE_LOG).on_conflict_do_nothing(
        index_elements=[STATE_LOG.c.agent_id, STATE_LOG.c.version]
    )
    connection.execute(stmt, entry)


def _insert(connection: Connection) -> Any:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise StorageError(f"the ACD tables need PostgreSQL or SQLite, not {dialect}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
