"""Engines and the one way to open each kind of connection: `read_connection`, `write_transaction`
and `session_scope`, each turning SQLAlchemy errors into `schema.errors` through `translate`.

Two openers stay outside on purpose: customer_import holds one connection across many batch
transactions (each batch commits on its own, see customer_import.writer), and the LISTEN of
esl_handlers.agent_watch uses a raw psycopg connection in autocommit, outside the pool, because it
blocks waiting for notifications for the life of the process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from schema.errors import StorageError, translate

# Execution option asking for a write transaction from its first statement (SQLite's BEGIN IMMEDIATE).
WRITE_TRANSACTION = "callcenter_write_transaction"


# Connections each engine keeps open once used (SQLAlchemy's QueuePool default, named here because the
# soak counts them): a busy moment opens up to 10 more, closed again when returned.
POOL_SIZE: Final = 5


def create_engine_from_url(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    """An engine for DATABASE_URL.

    SQLite: the file's directory is created; foreign keys on; WAL so readers never wait for the
    writer; `busy_timeout_ms` is how long a writer waits for another writer's lock before the
    attempt fails as `StorageUnavailable`. Transactions are begun explicitly (see `_sqlite_begin`).
    PostgreSQL (a plain postgresql:// URL means psycopg 3) and others: pooled connections are
    pinged before use, so a restarted server costs one failed batch at most, not a pool full of
    dead connections.
    """
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise StorageError(f"not a database URL: {exc}") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                _create_private_file(Path(database).expanduser())
            engine = sa_create_engine(parsed, echo=echo, pool_size=POOL_SIZE)
            _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, in_memory=database in ("", ":memory:"))
            return engine
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # the pinned driver, not psycopg2
        return sa_create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=POOL_SIZE)
    except sa_exc.SQLAlchemyError as exc:
        raise translate(exc, f"opening {parsed.render_as_string(hide_password=True)}") from exc


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver's own transaction handling starts transactions late and never for DDL;
        # switching it off lets `_sqlite_begin` issue BEGIN itself (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode up to the last checkpoint
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads first and
        # writes later can fail at once with SQLITE_BUSY instead of waiting for the busy timeout.
        immediate = connection.get_execution_options().get(WRITE_TRANSACTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends, or rolls back and raises a `StorageError`.

    Objects stay readable after the block (no expiry on commit), so a query's result can be
    returned from it.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except sa_exc.SQLAlchemyError as exc:
        session.rollback()
        raise translate(exc, "database session") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def write_transaction(engine: Engine, action: str) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE on SQLite), committed when the block ends without error;
    SQLAlchemy errors become storage errors naming `action`."""
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_TRANSACTION: True})
            with connection.begin():
                yield connection
    except sa_exc.SQLAlchemyError as exc:
        raise translate(exc, action) from exc


@contextmanager
def read_connection(engine: Engine, action: str) -> Iterator[Connection]:
    """A connection for reads; SQLAlchemy errors become storage errors naming `action`.

    On PostgreSQL the reads run in autocommit: no BEGIN and ROLLBACK round trips (they were 40% of a
    caller-ID lookup). Each statement then sees the data committed when it starts; use it only for
    reads that need no single snapshot across their statements.
    """
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
    except sa_exc.SQLAlchemyError as exc:
        raise translate(exc, action) from exc


def _create_private_file(path: Path) -> None:
    """Create the SQLite file (and its directory) readable by this user only: it holds callers'
    numbers and notes. SQLite gives its -wal and -shm files the database file's mode. An existing
    file keeps the mode it has."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
