"""A predictive campaign dialled by `callcenter serve` on the real switch: the pacer learns and dials ahead.

The campaign is in the YAML (predictive, three agents, an identification message for dropped calls, a
1 s wrap-up, each number dialled once); its list of 240 numbers, shuffled, is imported with `callcenter
campaign import`; the agents log in with SIPp phones and the campaign is started, all while `callcenter
serve` runs with CALLCENTER_CAMPAIGN_ENDPOINT pointing at a SIPp carrier. A quarter of the numbers are
people who say hello and hang up 5 s after answering, most are busy (they resolve at once, so the
pacer's warm-up of 100 resolved dials and 20 talks passes within a minute), a few are machines or ring
unanswered.

Checked on the switch's own events (tests/support/live/dial_ahead.py), not the dialer's memory: at some
originate the customer legs in flight outnumbered the seats free; every person either reached a seat
within 2 s of the switch's decision or heard the identification message and was logged `dropped`; no
seat had two customers at once. From the attempt log: one attempt per number and per customer leg, each
with the outcome its callee gives; abandons within 3 % of the people who answered.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest
from sqlalchemy import Engine, create_engine

from dialplans.campaign_vocabulary import AttemptOutcome
from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from esl_handlers.switch import EslSwitch
from schema.acd.agents import agent_snapshot
from schema.campaigns.attempts import Attempt, attempts
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Beep, Silence
from sipp_scenarios.callee import CalleeKind
from tests.support.live.acd import agent_phone
from tests.support.live.callees import Said, Voice, callee_sipp
from tests.support.live.dial_ahead import EVENTS, SwitchView, switch_view
from tests.support.live.harness import Build, Live, app_server, callcenter, database_url, live_switch
from tests.support.live.switch_events import recording_events

pytestmark = [pytest.mark.live, pytest.mark.solo]  # the 2 s promise and the pacing are timings

CAMPAIGN = "autumn"
AGENTS = 3
IDENTIFICATION = "This was Acme Insurance calling about your renewal. Call us back on 0 8 0 0, 1 2 3 4."
GREETING = "Hi, you have reached Sam and Alex. We cannot take your call right now. Please leave a message."
PERSON, OTHER_PERSON, MACHINE, BUSY, OTHER_BUSY, NO_ANSWER = 1, 2, 11, 31, 33, 32
HELLO = Voice("person", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=5000)
ANSWERING = {
    PERSON: HELLO,
    OTHER_PERSON: HELLO,
    MACHINE: Voice("machine", (Silence(300), Said(GREETING), Silence(300), Beep(), Silence(30000))),
}
NOT_PICKING_UP: dict[int, CalleeKind] = {BUSY: "busy", OTHER_BUSY: "busy", NO_ANSWER: "no_answer"}
LIST = {PERSON: 30, OTHER_PERSON: 30, BUSY: 100, OTHER_BUSY: 70, MACHINE: 6, NO_ANSWER: 4}
"""Numbers per callee code (the numbers of one code differ in the two digits before it)."""
EXPECTED = {
    PERSON: {AttemptOutcome.HUMAN, AttemptOutcome.DROPPED},
    OTHER_PERSON: {AttemptOutcome.HUMAN, AttemptOutcome.DROPPED},
    MACHINE: {AttemptOutcome.MACHINE},
    BUSY: {AttemptOutcome.BUSY},
    OTHER_BUSY: {AttemptOutcome.BUSY},
    NO_ANSWER: {AttemptOutcome.NO_ANSWER},
}
ABANDON_LIMIT = 0.03
GRACE_SECONDS = 2.0
ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def numbers() -> list[str]:
    """The list, shuffled (a list is not sorted by who answers): Chicago numbers whose last two digits
    name the callee (sipp_scenarios.callee)."""
    listed = [f"+1312555{index:02d}{code:02d}" for code, count in LIST.items() for index in range(count)]
    random.Random(12).shuffle(listed)
    return listed


def code_of(phone: str) -> int:
    return int(phone[-2:])


def agents_of(data: dict[str, Any]) -> list[str]:
    return sorted(data["agents"])[:AGENTS]


def with_campaign(data: dict[str, Any]) -> None:
    data["prompts"]["autumn_identification"] = {"text": IDENTIFICATION}
    data["campaigns"] = {
        CAMPAIGN: {
            "type": "telemarketing",
            "agents": agents_of(data),
            "lists": ["autumn_list"],
            "dial_mode": "predictive",
            "caller_id": {"number": "+13125550000", "name": "Acme"},
            "ring_seconds": 15,
            "max_attempts": 1,
            "wrap_up": 1,
            "window": {"start": "00:00", "end": "23:59", "days": ALL_WEEK},
            "abandon": {"message": "autumn_identification", "limit_percent": ABANDON_LIMIT * 100},
            "machine": {"action": "hangup"},
        }
    }


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("predictive"), build, with_campaign) as live:
        yield live


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """gevent.sleep, not time.sleep: the test's own event connection reads in a greenlet."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        gevent.sleep(0.5)


