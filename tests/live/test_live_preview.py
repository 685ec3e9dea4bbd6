"""A preview campaign on the real switch, end to end: the agent sees the record, then dials.

The campaign is in the YAML (preview, one agent, a script); its list is imported with `callcenter campaign
import`, the agent logs in, the campaign is started, all while `callcenter serve` runs with
CALLCENTER_CAMPAIGN_ENDPOINT pointing at a SIPp carrier where the person's number answers and speaks.
The agent works with `callcenter campaign preview next|skip|dial` (the API's operations, as QA would).

Checked: the first record is skipped (no call placed, no attempt counted, the lead due again); the second
is shown with its name and the script, then dialled: the agent's SIPp phone is called first and answers by
itself, then the customer, and the customer's leg is bridged to the agent's; the attempt log holds one
attempt, `human`, with the agent and the call the preview named; the agent wraps up (3 s), then is available.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from dialplans.campaign_vocabulary import AttemptOutcome
from schema.acd.agents import agent_snapshot
from schema.campaigns.attempts import attempts
from schema.campaigns.leads import get_lead
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Silence
from tests.support.live.acd import agent_phone
from tests.support.live.callees import Said, Voice, callee_sipp
from tests.support.live.harness import Build, Live, app_server, callcenter, database_url, live_switch, until
from tests.support.live.switch_events import named, recording_events, timestamp_ms

pytestmark = pytest.mark.live

CAMPAIGN = "winter"
PERSON, SKIPPED = 1, 2
ANSWERING = {PERSON: Voice("person", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=6000)}
ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def number(code: int) -> str:
    """A Chicago number whose last two digits name the callee (sipp_scenarios.callee)."""
    return f"+131255501{code:02d}"


def with_campaign(data: dict[str, Any]) -> None:
    agent_id = sorted(data["agents"])[0]
    data["scripts"] = {
        "renewal": {"intro": "Hello, this is Acme.", "questions": [{"id": "renew", "text": "Renew?"}]}
    }
    data["campaigns"] = {
        CAMPAIGN: {
            "type": "telemarketing",
            "agents": [agent_id],
            "lists": ["winter_list"],
            "dial_mode": "preview",
            "caller_id": {"number": "+13125550000", "name": "Acme"},
            "ring_seconds": 15,
            "window": {"start": "00:00", "end": "23:59", "days": ALL_WEEK},
            "script": "renewal",
            "wrap_up": 3,
        }
    }


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("preview"), build, with_campaign) as live:
        yield live


def preview(live: Live, *args: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(callcenter(live, "campaign", "preview", *args, "--json").stdout)
    return shown


def test_the_agent_skips_one_record_then_dials_the_next_and_is_bridged_to_the_person(
    live: Live, tmp_path: Path
) -> None:
    agent_id = sorted(live.loaded.model.agents)[0]
    listed = tmp_path / "winter.csv"
    listed.write_text(
        f"phone,name\n{number(SKIPPED)},Skipped Customer\n{number(PERSON)},Jane Roe\n", encoding="utf-8"
    )
    engine = create_engine(database_url(live))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with (
        recording_events(live, ["CHANNEL_ANSWER", "CHANNEL_BRIDGE"]) as events,
        callee_sipp(live, tmp_path / "callees", ANSWERING, {}) as carrier,
    ):
        endpoint = f"sofia/callers/sip:{{number}}@{carrier.host}:{carrier.port}"
        with (
            app_server(live, settings={"CALLCENTER_CAMPAIGN_ENDPOINT": endpoint}),
            agent_phone(live, agent_id, AgentOptions(), "preview-agent") as phone,
        ):
            callcenter(live, "campaign", "import", CAMPAIGN, str(listed), "--list", "winter_list")
            callcenter(live, "agent", "sync")
            callcenter(live, "agent", "login", agent_id)
            callcenter(live, "campaign", "start", CAMPAIGN)

            first = preview(live, "next", CAMPAIGN, agent_id)
            assert (first["lead"]["phone"], first["state"]) == (number(SKIPPED), "previewing")
            callcenter(live, "campaign", "preview", "skip", agent_id)
            second = preview(live, "next", CAMPAIGN, agent_id)
            assert (second["lead"]["phone"], second["lead"]["name"]) == (number(PERSON), "Jane Roe")
            assert second["script"]["intro"] == "Hello, this is Acme."
            asked = time.monotonic()
            assert preview(live, "dial", agent_id)["state"] == "dial_requested"
            call_uuid = second["call_uuid"]
            bridged = events.wait_for(call_uuid, named("CHANNEL_BRIDGE"), 30)
            bridged_after = time.monotonic() - asked
            until(lambda: len(attempts(engine, CAMPAIGN, since)) == 1, 30, "the call ended and was logged")

            def state() -> str:
                return next(a for a in agent_snapshot(engine) if a.agent_id == agent_id).state

            until(lambda: state() == "wrap_up", 5, "the agent in the campaign's wrap-up after the call")
            agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
            assert agent.wrap_up_until is not None
            assert agent.wrap_up_until - agent.state_since == dt.timedelta(seconds=3)
            until(lambda: state() == "available", 10, "the agent available after the wrap-up")
        assert phone.result is not None
        assert phone.result.successful == 1, phone.result.errors

    (attempt,) = attempts(engine, CAMPAIGN, since)
    assert (attempt.outcome, attempt.agent_id, attempt.call_uuid) == (
        AttemptOutcome.HUMAN,
        agent_id,
        call_uuid,
    )
    assert attempt.phone_e164 == number(PERSON)
    assert attempt.answered_at is not None
    assert attempt.ended_at is not None
    agent_leg = bridged.get("Other-Leg-Unique-ID") or bridged.get("Bridge-B-Unique-ID")
    assert agent_leg, bridged
    agent_answer = events.wait_for(agent_leg, named("CHANNEL_ANSWER"), 0)
    customer_answer = events.wait_for(call_uuid, named("CHANNEL_ANSWER"), 0)
    assert timestamp_ms(agent_answer) < timestamp_ms(customer_answer), "the agent's phone first"
    skipped = get_lead(engine, first["lead"]["id"])
    assert (skipped.status, skipped.attempts) == ("pending", 0), "skipped: due again, nothing counted"
    assert get_lead(engine, second["lead"]["id"]).status == "done"
    print(
        f"\npreview on FreeSWITCH {live.release}: dial asked -> bridged {bridged_after:.2f} s; "
        f"agent answered -> customer answered "
        f"{(timestamp_ms(customer_answer) - timestamp_ms(agent_answer)) / 1000:.2f} s; "
        f"customer answered -> bridged {timestamp_ms(bridged) - timestamp_ms(customer_answer):.0f} ms; "
        f"talk {(attempt.ended_at - attempt.answered_at).total_seconds():.1f} s"
    )
    engine.dispose()
