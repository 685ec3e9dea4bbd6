"""A progressive campaign dialled by `callcenter serve` on the real switch, end to end.

The campaign is in the YAML (progressive, one agent, a busy number retried after a minute, machines
left a message); its list is imported with `callcenter campaign import`, the agent logs in with
`callcenter agent login` and the campaign is started with `callcenter campaign start`, all while
`callcenter serve` runs with CALLCENTER_CAMPAIGN_ENDPOINT pointing at a SIPp carrier. The carrier
answers as a person, as an answering machine (a greeting and a beep), busy, and not at all.

Checked: the agent's SIPp phone is called once (its seat) and the person, only the person, is bridged
to it; the machine hears the campaign's machine message; the attempt log holds each attempt with its
outcome, times and agent; busy is dialled again a minute later and no answer rescheduled two hours on;
when the agent hangs up the seat they go on break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from dialplans.campaign_vocabulary import AttemptOutcome
from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from esl_handlers.campaign_seats import SEAT_ENDED
from esl_handlers.switch import EslSwitch
from schema.acd.agents import agent_snapshot
from schema.campaigns.attempts import Attempt, attempts
from schema.campaigns.leads import get_lead
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Beep, Silence
from sipp_scenarios.callee import CalleeKind
from tests.support.live.acd import agent_phone
from tests.support.live.callees import Said, Voice, callee_sipp
from tests.support.live.harness import Build, Live, app_server, callcenter, database_url, live_switch, until
from tests.support.live.switch_events import named, recording_events

pytestmark = pytest.mark.live

CAMPAIGN = "spring"
IDENTIFICATION = "This was Acme Insurance calling about your renewal. Call us back on 0 8 0 0, 1 2 3 4."
MACHINE_MESSAGE = "Hello, this is Acme Insurance with news about your renewal. Please call us back."
GREETING = "Hi, you have reached Sam and Alex. We cannot take your call right now. Please leave a message."
PERSON, MACHINE, BUSY, NO_ANSWER = 1, 11, 31, 32
ANSWERING = {
    PERSON: Voice("person", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=7000),
    MACHINE: Voice("machine", (Silence(300), Said(GREETING), Silence(300), Beep(), Silence(30000))),
}
NOT_PICKING_UP: dict[int, CalleeKind] = {BUSY: "busy", NO_ANSWER: "no_answer"}
ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def number(code: int) -> str:
    """A Chicago number whose last two digits name the callee (sipp_scenarios.callee)."""
    return f"+131255501{code:02d}"


def with_campaign(data: dict[str, Any]) -> None:
    agent_id = sorted(data["agents"])[0]
    data["prompts"]["spring_identification"] = {"text": IDENTIFICATION}
    data["prompts"]["spring_machine"] = {"text": MACHINE_MESSAGE}
    data["campaigns"] = {
        CAMPAIGN: {
            "type": "telemarketing",
            "agents": [agent_id],
            "lists": ["spring_list"],
            "dial_mode": "progressive",
            "caller_id": {"number": "+13125550000", "name": "Acme"},
            "ring_seconds": 15,
            "max_attempts": 3,
            "retries": {"busy": "1m"},
            "window": {"start": "00:00", "end": "23:59", "days": ALL_WEEK},
            "abandon": {"message": "spring_identification"},
            "machine": {"action": "message", "message": "spring_machine"},
        }
    }


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("dialer"), build, with_campaign) as live:
        yield live


def by_number(engine: Engine, since: dt.datetime) -> dict[str, list[Attempt]]:
    found: dict[str, list[Attempt]] = {}
    for attempt in attempts(engine, CAMPAIGN, since):
        found.setdefault(attempt.phone_e164, []).append(attempt)
    return found


def seat_leg(engine: Engine, agent_id: str) -> str | None:
    agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
    return agent.call_uuid if agent.state == "on_call" else None


def test_a_progressive_campaign_brings_only_the_person_to_the_agent_and_retries_by_its_rules(
    live: Live, tmp_path: Path
) -> None:
    agent_id = sorted(live.loaded.model.agents)[0]
    codes = [*ANSWERING, *NOT_PICKING_UP]
    listed = tmp_path / "spring.csv"
    listed.write_text(
        "phone,name\n" + "".join(f"{number(c)},Customer {c}\n" for c in codes), encoding="utf-8"
    )
    engine = create_engine(database_url(live))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with (
        recording_events(live, ["CHANNEL_BRIDGE", "CHANNEL_EXECUTE"]) as events,
        callee_sipp(live, tmp_path / "callees", ANSWERING, NOT_PICKING_UP) as carrier,
    ):
        endpoint = f"sofia/callers/sip:{{number}}@{carrier.host}:{carrier.port}"
        with (
            app_server(live, settings={"CALLCENTER_CAMPAIGN_ENDPOINT": endpoint}),
            agent_phone(live, agent_id, AgentOptions(), "campaign-agent"),
        ):
            callcenter(live, "campaign", "import", CAMPAIGN, str(listed), "--list", "spring_list")
            callcenter(live, "agent", "sync")
            callcenter(live, "agent", "login", agent_id)
            callcenter(live, "campaign", "start", CAMPAIGN)
            until(lambda: seat_leg(engine, agent_id) is not None, 20, "the agent's seat answered")

            def busy_redialled() -> bool:
                dialled = by_number(engine, since)
                return len(dialled.get(number(BUSY), [])) == 2 and len(dialled) == len(codes)

            until(busy_redialled, 150, "every number dialled and the busy one twice")
            leg = seat_leg(engine, agent_id)
            assert leg is not None, "the seat stayed up through every call"
            switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
            try:
                switch.hangup(leg)
            finally:
                switch.close()
            until(lambda: seat_leg(engine, agent_id) is None, 10, "the seat gone")
            agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
            assert (agent.state, agent.state_reason) == ("on_break", SEAT_ENDED)

    dialled = by_number(engine, since)
    print(f"\ndialer on FreeSWITCH {live.release}: " + "; ".join(
        f"{phone}: {[(a.outcome, a.wait_for_agent_ms) for a in tries]}" for phone, tries in dialled.items()
    ))  # fmt: skip
    (person,) = dialled[number(PERSON)]
    assert (person.outcome, person.agent_id) == (AttemptOutcome.HUMAN, agent_id)
    assert person.wait_for_agent_ms is not None
    assert person.wait_for_agent_ms < 2000
    (machine,) = dialled[number(MACHINE)]
    assert (machine.outcome, machine.agent_id) == (AttemptOutcome.MACHINE, None)
    for decided in (person, machine):  # what a restarted pacer learns resolve and talk times from
        assert decided.answered_at is not None
        assert decided.decided_at is not None
        assert decided.answered_at <= decided.decided_at <= decided.answered_at + dt.timedelta(seconds=5)
    played = events.wait_for(str(machine.call_uuid), named("CHANNEL_EXECUTE", "playback"), 0)
    voices = synthesis_voices(live.settings.tts_voice)
    assert played["Application-Data"] == str(
        find_prompt_audio(live.prompts.prompt_dir, voices, MACHINE_MESSAGE)
    )
    bridged = {
        headers.get("Unique-ID") for leg in events.by_leg for headers in events.by_leg[leg]
        if headers.get("Event-Name") == "CHANNEL_BRIDGE"
    }  # fmt: skip
    assert person.call_uuid in bridged
    others = [a.call_uuid for tries in dialled.values() for a in tries if a is not person]
    assert not bridged.intersection(others), "only the person reached the agent"

    first_busy, second_busy = dialled[number(BUSY)]
    assert (first_busy.outcome, second_busy.outcome) == (AttemptOutcome.BUSY, AttemptOutcome.BUSY)
    assert (first_busy.attempt_no, second_busy.attempt_no) == (1, 2)
    assert first_busy.ended_at is not None
    assert second_busy.started_at >= first_busy.ended_at + dt.timedelta(minutes=1)
    (silent,) = dialled[number(NO_ANSWER)]
    assert silent.outcome is AttemptOutcome.NO_ANSWER
    assert silent.ended_at is not None
    assert silent.ended_at - silent.started_at >= dt.timedelta(seconds=15), "rung at least 15 s"
    assert person.lead_id is not None
    assert machine.lead_id is not None
    assert silent.lead_id is not None
    assert get_lead(engine, person.lead_id).status == "done"
    assert get_lead(engine, machine.lead_id).status == "done", (
        "a machine left the message is not called again"
    )
    later = get_lead(engine, silent.lead_id)
    assert (later.status, later.attempts) == ("pending", 1)
    assert later.next_attempt_at is not None
    assert later.next_attempt_at >= silent.ended_at + dt.timedelta(hours=2)
    engine.dispose()
