"""The HTTP API's users, their own phone extensions (the only phone supervision rings for them) and
their tokens (admin helpers, run from the CLI: no viewer).

A token is shown once, when issued; the database keeps only its SHA-256, so a token is found by
hashing what the client sent and looking the hash up (no comparison of secrets in Python). Tokens
are never logged, not even in error messages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy import exc as sa_exc

from dialplans.base import NUMBER_PATTERN
from schema.crm.models import ROLES, ApiToken, CrmUser
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, RecordRejected
from schema.viewer import Role, Viewer

USERS: Final = cast(Table, CrmUser.__table__)
TOKENS: Final = cast(Table, ApiToken.__table__)
NAME_MAX_LENGTH: Final = 64
TOKEN_BYTES: Final = 32
TOKEN_PREFIX: Final = "cc_"  # noqa: S105 (a prefix, not a secret)
"""Every issued token starts with it: a secret scanner can spot one, and no token starts with "-", which
`callcenter token revoke TOKEN` would read as an option (a bare token_urlsafe does, one time in 64)."""
# The prefix and token_urlsafe(32) give 46 characters; anything much longer is not one of these and is
# not worth hashing.
TOKEN_MAX_LENGTH: Final = 256
# A user's phone is dialled as user/<extension>@<agent domain>: the directory's extensions are the
# dialplan's numbers (dialplans.base.Number), so the same pattern.
_EXTENSION: Final = re.compile(NUMBER_PATTERN)


def create_user(
    engine: Engine,
    username: str,
    role: str,
    *,
    agent_id: str | None = None,
    department: str | None = None,
    extension: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Add an active user and return their id. An agent needs an agent id, a supervisor a department;
    `extension` is their own phone (the only one supervision rings for them)."""
    _check_name(username, "username")
    if role not in ROLES:
        raise RecordRejected(f"role {role!r} is not one of {ROLES}")
    if role == "agent" and not agent_id:
        raise RecordRejected(f"agent user {username!r} needs an agent id")
    if role == "supervisor" and not department:
        raise RecordRejected(f"supervisor user {username!r} needs a department")
    for value, what in ((agent_id, "agent id"), (department, "department")):
        if value is not None:
            _check_name(value, what)
    if extension is not None:
        _check_extension(extension)
    row = {
        "username": username,
        "role": role,
        "agent_id": agent_id,
        "department": department,
        "extension": extension,
        "active": True,
        "created_at": now or dt.datetime.now(dt.UTC),
    }
    try:
        with write_transaction(engine, f"creating user {username!r}") as connection:
            return int(connection.execute(insert(USERS).values(row).returning(USERS.c.id)).scalar_one())
    except RecordRejected as exc:
        if isinstance(exc.__cause__, sa_exc.IntegrityError):  # the rest was checked: the unique username
            raise RecordRejected(f"user {username!r} already exists") from exc
        raise


