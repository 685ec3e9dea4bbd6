"""The API's campaign routes over a real socket, on SQLite and PostgreSQL: campaigns listed as the CLI's
`campaign status` shows them, one with its transitions, lifecycle steps (refused ones 409), and the agent
closing a campaign call (answers checked against the script, a sale's opportunity, 404 / 403 / 422),
every answer against the OpenAPI document.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support); sam
supervises sales, maria is a manager. The dialplan has campaigns spring (script satisfaction, one list
of one lead, and a call alice took) and autumn (no script, never used); the database alone knows winter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import AttemptOutcome
from dialplans.script_models import Script
from http_api import ApiServer, build_api
from http_api.campaign_routes import CAMPAIGN_ROUTES
from schema.campaigns.attempts import ATTEMPTS, Attempt, record_attempt
from schema.campaigns.closing import ANSWERS
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import get_lead
from schema.campaigns.lists import CALL_LISTS
from schema.campaigns.status import ensure_campaign
from schema.crm.models import Opportunity
from tests.support.campaign_leads import NOW, add_leads
from tests.support.http_api import REGION, ApiClient, seed
from tests.support.openapi import operations, problems

PHONE = "+13125550001"
CALL = "c0ffee00-0000-4000-8000-000000000001"
SCRIPT = Script.model_validate(
    {
        "questions": [
            {"id": "happy", "text": "Happy?", "kind": "yes_no"},
            {"id": "score", "text": "Rate it", "kind": "rating"},
            {"id": "notes", "text": "Notes?", "required": False},
        ]
    }
)
BASE = {"type": "survey", "agents": ["1001"], "lists": ["march"], "caller_id": "+15005550006"}
PLAN = CampaignPlan(
    campaigns={
        "spring": Campaign.model_validate({**BASE, "script": "satisfaction"}),
        "autumn": Campaign.model_validate(BASE),
    },
    scripts={"satisfaction": SCRIPT},
)
GOOD_ANSWERS = {"happy": "Y", "score": "5"}


@dataclass
class World:
    engine: Engine
    tokens: dict[str, str]
    lead_id: int
    attempt_id: int
    plan: list[CampaignPlan]  # the current dialplan's; replaced to "reload" it


@pytest.fixture
def world(engine: Engine) -> World:
    data = seed(engine)
    (lead_id,) = add_leads(engine, PHONE, campaign="spring")
    with engine.begin() as connection:  # the counts an import keeps, which the CLI and the API show
        connection.execute(update(CALL_LISTS).values(rows_read=1, leads_added=1))
    attempt = Attempt(
        "spring", PHONE, 1, NOW, AttemptOutcome.HUMAN, lead_id=lead_id, call_uuid=CALL, agent_id="1001"
    )
    attempt_id = record_attempt(engine, attempt)
    ensure_campaign(engine, "winter", NOW)
    return World(engine, data.tokens, lead_id, attempt_id, [PLAN])


@pytest.fixture
def api(world: World) -> Iterator[ApiClient]:
    app = build_api(world.engine, region=REGION, campaigns=lambda: world.plan[0], clock=lambda: NOW)
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield ApiClient(server.port)
    finally:
        server.stop()


def close(api: ApiClient, world: World, user: str, **body: Any) -> Any:
    form = {"agent_id": "1001", "disposition": "sale", "answers": GOOD_ANSWERS, **body}
    return api.request(
        "POST", f"/api/campaign-calls/{CALL}/closing", token=world.tokens[user], json_body=form
    )


def move(api: ApiClient, world: World, user: str, name: str, to: str, reason: str | None = None) -> Any:
    body = {"to": to} if reason is None else {"to": to, "reason": reason}
    return api.request("POST", f"/api/campaigns/{name}/transitions", token=world.tokens[user], json_body=body)


def rows(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(table)).all())


@pytest.mark.parametrize("user", ["sam", "maria"])
def test_supervisors_and_managers_list_every_campaign_as_the_cli_shows_it(
    api: ApiClient, world: World, user: str
) -> None:
    reply = api.get("/api/campaigns", world.tokens[user])
    assert reply.status == 200, reply.body
    listed = {c["name"]: c for c in reply.json()}
    assert list(listed) == ["autumn", "spring", "winter"]
    summary = {
        name: (c["status"], c["in_dialplan"], c["list_count"], c["lead_count"]) for name, c in listed.items()
    }
    assert summary == {
        "autumn": ("draft", True, 0, 0),
        "spring": ("draft", True, 1, 1),
        "winter": ("draft", False, 0, 0),
    }
    assert listed["autumn"]["since"] is None, "in the dialplan, not used yet"
    assert listed["spring"]["since"] is not None


def test_agents_may_not_read_campaigns(api: ApiClient, world: World) -> None:
    assert api.get("/api/campaigns", world.tokens["alice"]).status == 403
    assert api.get("/api/campaigns/spring", world.tokens["alice"]).status == 403


def test_a_reloaded_dialplan_applies_at_once(api: ApiClient, world: World) -> None:
    world.plan[0] = CampaignPlan(campaigns={"spring": PLAN.campaigns["spring"]}, scripts=PLAN.scripts)
    names = [c["name"] for c in api.get("/api/campaigns", world.tokens["maria"]).json()]
    assert names == ["spring", "winter"]
    assert api.get("/api/campaigns/autumn", world.tokens["maria"]).status == 404


def test_a_manager_moves_a_campaign_and_the_step_is_logged_as_theirs(api: ApiClient, world: World) -> None:
    reply = move(api, world, "maria", "spring", "pilot", "first 10%")
    assert reply.status == 201, reply.body
    assert {k: reply.json()[k] for k in ("from_status", "to_status", "by", "reason")} == {
        "from_status": "draft",
        "to_status": "pilot",
        "by": "api:maria",
        "reason": "first 10%",
    }
    assert move(api, world, "maria", "spring", "running").status == 201
    detail = api.get("/api/campaigns/spring", world.tokens["sam"]).json()
    assert detail["status"] == "running"
    assert [(t["from_status"], t["to_status"], t["by"]) for t in detail["transitions"]] == [
        ("draft", "pilot", "api:maria"),
        ("pilot", "running", "api:maria"),
    ]
    assert [(li["name"], li["leads_added"], li["source_file"]) for li in detail["lists"]] == [
        ("march", 1, "march.csv")
    ]


def test_a_campaign_of_the_dialplan_not_used_yet_can_be_started(api: ApiClient, world: World) -> None:
    assert move(api, world, "maria", "autumn", "running").status == 201
    assert api.get("/api/campaigns/autumn", world.tokens["maria"]).json()["status"] == "running"


def test_only_managers_move_campaigns(api: ApiClient, world: World) -> None:
    for user in ("sam", "alice"):
        assert move(api, world, user, "spring", "running").status == 403
    assert api.get("/api/campaigns/spring", world.tokens["maria"]).json()["transitions"] == []


def test_a_refused_transition_is_409_with_the_lifecycles_message(api: ApiClient, world: World) -> None:
    assert move(api, world, "maria", "winter", "closed").status == 201
    reply = move(api, world, "maria", "winter", "running")
    assert reply.status == 409
    assert (
        reply.error == "campaign 'winter' is closed; cannot go to running (allowed: nothing: closed is final)"
    )
    draft = move(api, world, "maria", "spring", "paused")
    assert draft.status == 409
    assert "cannot go to paused (allowed: closed, pilot, running)" in draft.error
    assert api.get("/api/campaigns/spring", world.tokens["maria"]).json()["status"] == "draft"


def test_unknown_campaigns_and_statuses(api: ApiClient, world: World) -> None:
    assert api.get("/api/campaigns/summer", world.tokens["maria"]).status == 404
    reply = move(api, world, "maria", "summer", "running")
    assert reply.status == 404
    assert "no campaign 'summer'" in reply.error
    assert [c["name"] for c in api.get("/api/campaigns", world.tokens["maria"]).json()] == [
        "autumn",
        "spring",
        "winter",
    ], "an unknown name is not created"
    assert move(api, world, "maria", "spring", "draft").status == 400


def test_a_sale_closes_the_call_and_creates_the_won_opportunity(api: ApiClient, world: World) -> None:
    reply = close(api, world, "alice", answers={"happy": "Y", "score": "5", "notes": " Lovely "})
    assert reply.status == 201, reply.body
    body = reply.json()
    (opportunity,) = rows(world.engine, Opportunity.__table__)
    assert body == {
        "attempt_id": world.attempt_id,
        "campaign": "spring",
        "agent_id": "1001",
        "disposition": "sale",
        "answers": {"happy": "yes", "score": "5", "notes": "Lovely"},
        "opportunity_id": opportunity.id,
        "customer_id": opportunity.customer_id,
        "added_to_dnc": False,
        "lead_finished": True,
    }
    assert (opportunity.stage, opportunity.campaign) == ("won", "spring")
    assert sorted((a.question, a.answer) for a in rows(world.engine, ANSWERS)) == [
        ("happy", "yes"),
        ("notes", "Lovely"),
        ("score", "5"),
    ]
    assert get_lead(world.engine, world.lead_id).status == "done"
    again = close(api, world, "alice")
    assert again.status == 422
    assert "already closed as 'sale'" in again.error
    assert len(rows(world.engine, Opportunity.__table__)) == 1


def test_do_not_call_and_call_back_say_what_followed(api: ApiClient, world: World) -> None:
    later = close(api, world, "alice", disposition="call_back").json()
    assert (later["lead_finished"], later["added_to_dnc"], later["opportunity_id"]) == (False, False, None)
    second = "c0ffee00-0000-4000-8000-000000000002"
    record_attempt(
        world.engine,
        Attempt("spring", PHONE, 2, NOW, AttemptOutcome.HUMAN, lead_id=world.lead_id, call_uuid=second,
                agent_id="1001"),
    )  # fmt: skip
    form = {"agent_id": "1001", "disposition": "do_not_call", "answers": GOOD_ANSWERS}
    reply = api.request(
        "POST", f"/api/campaign-calls/{second}/closing", token=world.tokens["alice"], json_body=form
    )
    assert reply.status == 201, reply.body
    assert (reply.json()["added_to_dnc"], reply.json()["lead_finished"]) == (True, True)
    assert is_blocked(world.engine, "autumn", PHONE) == "internal DNC"


def test_refused_answers_are_422_with_each_reason_and_nothing_is_stored(api: ApiClient, world: World) -> None:
    reply = close(api, world, "alice", answers={"happy": "maybe", "score": "9", "mood": "fine"})
    assert reply.status == 422
    payload = reply.json()
    assert payload["problems"] == {
        "happy": "expected yes or no, got 'maybe'",
        "score": "a rating is a whole number from 1 to 5, not '9'",
        "mood": "not a question of this script",
    }
    assert payload["error"].startswith("answers refused: happy: expected yes or no")
    missing = close(api, world, "alice", answers={"happy": "no"})
    assert (missing.status, missing.json()["problems"]) == (422, {"score": "required"})
    assert rows(world.engine, ANSWERS) == []
    assert rows(world.engine, Opportunity.__table__) == []
    assert [a.disposition for a in rows(world.engine, ATTEMPTS)] == [None]


def test_a_disposition_the_campaign_does_not_have_is_422(api: ApiClient, world: World) -> None:
    reply = close(api, world, "alice", disposition="maybe_later")
    assert reply.status == 422
    assert "'maybe_later' is not a disposition of campaign 'spring'" in reply.error
    assert [a.disposition for a in rows(world.engine, ATTEMPTS)] == [None]


def test_only_the_agent_their_supervisor_or_a_manager_closes_a_call(api: ApiClient, world: World) -> None:
    unknown = api.request(
        "POST",
        "/api/campaign-calls/no-such-call/closing",
        token=world.tokens["maria"],
        json_body={"agent_id": "1001", "disposition": "sale"},
    )
    assert unknown.status == 404
    assert close(api, world, "bob", agent_id="1002").status == 404, "another agent's call is not found"
    assert close(api, world, "alice", agent_id="1002").status == 403, "an agent closes as themselves"
    assert [a.disposition for a in rows(world.engine, ATTEMPTS)] == [None]
    assert close(api, world, "sam", disposition="completed").status == 201, "alice's supervisor"


def test_every_campaign_route_answers_what_the_document_says(api: ApiClient, world: World) -> None:
    document = api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: (method, operation) for _, method, operation in operations(document)}
    form = {"agent_id": "1001", "disposition": "sale", "answers": GOOD_ANSWERS}
    closing = f"/api/campaign-calls/{CALL}/closing"
    cases = [
        ("listCampaigns", "maria", "/api/campaigns", None, 200),
        ("listCampaigns", "alice", "/api/campaigns", None, 403),
        ("getCampaign", "sam", "/api/campaigns/spring", None, 200),
        ("getCampaign", "sam", "/api/campaigns/summer", None, 404),
        ("moveCampaign", "maria", "/api/campaigns/spring/transitions", {"to": "running"}, 201),
        ("moveCampaign", "maria", "/api/campaigns/spring/transitions", {"to": "pilot"}, 409),
        ("closeCampaignCall", "alice", closing, {**form, "answers": {}}, 422),
        ("closeCampaignCall", "alice", closing, form, 201),
    ]
    assert {case[0] for case in cases} == {route.operation_id for route in CAMPAIGN_ROUTES}
    for operation_id, user, path, body, status in cases:
        method, operation = by_id[operation_id]
        reply = api.request(method.upper(), path, token=world.tokens[user], json_body=body)
        assert reply.status == status, f"{operation_id}: {reply.status} {reply.body!r}"
        documented = operation["responses"]
        assert str(status) in documented, f"{operation_id}: {status} is not documented"
        schema = documented[str(status)]["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], operation_id
