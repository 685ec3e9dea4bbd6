"""SQL pieces the idempotent writers share (`schema.calls.writes`, `schema.recording.writes`): the dialect's
INSERT ... ON CONFLICT, NULL-safe earliest/latest merges, and seconds between two timestamps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Float

from schema.errors import StorageError


def dialect_insert(dialect: str) -> Any:
    """The dialect's `insert` construct, the one with `on_conflict_do_update`/`_do_nothing`."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise StorageError(f"call records need PostgreSQL or SQLite, not {dialect}")


def earliest(old: ColumnElement[Any], new: ColumnElement[Any]) -> ColumnElement[Any]:
    """The earlier of two values, either of which may be NULL."""
    # NULL-safe on both databases (SQLite's min() and PostgreSQL's LEAST disagree about NULLs).
    return func.coalesce(case((new < old, new), else_=old), new)


def latest(old: ColumnElement[Any], new: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two values, either of which may be NULL."""
    return func.coalesce(case((new > old, new), else_=old), new)


class SecondsBetween(FunctionElement[float]):
    """Seconds from `start` to `end`, microsecond precision; NULL when either is NULL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(SecondsBetween, "postgresql")
def _seconds_between_postgresql(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"ROUND(CAST(EXTRACT(EPOCH FROM (CAST({end} AS TIMESTAMP WITH TIME ZONE)"
        f" - CAST({start} AS TIMESTAMP WITH TIME ZONE))) AS NUMERIC), 6)"
    )


@compiles(SecondsBetween, "sqlite")
def _seconds_between_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # Values are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (see UtcDateTime): whole seconds from
    # strftime('%s'), the fraction from the text itself, so no floating-point day arithmetic.
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"ROUND((strftime('%s', {end}) - strftime('%s', {start}))"
        f" + (CAST(substr({end}, 20) AS REAL) - CAST(substr({start}, 20) AS REAL)), 6)"
    )
