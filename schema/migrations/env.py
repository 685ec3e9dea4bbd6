"""Alembic environment: runs on the connection `schema.migrate` hands over, or on DATABASE_URL.

`schema.migrate.upgrade(url)` is the way in. The alembic command line works too, for writing
the next migration: `DATABASE_URL=sqlite:///var/dev.db alembic -c schema/alembic.ini upgrade head`.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

# Imported for their side effect: the ACD, CRM, recording and reporting tables join Base.metadata.
import schema.acd.models
import schema.campaigns.models
import schema.crm.models
import schema.recording.models
import schema.reporting.models  # noqa: F401
from schema.calls.models import Base
from schema.db import create_engine_from_url

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL (or sqlalchemy.url) to the database to migrate")
    return url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is limited
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine_from_url(_url())
    try:
        with engine.connect() as own_connection:
            _migrate(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
