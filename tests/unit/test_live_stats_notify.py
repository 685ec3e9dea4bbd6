"""The live statistics across application servers: queue events announced with NOTIFY in the transaction
that writes them, heard by every server's board (esl_handlers.live_stats_feed), rebuilt from the
database after each (re)connect; on SQLite, events handed straight to the one server's board.

Each "server" here is a board with its own LISTEN connection on the same PostgreSQL database. Waits
are bounded: a board's on_change feeds a queue the test reads with a timeout, never a sleep.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Final
from zoneinfo import ZoneInfo

import gevent.queue
import pytest
from sqlalchemy import Engine, delete, event, text, update

from dialplans.vocabulary import QueueEventName
from esl_handlers.live_stats_feed import (
    APPLICATION_NAME,
    BoardQueueEvents,
    LiveStatsWatcher,
    LocalAgents,
    load_board,
)
from ivr_scripts.acd.live_stats import LiveStats, QueueFigures
from ivr_scripts.acd.queue_events import MemoryQueueEvents, QueueEventReport
from ivr_scripts.agent_service import AgentService
from schema.acd.agents import upsert_agents
from schema.acd.queue_notify import format_payload, parse_payload
from schema.acd.records import AgentProfile, QueueEvent
from schema.adapters.agent_store import SqlAgentStore
from schema.calls.writes import queue_log_row, write_batch
from schema.reporting.models import DEFAULT_SHORT_ABANDON_S, ReportSettings
from tests.support.postgres import ON_POSTGRES, ON_SQLITE

WAIT = 10.0  # seconds: a bound on waiting for a notification, never a sleep
UTC = ZoneInfo("UTC")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Server:
    """A board, its watcher, and a queue of the board's changes to wait on."""

    def __init__(self, database_url: str, engine: Engine) -> None:
        self.changes: gevent.queue.Queue[str] = gevent.queue.Queue()
        self.board = LiveStats(now, UTC, on_change=self.changes.put)
        self.watcher = LiveStatsWatcher(
            database_url, engine, self.board, now, backoff_start=0.05, backoff_max=0.2
        )

    def until(self, holds: Callable[[LiveStats], bool]) -> None:
        """Wait, change by change, until `holds(board)`; fail after WAIT seconds."""
        deadline = now() + dt.timedelta(seconds=WAIT)
        while not holds(self.board):
            left = (deadline - now()).total_seconds()
            assert left > 0, f"the board never got there: {self.board.queues()} {self.board.agents()}"
            self.changes.get(timeout=left)

    def sales(self) -> QueueFigures:
        (figures,) = self.board.queues(["sales"])
        return figures


@pytest.fixture
def agents(engine: Engine) -> Engine:
    upsert_agents(engine, [AgentProfile("1001", department="sales"), AgentProfile("1002")])
    return engine


@pytest.fixture
def servers(database_url: str, agents: Engine) -> Iterator[tuple[Server, Server]]:
    pair = (Server(database_url, agents), Server(database_url, agents))
    for server in pair:
        server.watcher.start()
    try:
        for server in pair:  # the first resync has run: both agents are on the board
            server.until(lambda board: len(board.agents()) == 2)
        yield pair
    finally:
        for server in pair:
            server.watcher.stop()


def queue_event(name: QueueEventName, call: str, at: dt.datetime, wait_s: float | None = None) -> QueueEvent:
    return QueueEvent(at=at, call_uuid=call, queue="sales", event=name, wait_s=wait_s)


def waiting(count: int) -> Callable[[LiveStats], bool]:
    return lambda board: sum(q.waiting for q in board.queues()) == count


@ON_POSTGRES
@pytest.mark.postgres
def test_one_servers_events_are_seen_by_the_other(agents: Engine, servers: tuple[Server, Server]) -> None:
    a, b = servers
    entered = now()
    write_batch(agents, [queue_event("ENTERQUEUE", "c1", entered)])  # server a's ACD
    b.until(waiting(1))
    write_batch(agents, [queue_event("CONNECT", "c1", entered + dt.timedelta(seconds=5), wait_s=5)])  # b's
    for server in (a, b):
        # a may not have heard the ENTERQUEUE yet (only b waited for it): no queue on its board at first
        server.until(lambda board: any(queue.answered == 1 for queue in board.queues()))
        figures = server.sales()
        assert (figures.waiting, figures.offered, figures.service_level) == (0, 1, 1.0)
    assert a.sales() == b.sales()


