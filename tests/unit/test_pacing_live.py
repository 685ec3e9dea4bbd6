"""The dialer's per-campaign predictive pacer: what it learns from finished calls, its budget's reads."""

from __future__ import annotations

import datetime as dt

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction
from ivr_scripts.campaigns.abandons import AbandonBudget
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.pacing_live import CampaignPacer

T0 = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def ended(
    outcome: AttemptOutcome, decided: float | None, connected: float | None, end: float
) -> CampaignCall:
    call = CampaignCall("spring", 1, "+13125550001", "u", T0)
    seconds = [None if s is None else T0 + dt.timedelta(seconds=s) for s in (decided, connected, end)]
    call.decided_at, call.connected_at, call.ended_at = seconds
    call.outcome = outcome
    return call


def test_a_finished_call_teaches_its_resolve_time_who_answered_and_the_talk_time() -> None:
    pacer = CampaignPacer(Jurisdiction.US, 3.0)
    pacer.learn(ended(AttemptOutcome.HUMAN, 7.0, 7.5, 67.5))
    pacer.learn(ended(AttemptOutcome.DROPPED, 9.0, None, 15.0))
    pacer.learn(ended(AttemptOutcome.MACHINE, 11.0, None, 40.0))
    pacer.learn(ended(AttemptOutcome.NO_ANSWER, None, None, 25.0))
    stats = pacer.learner.statistics()
    assert (stats.dials, stats.person_rate, stats.machine_rate) == (4, 0.5, 0.25)
    assert stats.connect_times == (7.0, 9.0)
    assert stats.resolve_times == (7.0, 9.0, 11.0, 25.0)
    assert stats.talk_seconds == (60.0,)


def test_the_budget_is_read_as_counts_and_again_only_after_five_seconds() -> None:
    pacer = CampaignPacer(Jurisdiction.US, 3.0)
    assert pacer.budget_due(1000.0)
    pacer.budget_read(1000.0, {AttemptOutcome.HUMAN: 97, AttemptOutcome.DROPPED: 3, AttemptOutcome.BUSY: 50})
    assert pacer.budget is not None
    assert (pacer.budget.live_answers(1000.0), pacer.budget.abandons(1000.0)) == (100.0, 3.0)
    assert pacer.budget_spent(1000.0)
    assert not pacer.budget_due(1004.9)
    assert pacer.budget_due(1005.0)
    assert pacer.window_seconds == 30 * 24 * 3600.0


def test_a_budget_counts_many_attempts_at_once_and_refuses_a_negative_count() -> None:
    budget = AbandonBudget(Jurisdiction.UK, amd_false_positive_rate=0.5)
    budget.record(60.0, AttemptOutcome.MACHINE, 4)
    assert (budget.live_answers(60.0), budget.abandons(60.0)) == (2.0, 2.0)
    with pytest.raises(ValueError, match="count must be >= 0"):
        budget.record(60.0, AttemptOutcome.HUMAN, -1)


def test_uk_counts_the_campaigns_estimate_of_amd_false_positives_and_us_does_not() -> None:
    counts = {AttemptOutcome.HUMAN: 97, AttemptOutcome.DROPPED: 1, AttemptOutcome.MACHINE: 100}
    uk = CampaignPacer(Jurisdiction.UK, 3.0, amd_false_positive_rate=0.03)
    uk.budget_read(1000.0, counts)
    assert uk.budget is not None
    # 100 machine verdicts at 3%: 3 people hung up on, each a live answer and an abandon.
    assert (uk.budget.live_answers(1000.0), uk.budget.abandons(1000.0)) == pytest.approx((101.0, 4.0))
    assert uk.budget_spent(1000.0), "4 of 101 is over 3%"
    us = CampaignPacer(Jurisdiction.US, 3.0, amd_false_positive_rate=0.03)
    us.budget_read(1000.0, counts)
    assert us.budget is not None
    assert (us.budget.live_answers(1000.0), us.budget.abandons(1000.0)) == (98.0, 1.0)
    assert not us.budget_spent(1000.0)
