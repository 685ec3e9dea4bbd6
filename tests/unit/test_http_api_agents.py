"""The desk's agent-state routes over a real socket, on SQLite and PostgreSQL: what the CLI's `agent
login|logout|ready|break|status` does, with who may act for whom, the state machine's refusals as 409,
and the serving process's ACD woken after each change (and only after a change).

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support), both
logged out; sam supervises sales, maria is a manager.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update

from callcenter.api_wiring import build_http_api
from callcenter.dialplan_holder import DialplanHolder
from callcenter.server_config import ServerConfig
from esl_handlers.live_stats_feed import LocalAgents, load_board
from http_api import ApiServer, build_api
from http_api.agent_routes import AGENT_ROUTES
from http_api.live_feed import LiveFeed
from ivr_scripts.acd.live_stats import LiveStats
from schema.acd.agents import AGENTS
from schema.acd.models import AgentStateLog
from tests.fakes.clock import FakeClock
from tests.support.http_api import CALL_OF_JANE, REGION, ApiClient, Reply, Seed, seed
from tests.support.openapi import operations, problems
from tests.support.server_configs import EXAMPLE_DIALPLAN


@dataclass
class World:
    api: ApiClient
    data: Seed
    woken: list[str]

    def act(self, user: str, agent_id: str, action: str, reason: str | None = None) -> Reply:
        body: dict[str, Any] = {"action": action}
        if reason is not None:
            body["reason"] = reason
        return self.api.request(
            "POST", f"/api/agents/{agent_id}/state", token=self.data.tokens[user], json_body=body
        )


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    data = seed(engine)
    woken: list[str] = []
    server = ApiServer(build_api(engine, region=REGION, on_agent_change=woken.append), "127.0.0.1", 0)
    server.start()
    try:
        yield World(ApiClient(server.port), data, woken)
    finally:
        server.stop()


def put_on_call(engine: Engine, agent_id: str, state: str = "on_call", **extra: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(AGENTS)
            .where(AGENTS.c.agent_id == agent_id)
            .values(state=state, call_uuid=CALL_OF_JANE, version=AGENTS.c.version + 1, **extra)
        )


def test_an_agent_logs_in_and_the_acd_is_woken(world: World, engine: Engine) -> None:
    reply = world.act("alice", "1001", "login")

    assert reply.status == 200
    agent = reply.json()
    assert agent["agent_id"] == "1001"
    assert agent["state"] == "available"
    assert agent["reason"] is None
    assert agent["call_uuid"] is None
    assert agent["consecutive_no_answers"] == 0
    assert world.woken == ["1001"]
    with engine.connect() as connection:
        log = connection.execute(select(AgentStateLog.trigger, AgentStateLog.server)).all()
    assert [row.trigger for row in log] == ["login"]
    assert log[0].server.startswith("api@")


def test_a_repeat_changes_nothing_and_wakes_nobody(world: World) -> None:
    world.act("alice", "1001", "login")

    again = world.act("alice", "1001", "login")

    assert again.status == 200
    assert again.json()["state"] == "available"
    assert world.woken == ["1001"]


def test_a_break_needs_a_reason_and_only_a_break_takes_one(world: World) -> None:
    world.act("alice", "1001", "login")

    no_reason = world.act("alice", "1001", "break")
    stray_reason = world.act("alice", "1001", "ready", reason="lunch")
    on_break = world.act("alice", "1001", "break", reason="lunch")
    shown = world.api.get("/api/agents/1001", world.data.tokens["alice"])

    assert no_reason.status == 400
    assert "a break needs a reason" in no_reason.error
    assert stray_reason.status == 400
    assert "'ready' takes no reason" in stray_reason.error
    assert on_break.status == 200
    assert (on_break.json()["state"], on_break.json()["reason"]) == ("on_break", "lunch")
    assert shown.json() == on_break.json()
    ready = world.act("alice", "1001", "ready")
    assert (ready.json()["state"], ready.json()["reason"]) == ("available", None)


def test_the_state_machines_refusal_is_a_409_with_its_message(world: World, engine: Engine) -> None:
    world.act("alice", "1001", "login")
    put_on_call(engine, "1001")
    woken = list(world.woken)

    reply = world.act("alice", "1001", "logout")

    assert reply.status == 409
    assert "on_call" in reply.error
    assert "logout" in reply.error
    assert world.woken == woken
    assert world.api.get("/api/agents/1001", world.data.tokens["alice"]).json()["state"] == "on_call"


def test_the_agent_shows_its_call_and_wrap_up_end(world: World, engine: Engine) -> None:
    until = dt.datetime(2026, 12, 8, 9, 0, 30, tzinfo=dt.UTC)
    put_on_call(engine, "1001", state="wrap_up", wrap_up_until=until, name="Alice A", extension="1001")

    agent = world.api.get("/api/agents/1001", world.data.tokens["sam"]).json()

    assert agent["state"] == "wrap_up"
    assert agent["call_uuid"] == CALL_OF_JANE
    assert dt.datetime.fromisoformat(agent["wrap_up_until"]) == until
    assert (agent["name"], agent["extension"]) == ("Alice A", "1001")


@pytest.mark.parametrize(
    ("user", "agent_id", "status"),
    [
        ("alice", "1001", 200),  # herself
        ("alice", "1002", 403),  # a colleague
        ("sam", "1001", 200),  # his department's
        ("sam", "1002", 403),  # another department's
        ("maria", "1002", 200),  # a manager: anyone
        ("maria", "9999", 404),  # no such agent
        ("sam", "9999", 403),  # not his department's
    ],
)
def test_who_may_act_for_whom(world: World, user: str, agent_id: str, status: int) -> None:
    changed = world.act(user, agent_id, "login")
    read = world.api.get(f"/api/agents/{agent_id}", world.data.tokens[user])

    assert changed.status == status
    assert read.status == status
    assert world.woken == ([agent_id] if status == 200 else [])


def test_every_agent_route_answers_what_the_document_says(world: World, engine: Engine) -> None:
    document = world.api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    replies = {
        ("setAgentState", 200): world.act("alice", "1001", "login"),
        ("getAgent", 200): world.api.get("/api/agents/1001", world.data.tokens["alice"]),
        ("getAgent", 403): world.api.get("/api/agents/1002", world.data.tokens["alice"]),
        ("setAgentState", 400): world.act("alice", "1001", "break"),
        ("setAgentState", 404): world.act("maria", "9999", "login"),
    }
    put_on_call(engine, "1001")
    replies["setAgentState", 409] = world.act("alice", "1001", "logout")
    assert {operation_id for operation_id, _ in replies} == {route.operation_id for route in AGENT_ROUTES}
    for (operation_id, status), reply in replies.items():
        assert reply.status == status, (operation_id, reply.body)
        schema = by_id[operation_id]["responses"][str(status)]["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], (operation_id, status)


def test_the_served_api_wakes_what_the_server_gives_it(engine: Engine, tmp_path: Path) -> None:
    data = seed(engine)
    woken: list[str] = []
    config = ServerConfig(
        dialplan=EXAMPLE_DIALPLAN,
        database_url="sqlite://",  # unused: the engine is given
        app_host="127.0.0.1",
        app_port=0,
        esl_host="127.0.0.1",
        esl_port=8021,
        esl_password="unused-by-this-test",
        dead_letter=tmp_path / "dead_letter.jsonl",
        api_port=0,
    )
    http = build_http_api(
        config, engine, DialplanHolder(EXAMPLE_DIALPLAN), None, on_agent_change=woken.append
    )
    assert http is not None
    http.api.start()
    try:
        reply = ApiClient(http.api.port).request(
            "POST", "/api/agents/1002/state", token=data.tokens["bob"], json_body={"action": "login"}
        )
    finally:
        http.api.stop()
        http.pool.close()

    assert reply.status == 200
    assert woken == ["1002"]


def test_a_change_through_the_api_reaches_the_stats_stream_within_a_second(engine: Engine) -> None:
    data = seed(engine)
    clock = FakeClock(dt.datetime.now(dt.UTC))
    feed = LiveFeed(lambda on_change: LiveStats(clock, ZoneInfo("UTC"), on_change=on_change), clock)
    local = LocalAgents(engine, feed.board)  # what the server wakes on SQLite (on PostgreSQL: NOTIFY)
    load_board(engine, feed.board)
    app = build_api(engine, region=REGION, stats=feed, on_agent_change=local.changed_elsewhere)
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    api = ApiClient(server.port)
    try:
        api.request(
            "POST", "/api/agents/1001/state", token=data.tokens["alice"], json_body={"action": "login"}
        )
        stream = api.open_stream("/api/stats/stream", data.tokens["sam"])
        try:
            for _ in range(3):  # the comment frame, then the snapshot's two parts
                stream.next_event()
            started = time.monotonic()
            reply = api.request(
                "POST",
                "/api/agents/1001/state",
                token=data.tokens["alice"],
                json_body={"action": "break", "reason": "lunch"},
            )
            while True:
                frame = stream.next_event()
                agents = json.loads(frame["data"]) if frame.get("event") == "agents" else []
                if agents and agents[0]["state"] == "on_break":
                    break
            elapsed = time.monotonic() - started
        finally:
            stream.close()
    finally:
        feed.close()
        server.stop()

    assert reply.status == 200
    assert elapsed < 1.0
    assert agents[0]["reason"] == "lunch"
    assert agents[0]["call_uuid"] is None
