"""Call dispositions over a real socket, on SQLite and PostgreSQL: the dialplan's list, setting and
replacing a call's, who may set and read which call's, unknown codes.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support); sam
supervises sales, maria is a manager. Jane's call was offered to bob (no answer), then answered by
alice; Max's call reached no agent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from dialplans.desktop_models import DEFAULT_DISPOSITIONS, Desktop
from http_api import ApiServer, build_api
from http_api.disposition_routes import DISPOSITION_ROUTES
from schema.acd.models import AgentLeg
from schema.crm.dispositions import DISPOSITIONS
from tests.support.http_api import CALL_OF_JANE, CALL_OF_MAX, REGION, T0, ApiClient, Reply, Seed, seed
from tests.support.openapi import operations, problems

LABELS = {"resolved": "Resolved", "callback": "Call back later"}


@dataclass
class World:
    api: ApiClient
    data: Seed
    labels: dict[str, str]

    def put(self, user: str, call: str, body: dict[str, Any]) -> Reply:
        return self.api.request(
            "PUT", f"/api/calls/{call}/disposition", token=self.data.tokens[user], json_body=body
        )

    def get(self, user: str, call: str) -> Reply:
        return self.api.get(f"/api/calls/{call}/disposition", self.data.tokens[user])


def leg(agent_id: str, outcome: str, *, answered: bool) -> dict[str, Any]:
    return {
        "leg_uuid": f"leg-{agent_id}",
        "call_uuid": CALL_OF_JANE,
        "queue": "sales",
        "agent_id": agent_id,
        "outcome": outcome,
        "offered_at": T0,
        "answered_at": T0 + dt.timedelta(seconds=5) if answered else None,
        "callback": False,
    }


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    data = seed(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(AgentLeg),
            [leg("1002", "no_answer", answered=False), leg("1001", "answered", answered=True)],
        )
    labels = dict(LABELS)  # the dialplan's, as a reload would change them
    server = ApiServer(build_api(engine, region=REGION, dispositions=lambda: labels), "127.0.0.1", 0)
    server.start()
    try:
        yield World(ApiClient(server.port), data, labels)
    finally:
        server.stop()


def test_the_dialplans_dispositions_in_order_and_the_defaults() -> None:
    assert list(Desktop().dispositions) == ["resolved", "follow_up", "escalated", "wrong_number", "no_action"]
    assert Desktop().dispositions == DEFAULT_DISPOSITIONS


def test_the_list_is_the_dialplans_as_loaded(world: World) -> None:
    first = world.api.get("/api/dispositions", world.data.tokens["alice"])
    world.labels["escalated"] = "Escalated"
    second = world.api.get("/api/dispositions", world.data.tokens["alice"])

    assert first.json() == [
        {"code": "resolved", "label": "Resolved"},
        {"code": "callback", "label": "Call back later"},
    ]
    assert second.json()[-1] == {"code": "escalated", "label": "Escalated"}


def test_the_answering_agent_sets_it_and_setting_again_replaces_it(world: World, engine: Engine) -> None:
    first = world.put("alice", CALL_OF_JANE, {"code": "callback", "note": "after 5 pm"})
    second = world.put("alice", CALL_OF_JANE, {"code": "resolved"})
    read = world.get("alice", CALL_OF_JANE)

    assert first.status == 200
    assert {k: v for k, v in first.json().items() if k != "set_at"} == {
        "call_uuid": CALL_OF_JANE,
        "agent_id": "1001",
        "code": "callback",
        "label": "Call back later",
        "note": "after 5 pm",
        "set_by": "alice",
    }
    assert second.json()["code"] == "resolved"
    assert second.json()["note"] is None
    assert read.json() == second.json()
    with engine.connect() as connection:
        assert len(connection.execute(select(DISPOSITIONS)).all()) == 1


def test_an_unknown_code_is_refused(world: World) -> None:
    reply = world.put("alice", CALL_OF_JANE, {"code": "sale"})

    assert reply.status == 422
    assert "unknown disposition 'sale'" in reply.error
    assert "resolved, callback" in reply.error
    assert world.get("alice", CALL_OF_JANE).status == 404


@pytest.mark.parametrize(
    ("user", "call", "status", "agent_id"),
    [
        ("alice", CALL_OF_JANE, 200, "1001"),  # she answered it
        ("bob", CALL_OF_JANE, 200, "1002"),  # it was offered to him
        ("alice", CALL_OF_MAX, 404, None),  # never offered to her
        ("sam", CALL_OF_JANE, 200, "1001"),  # his department's agent answered it
        ("sam", CALL_OF_MAX, 404, None),  # no agent of his
        ("maria", CALL_OF_JANE, 200, "1001"),  # a manager: any call, its answering agent
        ("maria", CALL_OF_MAX, 200, None),  # a call no agent took
        ("maria", "no-such-call", 404, None),
    ],
)
def test_who_may_set_which_calls(
    world: World, user: str, call: str, status: int, agent_id: str | None
) -> None:
    reply = world.put(user, call, {"code": "resolved"})

    assert reply.status == status
    if status == 200:
        assert reply.json()["agent_id"] == agent_id
        assert reply.json()["set_by"] == user
        assert world.get(user, call).status == 200
    else:
        assert world.get(user, call).status == 404


def test_a_code_dropped_from_the_dialplan_reads_as_itself(world: World) -> None:
    world.put("alice", CALL_OF_JANE, {"code": "callback"})
    del world.labels["callback"]

    assert world.get("alice", CALL_OF_JANE).json()["label"] == "callback"


def test_the_served_api_takes_the_defaults_without_a_dialplan(engine: Engine) -> None:
    data = seed(engine)
    server = ApiServer(build_api(engine, region=REGION), "127.0.0.1", 0)
    server.start()
    try:
        reply = ApiClient(server.port).get("/api/dispositions", data.tokens["maria"])
    finally:
        server.stop()

    assert [choice["code"] for choice in reply.json()] == list(DEFAULT_DISPOSITIONS)


def test_every_disposition_route_answers_what_the_document_says(world: World) -> None:
    document = world.api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    replies = {
        ("listDispositions", 200): world.api.get("/api/dispositions", world.data.tokens["bob"]),
        ("getDisposition", 404): world.get("alice", CALL_OF_JANE),
        ("setDisposition", 422): world.put("alice", CALL_OF_JANE, {"code": "nope"}),
        ("setDisposition", 400): world.put("alice", CALL_OF_JANE, {"code": "resolved", "extra": 1}),
        ("setDisposition", 200): world.put("alice", CALL_OF_JANE, {"code": "resolved", "note": "ok"}),
        ("getDisposition", 200): world.get("sam", CALL_OF_JANE),
    }
    assert {operation_id for operation_id, _ in replies} == {
        route.operation_id for route in DISPOSITION_ROUTES
    }
    for (operation_id, status), reply in replies.items():
        assert reply.status == status, (operation_id, reply.body)
        schema = by_id[operation_id]["responses"][str(status)]["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], (operation_id, status)
