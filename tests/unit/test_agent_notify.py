"""Agent changes announced with NOTIFY in their own transaction, heard by `AgentChangeWatcher`.

The watcher's listener runs in an OS thread and hands changes to the gevent hub; these tests wait
for them on a gevent queue with a bounded timeout. That nothing was announced is shown by order:
PostgreSQL delivers notifications in commit order, so when a later committed change is the next
thing heard, nothing was announced before it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import gevent.event
import gevent.queue
import pytest
from sqlalchemy import Engine, event, insert, text

from esl_handlers.agent_watch import APPLICATION_NAME, AgentChangeWatcher, WatcherError
from ivr_scripts.agent_service import AgentService
from schema.acd.agent_notify import RESYNC, AgentChange, format_payload, parse_payload
from schema.acd.agents import (
    STATE_LOG,
    agent_snapshot,
    reserve_agent,
    upsert_agents,
)
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.errors import StorageError
from tests.fakes.agent_changes import HeardChanges
from tests.support.postgres import ON_POSTGRES, ON_SQLITE, free_port

WAIT = 10.0  # seconds: a bound on waiting for a notification, never a sleep


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def version_of(engine: Engine, agent_id: str) -> int:
    return next(agent.version for agent in agent_snapshot(engine) if agent.agent_id == agent_id)


@pytest.fixture
def agents(engine: Engine) -> Engine:
    upsert_agents(engine, [AgentProfile("1001", name="Alice"), AgentProfile("1002", name="Ben")])
    return engine


@pytest.fixture
def heard(database_url: str) -> Iterator[HeardChanges]:
    """A started watcher on the test's database; yields once it listens (its first RESYNC)."""
    heard = HeardChanges()
    watcher = AgentChangeWatcher(database_url, heard, backoff_start=0.05, backoff_max=0.2)
    watcher.start()
    try:
        assert heard.next() == RESYNC
        yield heard
    finally:
        watcher.stop()
    assert not watcher.running


def service(engine: Engine) -> AgentService:
    return AgentService(SqlAgentStore(engine, server="test"), None, now)


@pytest.mark.parametrize(
    ("agent_id", "state", "version"), [("1001", "available", 3), ("team:a", "on_break", 0), ("x", "y", 12)]
)
def test_payloads_round_trip(agent_id: str, state: str, version: int) -> None:
    assert parse_payload(format_payload(agent_id, state, version)) == AgentChange(agent_id, state, version)


@pytest.mark.parametrize(
    "payload", ["", "1001", "1001:available", ":available:1", "1001::1", "1001:x:-1", "a:b:²"]
)
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(ValueError):
        parse_payload(payload)


def test_the_watcher_needs_postgresql() -> None:
    with pytest.raises(WatcherError, match="need PostgreSQL"):
        AgentChangeWatcher("sqlite:///var/callcenter.db", HeardChanges())


@ON_SQLITE
def test_nothing_is_announced_on_sqlite(agents: Engine) -> None:
    statements: list[str] = []
    event.listen(agents, "before_cursor_execute", lambda *args: statements.append(args[2]))
    service(agents).login("1001")
    assert any("agent_state_log" in sql for sql in statements)
    assert not [sql for sql in statements if "pg_notify" in sql]


@ON_POSTGRES
@pytest.mark.postgres
def test_a_committed_command_reaches_the_watcher_with_state_and_version(
    agents: Engine, heard: HeardChanges
) -> None:
    service(agents).login("1001")

    assert heard.next() == AgentChange("1001", "available", version_of(agents, "1001"))


@ON_POSTGRES
@pytest.mark.postgres
def test_reservation_transitions_and_release_are_announced_in_commit_order(
    agents: Engine, heard: HeardChanges
) -> None:
    service(agents).login("1001")
    service(agents).login("1002")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert reserve_agent(agents, first, ["1001"], "a", now()) == "1001"
    assert service(agents).ring("1001", first).changed
    assert reserve_agent(agents, second, ["1002"], "b", now()) == "1002"
    assert service(agents).reservation_cancelled("1002", second).changed

    heard_states = [heard.next() for _ in range(6)]
    assert [(c.agent_id, c.state) for c in heard_states] == [
        ("1001", "available"),
        ("1002", "available"),
        ("1001", "reserved"),
        ("1001", "ringing"),
        ("1002", "reserved"),
        ("1002", "available"),
    ]
    assert heard_states[3].version == version_of(agents, "1001")
    assert heard_states[5].version == version_of(agents, "1002")


