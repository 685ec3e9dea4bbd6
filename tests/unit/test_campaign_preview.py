"""One preview call: the agent's phone first, then the customer, bridged; what each ending logs."""

from __future__ import annotations

import datetime as dt

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.preview import (
    BridgeLegs,
    DialCustomer,
    HangUpLeg,
    PreviewCall,
    PreviewPhase,
    PreviewStateError,
)

T0 = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def s(n: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=n)


def call() -> PreviewCall:
    return PreviewCall("+15550100001", "1001", "agent-leg", "cust-1", campaign="winter", lead_id=7)


def test_the_agent_answers_then_the_customer_is_dialled_and_bridged_on_answer() -> None:
    preview = call()
    assert preview.agent_answered(s(1)) == DialCustomer("cust-1")
    assert (preview.phase, preview.started_at) == (PreviewPhase.DIALLING, s(1))
    assert preview.customer_answered(s(6)) == BridgeLegs("cust-1", "agent-leg")
    assert preview.hung_up("cust-1", "NORMAL_CLEARING", s(40)) == HangUpLeg("agent-leg")
    assert (preview.outcome, preview.ended_at, preview.dialled) == (AttemptOutcome.HUMAN, s(40), True)
    assert preview.hung_up("agent-leg", "NORMAL_CLEARING", s(40.1)) is None, "the second end changes nothing"


def test_the_agent_hanging_up_a_connected_call_hangs_up_the_customer() -> None:
    preview = call()
    preview.agent_answered(s(1))
    preview.customer_answered(s(6))
    assert preview.hung_up("agent-leg", "NORMAL_CLEARING", s(30)) == HangUpLeg("cust-1")
    assert preview.outcome is AttemptOutcome.HUMAN


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        ("USER_BUSY", AttemptOutcome.BUSY),
        ("NO_ANSWER", AttemptOutcome.NO_ANSWER),
        ("UNALLOCATED_NUMBER", AttemptOutcome.UNREACHABLE),
    ],
)
def test_a_customer_who_does_not_answer_ends_the_agents_leg_with_that_outcome(
    cause: str, outcome: AttemptOutcome
) -> None:
    preview = call()
    preview.agent_answered(s(1))
    assert preview.customer_not_answered(cause, s(17)) == HangUpLeg("agent-leg")
    assert (preview.phase, preview.outcome, preview.hangup_cause) == (PreviewPhase.ENDED, outcome, cause)
    assert preview.customer_not_answered(cause, s(17)) is None


def test_the_customers_leg_ending_while_it_rings_is_its_outcome_too() -> None:
    preview = call()
    preview.agent_answered(s(1))
    assert preview.hung_up("cust-1", "USER_BUSY", s(2)) == HangUpLeg("agent-leg")
    assert preview.outcome is AttemptOutcome.BUSY


def test_an_agent_who_hangs_up_while_the_number_rings_makes_it_a_no_answer() -> None:
    preview = call()
    preview.agent_answered(s(1))
    assert preview.hung_up("agent-leg", "NORMAL_CLEARING", s(5)) == HangUpLeg("cust-1")
    assert preview.outcome is AttemptOutcome.NO_ANSWER
    assert preview.customer_not_answered("ORIGINATOR_CANCEL", s(5.1)) is None
    assert preview.outcome is AttemptOutcome.NO_ANSWER


def test_an_agent_phone_that_does_not_answer_is_no_attempt() -> None:
    preview = call()
    assert preview.hung_up("agent-leg", "NO_ANSWER", s(20)) is None
    assert (preview.phase, preview.outcome, preview.dialled) == (PreviewPhase.ENDED, None, False)


def test_facts_out_of_order_are_refused_and_unknown_legs_ignored() -> None:
    preview = call()
    with pytest.raises(PreviewStateError):
        preview.customer_answered(s(1))
    assert preview.hung_up("someone-else", "NORMAL_CLEARING", s(1)) is None
    assert preview.phase is PreviewPhase.CALLING_AGENT