@ON_POSTGRES
@pytest.mark.postgres
def test_agent_changes_reach_every_board(agents: Engine, servers: tuple[Server, Server]) -> None:
    AgentService(SqlAgentStore(agents, server="a"), None, now).login("1001")
    for server in servers:
        server.until(lambda board: board.agents()[0].state == "available")
        assert server.board.agents()[0].department == "sales"  # from the resync's row


@ON_POSTGRES
@pytest.mark.postgres
def test_a_replayed_batch_counts_once(agents: Engine, servers: tuple[Server, Server]) -> None:
    _, b = servers
    at = now()
    batch = [queue_event("ENTERQUEUE", "c1", at), queue_event("ABANDON", "c1", at, wait_s=0)]
    write_batch(agents, batch)
    write_batch(agents, batch)  # a spooled batch written again: announced again
    write_batch(agents, [queue_event("ENTERQUEUE", "c2", at)])  # heard after both (commit order)
    b.until(waiting(1))
    assert (b.sales().offered, b.sales().abandoned) == (1, 1)


@ON_POSTGRES
@pytest.mark.postgres
def test_a_server_started_mid_day_rebuilds_from_the_database(database_url: str, agents: Engine) -> None:
    at = now()
    write_batch(
        agents,
        [
            queue_event("ENTERQUEUE", "c1", at - dt.timedelta(seconds=40)),
            queue_event("ENTERQUEUE", "c2", at - dt.timedelta(seconds=30)),
            queue_event("CONNECT", "c1", at - dt.timedelta(seconds=10), wait_s=30),
        ],
    )
    late = Server(database_url, agents)
    late.watcher.start()
    try:
        late.until(lambda board: len(board.agents()) == 2)
        figures = late.sales()
        assert (figures.waiting, figures.offered, figures.answered, figures.answered_within_threshold) == (
            1, 1, 1, 0,
        )  # fmt: skip
        assert figures.longest_wait_s is not None
        assert figures.longest_wait_s >= 30
    finally:
        late.watcher.stop()


@ON_POSTGRES
@pytest.mark.postgres
def test_after_a_dropped_connection_the_board_catches_up(
    agents: Engine, servers: tuple[Server, Server]
) -> None:
    a, _ = servers
    with agents.begin() as connection:
        terminated = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        ).all()
    assert terminated == [(True,), (True,)]
    write_batch(agents, [queue_event("ENTERQUEUE", "while-away", now())])  # maybe unheard: resync has it
    for server in servers:
        server.until(waiting(1))
    write_batch(agents, [queue_event("ABANDON", "while-away", now(), wait_s=1)])
    a.until(waiting(0))
    assert a.sales().abandoned == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_sink_feeds_the_board_and_nothing_is_announced(agents: Engine) -> None:
    statements: list[str] = []
    event.listen(agents, "before_cursor_execute", lambda *args: statements.append(args[2]))
    board = LiveStats(now, UTC)
    recorded = MemoryQueueEvents()
    sink = BoardQueueEvents(recorded, board)
    report = QueueEventReport(event="ENTERQUEUE", call_uuid="c1", queue="sales", at=now())
    sink.record(report)
    assert recorded.events == [report]
    assert board.queues()[0].waiting == 1
    write_batch(agents, [QueueEvent.from_report(report)])
    assert not [sql for sql in statements if "pg_notify" in sql]
    started = LiveStats(now, UTC)
    load_board(agents, started, run=lambda call: call())
    assert (started.queues()[0].waiting, [a.agent_id for a in started.agents()]) == (1, ["1001", "1002"])


def test_loading_a_board_takes_the_reports_short_abandon_limit(agents: Engine) -> None:
    board = LiveStats(now, UTC)
    load_board(agents, board, run=lambda call: call())
    assert board.short_abandon_s == DEFAULT_SHORT_ABANDON_S
    with agents.begin() as connection:
        connection.execute(update(ReportSettings).values(short_abandon_s=7.5))
    write_batch(
        agents, [queue_event("ENTERQUEUE", "c1", now()), queue_event("ABANDON", "c1", now(), wait_s=7)]
    )
    load_board(agents, board, run=lambda call: call())
    assert (board.short_abandon_s, board.queues()[0].short_abandons) == (7.5, 1)
    with agents.begin() as connection:
        connection.execute(delete(ReportSettings))
    load_board(agents, board, run=lambda call: call())
    assert board.short_abandon_s == DEFAULT_SHORT_ABANDON_S, "no settings row: the report's default"


