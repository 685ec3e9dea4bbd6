"""Browser sessions over a real socket, on SQLite and PostgreSQL: signing in with a token sets an HttpOnly,
SameSite=Strict cookie that then stands for the token's user everywhere; writes need the session's
X-CSRF-Token; revoking the token, disabling the user, signing out or 12 idle hours end it; neither the
token nor the cookie is stored or logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from http_api import ApiServer, PushHub, build_api
from http_api.session_routes import SESSION_ROUTES
from schema.crm.sessions import IDLE_LIMIT, SESSIONS, open_session, session_viewer
from schema.crm.users import revoke_token, set_user_active
from tests.support.http_api import REGION, ApiClient, Reply, Seed, in_thread, running_api, seed
from tests.support.openapi import operations, problems


@pytest.fixture
def data(engine: Engine) -> Seed:
    return seed(engine)


@pytest.fixture
def api(engine: Engine, data: Seed) -> Iterator[ApiClient]:
    with running_api(engine) as client:
        yield client


def sign_in(api: ApiClient, token: str, headers: dict[str, str] | None = None) -> Reply:
    return api.request("POST", "/api/session", json_body={"token": token}, headers=headers)


def cookie_of(reply: Reply) -> str:
    name, _, rest = reply.headers["set-cookie"].partition("=")
    assert name == "cc_session"
    return rest.split(";")[0]


def with_cookie(cookie: str, **extra: str) -> dict[str, str]:
    return {"Cookie": f"theme=dark; cc_session={cookie}", **extra}


def test_signing_in_sets_a_strict_http_only_cookie_and_returns_the_csrf_value(
    api: ApiClient, data: Seed, engine: Engine
) -> None:
    reply = sign_in(api, data.tokens["alice"])

    assert reply.status == 200
    body = reply.json()
    assert {k: v for k, v in body.items() if k != "csrf"} == {
        "user": "alice",
        "role": "agent",
        "agent_id": "1001",
        "department": None,
        "extension": None,
    }
    assert len(body["csrf"]) >= 40
    cookie = cookie_of(reply)
    assert len(cookie) >= 40
    assert cookie not in (data.tokens["alice"], body["csrf"])
    assert reply.headers["set-cookie"] == (
        f"cc_session={cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"
    )
    with engine.connect() as connection:
        rows = connection.execute(select(SESSIONS)).all()
    assert [row.session_sha256 for row in rows] == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert all(cookie not in str(value) for value in rows[0])


def test_the_cookie_stands_for_the_tokens_user_with_the_same_rights(api: ApiClient, data: Seed) -> None:
    cookie = cookie_of(sign_in(api, data.tokens["alice"]))

    me = api.request("GET", "/api/me", headers=with_cookie(cookie))
    own = api.request("GET", f"/api/customers/{data.jane.id}", headers=with_cookie(cookie))
    other = api.request("GET", f"/api/customers/{data.max.id}", headers=with_cookie(cookie))

    assert me.status == 200
    assert me.json()["user"] == "alice"
    assert own.status == 200
    assert other.status == 404  # bob's customer, as with alice's token


def test_get_session_says_who_and_renews_the_cookie(api: ApiClient, data: Seed) -> None:
    signed_in = sign_in(api, data.tokens["sam"])
    cookie = cookie_of(signed_in)

    by_cookie = api.request("GET", "/api/session", headers=with_cookie(cookie))
    by_token = api.get("/api/session", data.tokens["sam"])

    assert by_cookie.status == 200
    assert by_cookie.json() == signed_in.json()
    assert cookie_of(by_cookie) == cookie
    assert "Max-Age=43200" in by_cookie.headers["set-cookie"]
    assert by_token.json() == {**signed_in.json(), "csrf": None}
    assert "set-cookie" not in by_token.headers
    assert api.get("/api/session", None).status == 401


@pytest.mark.parametrize("token", ["cc_not-one-we-issued", "x" * 300])
def test_an_unknown_token_opens_no_session(api: ApiClient, token: str) -> None:
    reply = sign_in(api, token)

    assert reply.status in (400, 401)
    assert "set-cookie" not in reply.headers
    if reply.status == 401:
        assert reply.error == "unknown or revoked token, or its user is disabled"


def test_signing_in_takes_only_a_json_body(api: ApiClient, data: Seed) -> None:
    reply = api.request(
        "POST",
        "/api/session",
        body=f'{{"token": "{data.tokens["alice"]}"}}'.encode(),
        headers={"Content-Type": "text/plain"},  # what another site's form could send
    )

    assert reply.status == 415
    assert "set-cookie" not in reply.headers


def test_a_cookie_write_needs_the_sessions_csrf_value(api: ApiClient, data: Seed) -> None:
    signed_in = sign_in(api, data.tokens["alice"])
    cookie, csrf = cookie_of(signed_in), signed_in.json()["csrf"]
    path = f"/api/customers/{data.jane.id}/notes"

    missing = api.request("POST", path, json_body={"body": "x"}, headers=with_cookie(cookie))
    wrong = api.request(
        "POST", path, json_body={"body": "x"}, headers=with_cookie(cookie, **{"X-CSRF-Token": csrf[:-1]})
    )
    right = api.request(
        "POST", path, json_body={"body": "x"}, headers=with_cookie(cookie, **{"X-CSRF-Token": csrf})
    )
    by_token = api.request("POST", path, token=data.tokens["alice"], json_body={"body": "y"})

    assert (missing.status, missing.error) == (403, "missing or wrong X-CSRF-Token")
    assert wrong.status == 403
    assert right.status == 201
    assert right.json()["author"] == "alice"
    assert by_token.status == 201  # a Bearer token needs none: no browser sends it by itself


def test_revoking_the_token_or_disabling_the_user_ends_the_session(
    api: ApiClient, data: Seed, engine: Engine
) -> None:
    alice = cookie_of(sign_in(api, data.tokens["alice"]))
    bob = cookie_of(sign_in(api, data.tokens["bob"]))

    revoke_token(engine, data.tokens["alice"])
    set_user_active(engine, "bob", False)

    for cookie in (alice, bob):
        reply = api.request("GET", "/api/me", headers=with_cookie(cookie))
        assert reply.status == 401
        assert "sign in again" in reply.error


def test_signing_out_deletes_the_session_and_clears_the_cookie(
    api: ApiClient, data: Seed, engine: Engine
) -> None:
    signed_in = sign_in(api, data.tokens["maria"])
    cookie, csrf = cookie_of(signed_in), signed_in.json()["csrf"]

    refused = api.request("DELETE", "/api/session", headers=with_cookie(cookie))
    out = api.request("DELETE", "/api/session", headers=with_cookie(cookie, **{"X-CSRF-Token": csrf}))

    assert refused.status == 403  # another site cannot sign the user out either
    assert out.status == 204
    assert out.body == b""
    assert out.headers["set-cookie"] == "cc_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    assert api.request("GET", "/api/me", headers=with_cookie(cookie)).status == 401
    with engine.connect() as connection:
        assert connection.execute(select(SESSIONS)).all() == []


def test_a_session_idle_for_12_hours_is_refused_and_dropped_at_the_next_sign_in(
    engine: Engine, data: Seed
) -> None:
    start = dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.UTC)
    session = open_session(engine, data.tokens["alice"], now=start)
    assert session is not None

    used = session_viewer(engine, session.cookie, now=start + dt.timedelta(hours=11))
    still = session_viewer(engine, session.cookie, now=start + dt.timedelta(hours=22, minutes=59))
    idle = session_viewer(engine, session.cookie, now=start + dt.timedelta(hours=35))

    assert used is not None
    assert used.viewer.user == "alice"
    assert used.csrf == session.csrf
    assert still is not None  # 11 h 59 min after its last use
    assert idle is None  # 12 h 1 min after its last use
    bobs = open_session(engine, data.tokens["bob"], now=start + IDLE_LIMIT * 3)
    assert bobs is not None
    with engine.connect() as connection:
        assert [row.id for row in connection.execute(select(SESSIONS))] == [bobs.id]


def test_a_session_notes_its_use_at_most_once_a_minute(engine: Engine, data: Seed) -> None:
    start = dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.UTC)
    session = open_session(engine, data.tokens["alice"], now=start)
    assert session is not None

    def last_seen() -> dt.datetime:
        with engine.connect() as connection:
            seen: dt.datetime = connection.execute(select(SESSIONS.c.last_seen_at)).scalar_one()
            return seen

    session_viewer(engine, session.cookie, now=start + dt.timedelta(seconds=30))
    assert last_seen() == start
    session_viewer(engine, session.cookie, now=start + dt.timedelta(minutes=2))
    assert last_seen() == start + dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    ("mode", "headers", "secure"),
    [
        ("auto", {}, False),
        ("auto", {"X-Forwarded-Proto": "https"}, True),
        ("auto", {"X-Forwarded-Proto": "http"}, False),
        ("on", {}, True),
        ("off", {"X-Forwarded-Proto": "https"}, False),
    ],
)
def test_the_cookie_is_secure_as_configured(
    engine: Engine, data: Seed, mode: str, headers: dict[str, str], secure: bool
) -> None:
    server = ApiServer(build_api(engine, region=REGION, secure_cookie=mode), "127.0.0.1", 0)  # type: ignore[arg-type]
    server.start()
    try:
        reply = sign_in(ApiClient(server.port), data.tokens["alice"], headers)
    finally:
        server.stop()

    assert reply.status == 200
    assert reply.headers["set-cookie"].endswith("; Secure") is secure


def test_the_event_stream_takes_the_cookie(engine: Engine, data: Seed) -> None:
    push = PushHub()
    with running_api(engine, push=push) as api:
        cookie = cookie_of(sign_in(api, data.tokens["alice"]))

        def open_stream() -> tuple[int, str]:
            connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
            try:
                connection.request("GET", "/api/events", headers=with_cookie(cookie))
                response = connection.getresponse()
                return response.status, response.getheader("Content-Type") or ""
            finally:
                connection.close()

        status, content_type = in_thread(open_stream)

    assert status == 200
    assert content_type.startswith("text/event-stream")


def test_neither_token_nor_cookie_reaches_the_logs(
    api: ApiClient,
    data: Seed,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level("DEBUG"):
        reply = sign_in(api, data.tokens["alice"])
        cookie = cookie_of(reply)
        api.request("GET", "/api/me", headers=with_cookie(cookie))
        api.request("POST", "/api/customers/1/notes", json_body={"body": "x"}, headers=with_cookie(cookie))
        api.request("DELETE", "/api/session", headers=with_cookie(cookie))
        api.request("GET", "/api/me", headers=with_cookie(cookie))  # ended: a 401
    captured = capfd.readouterr()

    assert "http_api.access" in {record.name for record in caplog.records}
    for secret in (data.tokens["alice"], cookie, reply.json()["csrf"]):
        assert secret not in caplog.text
        assert secret not in captured.out + captured.err


def test_every_session_route_answers_what_the_document_says(api: ApiClient, data: Seed) -> None:
    document = api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    signed_in = sign_in(api, data.tokens["alice"])
    cookie, csrf = cookie_of(signed_in), signed_in.json()["csrf"]
    replies = {
        ("openSession", 200): signed_in,
        ("openSession", 401): sign_in(api, "cc_unknown"),
        ("openSession", 415): api.request("POST", "/api/session", body=b"{}"),
        ("getSession", 200): api.request("GET", "/api/session", headers=with_cookie(cookie)),
        ("getSession", 401): api.get("/api/session", None),
        ("closeSession", 403): api.request("DELETE", "/api/session", headers=with_cookie(cookie)),
        ("closeSession", 204): api.request(
            "DELETE", "/api/session", headers=with_cookie(cookie, **{"X-CSRF-Token": csrf})
        ),
        ("closeSession", 401): api.request("DELETE", "/api/session", headers=with_cookie(cookie)),
    }
    assert {operation_id for operation_id, _ in replies} == {route.operation_id for route in SESSION_ROUTES}
    for (operation_id, status), reply in replies.items():
        assert reply.status == status, (operation_id, reply.body)
        documented = by_id[operation_id]["responses"][str(status)]
        if "content" not in documented:
            assert reply.body == b""
            continue
        schema = documented["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], (operation_id, status)
