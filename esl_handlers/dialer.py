"""The dialer: claims due leads for each dialling campaign, dials them, and reschedules them as they end.

Every `tick` (the server calls it each second and when a seat frees), for each campaign in pilot or
running: the calls wanted (ivr_scripts.campaigns.dialing.calls_wanted), the zone keys inside calling
hours, that many leads claimed (a lease, so no other server dials them), each checked against the
do-not-call lists once more, then dialled through `CampaignCalls`. When a call ends, its attempt is
logged and the lead rescheduled by the retry rules, or finished. A blocked number is logged as a
`blocked` attempt, never dialled. In the uk a number with an abandoned call in the last 72 h (any
campaign's) is not dialled either: its lead is postponed to 72 h after that call. Seats are shared by
the campaigns a server dials.

A predictive campaign's calls wanted come from its `CampaignPacer` (ivr_scripts.campaigns.pacing_live),
asked every tick with the seats waiting, the calls in flight (dialling or listening, a person waiting for
a seat, connected) and what its finished calls taught (first, before its first call, the attempt log's
latest calls of the campaign); its abandon budget is read from the attempt log at most every few
seconds. While the budget is spent it dials as progressive, and says so once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from dialplans.campaign_vocabulary import AttemptOutcome, DialMode, Jurisdiction
from esl_handlers.campaign_calls import CampaignCalls, DialRequest
from ivr_scripts.campaigns.campaign_call import CampaignCall, Phase
from ivr_scripts.campaigns.dialing import DialingRules, LeadToDial, calls_wanted
from ivr_scripts.campaigns.pacing_live import CampaignPacer
from ivr_scripts.campaigns.pacing_memory import LoggedCall
from ivr_scripts.campaigns.retries import UK_NO_REDIAL_AFTER_DROP
from ivr_scripts.campaigns.windows import NeverOpen

log = logging.getLogger(__name__)

LEASE: Final = dt.timedelta(hours=24)
IN_FLIGHT: Final = (Phase.DIALLING, Phase.LISTENING)

AbandonCounts = Callable[[str, dt.datetime], Mapping[AttemptOutcome, int]]
"""The attempt log's counts per outcome of a campaign's attempts started at or after a time."""
RecentCalls = Callable[[str], Sequence[LoggedCall]]
"""The attempt log's latest finished calls of a campaign."""


class DialerStore(Protocol):
    def dialling(self, campaign: str) -> bool:
        """The campaign is in pilot or running."""
        ...

    def zone_keys(self, campaign: str) -> list[str]: ...

    def claim(
        self,
        campaign: str,
        open_keys: Collection[str],
        now: dt.datetime,
        limit: int,
        lease_until: dt.datetime,
    ) -> list[LeadToDial]: ...

    def blocked(self, campaign: str, phone: str) -> str | None: ...

    def latest_drop(self, phone: str, since: dt.datetime) -> dt.datetime | None:
        """When the latest abandoned call to `phone` ended, any campaign's, if at or after `since`."""
        ...

    def postpone(self, lead_id: int, until: dt.datetime) -> None:
        """A claimed lead not dialled now is due again at `until`."""
        ...

    def finished(self, call: CampaignCall, lead: LeadToDial, next_at: dt.datetime | None) -> None:
        """Log the attempt and reschedule the lead (None: finished), at once."""
        ...


@dataclass(frozen=True)
class CampaignAudio:
    """A campaign's messages as files the switch plays (None: the campaign names none)."""

    dropped: str | None = None
    """The identification message a dropped call hears."""
    machine: str | None = None
    """Left on answering machines (machine action `message`)."""