def test_payloads_round_trip_and_stay_small() -> None:
    at = dt.datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=dt.UTC)
    row = queue_log_row(
        QueueEvent(at=at, call_uuid="c" * 36, queue="q" * 64, event="CONNECT", agent_id="a" * 64, wait_s=2.5,
                   data="callback " + "x" * 1000)
    )  # fmt: skip
    payload = format_payload(row)
    assert len(payload.encode()) < 400
    assert parse_payload(payload) == QueueEventReport(
        event="CONNECT",
        call_uuid="c" * 36,
        queue="q" * 64,
        agent_id="a" * 64,
        wait_s=2.5,
        at=at,
        data="callback",
    )
    plain = parse_payload(
        format_payload(queue_log_row(QueueEvent(at=at, call_uuid="d", queue="s", event="ABANDON")))
    )
    assert (plain.agent_id, plain.wait_s, plain.data) == (None, None, None)


BAD_EVENT: Final = {"c": "x", "q": "s", "e": "NOPE", "a": "", "t": "2026-03-02T09:00:00Z"}
NAIVE_TIME: Final = {"c": "x", "q": "s", "e": "ABANDON", "a": "", "t": "2026-03-02T09:00:00"}


@pytest.mark.parametrize(
    "payload", ["", "{}", "[]", "not json", json.dumps(BAD_EVENT), json.dumps(NAIVE_TIME)]
)
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(ValueError):
        parse_payload(payload)


@ON_SQLITE
def test_on_sqlite_agent_changes_reach_the_board_without_notify(agents: Engine) -> None:
    board = LiveStats(now, UTC)
    local = LocalAgents(agents, board, run=lambda call: call())
    load_board(agents, board, run=lambda call: call())
    assert [(a.agent_id, a.state) for a in board.agents()] == [("1001", "logged_out"), ("1002", "logged_out")]
    service = AgentService(SqlAgentStore(agents, server="s1"), None, now)
    local.saved(service.login("1001"))  # what the ACD's desk hands over: no read
    assert board.agents()[0].state == "available"
    service.login("1002")  # the CLI: the control socket names the agent, its row is read
    local.changed_elsewhere("1002")
    assert board.agents()[1].state == "available"
    local.changed_elsewhere("no-such-agent")
    assert len(board.agents()) == 2
    service.go_break("1001", "lunch")
    local.changed_elsewhere(None)  # anything may have changed: every row
    assert [a.state for a in board.agents()] == ["on_break", "available"]


@ON_POSTGRES
@pytest.mark.postgres
def test_every_board_hears_the_break_reason_the_call_and_the_wrap_up_end(
    agents: Engine, servers: tuple[Server, Server]
) -> None:
    service = AgentService(SqlAgentStore(agents, server="a"), None, now)
    service.login("1001")
    service.go_break("1001", "training")
    for server in servers:  # the notification has the state only: the row gives the rest
        server.until(lambda board: board.agents()[0].state == "on_break")
        assert board_reason(server.board) == "training"
    until = now() + dt.timedelta(seconds=30)
    with agents.begin() as connection:
        connection.execute(
            text(
                "UPDATE agents SET state = 'wrap_up', state_reason = NULL, call_uuid = 'c9', "
                "wrap_up_until = :until, version = version + 1 WHERE agent_id = '1001'"
            ),
            {"until": until},
        )
        connection.execute(
            text(
                "SELECT pg_notify('cc_agents', '1001:wrap_up:' || version) FROM agents "
                "WHERE agent_id = '1001'"
            )
        )
    for server in servers:
        server.until(lambda board: board.agents()[0].state == "wrap_up")
        figures = server.board.agents()[0]
        assert (figures.reason, figures.call_uuid, figures.wrap_up_until) == (None, "c9", until)


def board_reason(board: LiveStats) -> str | None:
    return board.agents()[0].reason


@ON_SQLITE
def test_on_sqlite_the_board_has_the_break_reason_from_either_path(agents: Engine) -> None:
    board = LiveStats(now, UTC)
    local = LocalAgents(agents, board, run=lambda call: call())
    load_board(agents, board, run=lambda call: call())
    service = AgentService(SqlAgentStore(agents, server="s1"), None, now)
    service.login("1001")
    service.login("1002")
    local.saved(service.go_break("1001", "lunch"))  # the ACD's own save: no read
    service.go_break("1002", "meeting")  # the CLI or the API: the row is read
    local.changed_elsewhere("1002")

    assert [(a.state, a.reason) for a in board.agents()] == [("on_break", "lunch"), ("on_break", "meeting")]
    load_board(agents, board, run=lambda call: call())
    assert [a.reason for a in board.agents()] == ["lunch", "meeting"]  # and from a resync
