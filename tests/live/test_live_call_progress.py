"""Call progress on the real switch: who answered a campaign's call, and how fast the switch knew.

SIPp plays the customers (tests/support/live/callees.py): synthesized people saying "Hello?" and
the like, answering machines with and without a beep, a silent line, a fax's answer tone, and numbers
that are busy, never answer or do not exist. Each is dialled the way the dialer dials
(EslSwitch.originate with esl_handlers.call_progress.listening_steps), every call at once; the verdict
comes from the variables wait_for_silence leaves (ivr_scripts.campaigns.call_progress.decide), and the
time to decide is the switch's own: wait_for_silence's CHANNEL_EXECUTE_COMPLETE minus CHANNEL_ANSWER.
The figures are printed (`-s`) and kept in docs/performance.md ("Call progress on the real switch").
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gevent
import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from esl_handlers.call_progress import event_variables, heard_from, listening_steps, originate_timeout
from esl_handlers.switch import EslSwitch
from ivr_scripts.campaigns.call_progress import (
    VERDICT_OUTCOMES,
    DetectionSettings,
    Verdict,
    decide,
    outcome_of_cause,
)
from sipp_scenarios.audio_pcap import Beep, Silence
from sipp_scenarios.callee import CalleeKind
from tests.support.live.callees import CalleeSet, Said, Voice, callee_sipp
from tests.support.live.harness import Build, Live, live_switch
from tests.support.live.switch_events import EventRecorder, named, recording_events, timestamp_ms

pytestmark = pytest.mark.live

RING_SECONDS = 15  # regulators want at least 15 s before a call counts as not answered
LONG_GREETING = (
    "Hi, you have reached Sam and Alex. We cannot take your call right now. "
    "Please leave your name and number after the tone and we will call you back."
)
NO_BEEP_GREETING = (
    "You have reached the Jones family. Nobody can come to the phone right now. Please call again later."
)
NUMBER_GREETING = (
    "You have reached five five five, zero one nine nine. Please leave a message after the tone."
)
QUIET = Silence(6000)
CED = Beep(3000, 2100, 0.3)  # a fax's answer tone
PERSON, MACHINE, FAX = Verdict.PERSON, Verdict.MACHINE, Verdict.FAX
VOICES: dict[int, tuple[Voice, Verdict]] = {
    1: (Voice("hello", (Silence(300), Said("Hello?"), QUIET)), PERSON),
    2: (Voice("hello_name", (Silence(300), Said("Hello, this is Sam speaking."), QUIET)), PERSON),
    3: (Voice("yes", (Silence(500), Said("Yes?"), QUIET)), PERSON),
    4: (Voice("who", (Silence(300), Said("Hi, who is this?"), QUIET)), PERSON),
    5: (Voice("slow_hello", (Silence(1500), Said("Hello?"), QUIET)), PERSON),
    6: (Voice("silent", (Silence(8000),)), PERSON),  # unsure, taken as a person
    11: (Voice("machine_beep", (Silence(300), Said(LONG_GREETING), Silence(300), Beep(), QUIET)), MACHINE),
    12: (Voice("machine_short", (Silence(300), Said("Sam here. Leave a message."), Beep(), QUIET)), MACHINE),
    13: (Voice("machine_no_beep", (Silence(300), Said(NO_BEEP_GREETING), QUIET)), MACHINE),
    14: (Voice("machine_number", (Said(NUMBER_GREETING), Beep(), QUIET)), MACHINE),
    21: (Voice("fax", (Silence(200), CED, Silence(500), CED, QUIET)), FAX),
}
WAIT_FOR_SILENCE_DONE = named("CHANNEL_EXECUTE_COMPLETE", "wait_for_silence")
NOT_ANSWERING: dict[int, tuple[CalleeKind, AttemptOutcome]] = {
    31: ("busy", AttemptOutcome.BUSY),
    32: ("no_answer", AttemptOutcome.NO_ANSWER),
    33: ("unreachable", AttemptOutcome.UNREACHABLE),
}


@dataclass(frozen=True)
class Result:
    code: int
    outcome: AttemptOutcome
    verdict: Verdict | None = None
    measured: Verdict | None = None
    reason: str = ""
    decision_ms: float | None = None
    seconds: float = 0.0


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("call-progress"), build) as live:
        yield live


@pytest.fixture
def events(live: Live) -> Iterator[EventRecorder]:
    with recording_events(live, ["CHANNEL_ANSWER", "CHANNEL_EXECUTE_COMPLETE"]) as recorder:
        yield recorder


def dial(switch: EslSwitch, events: EventRecorder, carrier: CalleeSet, code: int) -> Result:
    settings = DetectionSettings()
    leg_uuid = str(uuid.uuid4())
    started = time.monotonic()
    originated = switch.originate(
        carrier.endpoint(code),
        caller_id_number="+15550100000",
        caller_id_name="Campaign",
        timeout=originate_timeout(RING_SECONDS),
        variables={"origination_uuid": leg_uuid},
        then=listening_steps(settings, [("park", "")]),
    )
    if originated.result != "answered":
        return Result(code, outcome_of_cause(originated.cause), seconds=time.monotonic() - started)
    try:
        decided = events.wait_for(leg_uuid, WAIT_FOR_SILENCE_DONE, settings.decision_ms / 1000 + 5)
        answered = events.wait_for(leg_uuid, named("CHANNEL_ANSWER"), 1)
    finally:
        switch.hangup(leg_uuid)
    heard = heard_from(event_variables(decided))
    assert heard is not None, f"callee {code}: wait_for_silence left no variables"
    decision = decide(heard, settings)
    return Result(
        code,
        VERDICT_OUTCOMES[decision.verdict],
        decision.verdict,
        decision.measured,
        decision.reason,
        timestamp_ms(decided) - timestamp_ms(answered),
        time.monotonic() - started,
    )


def test_call_progress_tells_people_machines_and_faxes_apart(
    live: Live, events: EventRecorder, tmp_path: Path
) -> None:
    answering = {code: voice for code, (voice, _) in VOICES.items()}
    others = {code: kind for code, (kind, _) in NOT_ANSWERING.items()}
    switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
    try:
        with callee_sipp(live, tmp_path / "callees", answering, others) as carrier:
            jobs = [gevent.spawn(dial, switch, events, carrier, code) for code in [*VOICES, *NOT_ANSWERING]]
            gevent.joinall(jobs, raise_error=True)
    finally:
        switch.close()
    results = {job.value.code: job.value for job in jobs}
    _print_figures(live, results)
    wrong = [
        (VOICES[code][0].name, VOICES[code][1], results[code].verdict, results[code].reason)
        for code in VOICES
        if results[code].verdict != VOICES[code][1]
    ]
    assert wrong == []
    assert {code: results[code].outcome for code in NOT_ANSWERING} == {
        code: outcome for code, (_, outcome) in NOT_ANSWERING.items()
    }
    assert results[32].seconds >= RING_SECONDS, "no answer must ring the whole ring time"
    for code in VOICES:
        decision_ms = results[code].decision_ms
        assert decision_ms is not None
        assert decision_ms <= DetectionSettings().decision_ms + 200


def _print_figures(live: Live, results: dict[int, Result]) -> None:
    print(f"\ncall progress on FreeSWITCH {live.release}: voice, expected, verdict (measured), ms to decide")
    for code, (voice, expected) in VOICES.items():
        r = results[code]
        print(
            f"  {voice.name:16} {expected:8} {r.verdict} ({r.measured}) {r.decision_ms:7.0f} ms  {r.reason}"
        )
    for code, (kind, _) in NOT_ANSWERING.items():
        print(f"  {kind:16} {results[code].outcome} after {results[code].seconds:.1f} s")
    for verdict in Verdict:
        times = [r.decision_ms for c, r in results.items() if c in VOICES and VOICES[c][1] == verdict]
        numbers = [t for t in times if t is not None]
        if numbers:
            print(f"  {verdict}: median {statistics.median(numbers):.0f} ms, max {max(numbers):.0f} ms")
