"""One predictive campaign's pacer as the dialer runs it: what its finished calls taught (starting from
the attempt log's latest calls of the campaign), its abandon budget as last read from the attempt log,
and the calls to place at a given instant.

The dialer reads the budget (live answers and abandons over the campaign's window, as counts per
outcome) at most every `BUDGET_READ_SECONDS` and asks `calls` every tick with the moment's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from dialplans.campaign_vocabulary import AttemptOutcome, DialMode, Jurisdiction
from ivr_scripts.campaigns.abandons import RULES, AbandonBudget
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.pacing import decide
from ivr_scripts.campaigns.pacing_memory import LoggedCall, learn_call, remember
from ivr_scripts.campaigns.pacing_model import DEFAULT_SETTINGS, PacingSettings, PacingSnapshot
from ivr_scripts.campaigns.pacing_stats import StatisticsLearner

BUDGET_READ_SECONDS: Final = 5.0
"""How stale the abandon budget may be: the window is days long, a few seconds move it little."""
COUNTED: Final = (AttemptOutcome.HUMAN, AttemptOutcome.DROPPED, AttemptOutcome.MACHINE)
"""The outcomes the budget counts (the attempt log's others are left unread)."""


class CampaignPacer:
    def __init__(
        self,
        jurisdiction: Jurisdiction,
        limit_percent: float,
        *,
        amd_false_positive_rate: float = 0.0,
        wrap_up_seconds: float = 0.0,
        settings: PacingSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.limit_percent = limit_percent
        self.amd_false_positive_rate = amd_false_positive_rate
        self.wrap_up_seconds = wrap_up_seconds
        self.settings = settings
        self.learner = StatisticsLearner()
        self.remembered = False
        """The attempt log's latest calls were learnt (`remember`)."""
        self.budget: AbandonBudget | None = None
        self._budget_read_at: float | None = None

    @property
    def window_seconds(self) -> float:
        return RULES[self.jurisdiction].window_seconds

    def budget_due(self, now: float) -> bool:
        """The budget was never read, or last read `BUDGET_READ_SECONDS` ago or more."""
        return self._budget_read_at is None or now - self._budget_read_at >= BUDGET_READ_SECONDS

    def budget_read(self, now: float, counts: Mapping[AttemptOutcome, int]) -> None:
        """The attempt log's counts per outcome over the window ending at `now`."""
        budget = AbandonBudget(
            self.jurisdiction,
            limit_percent=self.limit_percent,
            amd_false_positive_rate=self.amd_false_positive_rate,
        )
        for outcome in COUNTED:
            budget.record(now, outcome, counts.get(outcome, 0))
        self.budget, self._budget_read_at = budget, now

    def budget_spent(self, now: float) -> bool:
        """No abandon is affordable: predictive dials as progressive until answers bring headroom back."""
        return self.budget is not None and self.budget.affordable(now) <= 0.0

    def learn(self, call: CampaignCall) -> None:
        """A finished call: how long its dial took to resolve (to the decision, or to its end), whether
        a person or a machine answered, and a person's talk time."""
        if call.outcome is None:
            return
        learn_call(
            self.learner,
            started_at=call.started_at,
            outcome=call.outcome,
            decided_at=call.decided_at,
            connected_at=call.connected_at,
            ended_at=call.ended_at,
            wrap_seconds=self.wrap_up_seconds,
        )

    def remember(self, calls: Iterable[LoggedCall]) -> int:
        """Learn the campaign's latest finished calls from the attempt log, once, before any call of this
        run; how many were learnt from."""
        self.remembered = True
        return remember(self.learner, calls, self.wrap_up_seconds)

    def calls(
        self,
        now: float,
        *,
        idle_seats: int,
        talk_started: Sequence[float],
        dialled_at: Sequence[float],
        persons_waiting: int,
        wrap_up_ends: Sequence[float] = (),
    ) -> int:
        """Calls to place at `now` (epoch seconds) given the seats and the calls in flight."""
        snapshot = PacingSnapshot(
            now=now,
            mode=DialMode.PREDICTIVE,
            idle_agents=idle_seats,
            talk_started=tuple(talk_started),
            calls_dialled_at=tuple(dialled_at),
            persons_waiting=persons_waiting,
            wrap_up_ends=tuple(wrap_up_ends),
            statistics=self.learner.statistics(),
            budget=self.budget,
        )
        return decide(snapshot, self.settings)
