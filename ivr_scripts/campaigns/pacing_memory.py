"""What a predictive pacer learns from one finished call, whether the call just ended or is read back
from the attempt log when the dialer starts (so that a restarted server does not begin from nothing and
dial as if every call were new: it remembers the campaign's latest calls)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.pacing_stats import StatisticsLearner

PERSONS = (AttemptOutcome.HUMAN, AttemptOutcome.DROPPED)
"""Decided a person (a dropped call was answered by one)."""
DECIDED = (*PERSONS, AttemptOutcome.MACHINE, AttemptOutcome.FAX)
"""Outcomes that come from the call-progress decision: their dial resolved when it came."""


@dataclass(frozen=True)
class LoggedCall:
    """One finished attempt as the attempt log keeps it (the columns the pacer needs)."""

    started_at: dt.datetime
    outcome: AttemptOutcome
    ended_at: dt.datetime | None
    decided_at: dt.datetime | None = None
    wait_for_agent_ms: int | None = None
    """From the decision to the agent (a human), to the drop or the hangup."""

    @property
    def connected_at(self) -> dt.datetime | None:
        if self.outcome is not AttemptOutcome.HUMAN or self.decided_at is None:
            return None
        if self.wait_for_agent_ms is None:
            return None
        return self.decided_at + dt.timedelta(milliseconds=self.wait_for_agent_ms)


def learn_call(
    learner: StatisticsLearner,
    *,
    started_at: dt.datetime,
    outcome: AttemptOutcome,
    decided_at: dt.datetime | None,
    connected_at: dt.datetime | None,
    ended_at: dt.datetime | None,
    wrap_seconds: float = 0.0,
) -> bool:
    """Teach `learner` one finished call: its resolve time (to the decision, or to its end if it was
    never decided), a person or a machine, and a human's talk time and the wrap-up after it. False
    (nothing learnt) for a call never dialled (blocked), without an end, or decided with no time of the
    decision (rows logged before the attempt log kept it: their end would count the talk as ringing)."""
    if outcome is AttemptOutcome.BLOCKED or ended_at is None:
        return False
    if outcome in DECIDED and decided_at is None:
        return False
    resolved = decided_at or ended_at
    learner.dial_resolved(
        max(0.0, (resolved - started_at).total_seconds()),
        person=outcome in PERSONS,
        machine=outcome is AttemptOutcome.MACHINE,
    )
    if outcome is AttemptOutcome.HUMAN and connected_at is not None:
        learner.call_ended(max(0.0, (ended_at - connected_at).total_seconds()), wrap_seconds)
    return True


def remember(learner: StatisticsLearner, calls: Iterable[LoggedCall], wrap_seconds: float = 0.0) -> int:
    """Teach `learner` the logged calls (each followed by `wrap_seconds` of wrap-up), oldest first; how
    many it learnt from."""
    learnt = 0
    for call in sorted(calls, key=lambda c: c.started_at):
        learnt += learn_call(
            learner,
            started_at=call.started_at,
            outcome=call.outcome,
            decided_at=call.decided_at,
            connected_at=call.connected_at,
            ended_at=call.ended_at,
            wrap_seconds=wrap_seconds,
        )
    return learnt
