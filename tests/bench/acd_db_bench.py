"""Agent reservations per second with two application-server processes on one database.

Each process (spawned, own engine) runs the dispatch loop of tests/unit/test_acd_reservation_race.py:
reserve an agent from 5 random candidates out of 50, hold up to 15 reservations, complete the
oldest (back to available). One dispatch = one reservation transaction + one completion
transaction. Reported: sustained reservations/s over both processes (wall clock from the common
start to the last finish), and the latency of each reserve_agent call and each completion (the agent
service's reservation_cancelled on schema.adapters.agent_store.SqlAgentStore, the path the server uses).
PostgreSQL is a throwaway server started here (tests.support.postgres.PostgresServer, fsync off
like the tests'); SQLite (WAL, one file) is measured alongside for comparison.

Run: .venv/bin/python -m tests.bench.acd_db_bench
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
import tempfile
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from ivr_scripts.agent_service import AgentService
from schema.acd.agents import reserve_agent, upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from tests.support.postgres import INSTALL_HINT, SUPERUSER, PostgresServer, find_pg_bin

AGENT_IDS = [str(1001 + n) for n in range(50)]
CANDIDATES = 5
HELD = 15
DISPATCHES_PER_PROCESS = 5000
SERVERS = ("app-1", "app-2")


def worker(url: str, server: str, seed: int, start: Any, results: Any) -> None:
    engine = create_engine_from_url(url)
    agents = AgentService(SqlAgentStore(engine, server), None, lambda: dt.datetime.now(dt.UTC))
    rng = random.Random(seed)
    held: deque[tuple[str, str]] = deque()
    reserve_ms: list[float] = []
    complete_ms: list[float] = []
    reserved = 0

    def complete_oldest() -> None:
        agent_id, call = held.popleft()
        began = time.perf_counter()
        agents.reservation_cancelled(agent_id, call)
        complete_ms.append((time.perf_counter() - began) * 1000)

    try:
        start.wait(timeout=120)
        for _ in range(DISPATCHES_PER_PROCESS):
            call = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            began = time.perf_counter()
            agent_id = reserve_agent(
                engine, call, rng.sample(AGENT_IDS, CANDIDATES), server, dt.datetime.now(dt.UTC)
            )
            reserve_ms.append((time.perf_counter() - began) * 1000)
            if agent_id is not None:
                reserved += 1
                held.append((agent_id, call))
            if held and (len(held) > HELD or agent_id is None):
                complete_oldest()
        while held:
            complete_oldest()
        results.put((time.perf_counter(), reserved, reserve_ms, complete_ms))
    finally:
        engine.dispose()


def measure(url: str) -> dict[str, float]:
    engine = create_engine_from_url(url)
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in AGENT_IDS])
    agents = AgentService(SqlAgentStore(engine, "bench"), None, lambda: dt.datetime.now(dt.UTC))
    for agent_id in AGENT_IDS:
        agents.login(agent_id)
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(SERVERS) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=worker, args=(url, server, seed, start, results))
        for seed, server in enumerate(SERVERS)
    ]
    for process in processes:
        process.start()
    start.wait(timeout=120)
    began = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    elapsed = max(finished for finished, *_ in outcomes) - began
    reserve_ms = sorted(ms for _, _, reserves, _ in outcomes for ms in reserves)
    complete_ms = sorted(ms for *_, completes in outcomes for ms in completes)
    reserved = sum(count for _, count, _, _ in outcomes)
    return {
        "dispatches": float(len(reserve_ms)),
        "reserved": float(reserved),
        "seconds": elapsed,
        "reservations_per_s": reserved / elapsed,
        "dispatches_per_s": len(reserve_ms) / elapsed,
        "reserve_p50_ms": percentile(reserve_ms, 0.50),
        "reserve_p99_ms": percentile(reserve_ms, 0.99),
        "complete_p50_ms": percentile(complete_ms, 0.50),
        "complete_p99_ms": percentile(complete_ms, 0.99),
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def report(backend: str, figures: dict[str, float]) -> None:
    print(
        f"{backend}: {figures['dispatches']:.0f} dispatches by {len(SERVERS)} processes in "
        f"{figures['seconds']:.1f} s: {figures['reservations_per_s']:.0f} reservations/s "
        f"({figures['reserved']:.0f} reserved, {figures['dispatches_per_s']:.0f} dispatches/s); "
        f"reserve p50 {figures['reserve_p50_ms']:.2f} ms p99 {figures['reserve_p99_ms']:.2f} ms; "
        f"complete p50 {figures['complete_p50_ms']:.2f} ms p99 {figures['complete_p99_ms']:.2f} ms",
        flush=True,
    )


def run() -> dict[str, dict[str, float]]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit(INSTALL_HINT)
    base = Path(tempfile.mkdtemp(prefix="callcenter-acd-bench-"))
    # Its own temp dir: init() hands it to the postgres user, who could not enter one of ours.
    server = PostgresServer(
        bin_dir, Path(tempfile.mkdtemp(prefix="callcenter-pg-")), SUPERUSER if os.geteuid() == 0 else None
    )
    figures: dict[str, dict[str, float]] = {}
    try:
        server.init()
        server.start()
        url = server.url(server.create_database("acd_bench"))
        upgrade(url)
        figures["postgresql"] = measure(url)
        report("postgresql", figures["postgresql"])
        sqlite_url = f"sqlite:///{base / 'acd_bench.db'}"
        upgrade(sqlite_url)
        figures["sqlite"] = measure(sqlite_url)
        report("sqlite", figures["sqlite"])
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
    return figures


if __name__ == "__main__":
    run()
