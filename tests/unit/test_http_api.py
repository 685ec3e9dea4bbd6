"""The CRM's HTTP API over a real socket, on SQLite and PostgreSQL: tokens, what each role sees,
notes and tickets, and the errors a client gets for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update

from schema.crm.models import CrmUser
from schema.crm.users import create_user, issue_token, revoke_token, set_user_extension
from schema.db import session_scope
from tests.support.http_api import CALL_OF_JANE, CALL_OF_MAX, ApiClient, Seed, running_api, seed


@pytest.fixture
def data(engine: Engine) -> Seed:
    return seed(engine)


@pytest.fixture
def api(engine: Engine, data: Seed) -> Iterator[ApiClient]:
    with running_api(engine) as client:
        yield client


# --- tokens ----------------------------------------------------------------------------------------


def test_a_valid_token_is_its_users_identity(api: ApiClient, data: Seed) -> None:
    reply = api.get("/api/me", data.tokens["alice"])

    assert reply.status == 200
    assert reply.json() == {
        "user": "alice",
        "role": "agent",
        "agent_id": "1001",
        "department": None,
        "extension": None,
    }
    assert reply.headers["cache-control"] == "no-store"


def test_me_names_the_users_own_phone(api: ApiClient, data: Seed, engine: Engine) -> None:
    set_user_extension(engine, "sam", "1201")

    reply = api.get("/api/me", data.tokens["sam"])

    assert reply.json()["extension"] == "1201"  # the phone POST /api/supervise rings


@pytest.mark.parametrize(
    ("authorization", "problem"),
    [
        (None, "needs an Authorization: Bearer <token> header"),
        ("Basic YWxpY2U6c2VjcmV0", "malformed Authorization header"),
        ("Bearer", "malformed Authorization header"),
        ("Bearer two words", "malformed Authorization header"),
        ("Bearer " + "x" * 300, "malformed Authorization header"),
        ("Bearer not-a-token-we-issued", "unknown or revoked token"),
    ],
)
def test_requests_without_a_good_token_are_refused(
    api: ApiClient, authorization: str | None, problem: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    reply = api.request("GET", "/api/customers", headers=headers)

    assert reply.status == 401
    assert problem in reply.error
    assert reply.headers["www-authenticate"].startswith('Bearer realm="callcenter"')


def test_a_revoked_token_is_refused_and_others_still_work(api: ApiClient, engine: Engine, data: Seed) -> None:
    spare = issue_token(engine, "alice", label="tablet")
    assert revoke_token(engine, data.tokens["alice"])

    refused = api.get("/api/me", data.tokens["alice"])

    assert refused.status == 401
    assert "revoked" in refused.error
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert api.get("/api/me", spare).status == 200


def test_a_disabled_users_tokens_are_refused(api: ApiClient, engine: Engine, data: Seed) -> None:
    assert api.get("/api/me", data.tokens["bob"]).status == 200
    with session_scope(engine) as session:
        session.execute(update(CrmUser).where(CrmUser.username == "bob").values(active=False))

    assert api.get("/api/me", data.tokens["bob"]).status == 401


def test_the_openapi_document_needs_no_token_but_everything_else_does(api: ApiClient) -> None:
    assert api.get("/api/openapi.json", None).status == 200
    assert api.get("/api/me", None).status == 401


def test_tokens_never_reach_the_logs(
    api: ApiClient,
    data: Seed,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    create_user(engine, "gone", "manager")
    revoked = issue_token(engine, "gone")
    revoke_token(engine, revoked)
    with caplog.at_level("DEBUG"):
        api.get("/api/me", data.tokens["maria"])
        api.get("/api/customers/999", data.tokens["maria"])  # an error path
        api.get("/api/me", revoked)
        api.get(f"/api/me?token={data.tokens['sam']}", data.tokens["sam"])  # misuse: a 400
    captured = capfd.readouterr()

    assert "http_api.access" in {record.name for record in caplog.records}  # the access log did log
    for token in (data.tokens["maria"], data.tokens["sam"], revoked):
        assert token not in caplog.text
        assert token not in captured.out + captured.err


# --- what each role sees ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("maria", ["Jane Doe", "Max Mustermann"]),
        ("sam", ["Jane Doe"]),
        ("alice", ["Jane Doe"]),
        ("bob", ["Max Mustermann"]),
    ],
)
def test_each_role_sees_its_own_customers(api: ApiClient, data: Seed, user: str, visible: list[str]) -> None:
    reply = api.get("/api/customers", data.tokens[user])

    assert reply.status == 200
    assert [customer["name"] for customer in reply.json()] == visible


def test_a_customer_the_viewer_may_not_see_is_not_found(api: ApiClient, data: Seed) -> None:
    own = api.get(f"/api/customers/{data.jane.id}", data.tokens["alice"])
    other = api.get(f"/api/customers/{data.max.id}", data.tokens["alice"])
    missing = api.get("/api/customers/987654", data.tokens["alice"])

    assert own.status == 200
    assert own.json()["phone_numbers"] == [{"e164": "+441632960001", "label": None}]
    assert own.json()["custom_fields"] == {"plate": "AB12 CDE"}
    assert (other.status, missing.status) == (404, 404)
    assert other.error == f"no customer {data.max.id}"  # the same answer as for one that does not exist
    assert missing.error == "no customer 987654"
    for path in (f"/api/customers/{data.max.id}/calls", f"/api/customers/{data.max.id}/notes"):
        assert api.get(path, data.tokens["alice"]).status == 404


def test_search_by_phone_reads_national_numbers_in_the_region(api: ApiClient, data: Seed) -> None:
    national = api.get("/api/customers?phone=01632%20960001", data.tokens["maria"])
    by_name = api.get("/api/customers?name=muster", data.tokens["maria"])
    hidden = api.get("/api/customers?phone=%2B441632960002", data.tokens["alice"])

    assert [c["id"] for c in national.json()] == [data.jane.id]
    assert [c["id"] for c in by_name.json()] == [data.max.id]
    assert hidden.json() == []


def test_calls_and_screen_pops_follow_the_customers(api: ApiClient, data: Seed) -> None:
    alice, bob, maria = (data.tokens[name] for name in ("alice", "bob", "maria"))

    assert [call["uuid"] for call in api.get("/api/calls", alice).json()] == [CALL_OF_JANE]
    assert {call["uuid"] for call in api.get("/api/calls", maria).json()} == {CALL_OF_JANE, CALL_OF_MAX}
    assert api.get(f"/api/calls/{CALL_OF_MAX}", alice).status == 404
    assert api.get(f"/api/calls?customer_id={data.jane.id}", maria).json()[0]["customer_id"] == data.jane.id
    assert [c["uuid"] for c in api.get(f"/api/customers/{data.jane.id}/calls", alice).json()] == [
        CALL_OF_JANE
    ]

    pop = api.get(f"/api/screenpop/{CALL_OF_JANE}", alice)
    assert pop.status == 200
    assert pop.json()["known"] is True
    assert pop.json()["customer"]["id"] == data.jane.id
    assert pop.json()["display_name"] == "Jane Doe (gold)"
    assert [call["uuid"] for call in pop.json()["recent_calls"]] == [CALL_OF_JANE]
    assert api.get(f"/api/screenpop/{CALL_OF_JANE}", bob).status == 404


def test_screening_rules_are_read_by_supervisors_and_written_by_managers(api: ApiClient, data: Seed) -> None:
    rule = {"kind": "block", "number": "01632 960099", "reason": "abusive"}

    assert api.get("/api/screening-rules", data.tokens["alice"]).status == 403
    assert api.request("POST", "/api/screening-rules", token=data.tokens["sam"], json_body=rule).status == 403

    added = api.request("POST", "/api/screening-rules", token=data.tokens["maria"], json_body=rule)
    assert added.status == 201
    assert added.json()["pattern"] == "+441632960099"  # national, read in the API's region
    assert added.json()["created_by"] == "maria"
    listed = api.get("/api/screening-rules?kind=block", data.tokens["sam"])
    assert [r["id"] for r in listed.json()] == [added.json()["id"]]
    assert api.get("/api/screening-rules?kind=vip", data.tokens["sam"]).json() == []

    again = api.request("POST", "/api/screening-rules", token=data.tokens["maria"], json_body=rule)
    assert again.status == 409
    assert "already listed" in again.error
    not_a_number = {"kind": "block", "number": "12"}
    assert (
        api.request("POST", "/api/screening-rules", token=data.tokens["maria"], json_body=not_a_number).status
        == 422
    )

    path = f"/api/screening-rules/{added.json()['id']}"
    assert api.request("DELETE", path, token=data.tokens["sam"]).status == 403
    removed = api.request("DELETE", path, token=data.tokens["maria"])
    assert (removed.status, removed.body) == (204, b"")
    assert api.request("DELETE", path, token=data.tokens["maria"]).status == 404


def test_survey_averages_per_role(api: ApiClient, data: Seed) -> None:
    def averages(user: str, by: str = "agent") -> list[tuple[str | None, float]]:
        reply = api.get(f"/api/surveys/averages?by={by}", data.tokens[user])
        assert reply.status == 200
        return [(row["agent_id"] or row["queue"], row["average"]) for row in reply.json()]

    assert averages("maria") == [("1001", 5.0), ("1002", 2.0)]
    assert averages("maria", by="queue") == [("sales", 5.0), ("support", 2.0)]
    assert averages("sam") == [("1001", 5.0)]
    assert averages("bob") == [("1002", 2.0)]


# --- notes and tickets -----------------------------------------------------------------------------


def test_an_agent_writes_notes_on_their_customer(api: ApiClient, data: Seed) -> None:
    path = f"/api/customers/{data.jane.id}/notes"
    alice = data.tokens["alice"]

    written = api.request(
        "POST", path, token=alice, json_body={"body": "Wants a call back", "call_uuid": CALL_OF_JANE}
    )

    assert written.status == 201
    assert written.json()["author"] == "alice"
    assert written.json()["call_uuid"] == CALL_OF_JANE
    assert [note["body"] for note in api.get(path, alice).json()] == ["Wants a call back"]
    assert [note["id"] for note in api.get(path, data.tokens["sam"]).json()] == [written.json()["id"]]
    refused = api.request("POST", f"/api/customers/{data.max.id}/notes", token=alice, json_body={"body": "x"})
    assert refused.status == 404


def test_a_ticket_is_opened_then_closed(api: ApiClient, data: Seed) -> None:
    alice = data.tokens["alice"]
    tickets = f"/api/customers/{data.jane.id}/tickets"

    opened = api.request("POST", tickets, token=alice, json_body={"subject": "Broken wiper"})
    assert opened.status == 201
    assert (opened.json()["status"], opened.json()["created_by"]) == ("open", "alice")
    ticket = f"/api/tickets/{opened.json()['id']}"
    assert [t["subject"] for t in api.get(tickets, alice).json()] == ["Broken wiper"]
    assert (
        api.request("PATCH", ticket, token=data.tokens["bob"], json_body={"status": "closed"}).status == 404
    )

    closed = api.request("PATCH", ticket, token=alice, json_body={"status": "closed"})

    assert closed.status == 200
    assert closed.json()["status"] == "closed"
    assert api.get(tickets, alice).json() == []  # open ones by default
    assert [t["status"] for t in api.get(f"{tickets}?status=all", alice).json()] == ["closed"]
    assert [t["status"] for t in api.get(f"{tickets}?status=closed", alice).json()] == ["closed"]
    assert api.get(f"/api/screenpop/{CALL_OF_JANE}", alice).json()["open_tickets"] == []


# --- bad requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "problem"),
    [
        ("GET", "/api/customers?limit=0", None, 400, "query parameter 'limit'"),
        ("GET", "/api/customers?limit=ten", None, 400, "query parameter 'limit'"),
        ("GET", "/api/customers?colour=red", None, 400, "query parameter 'colour'"),
        ("GET", "/api/customers?name=a&name=b", None, 400, "'name' is given more than once"),
        ("GET", "/api/calls?since=2026-03-01T00:00:00", None, 400, "query parameter 'since'"),
        ("GET", "/api/surveys/averages", None, 400, "query parameter 'by'"),
        ("GET", "/api/me?x=1", None, 400, "query parameter 'x' is not taken"),
        ("GET", "/api/customers/abc", None, 400, "path parameter 'id' must be a positive integer"),
        ("GET", "/api/customers/0", None, 400, "path parameter 'id'"),
        ("GET", "/api/customers/99999999999999999999", None, 400, "path parameter 'id'"),
        ("GET", "/api/calls/not%20a%20uuid", None, 400, "path parameter 'uuid'"),
        ("POST", "/api/customers/{jane}/notes", b"", 400, "request body is empty"),
        ("POST", "/api/customers/{jane}/notes", b'{"body": ', 400, "request body is not valid JSON"),
        ("POST", "/api/customers/{jane}/notes", b"[1, 2]", 400, "body fields:"),
        ("POST", "/api/customers/{jane}/notes", b"{}", 400, "body field 'body': Field required"),
        ("POST", "/api/customers/{jane}/notes", b'{"body": 5}', 400, "body field 'body'"),
        ("POST", "/api/customers/{jane}/notes", b'{"body": "hi", "author": "x"}', 400, "body field 'author'"),
        (
            "POST",
            "/api/customers/{jane}/tickets",
            b'{"subject": "s", "call_uuid": "' + b"a" * 40 + b'"}',
            400,
            "'call_uuid'",
        ),
        ("PATCH", "/api/tickets/1", b'{"status": "done"}', 400, "body field 'status'"),
        ("PUT", "/api/tickets/1", b"{}", 405, "PUT is not allowed on /api/tickets/1"),
        ("GET", "/api/nowhere", None, 404, "no such endpoint: /api/nowhere"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    api: ApiClient, data: Seed, method: str, path: str, body: bytes | None, status: int, problem: str
) -> None:
    reply = api.request(
        method, path.replace("{jane}", str(data.jane.id)), token=data.tokens["maria"], body=body
    )

    assert reply.status == status
    assert problem in reply.error


def test_methods_not_allowed_name_the_allowed_ones(api: ApiClient, data: Seed) -> None:
    reply = api.request("DELETE", f"/api/customers/{data.jane.id}/notes", token=data.tokens["maria"])

    assert reply.status == 405
    assert reply.headers["allow"] == "GET, POST"


def test_bodies_over_64_kib_are_refused(api: ApiClient, data: Seed) -> None:
    path = f"/api/customers/{data.jane.id}/notes"
    too_big = b'{"body": "' + b"x" * (64 * 1024) + b'"}'

    refused = api.request("POST", path, token=data.tokens["maria"], body=too_big)
    chunked = api.request("POST", path, token=data.tokens["maria"], body=too_big, chunked=True)

    assert refused.status == 413
    assert "over the 65536-byte limit" in refused.error
    assert chunked.status == 413
    assert api.get(path, data.tokens["maria"]).json() == []
