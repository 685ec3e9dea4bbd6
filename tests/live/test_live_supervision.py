"""Listen, whisper and barge on the real switch: a SIPp caller talks to a SIPp agent (insurance, 1003);
`callcenter supervise MODE 1003 --from 1007 --as boss` (boss added with `--extension 1007`, their own
phone, the only one supervision rings) makes FreeSWITCH ring the supervisor's SIPp phone (registered as
1007), which answers; eavesdrop must then run on the supervisor's leg against the agent's leg, with the
whisper variables of the mode, as the switch's own channel list shows.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine

from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.acd import (
    agent_phone,
    agents_ready,
    call_uuid_of,
    path_to,
    start_caller,
    steady_calls,
    wait_for_event,
)
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

AGENT = "1003"
SUPERVISOR_PHONE = "1007"  # an extension in the directory, not logged in to any queue here
SUPERVISOR_MS = 3000  # the supervisor hangs up this long after answering
# Whisper variables each mode leaves on the supervisor's leg (esl_handlers.supervision).
WHISPER = {"listen": ("false", "false"), "whisper": ("false", "true"), "barge": ("true", "true")}


def quick_agent(data: dict[str, Any]) -> None:
    """The agent is free again at once after each test's call."""
    steady_calls(data)
    data["queues"]["insurance"]["wrap_up"] = 0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_supervision"), build, quick_agent) as running:
        yield running


@pytest.fixture(scope="module")
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        harness.callcenter(live, "agent", "sync")
        harness.callcenter(live, "user", "add", "boss", "--role", "manager", "--extension", SUPERVISOR_PHONE)
        yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def channels(live: Live) -> list[dict[str, str]]:
    listed = json.loads(esl_api(live.endpoints, "show channels as json"))
    rows: list[dict[str, str]] = listed.get("rows", [])
    return rows


def eavesdropping(live: Live, timeout: float = 10.0) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The channel running eavesdrop, and every channel then (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = channels(live)
        found = [row for row in rows if row.get("application") == "eavesdrop"]
        if found:
            return found[0], rows
        if time.monotonic() > deadline:
            raise AssertionError(f"no eavesdrop among the switch's channels: {rows}")
        time.sleep(0.2)


def variable(live: Live, leg: str, name: str) -> str:
    value = esl_api(live.endpoints, f"uuid_getvar {leg} {name}").strip()
    return "" if value in ("_undef_", "") else value


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_a_supervisor_joins_a_live_call(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine, mode: str
) -> None:
    caller = f"+1555040000{list(WHISPER).index(mode)}"
    with (
        agent_phone(live, AGENT, AgentOptions(timeout_s=90), f"{mode}-agent") as agent,
        agents_ready(live, AGENT),
        ThreadPoolExecutor(1) as pool,
    ):
        running = start_caller(pool, live, path_to(live, "insurance"), caller)
        call_uuid = call_uuid_of(engine, caller)
        wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        options = AgentOptions(hangup_after_ms=SUPERVISOR_MS, timeout_s=60)
        with agent_phone(live, SUPERVISOR_PHONE, options, f"{mode}-supervisor") as supervisor:
            harness.callcenter(live, "supervise", mode, AGENT, "--from", SUPERVISOR_PHONE, "--as", "boss")
            leg, rows = eavesdropping(live)
            whisper = tuple(
                variable(live, leg["uuid"], f"eavesdrop_whisper_{side}") for side in ("aleg", "bleg")
            )
            supervisor_result = supervisor.finish(timeout=30)
        esl_api(live.endpoints, f"uuid_kill {call_uuid}")
        result = running.result(timeout=60)
        agent_result = agent.finish(timeout=30)
    assert supervisor_result.ok, supervisor_result.errors
    assert f"/{SUPERVISOR_PHONE}@" in leg["name"], leg
    target = next(row for row in rows if row["uuid"] == leg["application_data"])
    assert f"/{AGENT}@" in target["name"], (leg, target)
    assert whisper == WHISPER[mode], whisper
    assert result.ok, result.errors
    assert agent_result.ok, agent_result.errors
    assert live.switch.alive(), live.switch.log_tail()
