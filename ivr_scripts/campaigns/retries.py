"""After a dial attempt: is the number finished, or when may it be dialled again.

The order of the rules: a human answer or a do-not-call block ends the number's calls; then
`max_attempts`; then the outcome's retry rule (`never` ends them too; a machine ends them when the
campaign's machine action is `message` or `hangup`). Otherwise the next attempt is the rule's delay
after the attempt ended, and in the uk no earlier than 72 h after the latest abandoned (dropped)
call in the number's history, whatever the rule says. `next_dial_time` then moves that time into
the calling window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from dialplans.campaign_models import RETRYABLE, Campaign
from dialplans.campaign_vocabulary import AttemptOutcome, Jurisdiction
from ivr_scripts.campaigns.windows import CallingWindow, next_opening

_O = AttemptOutcome
DEFAULT_DELAYS: Mapping[AttemptOutcome, dt.timedelta | None] = MappingProxyType(
    {
        _O.BUSY: dt.timedelta(minutes=15),
        _O.NO_ANSWER: dt.timedelta(hours=2),
        _O.MACHINE: dt.timedelta(hours=4),
        _O.FAX: None,
        _O.DROPPED: dt.timedelta(hours=1),
        _O.UNREACHABLE: None,
    }
)
UK_NO_REDIAL_AFTER_DROP = dt.timedelta(hours=72)
FINAL_OUTCOMES = frozenset({_O.HUMAN, _O.BLOCKED})


class FinalReason(StrEnum):
    FINAL_OUTCOME = "final_outcome"
    """A person answered, or the number is on a do-not-call list."""
    MAX_ATTEMPTS = "max_attempts"
    NEVER_RETRIED = "never_retried"
    """The outcome's retry rule is `never`."""
    MACHINE_ACTION = "machine_action"
    """A machine answered and the campaign's machine action (message or hangup) ends the calls."""


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: AttemptOutcome
    ended_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """Either final (with its reason) or the earliest time of the next attempt (aware, UTC)."""

    reason: FinalReason | None = None
    next_at: dt.datetime | None = None

    @property
    def final(self) -> bool:
        return self.reason is not None


def _uk_dropped_default(jurisdiction: Jurisdiction) -> dt.timedelta | None:
    return UK_NO_REDIAL_AFTER_DROP if jurisdiction is Jurisdiction.UK else DEFAULT_DELAYS[_O.DROPPED]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    jurisdiction: Jurisdiction = Jurisdiction.US
    delays: Mapping[AttemptOutcome, dt.timedelta | None] = field(default_factory=dict)
    """Per outcome: the delay, or None for never. Outcomes left out take `DEFAULT_DELAYS` (dropped: 72 h
    in the uk)."""
    machine_ends_calls: bool = False

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts is at least 1, got {self.max_attempts}")
        unknown = sorted(set(self.delays) - set(RETRYABLE))
        if unknown:
            raise ValueError(f"no retry rule can be given for {', '.join(unknown)}: those outcomes are final")
        for outcome, delay in self.delays.items():
            if delay is not None and delay <= dt.timedelta(0):
                raise ValueError(f"the retry delay after {outcome} must be positive, got {delay}")

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> RetryPolicy:
        rules = {outcome: getattr(campaign.retries, outcome.value) for outcome in RETRYABLE}
        return cls(
            max_attempts=campaign.max_attempts,
            jurisdiction=campaign.jurisdiction,
            delays={outcome: rule.delay for outcome, rule in rules.items() if rule is not None},
            machine_ends_calls=campaign.machine.action != "retry",
        )

    def delay(self, outcome: AttemptOutcome) -> dt.timedelta | None:
        """The wait after `outcome` before the next attempt; None means never again."""
        if outcome in FINAL_OUTCOMES:
            return None
        if outcome in self.delays:
            return self.delays[outcome]
        if outcome is _O.DROPPED:
            return _uk_dropped_default(self.jurisdiction)
        return DEFAULT_DELAYS[outcome]


def after_attempt(
    policy: RetryPolicy,
    attempts_so_far: int,
    outcome: AttemptOutcome,
    ended_at: dt.datetime,
    history: Sequence[Attempt] = (),
) -> Decision:
    """What follows an attempt that ended at `ended_at`; `attempts_so_far` counts it, `history` holds
    the number's earlier attempts (any order)."""
    if attempts_so_far < 1:
        raise ValueError(
            f"attempts_so_far counts the attempt that just ended, so it is at least 1: {attempts_so_far}"
        )
    ended = _aware_utc(ended_at, "ended_at")
    if outcome in FINAL_OUTCOMES:
        return Decision(reason=FinalReason.FINAL_OUTCOME)
    if attempts_so_far >= policy.max_attempts:
        return Decision(reason=FinalReason.MAX_ATTEMPTS)
    if outcome is _O.MACHINE and policy.machine_ends_calls:
        return Decision(reason=FinalReason.MACHINE_ACTION)
    delay = policy.delay(outcome)
    if delay is None:
        return Decision(reason=FinalReason.NEVER_RETRIED)
    next_at = ended + delay
    if policy.jurisdiction is Jurisdiction.UK:
        drops = [_aware_utc(a.ended_at, "history") for a in history if a.outcome is _O.DROPPED]
        if outcome is _O.DROPPED:
            drops.append(ended)
        if drops:
            next_at = max(next_at, max(drops) + UK_NO_REDIAL_AFTER_DROP)
    return Decision(next_at=next_at)


def next_dial_time(
    policy: RetryPolicy,
    window: CallingWindow,
    zones: Iterable[str],
    *,
    attempts_so_far: int,
    outcome: AttemptOutcome,
    ended_at: dt.datetime,
    history: Sequence[Attempt] = (),
    fallback: Iterable[str] = (),
) -> Decision:
    """`after_attempt`, with the next attempt moved to the window's next opening in the number's zones
    (`windows.NeverOpen` if the window never opens in all of them)."""
    decision = after_attempt(policy, attempts_so_far, outcome, ended_at, history)
    if decision.next_at is None:
        return decision
    return Decision(next_at=next_opening(window, zones, decision.next_at, fallback=fallback))


def _aware_utc(instant: dt.datetime, what: str) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got the naive {instant.isoformat()}")
    return instant.astimezone(dt.UTC)
