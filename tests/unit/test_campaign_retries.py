"""Retries: final outcomes, max attempts, per-outcome delays and defaults, the uk 72 h rule, the window."""

from __future__ import annotations

import datetime as dt

import pytest

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction
from ivr_scripts.campaigns.retries import (
    Attempt,
    Decision,
    FinalReason,
    RetryPolicy,
    after_attempt,
    next_dial_time,
)
from ivr_scripts.campaigns.windows import CallingWindow, NeverOpen

Out = AttemptOutcome
ENDED = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
US = RetryPolicy()
UK = RetryPolicy(jurisdiction=Jurisdiction.UK)


def later(**delta: float) -> Decision:
    return Decision(next_at=ENDED + dt.timedelta(**delta))


def test_a_human_answer_and_a_block_are_final_whatever_the_rules() -> None:
    assert after_attempt(US, 1, Out.HUMAN, ENDED) == Decision(reason=FinalReason.FINAL_OUTCOME)
    assert after_attempt(UK, 1, Out.BLOCKED, ENDED).reason is FinalReason.FINAL_OUTCOME
    assert after_attempt(US, 1, Out.HUMAN, ENDED).final
    assert not after_attempt(US, 1, Out.BUSY, ENDED).final


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Out.BUSY, later(minutes=15)),
        (Out.NO_ANSWER, later(hours=2)),
        (Out.MACHINE, later(hours=4)),
        (Out.FAX, Decision(reason=FinalReason.NEVER_RETRIED)),
        (Out.DROPPED, later(hours=1)),
        (Out.UNREACHABLE, Decision(reason=FinalReason.NEVER_RETRIED)),
    ],
)
def test_outcomes_without_a_rule_take_the_documented_defaults(
    outcome: AttemptOutcome, expected: Decision
) -> None:
    assert after_attempt(US, 1, outcome, ENDED) == expected


def test_the_last_allowed_attempt_is_final() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert after_attempt(policy, 2, Out.BUSY, ENDED) == later(minutes=15)
    assert after_attempt(policy, 3, Out.BUSY, ENDED) == Decision(reason=FinalReason.MAX_ATTEMPTS)
    assert (
        after_attempt(RetryPolicy(max_attempts=1), 1, Out.NO_ANSWER, ENDED).reason is FinalReason.MAX_ATTEMPTS
    )


def test_the_campaign_rules_override_the_defaults() -> None:
    campaign = Campaign.model_validate(
        {
            "type": "survey",
            "lists": ["a"],
            "caller_id": "+15005550006",
            "max_attempts": "4",
            "retries": {"busy": "30m", "no_answer": {"after": "1d"}, "fax": "2h", "unreachable": "never"},
        }
    )
    policy = RetryPolicy.from_campaign(campaign)
    assert (policy.max_attempts, policy.jurisdiction, policy.machine_ends_calls) == (
        4,
        Jurisdiction.US,
        False,
    )
    assert after_attempt(policy, 1, Out.BUSY, ENDED) == later(minutes=30)
    assert after_attempt(policy, 1, Out.NO_ANSWER, ENDED) == later(days=1)
    assert after_attempt(policy, 1, Out.FAX, ENDED) == later(hours=2)
    assert after_attempt(policy, 1, Out.UNREACHABLE, ENDED).reason is FinalReason.NEVER_RETRIED
    assert after_attempt(policy, 1, Out.MACHINE, ENDED) == later(hours=4)  # no rule: the default


def test_a_machine_action_other_than_retry_ends_the_calls() -> None:
    for action in ("hangup", "message"):
        machine = {"action": action, "message": "vm"} if action == "message" else {"action": action}
        campaign = Campaign.model_validate(
            {
                "type": "survey",
                "lists": ["a"],
                "caller_id": "+15005550006",
                "machine": machine,
            }
        )
        policy = RetryPolicy.from_campaign(campaign)
        assert after_attempt(policy, 1, Out.MACHINE, ENDED) == Decision(reason=FinalReason.MACHINE_ACTION)
        assert after_attempt(policy, 1, Out.BUSY, ENDED) == later(minutes=15)


