"""The live statistics, wired into the server (docs/reports.md, "Real-time statistics").

One board per server, read by the HTTP API (http_api.live_feed). On PostgreSQL it is fed by every
server's notifications (esl_handlers.live_stats_feed.LiveStatsWatcher); on SQLite (one server) by this
server's ACD directly: its queue events beside the writer, its agents' saved changes, and the changes
the control socket reports. Without the HTTP API there is no board: nobody would read it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.dialplan_holder import DialplanHolder
from callcenter.server_config import ServerConfig
from dialplans.clock import Clock
from esl_handlers.acd_agents import AgentDesk
from esl_handlers.live_stats_feed import BoardQueueEvents, LiveStatsWatcher, LocalAgents, load_board
from http_api.live_feed import LiveFeed
from ivr_scripts.acd.live_stats import LiveStats
from ivr_scripts.acd.queue_events import QueueEventSink
from schema.errors import StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveStatistics:
    feed: LiveFeed
    engine: Engine
    watcher: LiveStatsWatcher | None  # PostgreSQL
    local: LocalAgents | None  # SQLite

    def queue_sink(self, sink: QueueEventSink) -> QueueEventSink:
        """The ACD's queue event sink: on SQLite, also the board's."""
        return sink if self.local is None else BoardQueueEvents(sink, self.feed.board)

    def follow(self, desk: AgentDesk) -> None:
        """On SQLite, the board hears every agent change the ACD saves."""
        if self.local is not None:
            desk.observe(self.local.saved)

    def changed_elsewhere(self, agent_id: str | None) -> None:
        """A change the control socket reported (on PostgreSQL its NOTIFY reaches the watcher)."""
        if self.local is not None:
            self.local.changed_elsewhere(agent_id)

    def start(self) -> None:
        if self.watcher is not None:
            self.watcher.start()  # its first resync loads the board
            return
        try:
            load_board(self.engine, self.feed.board)
        except StorageError as exc:
            log.error("live statistics: the board starts empty: %s", exc)

    def stop(self) -> None:
        self.feed.close()
        if self.watcher is not None:
            self.watcher.stop()


def build_live_stats(
    config: ServerConfig, engine: Engine, dialplans: DialplanHolder, clock: Clock
) -> LiveStatistics | None:
    if config.api_port is None:
        return None
    zone = ZoneInfo(config.time_zone)

    def thresholds() -> Mapping[str, float]:
        return {name: queue.service_level for name, queue in dialplans.loaded.model.queues.items()}

    feed = LiveFeed(
        lambda on_change: LiveStats(clock, zone, thresholds=thresholds, on_change=on_change),
        clock,
        queue_names=lambda: dialplans.loaded.model.queues,
    )
    if engine.dialect.name == "postgresql":
        return LiveStatistics(
            feed, engine, LiveStatsWatcher(config.database_url, engine, feed.board, clock), None
        )
    return LiveStatistics(feed, engine, None, LocalAgents(engine, feed.board))
