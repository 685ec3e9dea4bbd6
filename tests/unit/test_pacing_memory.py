"""The pacer remembers across restarts: the attempt log's latest calls teach a fresh learner what the
calls of the last run taught the old one."""

from __future__ import annotations

import datetime as dt

from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.pacing_live import CampaignPacer
from ivr_scripts.campaigns.pacing_memory import LoggedCall, remember
from ivr_scripts.campaigns.pacing_stats import StatisticsLearner

T0 = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
Out = AttemptOutcome


def logged(
    outcome: AttemptOutcome,
    decided: float | None,
    end: float | None,
    wait_ms: int | None = None,
    start: float = 0,
) -> LoggedCall:
    """A logged call started `start` s after T0; its decision and end in seconds after its start."""
    started = T0 + dt.timedelta(seconds=start)
    return LoggedCall(
        started,
        outcome,
        ended_at=None if end is None else started + dt.timedelta(seconds=end),
        decided_at=None if decided is None else started + dt.timedelta(seconds=decided),
        wait_for_agent_ms=wait_ms,
    )


def test_logged_calls_teach_what_the_same_calls_taught_when_they_ended() -> None:
    calls = [
        logged(Out.HUMAN, 7.0, 67.5, wait_ms=500),
        logged(Out.DROPPED, 9.0, 15.0, wait_ms=2000),
        logged(Out.MACHINE, 11.0, 40.0),
        logged(Out.NO_ANSWER, None, 25.0),
    ]
    learner = StatisticsLearner()
    assert remember(learner, calls) == 4
    live = CampaignPacer(Jurisdiction.US, 3.0)
    for call in calls:
        ended = CampaignCall("spring", 1, "+13125550001", "u", call.started_at)
        ended.decided_at, ended.ended_at, ended.outcome = call.decided_at, call.ended_at, call.outcome
        ended.connected_at = call.connected_at
        live.learn(ended)
    assert learner.statistics() == live.learner.statistics()
    stats = learner.statistics()
    assert (stats.dials, stats.person_rate, stats.machine_rate) == (4, 0.5, 0.25)
    assert stats.connect_times == (7.0, 9.0)
    assert stats.resolve_times == (7.0, 9.0, 11.0, 25.0)
    assert stats.talk_seconds == (60.0,), "the end less the connection: decided + 500 ms"


def test_rows_that_cannot_teach_the_truth_are_left_out() -> None:
    learner = StatisticsLearner()
    learnt = remember(
        learner,
        [
            logged(Out.BLOCKED, None, 0.0),  # never dialled
            logged(Out.NO_ANSWER, None, None),  # no end
            logged(Out.HUMAN, None, 300.0, wait_ms=400),  # logged before decided_at was kept
            logged(Out.HUMAN, 6.0, 300.0),  # no wait: a resolve time, but no talk time
        ],
    )
    assert learnt == 1
    stats = learner.statistics()
    assert (stats.dials, stats.resolve_times, stats.talk_seconds) == (1, (6.0,), ())


def test_the_latest_calls_are_kept_whatever_order_they_come_in() -> None:
    learner = StatisticsLearner(window=3)
    newest_first = [logged(Out.NO_ANSWER, None, float(10 + n), start=float(n)) for n in reversed(range(5))]
    remember(learner, newest_first)
    assert learner.statistics().resolve_times == (12.0, 13.0, 14.0), "the three started last"


def test_the_pacer_remembers_once_and_then_learns_as_before() -> None:
    pacer = CampaignPacer(Jurisdiction.UK, 3.0)
    assert not pacer.remembered
    assert pacer.remember([logged(Out.MACHINE, 3.5, 12.0)]) == 1
    assert pacer.remembered
    assert pacer.learner.statistics().machine_rate == 1.0