class Dialer:
    def __init__(
        self,
        store: DialerStore,
        calls: CampaignCalls,
        rules: Mapping[str, DialingRules],
        *,
        endpoint: Callable[[str], str],
        audio: Mapping[str, CampaignAudio],
        clock: Callable[[], dt.datetime],
        abandon_counts: AbandonCounts,
        recent_calls: RecentCalls = lambda _: (),
    ) -> None:
        self._store = store
        self._calls = calls
        self._rules = dict(rules)
        self._endpoint = endpoint
        self._audio = dict(audio)
        self._clock = clock
        self._abandon_counts = abandon_counts
        self._recent_calls = recent_calls
        self._pacers = {
            name: CampaignPacer(
                r.jurisdiction,
                r.abandon_limit_percent,
                amd_false_positive_rate=r.amd_false_positive_rate,
                wrap_up_seconds=r.wrap_up_seconds,
            )
            for name, r in self._rules.items()
            if r.mode is DialMode.PREDICTIVE
        }
        self._out_of_budget: set[str] = set()
        self._leads: dict[str, tuple[DialingRules, LeadToDial, CampaignCall]] = {}

    def dialling(self) -> list[str]:
        """The campaigns in pilot or running now."""
        return [name for name in self._rules if self._store.dialling(name)]

    def tick(self, dialling: Collection[str] | None = None) -> int:
        """Dial what each campaign in `dialling` (None: `dialling()`) wants now; the calls placed."""
        now = self._clock()
        placed = 0
        names = self.dialling() if dialling is None else dialling
        for name, rules in self._rules.items():
            if name not in names:
                continue
            wanted = self._wanted(rules, now)
            if wanted <= 0:
                continue
            keys = rules.open_keys(self._store.zone_keys(name), now)
            for lead in self._store.claim(name, keys, now, wanted, now + LEASE):
                placed += self._dial(rules, lead, now)
        return placed

    def _wanted(self, rules: DialingRules, now: dt.datetime) -> int:
        waiting_seats = len(self._calls.seats.waiting(now))
        pacer = self._pacers.get(rules.name)
        if pacer is None:
            return calls_wanted(rules, waiting_seats, self._calls.in_progress())
        at = now.timestamp()
        if not pacer.remembered:
            learnt = pacer.remember(self._recent_calls(rules.name))
            log.info(
                "campaign %s: the pacer starts from the attempt log's latest %d calls", rules.name, learnt
            )
        if pacer.budget_due(at):
            since = now - dt.timedelta(seconds=pacer.window_seconds)
            pacer.budget_read(at, self._abandon_counts(rules.name, since))
        self._tell_budget(rules.name, pacer, at)
        calls = [call for _, _, call in self._leads.values()]
        return pacer.calls(
            at,
            idle_seats=waiting_seats,
            talk_started=[
                c.connected_at.timestamp() for c in calls if c.connected_at and c.phase is Phase.CONNECTED
            ],
            dialled_at=[c.started_at.timestamp() for c in calls if c.phase in IN_FLIGHT],
            persons_waiting=sum(1 for c in calls if c.phase is Phase.WAITING_FOR_AGENT),
            wrap_up_ends=[end.timestamp() for end in self._calls.seats.wrap_up_ends()],
        )

    def _tell_budget(self, name: str, pacer: CampaignPacer, at: float) -> None:
        spent = pacer.budget_spent(at)
        if spent and name not in self._out_of_budget:
            self._out_of_budget.add(name)
            log.warning("campaign %s: abandon budget spent; dialling progressively until it recovers", name)
        elif not spent and name in self._out_of_budget:
            self._out_of_budget.discard(name)
            log.info("campaign %s: abandon budget has room again; dialling predictively", name)

    def _dial(self, rules: DialingRules, lead: LeadToDial, now: dt.datetime) -> int:
        reason = self._store.blocked(rules.name, lead.phone)
        if reason is not None:
            log.info("campaign %s: lead %d not dialled: %s", rules.name, lead.id, reason)
            blocked = CampaignCall(rules.name, lead.id, lead.phone, "", now)
            blocked.outcome, blocked.ended_at = AttemptOutcome.BLOCKED, now
            self._store.finished(blocked, lead, None)
            return 0
        if rules.jurisdiction is Jurisdiction.UK and self._held_after_a_drop(rules, lead, now):
            return 0
        audio = self._audio.get(rules.name, CampaignAudio())
        request = DialRequest(
            rules.name,
            lead.id,
            lead.phone,
            self._endpoint(lead.phone),
            rules.caller_number,
            rules.caller_name,
            audio.dropped,
            ring_seconds=rules.ring_seconds,
            machine_action=rules.machine_action,
            machine_audio=audio.machine,
            wrap_up_seconds=rules.wrap_up_seconds,
        )
        call = self._calls.dial(request)
        self._leads[call.call_uuid] = (rules, lead, call)
        return 1

    def _held_after_a_drop(self, rules: DialingRules, lead: LeadToDial, now: dt.datetime) -> bool:
        """Ofcom: no call within 72 h of an abandoned call to the number. The lead's own drops already
        set its next attempt (the retry rules); this catches another campaign's."""
        dropped = self._store.latest_drop(lead.phone, now - UK_NO_REDIAL_AFTER_DROP)
        if dropped is None:
            return False
        until = dropped + UK_NO_REDIAL_AFTER_DROP
        log.info("campaign %s: lead %d held until %s: a call to it was abandoned", rules.name, lead.id, until)
        self._store.postpone(lead.id, until)
        return True

    def on_finished(self, call: CampaignCall) -> None:
        """CampaignCalls' report of an ended call: learn from it (predictive), log it and reschedule its
        lead."""
        pacer = self._pacers.get(call.campaign)
        if pacer is not None:
            pacer.learn(call)
        found = self._leads.pop(call.call_uuid, None)
        if found is None or call.outcome is None:
            return
        rules, lead, _ = found
        ended = call.ended_at or self._clock()
        try:
            next_at = rules.after(lead.zone_key, lead.attempts + 1, call.outcome, ended).next_at
        except NeverOpen:
            log.warning(
                "campaign %s: lead %d's zones are never inside its window; finished", rules.name, lead.id
            )
            next_at = None
        self._store.finished(call, lead, next_at)
