"""The API's preview-dialling routes over a real socket, on SQLite and PostgreSQL: the next record for an
agent, shown, dialled or skipped; who may act for whom; every answer against the OpenAPI document.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support), both logged
in; sam supervises sales, maria is a manager. Campaign spring dials preview, running, two leads due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, update

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.script_models import Script
from http_api import ApiServer, build_api
from http_api.preview_routes import PREVIEW_ROUTES
from ivr_scripts.agent_service import AgentService
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns import previews
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.leads import LEADS, get_lead
from schema.campaigns.status import transition
from tests.support.campaign_leads import NOW, add_leads
from tests.support.http_api import REGION, ApiClient, Reply, seed
from tests.support.openapi import operations, problems
from tests.support.previews import state_of

SCRIPT = Script.model_validate({"intro": "Hi, Acme here.", "questions": [{"id": "happy", "text": "Happy?"}]})
CAMPAIGN = Campaign.model_validate(
    {
        "type": "survey",
        "agents": ["1001", "1002"],
        "lists": ["march"],
        "caller_id": "+15005550006",
        "dial_mode": "preview",
        "script": "satisfaction",
    }
)
PLAN = CampaignPlan({"spring": CAMPAIGN}, {"satisfaction": SCRIPT}, {"spring": frozenset({"1001", "1002"})})


@dataclass
class World:
    engine: Engine
    tokens: dict[str, str]
    leads: list[int]


@pytest.fixture
def world(engine: Engine) -> World:
    data = seed(engine)
    leads = add_leads(engine, "+13125550001", "+13125550002", campaign="spring")
    with engine.begin() as connection:
        connection.execute(update(LEADS).where(LEADS.c.id == leads[0]).values(fields={"name": "Jane Roe"}))
    service = AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW)
    service.login("1001")
    service.login("1002")
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", reason=None, now=NOW)
    return World(engine, data.tokens, leads)


@pytest.fixture
def api(world: World) -> Iterator[ApiClient]:
    app = build_api(
        world.engine, region=REGION, campaigns=PLAN, clock=lambda: NOW
    )  # inside the calling window
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield ApiClient(server.port)
    finally:
        server.stop()


def ask(api: ApiClient, world: World, user: str, agent_id: str) -> Reply:
    return api.request(
        "POST", "/api/campaigns/spring/previews", token=world.tokens[user], json_body={"agent_id": agent_id}
    )


def test_an_agent_sees_the_next_record_dials_it_and_cannot_dial_it_twice(
    api: ApiClient, world: World
) -> None:
    reply = ask(api, world, "alice", "1001")
    assert reply.status == 201, reply.body
    shown = reply.json()
    assert (shown["lead"]["id"], shown["lead"]["name"], shown["lead"]["phone"]) == (
        world.leads[0], "Jane Roe", "+13125550001",
    )  # fmt: skip
    assert shown["script"]["intro"] == "Hi, Acme here."
    assert shown["previous_attempts"] == []
    assert state_of(world.engine, "1001")[0] == "reserved"
    assert api.get("/api/previews/1001", world.tokens["alice"]).json()["state"] == "previewing"
    dialled = api.request("POST", "/api/previews/1001/dial", token=world.tokens["alice"])
    assert (dialled.status, dialled.json()["state"]) == (200, "dial_requested")
    again = api.request("POST", "/api/previews/1001/dial", token=world.tokens["alice"])
    assert again.status == 409
    assert "dial_requested already" in again.json()["error"]
    withdrawn = api.request("POST", "/api/previews/1001/skip", token=world.tokens["alice"])
    assert withdrawn.status == 204, "a skip withdraws a dial no dialer has taken yet"


def test_skipping_frees_the_agent_and_the_lead(api: ApiClient, world: World) -> None:
    ask(api, world, "alice", "1001")
    reply = api.request("POST", "/api/previews/1001/skip", token=world.tokens["alice"])
    assert (reply.status, reply.body) == (204, b"")
    assert state_of(world.engine, "1001") == ("available", None)
    assert get_lead(world.engine, world.leads[0]).attempts == 0
    assert api.get("/api/previews/1001", world.tokens["alice"]).status == 404


def test_agents_act_for_themselves_supervisors_for_their_department_managers_for_anyone(
    api: ApiClient, world: World
) -> None:
    assert ask(api, world, "alice", "1002").status == 403
    assert ask(api, world, "sam", "1002").status == 403, "bob is in support, sam supervises sales"
    assert ask(api, world, "sam", "1001").status == 201
    assert ask(api, world, "maria", "1002").status == 201
    assert api.get("/api/previews/1002", world.tokens["alice"]).status == 403
    assert api.request("POST", "/api/previews/1002/skip", token=world.tokens["alice"]).status == 403
    busy = ask(api, world, "maria", "1002")
    assert busy.status == 409
    nothing = ask(api, world, "maria", "1001")
    assert nothing.status == 409, "alice has one open already"


def test_no_lead_due_is_404_and_the_agent_stays_available(api: ApiClient, world: World) -> None:
    ask(api, world, "alice", "1001")
    ask(api, world, "bob", "1002")
    api.request("POST", "/api/previews/1001/dial", token=world.tokens["alice"])
    api.request("POST", "/api/previews/1002/skip", token=world.tokens["bob"])
    api.request("POST", "/api/previews/1002/skip", token=world.tokens["bob"])
    with world.engine.begin() as connection:
        connection.execute(update(LEADS).values(status="done", next_attempt_at=None))
    reply = ask(api, world, "bob", "1002")
    assert reply.status == 404
    assert "no lead of campaign 'spring' is due" in reply.json()["error"]
    assert state_of(world.engine, "1002") == ("available", None)


def test_every_preview_route_answers_what_the_document_says(api: ApiClient, world: World) -> None:
    document = api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: (method, operation) for _, method, operation in operations(document)}
    cases = [
        ("getPreview", "alice", "/api/previews/1001", None, 404),
        ("nextPreview", "alice", "/api/campaigns/spring/previews", {"agent_id": "1001"}, 201),
        ("nextPreview", "alice", "/api/campaigns/spring/previews", {"agent_id": "1001"}, 409),
        ("nextPreview", "alice", "/api/campaigns/spring/previews", {"agent_id": "1002"}, 403),
        ("getPreview", "alice", "/api/previews/1001", None, 200),
        ("skipPreview", "bob", "/api/previews/1002/skip", None, 404),
        ("skipPreview", "alice", "/api/previews/1001/skip", None, 204),
        ("nextPreview", "bob", "/api/campaigns/spring/previews", {"agent_id": "1002"}, 201),
        ("dialPreview", "bob", "/api/previews/1002/dial", None, 200),
        ("dialPreview", "bob", "/api/previews/1002/dial", None, 409),
        ("skipPreview", "bob", "/api/previews/1002/skip", None, 409),  # a dialer took it (below)
    ]
    assert {case[0] for case in cases} == {route.operation_id for route in PREVIEW_ROUTES}
    for operation_id, user, path, body, status in cases:
        if status == 409 and operation_id == "skipPreview":
            assert [p.agent_id for p, _lead in previews.take_dial_requests(world.engine, "s1")] == ["1002"]
        method, operation = by_id[operation_id]
        reply = api.request(method.upper(), path, token=world.tokens[user], json_body=body)
        assert reply.status == status, f"{operation_id}: {reply.status} {reply.body!r}"
        documented = operation["responses"]
        assert str(status) in documented, f"{operation_id}: {status} is not documented"
        content = documented[str(status)].get("content")
        if content is None:
            assert reply.body == b""
            continue
        assert problems(reply.json(), content["application/json"]["schema"], document) == [], operation_id
