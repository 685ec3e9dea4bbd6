"""An agent-change listener that queues what it hears, for the notification paths (control socket, NOTIFY)."""

from __future__ import annotations

import gevent.queue

from schema.acd.agent_notify import AgentChange

WAIT = 10.0  # seconds: a bound on waiting for a change, never a sleep


class HeardChanges:
    """on_change that queues what it hears; `next()` waits for the next change, bounded."""

    def __init__(self) -> None:
        self._changes: gevent.queue.Queue[AgentChange] = gevent.queue.Queue()

    def __call__(self, change: AgentChange) -> None:
        self._changes.put(change)

    def next(self, timeout: float = WAIT) -> AgentChange:
        change: AgentChange = self._changes.get(timeout=timeout)  # gevent has no type stubs
        return change

    def pending(self) -> int:
        size: int = self._changes.qsize()
        return size