def test_uk_never_redials_within_72_hours_of_an_abandoned_call() -> None:
    assert after_attempt(UK, 1, Out.DROPPED, ENDED) == later(hours=72)
    # A shorter rule for dropped calls does not shorten the 72 h; a longer one stands.
    short = RetryPolicy(jurisdiction=Jurisdiction.UK, delays={Out.DROPPED: dt.timedelta(hours=1)})
    assert after_attempt(short, 1, Out.DROPPED, ENDED) == later(hours=72)
    long = RetryPolicy(jurisdiction=Jurisdiction.UK, delays={Out.DROPPED: dt.timedelta(days=5)})
    assert after_attempt(long, 1, Out.DROPPED, ENDED) == later(days=5)
    # A drop earlier in the history holds back a busy retry too, until 72 h after that drop.
    drop = Attempt(Out.DROPPED, ENDED - dt.timedelta(hours=10))
    busy = Attempt(Out.BUSY, ENDED - dt.timedelta(hours=20))
    assert after_attempt(UK, 3, Out.BUSY, ENDED, [drop, busy]) == later(hours=62)
    assert after_attempt(UK, 3, Out.BUSY, ENDED, [busy]) == later(minutes=15)
    # The same history in the us: the rule alone.
    assert after_attempt(US, 3, Out.BUSY, ENDED, [drop]) == later(minutes=15)


def test_a_never_rule_in_the_uk_is_still_never() -> None:
    policy = RetryPolicy(jurisdiction=Jurisdiction.UK, delays={Out.DROPPED: None})
    assert after_attempt(policy, 1, Out.DROPPED, ENDED).reason is FinalReason.NEVER_RETRIED


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1: 0"):
        after_attempt(US, 0, Out.BUSY, ENDED)
    with pytest.raises(ValueError, match="ended_at must be an aware datetime"):
        after_attempt(US, 1, Out.BUSY, ENDED.replace(tzinfo=None))
    with pytest.raises(ValueError, match="max_attempts is at least 1"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="the retry delay after busy must be positive"):
        RetryPolicy(delays={Out.BUSY: dt.timedelta(0)})
    with pytest.raises(ValueError, match="no retry rule can be given for human"):
        RetryPolicy(delays={Out.HUMAN: dt.timedelta(hours=1)})


def test_the_next_dial_time_waits_for_the_window() -> None:
    window = CallingWindow(dt.time(8), dt.time(21))
    new_york = ("America/New_York",)
    # Busy at 20:50 New York time: 15 min later is 21:05, so the next morning at 08:00.
    ended = dt.datetime(2026, 12, 8, 1, 50, tzinfo=dt.UTC)
    decision = next_dial_time(US, window, new_york, attempts_so_far=1, outcome=Out.BUSY, ended_at=ended)
    assert decision == Decision(next_at=dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC))
    # Inside the window the rule's time stands; a final decision passes through.
    assert next_dial_time(US, window, new_york, attempts_so_far=1, outcome=Out.BUSY, ended_at=ENDED) == later(
        minutes=15
    )
    final = next_dial_time(US, window, new_york, attempts_so_far=1, outcome=Out.HUMAN, ended_at=ENDED)
    assert final.reason is FinalReason.FINAL_OUTCOME
    # A number without a zone takes the fallback.
    assert next_dial_time(
        US, window, (), attempts_so_far=1, outcome=Out.BUSY, ended_at=ended, fallback=("Europe/London",)
    ) == Decision(next_at=dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.UTC))
    mondays_apart = CallingWindow(dt.time(8), dt.time(21), frozenset({0}))
    with pytest.raises(NeverOpen):
        next_dial_time(
            US,
            mondays_apart,
            ("Pacific/Kiritimati", "Pacific/Pago_Pago"),
            attempts_so_far=1,
            outcome=Out.BUSY,
            ended_at=ENDED,
        )
