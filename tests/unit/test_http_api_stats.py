"""The live statistics' routes over a real socket, on SQLite and PostgreSQL: queue figures and agents'
states as JSON and as server-sent events, who sees which agents, the stream's coalescing.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support); sam
supervises sales, maria is a manager. The board is fed by hand here; tests/unit/test_live_stats_notify.py
feeds it from the database.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import gevent
import pytest
from sqlalchemy import Engine

from dialplans.vocabulary import QueueEventName
from http_api import ApiServer, build_api
from http_api.live_feed import LiveFeed
from http_api.stats_routes import STATS_ROUTES
from ivr_scripts.acd.live_stats import LiveStats
from ivr_scripts.acd.queue_events import QueueEventReport
from tests.fakes.clock import FakeClock
from tests.support.http_api import REGION, ApiClient, seed
from tests.support.openapi import operations, problems


@dataclass
class World:
    api: ApiClient
    tokens: dict[str, str]
    feed: LiveFeed
    clock: FakeClock


def event(name: QueueEventName, call: str, at: dt.datetime, wait_s: float | None = None) -> QueueEventReport:
    return QueueEventReport(event=name, call_uuid=call, queue="sales", at=at, wait_s=wait_s)


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    tokens = seed(engine).tokens
    clock = FakeClock()
    feed = LiveFeed(
        lambda on_change: LiveStats(clock, ZoneInfo("Europe/London"), on_change=on_change),
        clock,
        queue_names=lambda: ["sales", "support"],
    )
    feed.board.agent_changed("1001", "available", since=clock.now, version=1, department="sales")
    feed.board.agent_changed("1002", "on_break", since=clock.now, version=1, department="support")
    server = ApiServer(build_api(engine, region=REGION, stats=feed), "127.0.0.1", 0)
    server.start()
    try:
        yield World(ApiClient(server.port), tokens, feed, clock)
    finally:
        feed.close()
        server.stop()


def test_queue_figures_for_every_role(world: World) -> None:
    board, clock = world.feed.board, world.clock
    board.queue_event(event("ENTERQUEUE", "a", clock.now))
    board.queue_event(event("ENTERQUEUE", "b", clock.advance(5)))
    board.queue_event(event("CONNECT", "b", clock.advance(10), wait_s=10))
    clock.advance(3)
    for user in ("alice", "sam", "maria"):
        reply = world.api.get("/api/stats/queues", world.tokens[user])
        assert reply.status == 200, reply.body
        sales, support = reply.json()
        assert sales == {
            "queue": "sales",
            "day": "2026-03-02",
            "waiting": 1,
            "longest_wait_s": 18.0,
            "oldest_entry": "2026-03-02T09:00:00Z",
            "offered": 1,
            "answered": 1,
            "answered_within_threshold": 1,
            "abandoned": 0,
            "short_abandons": 0,
            "service_level": 1.0,
            "service_level_threshold_s": 20.0,
        }
        assert (support["queue"], support["waiting"], support["service_level"]) == ("support", 0, None)


@pytest.mark.parametrize(
    ("user", "seen"), [("maria", ["1001", "1002"]), ("sam", ["1001"]), ("alice", ["1001"]), ("bob", ["1002"])]
)
def test_agents_seen_by_role(world: World, user: str, seen: list[str]) -> None:
    world.clock.advance(42)
    reply = world.api.get("/api/stats/agents", world.tokens[user])
    assert reply.status == 200, reply.body
    assert [agent["agent_id"] for agent in reply.json()] == seen
    assert {agent["in_state_s"] for agent in reply.json()} == {42.0}


def test_without_a_board_the_routes_answer_503(engine: Engine) -> None:
    tokens = seed(engine).tokens
    server = ApiServer(build_api(engine, region=REGION), "127.0.0.1", 0)
    server.start()
    try:
        api = ApiClient(server.port)
        for route in STATS_ROUTES:
            assert api.get(route.path, tokens["maria"]).status == 503
            assert api.get(route.path, None).status == 401
    finally:
        server.stop()


def test_every_stats_route_answers_what_the_document_says(world: World) -> None:
    document = world.api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in operations(document)}
    json_routes = [route.operation_id for route in STATS_ROUTES if not route.stream]
    assert json_routes == ["liveQueueStats", "liveAgentStats"]
    world.feed.board.queue_event(event("ENTERQUEUE", "a", world.clock.now))
    for operation_id in json_routes:
        path, operation = by_id[operation_id]
        reply = world.api.get(path, world.tokens["maria"])
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], operation_id
    path, operation = by_id["liveStatsStream"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]


def test_the_stream_sends_a_snapshot_then_each_change(world: World) -> None:
    stream = world.api.open_stream("/api/stats/stream", world.tokens["sam"])
    try:
        assert stream.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert stream.next_event() == {"retry": "3000"}
        first = stream.next_event()
        second = stream.next_event()
        assert (first["event"], second["event"]) == ("queues", "agents")
        assert [q["waiting"] for q in json.loads(first["data"])] == [0, 0]
        assert [a["agent_id"] for a in json.loads(second["data"])] == ["1001"]  # sam: sales only
        world.feed.board.queue_event(event("ENTERQUEUE", "a", world.clock.now))
        change = stream.next_event()
        assert change["event"] == "queues"
        assert json.loads(change["data"])[0]["waiting"] == 1
        world.feed.board.agent_changed("1001", "ringing", since=world.clock.advance(1), version=2)
        change = stream.next_event()
        assert change["event"] == "agents"
        assert json.loads(change["data"])[0]["state"] == "ringing"
    finally:
        stream.close()


def test_a_burst_is_coalesced(world: World) -> None:
    stream = world.api.open_stream("/api/stats/stream", world.tokens["maria"])
    try:
        for _ in range(3):  # the comment frame, then the snapshot's two parts
            stream.next_event()
        started = time.monotonic()
        for n in range(20):
            world.feed.board.queue_event(event("ENTERQUEUE", f"c{n}", world.clock.advance(0.01)))
            gevent.sleep(0.01)
        burst = time.monotonic() - started
        messages = 0
        while True:
            frame = stream.next_event()
            assert frame["event"] == "queues"
            messages += 1
            if json.loads(frame["data"])[0]["waiting"] == 20:
                break
        assert messages <= 2 + burst / world.feed.interval
        assert messages < 20
    finally:
        stream.close()


def test_the_stream_ends_when_the_server_closes_the_feed(world: World) -> None:
    stream = world.api.open_stream("/api/stats/stream", world.tokens["alice"])
    try:
        for _ in range(3):
            stream.next_event()
        world.feed.close()
        with pytest.raises(EOFError):
            stream.next_event()
    finally:
        stream.close()
