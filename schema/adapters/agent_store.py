"""The agents table as the agent service's store (ivr_scripts.agent_service.AgentStore).

`get` reads a row as a `StoredAgentStatus`: the state machine's status plus the row's `version`.
`save` is optimistic: `UPDATE agents ... WHERE agent_id = :id AND version = :expected`, and the
agent_state_log row keyed by the new version, in one transaction (BEGIN IMMEDIATE on SQLite). If
anything changed the row since it was read (an event, a reservation, another server) no row matches,
nothing is written and `save` returns False; the service reads again and re-applies. The version is
the whole guard, so this path also writes `force` corrections (reconciler, supervisors), which the
from-state rules of schema.agents.transition_agent would refuse. Reservation stays in
schema.agents.reserve_agent, which also picks the agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy import exc as sa_exc

from ivr_scripts.agent_states import AgentState, AgentStatus, Transition
from schema.acd_records import check_agent_id
from schema.agent_notify import announce_agent_change
from schema.agents import AGENTS, STATE_LOG
from schema.db import write_transaction
from schema.errors import translate

# Rows written by other paths may not meet the state machine's invariants (schema.agents.transition_agent
# accepts a break without a reason, or a wrap-up without an end); they are read leniently, as below.
UNSPECIFIED_BREAK_REASON: Final = "unspecified"
_HOLDS_CALL: Final = frozenset(
    {AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAgentStatus(AgentStatus):
    """An agent's status as read from its row; `version` is what `save` expects to find there."""

    version: int


class SqlAgentStore:
    """AgentStore on the agents table; `server` names this process in the state log and `reserved_by`."""

    def __init__(self, engine: Engine, server: str) -> None:
        self._engine = engine
        self._server = server

    def get(self, agent_id: str) -> StoredAgentStatus | None:
        check_agent_id(agent_id)
        row = self._read(select(AGENTS).where(AGENTS.c.agent_id == agent_id), f"reading agent {agent_id}")
        return _status(row[0]) if row else None

    def all(self) -> list[StoredAgentStatus]:
        return [
            _status(row) for row in self._read(select(AGENTS).order_by(AGENTS.c.agent_id), "reading agents")
        ]

    def save(self, transition: Transition, *, expected: AgentStatus) -> bool:
        if not isinstance(expected, StoredAgentStatus):
            raise TypeError("save needs the StoredAgentStatus this store's get returned, for its version")
        if transition.agent_id != expected.agent_id:
            raise ValueError(
                f"transition of agent {transition.agent_id} saved over agent {expected.agent_id}"
            )
        status = transition.status
        version = expected.version + 1
        values: dict[str, Any] = {
            "state": status.state.value,
            "state_reason": status.reason,
            "call_uuid": status.call_uuid,
            "state_since": status.since,
            "consecutive_no_answers": status.consecutive_no_answers,
            "wrap_up_until": status.wrap_up_until,
            "version": version,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        if status.call_uuid is None:
            values["reserved_by"] = None
        elif status.call_uuid != expected.call_uuid:
            values["reserved_by"] = self._server  # a call set by force (the reconciler found it bridged)
        with write_transaction(
            self._engine, f"moving agent {transition.agent_id} to {status.state}"
        ) as connection:
            moved = connection.execute(
                update(AGENTS)
                .where(AGENTS.c.agent_id == transition.agent_id, AGENTS.c.version == expected.version)
                .values(values)
            )
            if moved.rowcount != 1:
                return False
            announce_agent_change(connection, transition.agent_id, status.state.value, version)
            connection.execute(
                insert(STATE_LOG).values(
                    agent_id=transition.agent_id,
                    version=version,
                    from_state=transition.from_state.value,
                    to_state=transition.to_state.value,
                    trigger=transition.trigger.value,
                    reason=transition.reason,
                    call_uuid=transition.call_uuid,
                    at=transition.at,
                    server=self._server,
                )
            )
            return True

    def _read(self, query: Any, action: str) -> list[Row[Any]]:
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(query).all())
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc, action) from exc


def _status(row: Row[Any]) -> StoredAgentStatus:
    state = AgentState(row.state)
    on_break = state is AgentState.ON_BREAK
    in_wrap_up = state is AgentState.WRAP_UP
    return StoredAgentStatus(
        agent_id=row.agent_id,
        state=state,
        reason=(row.state_reason or UNSPECIFIED_BREAK_REASON) if on_break else None,
        call_uuid=row.call_uuid if state in _HOLDS_CALL else None,
        since=row.state_since,
        consecutive_no_answers=row.consecutive_no_answers,
        wrap_up_until=(row.wrap_up_until or row.state_since) if in_wrap_up else None,
        version=row.version,
    )
