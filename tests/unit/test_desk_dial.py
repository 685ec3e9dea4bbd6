"""Click-to-dial over the API and a fake switch, on SQLite and PostgreSQL: POST /api/agents/{id}/dial
rings the agent's phone first, then the number, bridges them; the agent's state follows the call; who
may dial for whom; numbers normalised; the DNC lists and the agent's state refuse a dial.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support); sam
supervises sales, maria is a manager. Both agents are logged in (available). Region GB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import MappingProxyType

import gevent
import pytest
from sqlalchemy import Engine, select

from dialplans import models as plan
from esl_handlers.codec import Event
from esl_handlers.desk_calls import DeskCalls, DeskDialSettings
from http_api import ApiServer, build_api
from ivr_scripts.agent_service import AgentService
from ivr_scripts.switch import Originated
from schema.adapters.agent_store import SqlAgentStore
from schema.calls.models import Call
from schema.campaigns.dnc import add_dnc
from tests.fakes.campaign_switch import FakeSwitch
from tests.support.campaign_leads import NOW
from tests.support.http_api import REGION, ApiClient, Reply, seed
from tests.support.openapi import operations, problems
from tests.support.previews import state_of

ANSWERED = Originated("answered", None, "")
NO_ANSWER = Originated("no_answer", None, "NO_ANSWER")
ROUTE = "sofia/gateway/pstn/{number}"
AGENTS = {
    "1001": plan.Agent.model_validate({"name": "Alice", "auto_answer": True}),
    "1002": plan.Agent.model_validate({"name": "Bob"}),
}


def hangup_event(leg: str) -> Event:
    headers = {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": leg, "Hangup-Cause": "NORMAL_CLEARING"}
    return Event(MappingProxyType(headers), None)


@dataclass
class World:
    engine: Engine
    tokens: dict[str, str]
    switch: FakeSwitch
    desk: DeskCalls
    api: ApiClient

    def dial(self, user: str, agent_id: str, number: str) -> Reply:
        return self.api.request(
            "POST", f"/api/agents/{agent_id}/dial", token=self.tokens[user], json_body={"number": number}
        )

    def legs(self) -> list[str]:
        return list(self.switch.originates)

    def settle(self, leg: str, result: Originated) -> None:
        self.switch.originates[leg].set(result)
        gevent.sleep(0.05)

    @staticmethod
    def wait(condition: Callable[[], bool], seconds: float = 3.0) -> None:
        with gevent.Timeout(seconds):
            while not condition():
                gevent.sleep(0.01)


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    data = seed(engine)
    service = AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW)
    service.login("1001")
    service.login("1002")
    switch = FakeSwitch()
    desk = DeskCalls(
        switch, engine, DeskDialSettings(ROUTE, "+441632960999", wrap_up_seconds=15),
        agents=lambda: AGENTS, region=lambda: REGION, agent_domain="callcenter.local", clock=lambda: NOW,
        on_agent_change=lambda agent_id: None, server="s1",
    )  # fmt: skip
    server = ApiServer(build_api(engine, region=REGION, desk=desk), "127.0.0.1", 0)
    server.start()
    try:
        yield World(engine, data.tokens, switch, desk, ApiClient(server.port))
    finally:
        server.stop()
        switch.settle_all(NO_ANSWER)


def call_row(engine: Engine, call_uuid: str) -> Call | None:
    with engine.connect() as connection:
        row = connection.execute(select(Call.__table__).where(Call.__table__.c.uuid == call_uuid)).first()
    return None if row is None else Call(**row._mapping)


def test_the_agents_phone_first_then_the_number_bridged_and_the_call_recorded(world: World) -> None:
    reply = world.dial("alice", "1001", "01632 960123")
    assert reply.status == 202, reply.body
    call_uuid, number = reply.json()["call_uuid"], reply.json()["number"]
    assert number == "+441632960123"
    assert state_of(world.engine, "1001") == ("ringing", call_uuid), "no queue call offered meanwhile"
    world.wait(lambda: len(world.legs()) == 1)
    [agent_leg] = world.legs()
    assert world.switch.done == [("originate", "user/1001@callcenter.local")]
    assert world.switch.variables[agent_leg]["sip_auto_answer"] == "true", "1001 has auto_answer"

    world.settle(agent_leg, ANSWERED)
    world.wait(lambda: call_uuid in world.switch.originates)
    assert state_of(world.engine, "1001") == ("on_call", call_uuid)
    assert world.switch.done[-1] == ("originate", "sofia/gateway/pstn/+441632960123")
    world.settle(call_uuid, ANSWERED)
    assert world.switch.done[-1:] == [("bridge", call_uuid, agent_leg)]

    world.desk.on_switch_event(hangup_event(call_uuid))
    world.wait(lambda: state_of(world.engine, "1001")[0] == "wrap_up")
    assert world.switch.done[-1] == ("hangup", agent_leg), "the customer left: the agent's leg goes"
    world.wait(lambda: call_row(world.engine, call_uuid) is not None)
    row = call_row(world.engine, call_uuid)
    assert row is not None
    assert (row.direction, row.destination, row.caller_number, row.outcome) == (
        "outbound", "+441632960123", "+441632960999", "click_to_dial",
    )  # fmt: skip
    assert row.answered_at is not None
    assert row.ended_at is not None


def test_an_agent_without_auto_answer_is_rung_plainly_and_not_answering_frees_them(world: World) -> None:
    reply = world.dial("bob", "1002", "+441632960124")
    assert reply.status == 202, reply.body
    call_uuid = reply.json()["call_uuid"]
    world.wait(lambda: len(world.legs()) == 1)
    [agent_leg] = world.legs()
    assert "sip_auto_answer" not in world.switch.variables[agent_leg]
    world.settle(agent_leg, NO_ANSWER)
    world.wait(lambda: state_of(world.engine, "1002")[0] == "available")
    assert world.legs() == [agent_leg], "the number is never dialled"
    assert call_row(world.engine, call_uuid) is None, "no call: only the agent's phone rang"


def test_agents_dial_for_themselves_supervisors_for_their_department_managers_for_anyone(
    world: World,
) -> None:
    assert world.dial("bob", "1001", "+441632960125").status == 403
    assert world.dial("sam", "1002", "+441632960125").status == 404, "another department's agent"
    assert state_of(world.engine, "1001")[0] == "available"
    assert state_of(world.engine, "1002")[0] == "available"
    assert world.dial("sam", "1001", "+441632960125").status == 202
    assert world.dial("maria", "1002", "+441632960126").status == 202
    assert world.dial("maria", "9999", "+441632960126").status == 404


def test_refusals_leave_the_agent_available_and_dial_nothing(world: World) -> None:
    add_dnc(world.engine, "+441632960127", source="national", now=NOW - dt.timedelta(days=1))
    listed = world.dial("alice", "1001", "01632 960127")
    assert (listed.status, listed.error) == (
        409,
        "+441632960127 is on the national DNC list: not dialled",
    )
    not_a_number = world.dial("alice", "1001", "12")
    assert not_a_number.status == 422, not_a_number.body
    assert state_of(world.engine, "1001")[0] == "available"
    assert world.legs() == []

    assert world.dial("alice", "1001", "+441632960128").status == 202
    busy = world.dial("maria", "1001", "+441632960129")
    assert busy.status == 409
    assert "ringing" in busy.error, busy.body


def test_without_a_desk_dialer_the_route_answers_503(engine: Engine) -> None:
    data = seed(engine)
    server = ApiServer(build_api(engine, region=REGION), "127.0.0.1", 0)
    server.start()
    try:
        reply = ApiClient(server.port).request(
            "POST", "/api/agents/1001/dial", token=data.tokens["alice"], json_body={"number": "+441632960130"}
        )
    finally:
        server.stop()
    assert reply.status == 503


def test_every_answer_is_what_the_document_says(world: World) -> None:
    document = world.api.get("/api/openapi.json", None).json()
    found = [(method, op) for _, method, op in operations(document) if op["operationId"] == "dialForAgent"]
    [(method, operation)] = found
    cases = [
        ("alice", "1001", "+441632960131", 202),
        ("maria", "1001", "+441632960132", 409),
        ("bob", "1001", "+441632960133", 403),
        ("sam", "1002", "+441632960133", 404),
        ("bob", "1002", "12", 422),
    ]
    for user, agent_id, number, status in cases:
        reply = world.dial(user, agent_id, number)
        assert (method, reply.status) == ("post", status), reply.body
        content = operation["responses"][str(status)]["content"]
        assert problems(reply.json(), content["application/json"]["schema"], document) == [], status
