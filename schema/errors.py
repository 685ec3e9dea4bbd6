"""The storage layer's exceptions, and the one place SQLAlchemy's errors are translated into them.

Callers decide on the class alone: `StorageUnavailable` means the same batch can be retried later
(the writes are idempotent, and a failed batch was rolled back whole), `RecordRejected` means
retrying cannot help (keep the records for a human). Anything else is a plain `StorageError`.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


class StorageError(Exception):
    """Root of the storage layer's exceptions."""


class StorageUnavailable(StorageError):
    """The database could not be reached or dropped the connection; retry the same batch later."""


class RecordRejected(StorageError, ValueError):
    """A record is invalid, or the database refused it; retrying the same batch cannot succeed."""


_UNAVAILABLE = (
    sa_exc.OperationalError,  # connection refused or lost, server shutting down, SQLite locked, deadlock
    sa_exc.InterfaceError,
    sa_exc.InternalError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)
_REJECTED = (sa_exc.IntegrityError, sa_exc.DataError)


def translate(exc: sa_exc.SQLAlchemyError, action: str) -> StorageError:
    """The storage exception for a SQLAlchemy error; raise it `from exc`."""
    message = f"{action} failed: {exc.__class__.__name__}: {_first_line(exc)}"
    if isinstance(exc, _UNAVAILABLE):
        return StorageUnavailable(message)
    if isinstance(exc, _REJECTED):
        return RecordRejected(message)
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        return RecordRejected(message)  # a value the project's types refused before it reached the database
    return StorageError(message)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class NotFound(StorageError, LookupError):
    """No such record, or none the viewer may see (the two are not told apart, so nothing leaks)."""


class PermissionDenied(StorageError):
    """The viewer may see the record but not do this to it (or their role may not do it at all)."""
