"""What feeds the live statistics' board (ivr_scripts.acd.live_stats) in a running server.

On PostgreSQL, every server's board hears every server's events from the database: `LiveStatsWatcher`
is a `NotifyWatcher` (esl_handlers.pg_listen) on two channels, its own connection and thread:
- `cc_queue_stats`: each queue event the board counts, announced in the transaction that wrote it
  (schema.acd.queue_notify); this server's own events come back this way too, so there is one path;
- `cc_agents`: each agent change (schema.acd.agent_notify). The notification carries the state and
  the row's version only, so the watcher reads the agent's row (one primary-key read per change, in
  the thread pool) for the break's reason, the call held, the wrap-up's end and `state_since`; if that
  read fails, the board takes the notification's state, from the moment it hears it.
After each (re)connect, including the first, the board is rebuilt from the database (queue events from
the start of yesterday, every agent's row; schema.acd.queue_notify.board_record), read in the thread pool
after LISTEN, so nothing committed in between is lost; what is heard twice counts once.

On SQLite (one server) the board is loaded from the database once at start (`load_board`), then
`BoardQueueEvents` hands it each queue event as the ACD reports it, beside the writer; `LocalAgents`
each agent change the ACD saves (esl_handlers.acd_agents.AgentDesk.observe) and, by reading the row,
each change the control socket reports (the CLI, the dialer's seats).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine

from dialplans.clock import Clock
from esl_handlers.pg_listen import Channel, NotifyWatcher
from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.live_stats import AgentRow, LiveStats
from ivr_scripts.acd.queue_events import QueueEventReport, QueueEventSink
from ivr_scripts.agent_states import Transition
from schema.acd import agent_notify, queue_notify
from schema.acd.agent_notify import AgentChange
from schema.errors import StorageError
from schema.reporting.settings import short_abandon_seconds
from schema.threadpool import in_thread

log = logging.getLogger(__name__)

APPLICATION_NAME: Final = "callcenter-live-stats"
Runner = Callable[[Callable[[], Any]], Any]


def load_board(engine: Engine, board: LiveStats, run: Runner = in_thread) -> None:
    """Rebuild the board from the database's record (raises StorageError if it cannot be read)."""
    board.short_abandon_s = run(functools.partial(short_abandon_seconds, engine))
    events, agents = run(functools.partial(queue_notify.board_record, engine, board.since_for_resync()))
    board.resync(events, agents)


class LiveStatsWatcher(NotifyWatcher):
    """Feeds `board` from every server's notifications; `start` and `stop` from the hub's thread."""

    def __init__(
        self,
        database_url: str,
        engine: Engine,
        board: LiveStats,
        clock: Clock,
        *,
        run: Runner = in_thread,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        self._engine = engine
        self._board = board
        self._clock = clock
        self._run = run
        super().__init__(
            database_url,
            [
                Channel[QueueEventReport | None](
                    queue_notify.CHANNEL, queue_notify.parse_payload, self._queue_event, None
                ),
                Channel[AgentChange](
                    agent_notify.CHANNEL, agent_notify.parse_payload, self._agent_change, agent_notify.RESYNC
                ),
            ],
            application_name=APPLICATION_NAME,
            backoff_start=backoff_start,
            backoff_max=backoff_max,
        )

    def _queue_event(self, event: QueueEventReport | None) -> None:
        if event is not None:
            self._board.queue_event(event)
            return
        try:  # None: (re)connected; the agents' channel resyncs nothing, this rebuilds both parts
            load_board(self._engine, self._board, self._run)
        except StorageError as exc:
            log.error("live statistics: cannot rebuild the board: %s; figures may be short", exc)

    def _agent_change(self, change: AgentChange) -> None:
        if change.agent_id is None or change.state is None or change.version is None:
            return
        try:
            row = self._run(functools.partial(queue_notify.agent_row, self._engine, change.agent_id))
        except StorageError as exc:
            log.warning("live statistics: agent %s not read (%s); its state only", change.agent_id, exc)
            row = None
        if row is not None and row.version >= change.version:
            apply_row(self._board, row)
            return
        self._board.agent_changed(change.agent_id, change.state, since=self._clock(), version=change.version)


class BoardQueueEvents:
    """A `QueueEventSink` that records through `inner` and hands each event to the board (SQLite)."""

    def __init__(self, inner: QueueEventSink, board: LiveStats) -> None:
        self._inner = inner
        self._board = board

    def record(self, event: QueueEventReport) -> None:
        self._inner.record(event)
        self._board.queue_event(event)

    def leg(self, report: AgentLegReport) -> None:
        self._inner.leg(report)


class LocalAgents:
    """Agent changes of the one server (SQLite) to the board."""

    def __init__(self, engine: Engine, board: LiveStats, *, run: Runner = in_thread) -> None:
        self._engine = engine
        self._board = board
        self._run = run

    def saved(self, transition: Transition) -> None:
        """A change the ACD saved: the state and its start are in hand, no read needed."""
        status = transition.status
        self._board.agent_changed(
            status.agent_id,
            status.state.value,
            since=status.since,
            version=None,
            reason=status.reason,
            call_uuid=status.call_uuid,
            wrap_up_until=status.wrap_up_until,
        )

    def changed_elsewhere(self, agent_id: str | None) -> None:
        """A change this process did not make (None: any agent): read the row(s)."""
        try:
            if agent_id is None:
                load_board(self._engine, self._board, self._run)
                return
            row = self._run(functools.partial(queue_notify.agent_row, self._engine, agent_id))
        except StorageError as exc:
            log.error("live statistics: agent %s not read: %s", agent_id, exc)
            return
        if row is None:
            self._board.agent_removed(agent_id)
        else:
            apply_row(self._board, row)


def apply_row(board: LiveStats, row: AgentRow) -> None:
    """An agent's row, as read from the database, to the board."""
    board.agent_changed(
        row.agent_id,
        row.state,
        since=row.since,
        version=row.version,
        department=row.department,
        reason=row.reason,
        call_uuid=row.call_uuid,
        wrap_up_until=row.wrap_up_until,
    )
