"""Who answered, decided from what the switch heard; and how the switch is told to listen."""

from __future__ import annotations

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from esl_handlers.call_progress import (
    event_variables,
    heard_from,
    listening_steps,
    machine_message_steps,
    message_steps,
    originate_timeout,
)
from ivr_scripts.campaigns.call_progress import DetectionSettings, Heard, Verdict, decide, outcome_of_cause

DEFAULTS = DetectionSettings()


@pytest.mark.parametrize(
    ("heard", "verdict", "measured"),
    [
        (Heard(speech_ms=540, timed_out=False), Verdict.PERSON, Verdict.PERSON),
        (Heard(speech_ms=1500, timed_out=False), Verdict.PERSON, Verdict.PERSON),
        (Heard(speech_ms=1520, timed_out=False), Verdict.MACHINE, Verdict.MACHINE),
        (Heard(speech_ms=1500, timed_out=True), Verdict.MACHINE, Verdict.MACHINE),
        (Heard(speech_ms=1480, timed_out=True), Verdict.PERSON, Verdict.UNSURE),
        (Heard(speech_ms=0, timed_out=True), Verdict.PERSON, Verdict.UNSURE),
        (Heard(speech_ms=300, timed_out=False, beep=True), Verdict.MACHINE, Verdict.MACHINE),
        (Heard(speech_ms=300, timed_out=False, beep=True, fax_tone=True), Verdict.FAX, Verdict.FAX),
        (Heard(speech_ms=0, timed_out=True, fax_tone=True), Verdict.FAX, Verdict.FAX),
    ],
)
def test_the_rules_in_their_order(heard: Heard, verdict: Verdict, measured: Verdict) -> None:
    decision = decide(heard, DEFAULTS)
    assert (decision.verdict, decision.measured) == (verdict, measured)
    assert decision.reason


def test_an_unsure_answer_can_be_taken_as_a_machine() -> None:
    settings = DetectionSettings(unsure_is=Verdict.MACHINE)
    decision = decide(Heard(speech_ms=0, timed_out=True), settings)
    assert (decision.verdict, decision.measured) == (Verdict.MACHINE, Verdict.UNSURE)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unsure_is": Verdict.FAX}, "person or a machine"),
        ({"silence_after_ms": 810}, "multiple of 20"),
        ({"speech_start_ms": 0}, "multiple of 20"),
        ({"decision_ms": 900}, "room for the speech"),
    ],
)
def test_settings_that_cannot_work_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DetectionSettings(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        ("USER_BUSY", AttemptOutcome.BUSY),
        ("CALL_REJECTED", AttemptOutcome.BUSY),
        ("NO_ANSWER", AttemptOutcome.NO_ANSWER),
        ("NO_USER_RESPONSE", AttemptOutcome.NO_ANSWER),
        ("UNALLOCATED_NUMBER", AttemptOutcome.UNREACHABLE),
        ("NORMAL_TEMPORARY_FAILURE", AttemptOutcome.UNREACHABLE),
        ("SOMETHING_NEW", AttemptOutcome.UNREACHABLE),
    ],
)
def test_hangup_causes_of_unanswered_calls(cause: str, outcome: AttemptOutcome) -> None:
    assert outcome_of_cause(cause) is outcome


def test_the_switch_listens_with_the_settings_in_its_own_units() -> None:
    steps = listening_steps(DEFAULTS, [("socket", "127.0.0.1:8084 async full")])
    assert steps.text == (
        "'avmd_start,tone_detect:cc_fax 2100 r +5,wait_for_silence:200 40 5 4000,"
        "socket:127.0.0.1:8084 async full' inline"
    )
    quick = DetectionSettings(
        silence_after_ms=600, speech_start_ms=60, decision_ms=3000, energy_threshold=150
    )
    assert "wait_for_silence:150 30 3 3000," in listening_steps(quick, [("park", "")]).text


def test_what_the_switch_heard_is_read_from_its_variables() -> None:
    headers = {
        "Event-Name": "CHANNEL_EXECUTE_COMPLETE",
        "variable_wait_for_silence_timeout": "false",
        "variable_wait_for_silence_listenhits": "27",
        "variable_avmd_detect": "TRUE",
        "variable_tone_detect_cc_fax_total_time": "2380",
    }
    assert heard_from(event_variables(headers)) == Heard(540, timed_out=False, beep=True, fax_tone=True)
    assert heard_from({"wait_for_silence_timeout": "true"}) == Heard(0, timed_out=True)
    assert heard_from({"wait_for_silence_timeout": "true", "wait_for_silence_listenhits": "x"}) == Heard(
        0, timed_out=True
    )


def test_nothing_is_heard_before_wait_for_silence_ends() -> None:
    assert heard_from({}) is None
    assert heard_from({"wait_for_silence_timeout": ""}) is None


def test_the_ring_time_is_never_cut_short_by_the_switch_clock() -> None:
    assert originate_timeout(15) == 16


def test_a_dropped_person_hears_the_message_to_its_end_then_the_switch_hangs_up() -> None:
    assert message_steps("/srv/sounds/acme-id.wav").text == (
        "'playback:/srv/sounds/acme-id.wav,hangup:NORMAL_CLEARING' inline"
    )
    with pytest.raises(ValueError, match="absolute file path"):
        message_steps("sounds/acme id.wav")


def test_a_machine_gets_the_message_once_its_greeting_and_beep_are_over() -> None:
    assert machine_message_steps("/srv/sounds/acme-vm.wav", DEFAULTS).text == (
        "'wait_for_silence:200 40 0 30000,playback:/srv/sounds/acme-vm.wav,hangup:NORMAL_CLEARING' inline"
    )
