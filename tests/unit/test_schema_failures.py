"""A database that is down, locked or drops the connection raises StorageUnavailable; nothing
half-written stays behind, and retrying the same batch later writes it exactly once."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, exc, func, select
from sqlalchemy.engine import make_url

from schema.calls.models import Call, IvrStep
from schema.calls.records import CallUpdate, IvrStepRecord
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url, session_scope
from schema.errors import RecordRejected, StorageError, StorageUnavailable
from schema.migrate import upgrade
from tests.support.postgres import PostgresServer, free_port

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def batch(uuid: str) -> list[CallUpdate | IvrStepRecord]:
    return [
        CallUpdate(uuid, direction="inbound", did="100", started_at=T0),
        IvrStepRecord(uuid, 1, "main", "greeting", None, "played", T0),
        IvrStepRecord(uuid, 2, "main", "menu", "1", "ok", T0),
        CallUpdate(uuid, ended_at=T0 + dt.timedelta(seconds=30), outcome="transferred", destination="1001"),
    ]


def counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        calls = session.scalar(select(func.count()).select_from(Call))
        steps = session.scalar(select(func.count()).select_from(IvrStep))
    return int(calls or 0), int(steps or 0)


def test_an_unreachable_postgresql_raises_storage_unavailable() -> None:
    engine = create_engine_from_url(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/calls")
    try:
        with pytest.raises(StorageUnavailable) as raised:
            write_batch(engine, batch("never"))
    finally:
        engine.dispose()
    assert isinstance(raised.value.__cause__, exc.OperationalError)


@pytest.fixture
def own_postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    upgrade(url)
    yield url
    if postgres_server.running:
        postgres_server.drop_database(name)


@pytest.mark.postgres
def test_postgresql_stopped_then_back_the_retried_batch_is_written_once(
    postgres_server: PostgresServer, own_postgres_database: str
) -> None:
    engine = create_engine_from_url(own_postgres_database)
    try:
        write_batch(engine, batch("before"))
        postgres_server.stop()
        try:
            with pytest.raises(StorageUnavailable):
                write_batch(engine, batch("during"))
        finally:
            postgres_server.start()

        write_batch(engine, batch("during"))  # the pool's dead connections are replaced
        write_batch(engine, batch("during"))
        assert counts(engine) == (2, 4)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_connection_killed_mid_batch_leaves_nothing_and_the_retry_completes(
    postgres_server: PostgresServer, own_postgres_database: str
) -> None:
    engine = create_engine_from_url(own_postgres_database)
    statements = 0

    def kill_own_backend_at_second_statement(conn: Any, *_args: Any) -> None:
        nonlocal statements
        statements += 1
        if statements == 2:  # the calls were upserted, inside the transaction; the steps are next
            pid = conn.connection.dbapi_connection.info.backend_pid
            with postgres_server.admin() as admin:
                admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))

    try:
        write_batch(engine, batch("earlier"))
        statements = 0
        event.listen(engine, "before_cursor_execute", kill_own_backend_at_second_statement)
        with pytest.raises(StorageUnavailable):
            write_batch(engine, batch("killed"))
        event.remove(engine, "before_cursor_execute", kill_own_backend_at_second_statement)
        assert statements == 2
        assert counts(engine) == (1, 2)

        write_batch(engine, batch("killed"))
        assert counts(engine) == (2, 4)
    finally:
        engine.dispose()


def test_a_locked_sqlite_database_raises_storage_unavailable_then_the_retry_succeeds(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    engine = create_engine_from_url(url, busy_timeout_ms=0)
    locker = sqlite3.connect(str(make_url(url).database), isolation_level=None)
    try:
        write_batch(engine, batch("before"))
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageUnavailable):
            write_batch(engine, batch("during"))
        locker.execute("ROLLBACK")

        write_batch(engine, batch("during"))
        write_batch(engine, batch("during"))
        assert counts(engine) == (2, 4)
    finally:
        locker.close()
        engine.dispose()


def test_session_scope_rolls_back_and_reports_a_refused_row(engine: Engine) -> None:
    def add_a_valid_and_an_invalid_call() -> None:
        now = dt.datetime.now(dt.UTC)
        with session_scope(engine) as session:
            session.add(Call(uuid="fine", updated_at=now))
            session.add(Call(uuid="odd", direction="sideways", updated_at=now))

    with pytest.raises(RecordRejected) as raised:
        add_a_valid_and_an_invalid_call()
    assert isinstance(raised.value.__cause__, exc.IntegrityError)
    assert counts(engine) == (0, 0)


def test_session_scope_passes_other_errors_through_after_rolling_back(engine: Engine) -> None:
    def write_then_fail() -> None:
        with session_scope(engine) as session:
            session.add(Call(uuid="half", updated_at=dt.datetime.now(dt.UTC)))
            session.flush()
            raise KeyError("not a database problem")

    with pytest.raises(KeyError):
        write_then_fail()
    assert counts(engine) == (0, 0)


def test_a_bad_url_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="not a database URL"):
        create_engine_from_url("no url at all")


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "var" / "callcenter.db"
    engine = create_engine_from_url(f"sqlite:///{database}")
    try:
        upgrade(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in database.parent.iterdir()}
    finally:
        engine.dispose()
    assert modes["callcenter.db"] == 0o600
    assert all(mode == 0o600 for mode in modes.values()), modes  # the -wal and -shm files too
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
