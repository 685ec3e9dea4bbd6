"""Browser sessions (the agent desktop's sign-in): a session cookie made from an API token.

`open_session` checks the token as `authenticate` does and returns a new random cookie value and a
CSRF value; the database keeps the cookie's SHA-256 only (like tokens), the CSRF value (the page reads
it back from GET /api/session), and the token's id. Every request's `session_viewer` joins the session
to its token and user, so revoking the token or disabling the user refuses the session at once, with
nothing to clean up. A session unused for `IDLE_LIMIT` is refused, and deleted by the next sign-in.
Neither the token nor the cookie value is ever logged or put in an error message.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Final, cast

from sqlalchemy import Engine, Table, delete, insert, select, update

from schema.crm.models import WebSession
from schema.crm.users import TOKEN_MAX_LENGTH, TOKENS, USERS, VIEWER_COLUMNS, token_hash, viewer_of_row
from schema.db import read_connection, write_transaction
from schema.viewer import Viewer

SESSIONS: Final = cast(Table, WebSession.__table__)
IDLE_LIMIT: Final = dt.timedelta(hours=12)
# last_seen_at is written at most this often: a page polling every second costs no write per request.
TOUCH_EVERY: Final = dt.timedelta(minutes=1)
COOKIE_BYTES: Final = 32
# The cookie value is token_urlsafe(32): 43 characters. Anything much longer is not one of ours.
COOKIE_MAX_LENGTH: Final = 128


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A session a request came with: who, and the CSRF value its unsafe requests must carry. `cookie`
    is the value the browser sent (kept to renew the cookie's lifetime; never shown, never logged)."""

    id: int
    viewer: Viewer
    csrf: str
    cookie: str = field(repr=False)


def open_session(engine: Engine, token: str, *, now: dt.datetime | None = None) -> BrowserSession | None:
    """A new session for the token's user; None when the token is unknown, revoked, or its user is
    disabled. Sessions idle past IDLE_LIMIT (anyone's) are deleted on the way."""
    if not 0 < len(token) <= TOKEN_MAX_LENGTH:
        return None
    now = now or dt.datetime.now(dt.UTC)
    query = (
        select(TOKENS.c.id, *VIEWER_COLUMNS)
        .join(TOKENS, TOKENS.c.user_id == USERS.c.id)
        .where(TOKENS.c.token_sha256 == token_hash(token), TOKENS.c.revoked_at.is_(None), USERS.c.active)
    )
    cookie, csrf = secrets.token_urlsafe(COOKIE_BYTES), secrets.token_urlsafe(COOKIE_BYTES)
    with write_transaction(engine, "opening a browser session") as connection:
        row = connection.execute(query).one_or_none()
        if row is None:
            return None
        connection.execute(delete(SESSIONS).where(SESSIONS.c.last_seen_at < now - IDLE_LIMIT))
        session_id = connection.execute(
            insert(SESSIONS)
            .values(
                token_id=row[0],
                session_sha256=token_hash(cookie),
                csrf=csrf,
                created_at=now,
                last_seen_at=now,
            )
            .returning(SESSIONS.c.id)
        ).scalar_one()
    return BrowserSession(int(session_id), viewer_of_row(*row[1:]), csrf, cookie)


def session_viewer(engine: Engine, cookie: str, *, now: dt.datetime | None = None) -> BrowserSession | None:
    """The session a cookie value stands for; None when there is none, it has been idle past
    IDLE_LIMIT, its token is revoked or its user disabled. Notes the use (at most once a TOUCH_EVERY)."""
    if not 0 < len(cookie) <= COOKIE_MAX_LENGTH:
        return None
    now = now or dt.datetime.now(dt.UTC)
    query = (
        select(SESSIONS.c.id, SESSIONS.c.csrf, SESSIONS.c.last_seen_at, *VIEWER_COLUMNS)
        .join(TOKENS, SESSIONS.c.token_id == TOKENS.c.id)
        .join(USERS, TOKENS.c.user_id == USERS.c.id)
        .where(
            SESSIONS.c.session_sha256 == token_hash(cookie),
            SESSIONS.c.last_seen_at >= now - IDLE_LIMIT,
            TOKENS.c.revoked_at.is_(None),
            USERS.c.active,
        )
    )
    with read_connection(engine, "checking a browser session") as connection:
        row = connection.execute(query).one_or_none()
    if row is None:
        return None
    session_id, csrf, last_seen_at = row[0], row[1], row[2]
    if last_seen_at <= now - TOUCH_EVERY:
        with write_transaction(engine, "noting a browser session's use") as connection:
            connection.execute(update(SESSIONS).where(SESSIONS.c.id == session_id).values(last_seen_at=now))
    return BrowserSession(int(session_id), viewer_of_row(*row[3:]), csrf, cookie)


def close_session(engine: Engine, session_id: int) -> None:
    """Delete the session (signing out); nothing when it is already gone."""
    with write_transaction(engine, "closing a browser session") as connection:
        connection.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id))
