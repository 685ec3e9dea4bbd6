"""Two application-server processes racing to reserve agents on one database: 0 double offers.

Each process (spawned, with its own engine) dispatches fresh calls: reserve an agent from a
shuffled handful of the 50, hold up to HELD reservations, then complete the oldest (back to
available). With 30 of 50 agents held at any time, both processes keep reaching for the same
rows. Afterwards the agent state log is the witness: per agent, ordered by the version each row
carries, reservations and completions strictly alternate, each completion closes the call its
reservation opened, and the versions have no gap (no write went unlogged).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import uuid
from collections import deque
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ivr_scripts.agent_service import AgentService
from schema.acd.agents import agent_snapshot, reserve_agent, upsert_agents
from schema.acd.models import AgentStateLog
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.db import create_engine_from_url, session_scope
from schema.migrate import upgrade
from tests.support.postgres import PostgresServer

AGENT_IDS = [str(1001 + n) for n in range(50)]
CANDIDATES = 5
HELD = 15
SERVERS = ("app-1", "app-2")
Dispatch = tuple[str, str | None]  # (call uuid, the agent reserved for it, or None)


def dispatcher(url: str, server: str, seed: int, dispatches: int, start: Any, results: Any) -> None:
    """One application server: `dispatches` reservations, each completed later. Runs in a child."""
    engine = create_engine_from_url(url)
    agents = AgentService(SqlAgentStore(engine, server), None, lambda: dt.datetime.now(dt.UTC))
    rng = random.Random(seed)
    held: deque[tuple[str, str]] = deque()
    done: list[Dispatch] = []

    def complete_oldest() -> None:
        agent_id, call = held.popleft()
        if not agents.reservation_cancelled(agent_id, call).changed:
            raise AssertionError(f"{server}: agent {agent_id} no longer held call {call}")

    try:
        start.wait(timeout=120)
        for _ in range(dispatches):
            call = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            candidates = rng.sample(AGENT_IDS, CANDIDATES)
            agent_id = reserve_agent(engine, call, candidates, server, dt.datetime.now(dt.UTC))
            done.append((call, agent_id))
            if agent_id is not None:
                held.append((agent_id, call))
            if held and (len(held) > HELD or agent_id is None):
                complete_oldest()
        while held:
            complete_oldest()
        results.put((server, done))
    except BaseException as exc:
        results.put((server, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        engine.dispose()


def race(url: str, dispatches_per_server: int) -> dict[str, list[Dispatch]]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(SERVERS))
    results = context.Queue()
    processes = [
        context.Process(target=dispatcher, args=(url, server, seed, dispatches_per_server, start, results))
        for seed, server in enumerate(SERVERS)
    ]
    for process in processes:
        process.start()
    try:
        outcome = dict(results.get(timeout=600) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    failures = {server: result for server, result in outcome.items() if isinstance(result, str)}
    assert not failures
    return outcome


@pytest.fixture(
    params=[
        pytest.param(("postgresql", 5000), id="postgresql", marks=pytest.mark.postgres),
        pytest.param(("sqlite", 1000), id="sqlite"),
    ]
)
def race_setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    backend, dispatches = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        upgrade(url)
        yield url, dispatches
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    url = server.url(name)
    upgrade(url)
    yield url, dispatches
    if server.running:
        server.drop_database(name)


def logged_in_agents(url: str) -> Engine:
    engine = create_engine_from_url(url)
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in AGENT_IDS])
    agents = AgentService(SqlAgentStore(engine, "t"), None, lambda: dt.datetime.now(dt.UTC))
    for agent_id in AGENT_IDS:
        assert agents.login(agent_id).changed
    return engine


def test_two_servers_never_offer_one_agent_two_calls(race_setup: tuple[str, int]) -> None:
    url, dispatches = race_setup
    engine = logged_in_agents(url)
    try:
        outcome = race(url, dispatches)
        with session_scope(engine) as session:
            log = session.execute(
                select(
                    AgentStateLog.agent_id,
                    AgentStateLog.version,
                    AgentStateLog.from_state,
                    AgentStateLog.to_state,
                    AgentStateLog.call_uuid,
                    AgentStateLog.server,
                ).order_by(AgentStateLog.agent_id, AgentStateLog.version)
            ).all()
        final = agent_snapshot(engine)
    finally:
        engine.dispose()

    # Every dispatch either reserved exactly one agent for its own fresh call, or got None.
    dispatched = [(server, call, agent) for server, done in outcome.items() for call, agent in done]
    assert len(dispatched) == len(SERVERS) * dispatches
    assert len({call for _, call, _ in dispatched}) == len(dispatched)
    reserved = {(agent, call, server) for server, call, agent in dispatched if agent is not None}
    assert reserved == {(a, c, s) for a, _, _, to, c, s in log if to == "reserved"}

    # Per agent, in version order: login, then reserved/available strictly alternating, each
    # completion closing the call its reservation opened, versions without a gap.
    for agent_id in AGENT_IDS:
        history = [row for row in log if row.agent_id == agent_id]
        assert [row.version for row in history] == list(range(1, len(history) + 1))
        login, *calls = history
        assert (login.from_state, login.to_state) == ("logged_out", "available")
        assert len(calls) % 2 == 0
        for opened, closed in zip(calls[::2], calls[1::2], strict=True):
            assert (opened.from_state, opened.to_state) == ("available", "reserved")
            assert (closed.from_state, closed.to_state, closed.call_uuid) == (
                "reserved",
                "available",
                opened.call_uuid,
            )
        assert all(a.to_state != b.to_state for a, b in pairwise(calls))

    assert all(a.state == "available" and a.call_uuid is None for a in final)
    assert all(a.version == sum(1 for row in log if row.agent_id == a.agent_id) for a in final)
    busy_servers = {s for _, _, _, to, _, s in log if to == "reserved"}
    assert busy_servers == set(SERVERS)  # both servers really took part