def seated(engine: Engine, agent_ids: list[str]) -> bool:
    return sorted(seat_of(engine, agent_ids)) == agent_ids


def leave_the_seats(live: Live, engine: Engine, agent_ids: list[str]) -> None:
    legs = [a.call_uuid for a in agent_snapshot(engine) if a.agent_id in agent_ids and a.call_uuid]
    assert len(legs) == len(agent_ids), "every seat stayed up to the end"
    switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
    try:
        for leg in legs:
            switch.hangup(leg)
    finally:
        switch.close()
    until(lambda: not any(seat_of(engine, agent_ids)), 15, "the seats gone")


def seat_of(engine: Engine, agent_ids: list[str]) -> list[str]:
    return [a.agent_id for a in agent_snapshot(engine) if a.agent_id in agent_ids and a.state == "on_call"]


def test_a_predictive_campaign_dials_ahead_of_its_seats_and_keeps_its_abandon_budget(
    live: Live, tmp_path: Path
) -> None:
    agent_ids = sorted(live.loaded.model.agents)[:AGENTS]
    listed = numbers()
    csv = tmp_path / "autumn.csv"
    csv.write_text("phone,name\n" + "".join(f"{p},Customer {p[-4:]}\n" for p in listed), encoding="utf-8")
    engine = create_engine(database_url(live))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    phones = AgentOptions(timeout_s=600)
    with (
        recording_events(live, EVENTS) as events,
        callee_sipp(live, tmp_path / "callees", ANSWERING, NOT_PICKING_UP) as carrier,
    ):
        endpoint = f"sofia/callers/sip:{{number}}@{carrier.host}:{carrier.port}"
        with (
            app_server(live, settings={"CALLCENTER_CAMPAIGN_ENDPOINT": endpoint}),
            agent_phone(live, agent_ids[0], phones, "seat-0"),
            agent_phone(live, agent_ids[1], phones, "seat-1"),
            agent_phone(live, agent_ids[2], phones, "seat-2"),
        ):
            callcenter(live, "campaign", "import", CAMPAIGN, str(csv), "--list", "autumn_list")
            callcenter(live, "agent", "sync")
            for agent_id in agent_ids:
                callcenter(live, "agent", "login", agent_id)
            callcenter(live, "campaign", "start", CAMPAIGN)
            until(lambda: seated(engine, agent_ids), 30, "every agent's seat answered")
            started = time.monotonic()
            until(lambda: len(attempts(engine, CAMPAIGN, since)) >= len(listed), 400, "every number dialled")
            dialling_seconds = time.monotonic() - started
            gevent.sleep(1.0)  # the last events of the last call
            leave_the_seats(live, engine, agent_ids)  # the phones' SIPp ends with its call
    logged = attempts(engine, CAMPAIGN, since)
    engine.dispose()
    view = switch_view(events.by_leg, CAMPAIGN)
    voices = synthesis_voices(live.settings.tts_voice)
    message = str(find_prompt_audio(live.prompts.prompt_dir, voices, IDENTIFICATION))
    report(live, view, logged, dialling_seconds)
    attempt_log_matches_the_calls(view, logged, listed)
    people_reach_an_agent_or_hear_the_message(view, logged, agent_ids, message)
    assert not view.overlapping_customers(), "a seat had two customers at once"
    excess = max(flying - free for _, flying, free in view.ahead())
    assert excess > 0, "the dialer never had more calls in flight than seats free: it did not dial ahead"
    persons = [a for a in logged if a.outcome in (AttemptOutcome.HUMAN, AttemptOutcome.DROPPED)]
    dropped = [a for a in persons if a.outcome is AttemptOutcome.DROPPED]
    assert len(dropped) <= ABANDON_LIMIT * len(persons), f"{len(dropped)} abandons of {len(persons)} people"


