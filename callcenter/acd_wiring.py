"""The ACD, wired into the application server: the queues and what wakes their dispatch."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from callcenter.server_config import ServerConfig
from callcenter.stats_wiring import LiveStatistics
from dialplans.clock import Clock
from dialplans.models import Dialplan
from esl_handlers.acd_offer import NOBODY_WATCHES_OFFERS
from esl_handlers.acd_server import QueueServer, SettingsTuning
from esl_handlers.agent_watch import AgentChangeWatcher
from esl_handlers.control import ControlServer
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.queue_event_sink import WriterQueueEvents
from esl_handlers.screen_pop import ScreenPopPublisher
from esl_handlers.switch import EslSwitch
from schema.acd.agent_notify import AgentChange


@dataclass(frozen=True)
class Acd:
    queues: QueueServer
    agent_watch: AgentChangeWatcher | None
    control: ControlServer | None


@dataclass(frozen=True)
class AcdTiming:
    clock: Clock
    tuning: SettingsTuning
    tick_seconds: float


def build_acd(
    config: ServerConfig,
    model: Dialplan,
    engine: Engine,
    switch: EslSwitch,
    writer: CallRecordWriter,
    *,
    timing: AcdTiming,
    screen_pops: ScreenPopPublisher | None,
    on_agent_change: Callable[[AgentChange], None],
    stats: LiveStatistics | None = None,
) -> Acd:
    """The queues, and what wakes their dispatch when agents change elsewhere: NOTIFY on PostgreSQL,
    the local control socket for this machine's CLI (both on SQLite's one server)."""
    server = config.server_name or socket.gethostname()
    queues = QueueServer(
        model,
        engine,
        switch,
        WriterQueueEvents(writer, server=server)
        if stats is None
        else stats.queue_sink(WriterQueueEvents(writer, server=server)),
        server=server,
        clock=timing.clock,
        agent_domain=config.agent_domain,
        tuning=timing.tuning,
        tick_seconds=timing.tick_seconds,
        callback_endpoint=config.callback_endpoint,
        offers=NOBODY_WATCHES_OFFERS if screen_pops is None else screen_pops,
    )
    if stats is not None:
        stats.follow(queues.desk)
    agent_watch = None
    if config.database_url.startswith("postgresql"):
        agent_watch = AgentChangeWatcher(config.database_url, on_agent_change)
    control = None
    if config.control_socket is not None:
        control = ControlServer(config.control_socket, on_agent_change)
    return Acd(queues, agent_watch, control)
