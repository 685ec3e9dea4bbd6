"""Alembic, driven from Python: no alembic.ini is needed at run time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from schema.db import create_engine_from_url, read_connection, write_transaction

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: application servers starting together migrate one at a time.
_MIGRATION_LOCK_KEY = 0x63616C6C  # "call"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (all migrations by default)."""
    _run(url, lambda config: command.upgrade(config, revision), "migrating the database")


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision` (an empty database by default)."""
    _run(url, lambda config: command.downgrade(config, revision), "downgrading the database")


def current_revision(url: str) -> str | None:
    """The database's revision, or None when it was never migrated."""
    engine = create_engine_from_url(url)
    try:
        with read_connection(engine, "reading the database revision") as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _run(url: str, alembic_command: Callable[[Config], None], action: str) -> None:
    engine = create_engine_from_url(url)
    config = alembic_config()
    try:
        with write_transaction(engine, action) as connection:
            _lock(connection)
            config.attributes["connection"] = connection
            alembic_command(config)
    finally:
        engine.dispose()


def _lock(connection: Connection) -> None:
    # SQLite needs nothing more: the write transaction already excludes other migrators.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
