"""The agents table as the agent service's store (ivr_scripts.agent_service.AgentStore).

`get` reads a row as a `StoredAgentStatus`: the state machine's status plus the row's `version`.
`save` is optimistic: `UPDATE agents ... WHERE agent_id = :id AND version = :expected`, and the
agent_state_log row keyed by the new version, in one transaction (BEGIN IMMEDIATE on SQLite). If
anything changed the row since it was read (an event, a reservation, another server) no row matches,
nothing is written and `save` returns False; the service reads again and re-applies. The version is
the whole guard (the state machine has already decided the move), so this path also writes `force`
corrections (reconciler, supervisors). The write itself is schema.acd.agents.write_transition, which
schema.acd.agents.reserve_agent (it also picks the agent) uses too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, Row, select

from dialplans.vocabulary import HOLDS_CALL_STATES
from ivr_scripts.agent_states import AgentState, AgentStatus, Transition
from schema.acd.agents import AGENTS, write_transition
from schema.acd.records import check_agent_id
from schema.db import read_connection, write_transaction

# Rows written before the state machine wrote every row may not meet its invariants (a break without a
# reason, a wrap-up without an end); they are read leniently, as below.
UNSPECIFIED_BREAK_REASON: Final = "unspecified"


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
        with write_transaction(
            self._engine, f"moving agent {transition.agent_id} to {transition.status.state}"
        ) as connection:
            return write_transition(
                connection,
                transition,
                expected_version=expected.version,
                expected_call_uuid=expected.call_uuid,
                server=self._server,
            )

    def _read(self, query: Any, action: str) -> list[Row[Any]]:
        with read_connection(self._engine, action) as connection:
            return list(connection.execute(query).all())


def _status(row: Row[Any]) -> StoredAgentStatus:
    state = AgentState(row.state)
    on_break = state is AgentState.ON_BREAK
    in_wrap_up = state is AgentState.WRAP_UP
    return StoredAgentStatus(
        agent_id=row.agent_id,
        state=state,
        reason=(row.state_reason or UNSPECIFIED_BREAK_REASON) if on_break else None,
        call_uuid=row.call_uuid if state in HOLDS_CALL_STATES else None,
        since=row.state_since,
        consecutive_no_answers=row.consecutive_no_answers,
        wrap_up_until=(row.wrap_up_until or row.state_since) if in_wrap_up else None,
        version=row.version,
    )
