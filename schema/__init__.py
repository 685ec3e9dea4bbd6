"""The call database: SQLAlchemy models, Alembic migrations, idempotent call-event writes."""
