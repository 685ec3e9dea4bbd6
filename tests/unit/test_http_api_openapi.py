"""The OpenAPI document: valid OpenAPI 3.1 (every reference resolves, every path parameter declared),
complete (every route the server answers is documented, and nothing else), and true (each route's
real response, success and error, validates against the schema the document gives for it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from http_api.agent_routes import AGENT_ROUTES
from http_api.campaign_routes import CAMPAIGN_ROUTES
from http_api.dial_routes import DIAL_ROUTES
from http_api.disposition_routes import DISPOSITION_ROUTES
from http_api.preview_routes import PREVIEW_ROUTES
from http_api.push import PushHub
from http_api.recording_routes import RECORDING_ROUTES
from http_api.report_routes import REPORT_ROUTES
from http_api.routes import ROUTES
from http_api.session_routes import SESSION_ROUTES
from http_api.stats_routes import STATS_ROUTES
from tests.support.http_api import CALL_OF_JANE, ApiClient, Reply, Seed, running_api, seed
from tests.support.openapi import METHODS, operations, problems


@pytest.fixture
def served(engine: Engine) -> Iterator[tuple[ApiClient, Seed, dict[str, Any]]]:
    data = seed(engine)
    with running_api(engine, push=PushHub()) as api:
        reply = api.get("/api/openapi.json", None)
        assert reply.status == 200
        yield api, data, reply.json()


# --- a small JSON Schema 2020-12 validator, for the keywords pydantic emits ------------------------


def test_the_validator_finds_what_is_wrong() -> None:
    document = {
        "components": {"schemas": {"P": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
    }
    strict = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    }

    assert problems({"a": 1}, strict, document) == []
    assert problems({"a": True}, strict, document) == ["$.a: True is not ['integer']"]
    assert problems({"b": 1}, strict, document) == ["$: 'a' missing", "$: 'b' is not documented"]
    assert problems(
        [{"n": "x"}], {"type": "array", "items": {"$ref": "#/components/schemas/P"}}, document
    ) == ["$[0].n: 'x' is not ['integer']"]
    assert problems(None, {"anyOf": [{"type": "string"}, {"type": "null"}]}, document) == []


# --- valid -----------------------------------------------------------------------------------------


def test_the_document_is_openapi_3_1_with_bearer_security(
    served: tuple[ApiClient, Seed, dict[str, Any]],
) -> None:
    _, _, document = served

    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "callcenter CRM API"
    assert document["info"]["version"] == "1"
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A token from the CLI."},
        "cookieAuth": {
            "type": "apiKey",
            "in": "cookie",
            "name": "cc_session",
            "description": "A browser session from POST /api/session (X-CSRF-Token for writes).",
        },
    }
    assert document["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    public = [path for path, _, operation in operations(document) if operation.get("security") == []]
    assert public == ["/api/openapi.json", "/api/session"]  # the document, and signing in with a token


def test_every_reference_resolves(served: tuple[ApiClient, Seed, dict[str, Any]]) -> None:
    _, _, document = served
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(document))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    assert {"CustomerView", "ScreenPop", "TicketView", "NoteView", "ErrorBody"} <= set(schemas)


def test_path_parameters_are_declared_exactly(served: tuple[ApiClient, Seed, dict[str, Any]]) -> None:
    _, _, document = served
    for path, method, operation in operations(document):
        declared = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"]
        assert declared == re.findall(r"\{(\w+)\}", path), f"{method} {path}"
        assert all(p["required"] for p in operation.get("parameters", ()) if p["in"] == "path")
        assert any(status.startswith("2") for status in operation["responses"]), f"{method} {path}"
        if operation.get("security") != []:
            assert "401" in operation["responses"], f"{method} {path}"


# --- complete --------------------------------------------------------------------------------------


def concrete(path: str, data: Seed) -> str:
    return (
        path.replace("{id}", str(data.jane.id))
        .replace("{uuid}", CALL_OF_JANE)
        .replace("{call_uuid}", CALL_OF_JANE)
    )


def test_the_server_answers_exactly_the_documented_routes(
    served: tuple[ApiClient, Seed, dict[str, Any]],
) -> None:
    api, data, document = served
    routed = {(route.method.lower(), route.path) for route in ROUTES if route.documented}
    assert {(method, path) for path, method, _ in operations(document)} == routed
    for path, item in document["paths"].items():
        for method in METHODS:
            reply = api.request(method.upper(), concrete(path, data))  # no token
            if method not in item:
                assert reply.status == 405, f"{method} {path}: undocumented, yet answered {reply.status}"
            elif item[method].get("security") == []:  # signing in: a JSON body, or 415
                assert reply.status == (415 if path == "/api/session" else 200), f"{method} {path}"
            else:
                assert reply.status == 401, f"{method} {path}: documented, yet answered {reply.status}"
    assert api.get("/api/customers/1/history", data.tokens["maria"]).status == 404


# --- true ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    user: str
    path: str
    body: Any = None


SUCCESS = {  # writes first, so the reads that follow have data to return
    "addScreeningRule": Example("maria", "/api/screening-rules", {"kind": "vip", "number": "+441632960077"}),
    "addNote": Example(
        "maria", "/api/customers/{jane}/notes", {"body": "Called back", "call_uuid": CALL_OF_JANE}
    ),
    "openTicket": Example("maria", "/api/customers/{jane}/tickets", {"subject": "Wiper"}),
    "setTicketStatus": Example("maria", "/api/tickets/{ticket}", {"status": "pending"}),
    "me": Example("alice", "/api/me"),
    "searchCustomers": Example("maria", "/api/customers?name=Doe"),
    "getCustomer": Example("maria", "/api/customers/{jane}"),
    "customerCalls": Example("maria", "/api/customers/{jane}/calls?limit=5"),
    "customerTickets": Example("maria", "/api/customers/{jane}/tickets?status=all"),
    "customerNotes": Example("maria", "/api/customers/{jane}/notes"),
    "listCalls": Example("maria", "/api/calls?since=2026-01-01T00:00:00Z"),
    "getCall": Example("maria", f"/api/calls/{CALL_OF_JANE}"),
    "getScreenPop": Example("alice", f"/api/screenpop/{CALL_OF_JANE}"),
    "listScreeningRules": Example("sam", "/api/screening-rules"),
    "surveyAverages": Example("maria", "/api/surveys/averages?by=queue"),
    "openapi": Example("maria", "/api/openapi.json"),
    "removeScreeningRule": Example("maria", "/api/screening-rules/{rule}"),  # last: after the 409 below
}
ERRORS = [  # (operationId, user, path, body, status)
    ("getCustomer", "alice", "/api/customers/{max}", None, 404),
    ("searchCustomers", "alice", "/api/customers?limit=x", None, 400),
    ("listScreeningRules", "alice", "/api/screening-rules", None, 403),
    ("addScreeningRule", "maria", "/api/screening-rules", {"kind": "vip", "number": "+441632960077"}, 409),
    ("addNote", "maria", "/api/customers/{jane}/notes", {"body": "x" * 70_000}, 413),
    ("setTicketStatus", "bob", "/api/tickets/{ticket}", {"status": "closed"}, 404),
    ("me", None, "/api/me", None, 401),
    ("events", "maria", "/api/events", None, 403),
]


def test_every_route_answers_what_the_document_says(served: tuple[ApiClient, Seed, dict[str, Any]]) -> None:
    api, data, document = served
    by_id = {operation["operationId"]: (method, operation) for _, method, operation in operations(document)}
    recording_operations = {route.operation_id for route in RECORDING_ROUTES}  # test_http_api_recordings.py
    campaign_operations = {route.operation_id for route in CAMPAIGN_ROUTES}  # test_http_api_campaigns.py
    preview_operations = {route.operation_id for route in PREVIEW_ROUTES}  # test_http_api_previews.py
    stats_operations = {route.operation_id for route in STATS_ROUTES}  # test_http_api_stats.py
    report_operations = {route.operation_id for route in REPORT_ROUTES}  # test_http_api_reports.py
    session_operations = {route.operation_id for route in SESSION_ROUTES}  # test_http_api_session.py
    agent_operations = {route.operation_id for route in AGENT_ROUTES}  # test_http_api_agents.py
    disposition_operations = {route.operation_id for route in DISPOSITION_ROUTES}  # ..._dispositions.py
    dial_operations = {route.operation_id for route in DIAL_ROUTES}  # test_desk_dial.py
    elsewhere = (
        recording_operations
        | campaign_operations
        | preview_operations
        | stats_operations
        | report_operations
        | session_operations
        | agent_operations
        | disposition_operations
        | dial_operations
    )
    assert {*SUCCESS, "events"} == set(by_id) - elsewhere, "every operation needs an example here"
    ticket = api.request(
        "POST",
        f"/api/customers/{data.jane.id}/tickets",
        token=data.tokens["maria"],
        json_body={"subject": "t"},
    )
    names = {"{jane}": data.jane.id, "{max}": data.max.id, "{ticket}": ticket.json()["id"]}

    def send(operation_id: str, user: str | None, path: str, body: Any) -> Reply:
        for name, value in names.items():
            path = path.replace(name, str(value))
        method = by_id[operation_id][0].upper()
        return api.request(method, path, token=data.tokens[user] if user else None, json_body=body)

    def check(operation_id: str, reply: Reply) -> None:
        documented = by_id[operation_id][1]["responses"]
        assert str(reply.status) in documented, f"{operation_id}: {reply.status} is not documented"
        content = documented[str(reply.status)].get("content")
        if content is None:
            assert reply.body == b""
            return
        assert reply.headers["content-type"] == "application/json"
        schema = content["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], operation_id

    for operation_id, example in list(SUCCESS.items())[:-1]:
        reply = send(operation_id, example.user, example.path, example.body)
        assert reply.status < 300, f"{operation_id}: {reply.status} {reply.body!r}"
        if operation_id != "openapi":
            assert reply.body.strip() not in (b"[]", b""), f"{operation_id}: the example should return data"
        check(operation_id, reply)
        if operation_id == "addScreeningRule":
            names["{rule}"] = reply.json()["id"]
    for operation_id, user, path, body, status in ERRORS:
        reply = send(operation_id, user, path, body)
        assert reply.status == status, f"{operation_id}: {reply.status} {reply.body!r}"
        check(operation_id, reply)
    reply = send("removeScreeningRule", "maria", SUCCESS["removeScreeningRule"].path, None)
    assert reply.status == 204
    check("removeScreeningRule", reply)


def test_the_event_stream_is_documented_as_one(served: tuple[ApiClient, Seed, dict[str, Any]]) -> None:
    api, data, document = served
    documented = document["paths"]["/api/events"]["get"]["responses"]

    stream = api.open_stream("/api/events", data.tokens["alice"])
    try:
        status, content_type = stream.response.status, stream.response.getheader("Content-Type") or ""
    finally:
        stream.close()

    assert status == 200
    assert list(documented["200"]["content"]) == [content_type.split(";")[0]] == ["text/event-stream"]
