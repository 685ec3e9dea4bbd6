"""API users and tokens: a token is shown once, stored as its SHA-256 only, never logged, and stands for
its user's viewer until revoked; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TypedDict

import pytest
from sqlalchemy import Engine, select, update

from schema.crm.models import ApiToken, CrmUser
from schema.crm.users import (
    USERS,
    authenticate,
    create_user,
    issue_token,
    revoke_token,
    set_user_extension,
    user_viewer,
)
from schema.errors import NotFound, RecordRejected
from schema.viewer import Viewer

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_each_role_authenticates_as_its_viewer(engine: Engine) -> None:
    create_user(engine, "alice", "agent", agent_id="a-100")
    create_user(engine, "sam", "supervisor", department="sales")
    create_user(engine, "maria", "manager")

    tokens = {name: issue_token(engine, name) for name in ("alice", "sam", "maria")}

    assert authenticate(engine, tokens["alice"]) == Viewer("alice", "agent", agent_id="a-100")
    assert authenticate(engine, tokens["sam"]) == Viewer("sam", "supervisor", department="sales")
    assert authenticate(engine, tokens["maria"]) == Viewer("maria", "manager")


def test_only_the_hash_of_a_token_is_stored(engine: Engine) -> None:
    user_id = create_user(engine, "maria", "manager")
    token = issue_token(engine, "maria", label="laptop", now=T0)
    again = issue_token(engine, "maria")

    assert token != again
    assert len(token) >= 43  # 32 random bytes
    with engine.connect() as connection:
        rows = connection.execute(select(ApiToken.__table__).order_by(ApiToken.id)).mappings().all()
    assert [(row["user_id"], row["label"], row["created_at"], row["revoked_at"]) for row in rows[:1]] == [
        (user_id, "laptop", T0, None)
    ]
    assert [row["token_sha256"] for row in rows] == [
        hashlib.sha256(token.encode()).hexdigest(),
        hashlib.sha256(again.encode()).hexdigest(),
    ]
    assert not any(token in str(value) for row in rows for value in row.values())


def test_tokens_are_never_logged(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    create_user(engine, "maria", "manager")
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        token = issue_token(engine, "maria")
        assert authenticate(engine, token) is not None
        assert revoke_token(engine, token)
    # SQL logging was on (the hash went by as a parameter), yet the token itself never appeared.
    assert hashlib.sha256(token.encode()).hexdigest() in caplog.text
    assert token not in caplog.text


def test_a_revoked_token_stops_working_and_others_do_not(engine: Engine) -> None:
    create_user(engine, "maria", "manager")
    lost, kept = issue_token(engine, "maria"), issue_token(engine, "maria")

    assert revoke_token(engine, lost, now=T0) is True
    assert revoke_token(engine, lost) is False  # already revoked
    assert authenticate(engine, lost) is None
    assert authenticate(engine, kept) == Viewer("maria", "manager")
    with engine.connect() as connection:
        revoked = connection.execute(
            select(ApiToken.revoked_at).where(
                ApiToken.token_sha256 == hashlib.sha256(lost.encode()).hexdigest()
            )
        ).scalar_one()
    assert revoked == T0


def test_an_inactive_user_is_refused(engine: Engine) -> None:
    create_user(engine, "alice", "agent", agent_id="a-100")
    token = issue_token(engine, "alice")
    with engine.begin() as connection:
        connection.execute(update(USERS).values(active=False))
    assert authenticate(engine, token) is None


@pytest.mark.parametrize("token", ["", "x", "not-a-token-anyone-was-given", "t" * 300, "\udcff"])
def test_unknown_tokens_authenticate_as_nobody(engine: Engine, token: str) -> None:
    create_user(engine, "maria", "manager")
    issue_token(engine, "maria")
    assert authenticate(engine, token) is None
    assert revoke_token(engine, token) is False


def test_a_token_for_an_unknown_user_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound, match="nobody"):
        issue_token(engine, "nobody")


class UserExtras(TypedDict, total=False):
    agent_id: str
    department: str
    extension: str


@pytest.mark.parametrize(
    ("username", "role", "extra", "complaint"),
    [
        ("bob", "admin", {}, "role"),
        ("bob", "agent", {}, "agent id"),
        ("bob", "supervisor", {}, "department"),
        ("", "manager", {}, "username"),
        ("b" * 65, "manager", {}, "username"),
        ("bob", "agent", {"agent_id": "a" * 65}, "agent id"),
        ("bob", "manager", {"extension": "12 01"}, "extension '12 01'"),
        ("bob", "manager", {"extension": "1" * 33}, "extension"),
        ("bob", "manager", {"extension": "sip:1201"}, "extension 'sip:1201'"),
    ],
)
def test_bad_users_are_refused(
    engine: Engine, username: str, role: str, extra: UserExtras, complaint: str
) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        create_user(engine, username, role, **extra)
    with engine.connect() as connection:
        assert connection.execute(select(CrmUser.id)).all() == []


def test_a_username_is_taken_once(engine: Engine) -> None:
    first = create_user(engine, "maria", "manager")
    with pytest.raises(RecordRejected, match="'maria' already exists"):
        create_user(engine, "maria", "supervisor", department="sales")
    assert create_user(engine, "mario", "manager") != first


def test_a_user_carries_their_own_phone_extension(engine: Engine) -> None:
    create_user(engine, "sam", "supervisor", department="sales", extension="1201")
    create_user(engine, "maria", "manager")
    token = issue_token(engine, "sam")

    expected = Viewer("sam", "supervisor", department="sales", extension="1201")
    assert authenticate(engine, token) == expected
    assert user_viewer(engine, "sam") == expected
    assert user_viewer(engine, "maria").extension is None


def test_a_users_extension_is_set_changed_and_cleared(engine: Engine) -> None:
    create_user(engine, "maria", "manager")

    set_user_extension(engine, "maria", "+4420*1#")
    assert user_viewer(engine, "maria").extension == "+4420*1#"
    set_user_extension(engine, "maria", "1299")
    assert user_viewer(engine, "maria").extension == "1299"
    set_user_extension(engine, "maria", None)
    assert user_viewer(engine, "maria").extension is None


def test_a_bad_extension_or_user_changes_nothing(engine: Engine) -> None:
    create_user(engine, "maria", "manager", extension="1299")

    with pytest.raises(RecordRejected, match=r"extension '12\$01' is not a phone number"):
        set_user_extension(engine, "maria", "12$01")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        set_user_extension(engine, "nobody", "1201")
    assert user_viewer(engine, "maria").extension == "1299"
