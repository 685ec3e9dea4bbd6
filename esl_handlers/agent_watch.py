"""Hearing every agent change on every application server: LISTEN cc_agents on PostgreSQL.

Each agent write notifies `cc_agents` with `<agent_id>:<state>:<version>` in its own transaction
(schema.acd.agent_notify), whichever process or server made it. `AgentChangeWatcher` is a
`esl_handlers.pg_listen.NotifyWatcher` on that one channel: its own connection and thread, changes
handed to `on_change` in a greenlet, one at a time and in order, so `on_change` may block (read the
database through the thread pool, offer a call). After every (re)connect, including the first,
`on_change` gets `RESYNC`: notifications sent while nobody listened are lost, so the board must
re-read every agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from esl_handlers.pg_listen import Channel, NotifyWatcher, WatcherError
from schema.acd.agent_notify import CHANNEL, RESYNC, AgentChange, parse_payload

__all__ = ["APPLICATION_NAME", "AgentChangeWatcher", "WatcherError"]

# Named so an operator (and a test) can find the listening session in pg_stat_activity.
APPLICATION_NAME: Final = "callcenter-agent-watch"


class AgentChangeWatcher(NotifyWatcher):
    """Calls `on_change` in a greenlet for each committed agent change, and `RESYNC` after each
    (re)connect. `start` and `stop` are called from the gevent hub's thread."""

    def __init__(
        self,
        database_url: str,
        on_change: Callable[[AgentChange], None],
        *,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        super().__init__(
            database_url,
            [Channel(CHANNEL, parse_payload, on_change, RESYNC)],
            application_name=APPLICATION_NAME,
            backoff_start=backoff_start,
            backoff_max=backoff_max,
        )
