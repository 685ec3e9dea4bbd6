"""Announcing agent changes to every application server, in the transaction that makes them.

On PostgreSQL every write of an agent's live state also runs `pg_notify('cc_agents',
'<agent_id>:<state>:<version>')` in the same statement (schema.acd.agents.write_transition), inside
the same transaction: PostgreSQL
delivers a notification only when its transaction commits, so a change that rolls back is never
announced and a committed one always is (to every session listening at that moment). Listeners
are esl_handlers.agent_watch.AgentChangeWatcher; a notification missed while a listener was
disconnected is covered by the "resync" it emits on reconnecting.

On SQLite (one application server) there is no NOTIFY; the CLI tells the local server through its
control socket instead (esl_handlers.control).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, func

CHANNEL: Final = "cc_agents"


@dataclass(frozen=True, slots=True)
class AgentChange:
    """An agent changed, or (`resync`) anything may have changed: re-read every agent.

    `state` and `version` come with a database notification; a change heard on the control socket
    names only the agent (None for both), so its row must be read.
    """

    agent_id: str | None
    state: str | None = None
    version: int | None = None

    @property
    def resync(self) -> bool:
        return self.agent_id is None


RESYNC: Final = AgentChange(agent_id=None)


def agent_change_notification(agent_id: str, state: str, version: int) -> ColumnElement[str]:
    """`pg_notify('cc_agents', '<agent_id>:<state>:<version>')`, to run inside the write it announces."""
    return func.pg_notify(CHANNEL, format_payload(agent_id, state, version))


def format_payload(agent_id: str, state: str, version: int) -> str:
    return f"{agent_id}:{state}:{version}"


def parse_payload(payload: str) -> AgentChange:
    """The change a notification announces; ValueError if it is not `<agent_id>:<state>:<version>`.

    Split from the right: an agent id may itself contain colons, a state and a version never do.
    """
    parts = payload.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1] or not (parts[2].isascii() and parts[2].isdigit()):
        raise ValueError(f"not an agent change notification: {payload!r}")
    agent_id, state, version = parts
    return AgentChange(agent_id=agent_id, state=state, version=int(version))