@ON_POSTGRES
@pytest.mark.postgres
def test_a_rolled_back_change_is_not_announced(agents: Engine, heard: HeardChanges) -> None:
    # A state-log row already holding 1001's next version makes the save's INSERT fail after its
    # UPDATE and NOTIFY ran: the whole transaction rolls back.
    with agents.begin() as connection:
        connection.execute(
            insert(STATE_LOG).values(
                agent_id="1001",
                version=version_of(agents, "1001") + 1,
                from_state="logged_out",
                to_state="on_break",
                trigger="go_break",
                at=now(),
                server="elsewhere",
            )
        )
    with pytest.raises(StorageError):
        service(agents).login("1001")
    assert next(a.state for a in agent_snapshot(agents) if a.agent_id == "1001") == "logged_out"

    service(agents).login("1002")
    assert heard.next() == AgentChange("1002", "available", version_of(agents, "1002"))


@ON_POSTGRES
@pytest.mark.postgres
def test_a_refused_transition_or_empty_reservation_is_not_announced(
    agents: Engine, heard: HeardChanges
) -> None:
    call = str(uuid.uuid4())
    assert not service(agents).answered("1001", call).changed
    assert reserve_agent(agents, call, ["1001", "1002"], "a", now()) is None  # nobody available
    assert not service(agents).reservation_cancelled("1001", call).changed

    service(agents).login("1002")
    assert heard.next() == AgentChange("1002", "available", version_of(agents, "1002"))


@ON_POSTGRES
@pytest.mark.postgres
def test_a_change_made_by_the_cli_in_another_process_is_heard(
    agents: Engine, heard: HeardChanges, database_url: str, tmp_path: Path
) -> None:
    script = "import sys; from callcenter.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", script, "agent", "login", "1001"],
        env={"DATABASE_URL": database_url, "CALLCENTER_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    assert heard.next() == AgentChange("1001", "available", version_of(agents, "1001"))


@ON_POSTGRES
@pytest.mark.postgres
def test_a_malformed_notification_is_ignored(agents: Engine, heard: HeardChanges) -> None:
    with agents.begin() as connection:
        connection.execute(text("SELECT pg_notify('cc_agents', 'not a change')"))
    service(agents).login("1001")

    assert heard.next() == AgentChange("1001", "available", version_of(agents, "1001"))


@ON_POSTGRES
@pytest.mark.postgres
def test_a_dropped_connection_reconnects_and_asks_for_a_resync(agents: Engine, heard: HeardChanges) -> None:
    with agents.begin() as connection:
        terminated = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        ).all()
    assert terminated == [(True,)]

    assert heard.next() == RESYNC
    service(agents).login("1001")
    assert heard.next() == AgentChange("1001", "available", version_of(agents, "1001"))


def test_a_watcher_that_cannot_connect_keeps_retrying_and_stops_at_once() -> None:
    heard = HeardChanges()
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    watcher = AgentChangeWatcher(unreachable, heard, backoff_start=0.01, backoff_max=0.02)
    watcher.start()
    try:
        with pytest.raises(gevent.queue.Empty):
            heard.next(timeout=0.5)  # several failed attempts: no resync, and the thread lives on
        assert watcher.running
    finally:
        watcher.stop()
    assert not watcher.running


@ON_POSTGRES
@pytest.mark.postgres
def test_stopping_lets_a_handler_reading_in_a_thread_finish_first(database_url: str, agents: Engine) -> None:
    """A handler reads the database in a thread (the live board's agent row): stop waits for it, so no read
    outlives the watcher and holds a connection of a pool its owner is disposing of."""
    listening, started, finished = gevent.event.Event(), gevent.event.Event(), []

    def slow_read(change: AgentChange) -> None:
        if change == RESYNC:
            listening.set()
            return
        started.set()
        gevent.get_hub().threadpool.apply(time.sleep, (0.5,))
        finished.append(change.agent_id)

    watcher = AgentChangeWatcher(database_url, slow_read, backoff_start=0.05, backoff_max=0.2)
    watcher.start()
    try:
        assert listening.wait(WAIT)
        service(agents).login("1001")
        assert started.wait(WAIT)
    finally:
        watcher.stop()
    assert finished == ["1001"]
