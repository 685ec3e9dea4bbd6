"""Auto-answer per agent on the real switch: the INVITE the ACD sends a headset agent's phone
(`auto_answer: true`) carries `Call-Info: <sip:…>;answer-after=0`, the one to any other agent does not,
whether agents are rung one at a time or all at once (docs/acd.md, "Auto-answer per agent").

Each SIPp phone checks its INVITE's Call-Info itself (AgentOptions.auto_answer) and fails its run when
it is not as expected.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine

from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentOptions
from tests.support.live import harness
from tests.support.live.acd import (
    agent_phone,
    agents_ready,
    call_uuid_of,
    path_to,
    queue_log,
    start_caller,
    steady_calls,
    wait_for_event,
)
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

HEADSETS = ("1004", "1005")  # 1004 rung alone in insurance, 1005 with 1006 in ring-all roadside
TALK_MS = 1500


def headset_agents(data: dict[str, Any]) -> None:
    steady_calls(data)
    for name in ("insurance", "roadside"):
        data["queues"][name]["ring_timeout"] = 5
        data["queues"][name]["wrap_up"] = 0
    for agent_id in HEADSETS:
        data["agents"][agent_id]["auto_answer"] = True


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_auto_answer"), build, headset_agents) as running:
        yield running


@pytest.fixture(scope="module")
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        harness.callcenter(live, "agent", "sync")
        yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def connect_with(
    live: Live, engine: Engine, queue: str, caller: str, taker: str, other: str
) -> list[tuple[str, str | None]]:
    """`other` (no auto-answer) never answers; `taker` (a headset agent) answers; both phones check the
    Call-Info of the INVITE they got. The call's RINGNOANSWER and CONNECT lines."""
    with (
        agents_ready(live, taker, other),
        agent_phone(
            live, taker, AgentOptions(hangup_after_ms=TALK_MS, timeout_s=60, auto_answer=True), f"aa-{taker}"
        ) as headset,
        agent_phone(
            live, other, AgentOptions(answers=False, timeout_s=60, auto_answer=False), f"aa-{other}"
        ) as handset,
        ThreadPoolExecutor(1) as pool,
    ):
        running = start_caller(pool, live, path_to(live, queue), caller)
        call_uuid = call_uuid_of(engine, caller)
        wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        result = running.result(timeout=60)
        headset_result, handset_result = headset.finish(timeout=30), handset.finish(timeout=30)
    assert result.ok, result.errors
    assert headset_result.ok, f"{taker}'s INVITE did not ask for auto-answer: {headset_result.errors}"
    assert handset_result.ok, f"{other}'s INVITE asked for auto-answer, or no CANCEL: {handset_result.errors}"
    assert live.switch.alive(), live.switch.log_tail()
    return [
        (line.event, line.agent_id) for line in queue_log(engine, call_uuid) if line.event != "ENTERQUEUE"
    ]


def test_one_at_a_time_only_the_headset_agents_invite_asks_to_answer(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Insurance rings 1003 (no auto-answer, never picks up) first, then 1004 (auto-answer)."""
    events = connect_with(live, engine, "insurance", "+15550310001", taker="1004", other="1003")
    assert events[:2] == [("RINGNOANSWER", "1003"), ("CONNECT", "1004")], events


def test_ring_all_only_the_headset_agents_leg_asks_to_answer(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Roadside rings 1005 (auto-answer) and 1006 (none) in one originate, each leg with its own block."""
    events = connect_with(live, engine, "roadside", "+15550310002", taker="1005", other="1006")
    assert events[:1] == [("CONNECT", "1005")], events