def attempt_log_matches_the_calls(view: SwitchView, logged: list[Attempt], listed: list[str]) -> None:
    assert sorted(a.phone_e164 for a in logged) == sorted(listed), "each number dialled once"
    assert {a.call_uuid for a in logged} == set(view.customers), "one attempt per customer leg"
    for attempt in logged:
        assert attempt.outcome in EXPECTED[code_of(attempt.phone_e164)], (attempt.phone_e164, attempt.outcome)
        assert attempt.ended_at is not None


def people_reach_an_agent_or_hear_the_message(
    view: SwitchView, logged: list[Attempt], agent_ids: list[str], message: str
) -> None:
    assert sorted(view.seat_agents.values()) == agent_ids, "one seat per agent"
    for attempt in logged:
        assert attempt.call_uuid is not None
        leg = view.customers[attempt.call_uuid]
        if attempt.outcome is AttemptOutcome.HUMAN:
            assert leg.seat is not None, f"{attempt.call_uuid}: a human never bridged"
            assert attempt.agent_id == view.seat_agents[leg.seat]
            assert leg.decided is not None
            assert leg.bridged is not None
            assert leg.bridged - leg.decided < GRACE_SECONDS, f"{attempt.call_uuid}: bridged too late"
            assert attempt.wait_for_agent_ms is not None
            assert attempt.wait_for_agent_ms < GRACE_SECONDS * 1000
            assert not leg.played
        elif attempt.outcome is AttemptOutcome.DROPPED:
            assert leg.seat is None, f"{attempt.call_uuid}: a dropped call bridged"
            assert message in leg.played, f"{attempt.call_uuid}: no identification message"
        else:
            assert leg.seat is None, f"{attempt.call_uuid}: a {attempt.outcome} reached an agent"


def report(live: Live, view: SwitchView, logged: list[Attempt], seconds: float) -> None:
    outcomes: dict[str, int] = {}
    for attempt in logged:
        outcomes[attempt.outcome.value] = outcomes.get(attempt.outcome.value, 0) + 1
    ahead = view.ahead()
    flying, free = max(((f, s) for _, f, s in ahead), key=lambda pair: pair[0] - pair[1])
    first = ahead[0][0] if ahead else 0.0
    dialled_ahead = [m - first for m, f, s in ahead if f > s]
    to_bridge = [
        (c.bridged - c.decided) * 1000
        for c in view.customers.values()
        if c.bridged is not None and c.decided is not None
    ]
    print(
        f"\npredictive on FreeSWITCH {live.release}: {len(logged)} calls in {seconds:.0f} s, {outcomes}; "
        f"max in flight {max(f for _, f, _ in ahead)}, most ahead {flying} in flight vs {free} seats free, "
        f"{len(dialled_ahead)} originates ahead, the first {dialled_ahead[0] if dialled_ahead else -1:.0f} s "
        f"after the first call; decision to bridge median {statistics.median(to_bridge):.0f} ms, "
        f"max {max(to_bridge):.0f} ms, {sum(1 for ms in to_bridge if ms > 500)} people waited for a seat"
    )
