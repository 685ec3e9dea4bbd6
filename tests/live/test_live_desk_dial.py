"""Click-to-dial on the real switch: `POST /api/agents/{agent_id}/dial` from the agent's own token.

`callcenter serve` runs with CALLCENTER_CAMPAIGN_ENDPOINT pointing at a SIPp carrier where the number
answers and speaks, and CALLCENTER_DESK_CALLER_ID set. The agent (auto_answer in the YAML) logs in and
asks for the number over the API: their SIPp phone is rung first and answers, then the number, and the
customer's leg is bridged to the agent's; the agent is on_call under the call's uuid, then in wrap-up;
the call lands in the calls table (outbound, the number, the caller ID, answered and ended).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from schema.acd.agents import agent_snapshot
from schema.calls.models import Call
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Silence
from tests.support.live.acd import agent_phone
from tests.support.live.callees import Said, Voice, callee_sipp
from tests.support.live.harness import Build, Live, app_server, callcenter, database_url, live_switch, until
from tests.support.live.switch_events import named, recording_events, timestamp_ms

pytestmark = pytest.mark.live

PERSON = 1
ANSWERING = {PERSON: Voice("person", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=5000)}
CALLER_ID = "+13125550000"


def number(code: int) -> str:
    """A Chicago number whose last two digits name the callee (sipp_scenarios.callee)."""
    return f"+131255501{code:02d}"


def headset_agent(data: dict[str, Any]) -> None:
    data["agents"][sorted(data["agents"])[0]]["auto_answer"] = True


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("desk_dial"), build, headset_agent) as live:
        yield live


def dial(live: Live, token: str, agent_id: str, to: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{live.api_port}/api/agents/{agent_id}/dial",
        data=json.dumps({"number": to}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status, json.loads(reply.read())


def test_the_agent_clicks_a_number_and_is_bridged_to_the_person(live: Live, tmp_path: Path) -> None:
    agent_id = sorted(live.loaded.model.agents)[0]
    engine = create_engine(database_url(live))
    with (
        recording_events(live, ["CHANNEL_ANSWER", "CHANNEL_BRIDGE"]) as events,
        callee_sipp(live, tmp_path / "callees", ANSWERING, {}) as carrier,
    ):
        endpoint = f"sofia/callers/sip:{{number}}@{carrier.host}:{carrier.port}"
        settings = {"CALLCENTER_CAMPAIGN_ENDPOINT": endpoint, "CALLCENTER_DESK_CALLER_ID": CALLER_ID}
        with (
            app_server(live, settings=settings),
            agent_phone(live, agent_id, AgentOptions(auto_answer=True), "desk-agent") as phone,
        ):
            callcenter(live, "agent", "sync")
            callcenter(live, "user", "add", "agent1", "--role", "agent", "--agent", agent_id)
            token = callcenter(live, "token", "issue", "agent1").stdout.strip().splitlines()[-1]
            callcenter(live, "agent", "login", agent_id)
            asked = time.monotonic()
            status, started = dial(live, token, agent_id, f"+1 (312) 555-01{PERSON:02d}")
            assert (status, started["number"]) == (202, number(PERSON)), started
            call_uuid = started["call_uuid"]
            bridged = events.wait_for(call_uuid, named("CHANNEL_BRIDGE"), 30)
            bridged_after = time.monotonic() - asked

            def state() -> tuple[str, str | None]:
                agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
                return agent.state, agent.call_uuid

            assert state() == ("on_call", call_uuid)
            until(lambda: state()[0] == "wrap_up", 30, "the agent in wrap-up once the person hung up")

            def row() -> Any:
                with engine.connect() as connection:
                    table = Call.__table__
                    return connection.execute(select(table).where(table.c.uuid == call_uuid)).first()

            until(lambda: row() is not None, 10, "the call recorded")
        assert phone.result is not None
        assert phone.result.successful == 1, phone.result.errors

    recorded = row()
    assert (recorded.direction, recorded.destination, recorded.caller_number, recorded.outcome) == (
        "outbound", number(PERSON), CALLER_ID, "click_to_dial",
    )  # fmt: skip
    assert recorded.answered_at is not None
    assert recorded.ended_at is not None
    agent_leg = bridged.get("Other-Leg-Unique-ID") or bridged.get("Bridge-B-Unique-ID")
    assert agent_leg, bridged
    agent_answer = events.wait_for(agent_leg, named("CHANNEL_ANSWER"), 0)
    customer_answer = events.wait_for(call_uuid, named("CHANNEL_ANSWER"), 0)
    assert timestamp_ms(agent_answer) < timestamp_ms(customer_answer), "the agent's phone first"
    talk = recorded.ended_at - recorded.answered_at
    print(
        f"\nclick-to-dial on FreeSWITCH {live.release}: dial asked -> bridged {bridged_after:.2f} s; "
        f"talk {talk / dt.timedelta(seconds=1):.1f} s"
    )
    engine.dispose()
