"""One campaign call's way from the dial to its outcome, and the commands the dialer gets on the way."""

from __future__ import annotations

import datetime as dt

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.call_progress import Decision, DetectionSettings, Heard, Verdict, decide
from ivr_scripts.campaigns.campaign_call import (
    Bridge,
    CallStateError,
    CampaignCall,
    HangUp,
    MachineAction,
    Phase,
    PlayMessage,
)

T0 = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
PERSON = decide(Heard(540, timed_out=False), DetectionSettings())
MACHINE = decide(Heard(2240, timed_out=True), DetectionSettings())
FAX = decide(Heard(0, timed_out=True, fax_tone=True), DetectionSettings())


def ms(n: int) -> dt.datetime:
    return T0 + dt.timedelta(milliseconds=n)


def answered_call(machine_action: MachineAction = "message") -> CampaignCall:
    call = CampaignCall("spring", 7, "+15550100001", "cust-1", T0, machine_action)
    call.answered(ms(800))
    return call


def test_a_person_is_connected_to_an_agent_within_two_seconds() -> None:
    call = answered_call()
    assert call.heard(PERSON, ms(3000)) is None
    assert call.agent_deadline == ms(5000)
    assert call.expire(ms(4999)) is None
    assert call.connect("1001", "seat-a", ms(3060)) == Bridge("cust-1", "seat-a")
    call.hung_up("NORMAL_CLEARING", ms(90000))
    assert (call.phase, call.outcome, call.agent_id, call.wait_for_agent_ms) == (
        Phase.ENDED,
        AttemptOutcome.HUMAN,
        "1001",
        60,
    )


def test_a_person_nobody_takes_in_two_seconds_hears_the_message_and_is_dropped() -> None:
    call = answered_call()
    call.heard(PERSON, ms(3000))
    assert call.expire(ms(5000)) == PlayMessage("cust-1", to_machine=False)
    with pytest.raises(CallStateError, match="cannot be connected"):
        call.connect("1001", "seat-a", ms(5001))
    call.hung_up("NORMAL_CLEARING", ms(12000))
    assert (call.outcome, call.wait_for_agent_ms) == (AttemptOutcome.DROPPED, 2000)


def test_a_person_who_hangs_up_while_waiting_counts_as_dropped() -> None:
    call = answered_call()
    call.heard(PERSON, ms(3000))
    call.hung_up("NORMAL_CLEARING", ms(4200))
    assert (call.outcome, call.wait_for_agent_ms) == (AttemptOutcome.DROPPED, 1200)
    assert call.expire(ms(6000)) is None, "an ended call plays nothing"


@pytest.mark.parametrize(
    ("action", "command"),
    [
        ("message", PlayMessage("cust-1", to_machine=True)),
        ("retry", HangUp("cust-1")),
        ("hangup", HangUp("cust-1")),
    ],
)
def test_a_machine_gets_the_message_or_is_hung_up_on(action: MachineAction, command: object) -> None:
    call = answered_call(action)
    assert call.heard(MACHINE, ms(4800)) == command
    call.hung_up("NORMAL_CLEARING", ms(20000))
    assert (call.outcome, call.wait_for_agent_ms, call.agent_id) == (AttemptOutcome.MACHINE, None, None)


def test_a_fax_is_hung_up_on() -> None:
    call = answered_call()
    assert call.heard(FAX, ms(4800)) == HangUp("cust-1")
    call.hung_up("NORMAL_CLEARING", ms(4900))
    assert call.outcome is AttemptOutcome.FAX


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        ("USER_BUSY", AttemptOutcome.BUSY),
        ("NO_ANSWER", AttemptOutcome.NO_ANSWER),
        ("UNALLOCATED_NUMBER", AttemptOutcome.UNREACHABLE),
    ],
)
def test_a_call_not_answered_ends_with_its_cause(cause: str, outcome: AttemptOutcome) -> None:
    call = CampaignCall("spring", 7, "+15550100001", "cust-1", T0)
    call.not_answered(cause, ms(100))
    assert (call.phase, call.outcome, call.hangup_cause) == (Phase.ENDED, outcome, cause)
    call.hung_up("NORMAL_CLEARING", ms(200))
    assert call.hangup_cause == cause, "a second report of the end changes nothing"


def test_a_call_ended_while_the_switch_listened_is_retried_as_not_answered() -> None:
    call = answered_call()
    call.hung_up("NORMAL_CLEARING", ms(1500))
    assert (call.outcome, call.decision) == (AttemptOutcome.NO_ANSWER, None)


def test_facts_out_of_order_are_refused() -> None:
    call = CampaignCall("spring", 7, "+15550100001", "cust-1", T0)
    with pytest.raises(CallStateError, match="is dialling, not listening"):
        call.heard(PERSON, ms(1))
    call.answered(ms(2))
    with pytest.raises(CallStateError, match="is listening, not dialling"):
        call.not_answered("USER_BUSY", ms(3))
    with pytest.raises(CallStateError, match="cannot be connected"):
        call.connect("1001", "seat-a", ms(4))


def test_an_unsure_answer_taken_as_a_person_waits_for_an_agent_like_one() -> None:
    unsure = decide(Heard(0, timed_out=True), DetectionSettings())
    assert (unsure.verdict, unsure.measured) == (Verdict.PERSON, Verdict.UNSURE)
    call = answered_call()
    assert call.heard(unsure, ms(4800)) is None
    assert isinstance(call.decision, Decision)
    assert call.phase is Phase.WAITING_FOR_AGENT