def issue_token(
    engine: Engine, username: str, *, label: str | None = None, now: dt.datetime | None = None
) -> str:
    """A new token for the user (shown once: only its hash is kept). Unknown username: NotFound."""
    if label is not None:
        _check_name(label, "token label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(engine, f"issuing a token for {username!r}") as connection:
        user_id = connection.execute(
            select(USERS.c.id).where(USERS.c.username == username)
        ).scalar_one_or_none()
        if user_id is None:
            raise NotFound(f"no user {username!r}")
        connection.execute(
            insert(TOKENS).values(
                user_id=user_id,
                token_sha256=token_hash(token),
                label=label,
                created_at=now or dt.datetime.now(dt.UTC),
                revoked_at=None,
            )
        )
    return token


def revoke_token(engine: Engine, token: str, *, now: dt.datetime | None = None) -> bool:
    """Revoke a token; False when it is unknown or was already revoked."""
    if not _plausible(token):
        return False
    with write_transaction(engine, "revoking a token") as connection:
        result = connection.execute(
            update(TOKENS)
            .where(TOKENS.c.token_sha256 == token_hash(token), TOKENS.c.revoked_at.is_(None))
            .values(revoked_at=now or dt.datetime.now(dt.UTC))
        )
        return result.rowcount == 1


def revoke_token_id(engine: Engine, token_id: int, *, now: dt.datetime | None = None) -> bool:
    """Revoke the token with this id (as `list_tokens` shows it); False when there is no such active token."""
    with write_transaction(engine, f"revoking token #{token_id}") as connection:
        result = connection.execute(
            update(TOKENS)
            .where(TOKENS.c.id == token_id, TOKENS.c.revoked_at.is_(None))
            .values(revoked_at=now or dt.datetime.now(dt.UTC))
        )
        return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What may be shown of a token: never the token, never its hash."""

    id: int
    username: str
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    user_active: bool


def list_tokens(engine: Engine, username: str | None = None) -> list[TokenInfo]:
    """Every token (or one user's), oldest first; NotFound for an unknown `username`."""
    query = (
        select(TOKENS.c.id, USERS.c.username, TOKENS.c.label, TOKENS.c.created_at, TOKENS.c.revoked_at)
        .add_columns(USERS.c.active.label("user_active"))
        .join(USERS, TOKENS.c.user_id == USERS.c.id)
        .order_by(TOKENS.c.id)
    )
    with read_connection(engine, "listing tokens") as connection:
        if username is not None:
            if connection.execute(select(USERS.c.id).where(USERS.c.username == username)).first() is None:
                raise NotFound(f"no user {username!r}")
            query = query.where(USERS.c.username == username)
        return [TokenInfo(**row._asdict()) for row in connection.execute(query)]


def set_user_active(engine: Engine, username: str, active: bool) -> None:
    """Enable or disable a user: a disabled user's tokens stop working at the next request (they are
    kept, so enabling the user again restores them). NotFound for an unknown user."""
    action = f"{'enabling' if active else 'disabling'} user {username!r}"
    with write_transaction(engine, action) as connection:
        result = connection.execute(update(USERS).where(USERS.c.username == username).values(active=active))
        if result.rowcount != 1:
            raise NotFound(f"no user {username!r}")


def set_user_extension(engine: Engine, username: str, extension: str | None) -> None:
    """Set the user's own phone extension, or clear it (None: they can then supervise no call).
    RecordRejected for an extension that is not a phone number, NotFound for an unknown user."""
    if extension is not None:
        _check_extension(extension)
    with write_transaction(engine, f"setting the extension of user {username!r}") as connection:
        result = connection.execute(
            update(USERS).where(USERS.c.username == username).values(extension=extension)
        )
        if result.rowcount != 1:
            raise NotFound(f"no user {username!r}")


VIEWER_COLUMNS: Final = (
    USERS.c.username,
    USERS.c.role,
    USERS.c.agent_id,
    USERS.c.department,
    USERS.c.extension,
)


def authenticate(engine: Engine, token: str) -> Viewer | None:
    """The viewer a token stands for; None when it is unknown, revoked, or its user is inactive."""
    if not _plausible(token):
        return None
    query = (
        select(*VIEWER_COLUMNS)
        .join(TOKENS, TOKENS.c.user_id == USERS.c.id)
        .where(TOKENS.c.token_sha256 == token_hash(token), TOKENS.c.revoked_at.is_(None), USERS.c.active)
    )
    with read_connection(engine, "checking a token") as connection:
        row = connection.execute(query).one_or_none()
    if row is None:
        return None
    return viewer_of_row(*row)


def token_hash(token: str) -> str:
    """What api_tokens.token_sha256 holds for a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _plausible(token: object) -> bool:
    return isinstance(token, str) and 0 < len(token) <= TOKEN_MAX_LENGTH


def viewer_of_row(
    username: str, role: str, agent_id: str | None, department: str | None, extension: str | None
) -> Viewer:
    """A Viewer from a row of VIEWER_COLUMNS."""
    return Viewer(username, cast(Role, role), agent_id, department, extension)


def _check_extension(extension: str) -> None:
    if not isinstance(extension, str) or not _EXTENSION.match(extension):
        raise RecordRejected(
            f"extension {extension!r} is not a phone number (1 to 32 of 0-9 * #, an optional leading +)"
        )


def _check_name(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX_LENGTH or "\x00" in value:
        raise RecordRejected(f"{what} {value!r} is not 1 to {NAME_MAX_LENGTH} characters of text")


def user_viewer(engine: Engine, username: str) -> Viewer:
    """The rights of the active CRM user `username` (for commands run on their behalf); NotFound when
    there is none."""
    query = select(*VIEWER_COLUMNS).where(USERS.c.username == username, USERS.c.active)
    with read_connection(engine, f"reading user {username!r}") as connection:
        row = connection.execute(query).one_or_none()
    if row is None:
        raise NotFound(f"no active user {username!r} (`callcenter user add` adds one)")
    return viewer_of_row(*row)
