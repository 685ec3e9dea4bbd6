"""GET /api/reports over a real socket, on SQLite and PostgreSQL: the seeded history's report
(tests/support/report_history.py) as HTML and CSV, who sees what, bad input, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from schema.crm.users import create_user, issue_token
from tests.support.http_api import ApiClient, running_api
from tests.support.report_history import seed

WEEK = "/api/reports?from=2024-03-01&to=2024-03-07&tz=Europe/London"


@pytest.fixture
def served(engine: Engine) -> Iterator[tuple[ApiClient, dict[str, str]]]:
    """The report history; agent 1001 in sales. alice is agent 1001, sam supervises sales, maria manages."""
    seed(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE agents SET department = 'sales' WHERE agent_id = '1001'"))
    create_user(engine, "alice", "agent", agent_id="1001")
    create_user(engine, "sam", "supervisor", department="sales")
    create_user(engine, "maria", "manager")
    tokens = {name: issue_token(engine, name) for name in ("alice", "sam", "maria")}
    with running_api(engine) as api:
        yield api, tokens


def agents_on(page: str) -> list[str]:
    return [
        line.split('data-agent="')[1].split('"')[0] for line in page.splitlines() if "data-agent=" in line
    ]


def test_a_manager_gets_the_page_with_every_agent(served: tuple[ApiClient, dict[str, str]]) -> None:
    api, tokens = served
    reply = api.get(WEEK, tokens["maria"])

    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-security-policy"].startswith("default-src 'none'")
    assert reply.headers["cache-control"] == "no-store"
    page = reply.body.decode()
    assert int(reply.headers["content-length"]) == len(reply.body)
    assert '<div class="kpi" data-kpi="asa"><dt>Average speed of answer</dt><dd>131.0 s</dd>' in page
    assert agents_on(page) == ["1001", "1002", "1003"]


def test_the_csv_is_a_download_of_the_same_figures(served: tuple[ApiClient, dict[str, str]]) -> None:
    api, tokens = served
    reply = api.get(f"{WEEK}&format=csv&queue=sales", tokens["maria"])

    assert reply.status == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.headers["content-disposition"] == 'attachment; filename="report-2024-03-01-2024-03-07.csv"'
    rows = list(csv.reader(io.StringIO(reply.body.decode())))
    figures = {(s, i, m): v for s, i, m, v in rows[1:]}
    assert figures["headline", "", "offered"] == "6"
    assert figures["headline", "", "service_level"] == "0.2"  # sales alone: 1 of 5


def test_a_supervisor_sees_their_departments_agents_and_an_agent_is_refused(
    served: tuple[ApiClient, dict[str, str]],
) -> None:
    api, tokens = served
    supervisor = api.get(WEEK, tokens["sam"])
    agent = api.get(WEEK, tokens["alice"])

    assert supervisor.status == 200
    assert agents_on(supervisor.body.decode()) == ["1001"]
    assert "The agents of department sales." in supervisor.body.decode()
    assert (agent.status, agent.error) == (403, "reports are for supervisors and managers")


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=2024-03-01&to=2024-03-07&tz=Europe/Londres", 422, "unknown time zone 'Europe/Londres'"),
        ("from=2024-03-07&to=2024-03-01", 422, "before it starts"),
        ("from=2024-03-01", 400, "to"),
        ("from=March&to=2024-03-07", 400, "from"),
        ("from=2024-03-01&to=2024-03-07&format=pdf", 400, "format"),
    ],
    ids=["zone", "backwards", "no-end", "bad-date", "format"],
)
def test_bad_input(served: tuple[ApiClient, dict[str, str]], query: str, status: int, message: str) -> None:
    api, tokens = served
    reply = api.get(f"/api/reports?{query}", tokens["maria"])
    assert reply.status == status
    assert message in reply.error


def test_the_document_names_both_media_types_and_the_parameters(
    served: tuple[ApiClient, dict[str, str]],
) -> None:
    api, _ = served
    document: dict[str, Any] = api.get("/api/openapi.json", None).json()
    operation = document["paths"]["/api/reports"]["get"]

    assert operation["operationId"] == "getReport"
    assert set(operation["responses"]["200"]["content"]) == {
        "text/html; charset=utf-8",
        "text/csv; charset=utf-8",
    }
    assert {"400", "401", "403", "422", "503"} <= set(operation["responses"])
    assert [(p["name"], p["required"]) for p in operation["parameters"]] == [
        ("from", True), ("to", True), ("tz", False), ("queue", False), ("format", False),
    ]  # fmt: skip
