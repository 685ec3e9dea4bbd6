"""What the dialer needs of one campaign, taken from its YAML once, and how many calls it wants now.

`DialingRules.from_campaign` gathers the calling window, the retry policy, the ring time, the caller ID,
the machine action and the abandon rule; the dialer (esl_handlers.dialer) applies them to each lead and
each ended call. Pacing here is the progressive rule (one call per agent's seat waiting); preview dials
nothing by itself; a predictive campaign is paced by its `CampaignPacer` (pacing_live).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import AttemptOutcome, DialMode, Jurisdiction
from ivr_scripts.campaigns.campaign_call import MachineAction
from ivr_scripts.campaigns.retries import Attempt, Decision, RetryPolicy, next_dial_time
from ivr_scripts.campaigns.windows import CallingWindow, open_zone_keys, zones_of


@dataclass(frozen=True)
class DialingRules:
    name: str
    mode: DialMode
    window: CallingWindow
    retry: RetryPolicy
    ring_seconds: int
    caller_number: str
    caller_name: str
    machine_action: MachineAction
    jurisdiction: Jurisdiction = Jurisdiction.US
    abandon_limit_percent: float = 3.0
    amd_false_positive_rate: float = 0.0
    """Counted by the uk abandon budget only (ivr_scripts.campaigns.abandons)."""
    fallback_zones: tuple[str, ...] = ()
    """The zones of a number that carries none (the campaign region's)."""
    wrap_up_seconds: int = 0
    """An agent's seat takes no customer for this long after each call."""

    @classmethod
    def from_campaign(cls, name: str, campaign: Campaign, fallback_zones: Iterable[str] = ()) -> DialingRules:
        return cls(
            name=name,
            mode=campaign.dial_mode,
            window=CallingWindow.from_yaml(campaign.window),
            retry=RetryPolicy.from_campaign(campaign),
            ring_seconds=campaign.ring_seconds,
            caller_number=campaign.caller_id.number,
            caller_name=campaign.caller_id.name or name,
            machine_action=campaign.machine.action,
            jurisdiction=campaign.jurisdiction,
            abandon_limit_percent=campaign.abandon.limit_percent,
            amd_false_positive_rate=campaign.abandon.amd_false_positive_rate,
            fallback_zones=tuple(sorted(set(fallback_zones))),
            wrap_up_seconds=campaign.wrap_up,
        )

    def open_keys(self, keys: Iterable[str], now: dt.datetime) -> set[str]:
        """The stored zone keys whose numbers may be called at `now`."""
        return open_zone_keys(self.window, keys, now, fallback=self.fallback_zones)

    def after(
        self, zone_key: str, attempts_so_far: int, outcome: AttemptOutcome, ended_at: dt.datetime,
        history: Iterable[Attempt] = (),
    ) -> Decision:  # fmt: skip
        """Final, or when to dial the lead next (inside the window in its zones)."""
        return next_dial_time(
            self.retry,
            self.window,
            zones_of(zone_key),
            attempts_so_far=attempts_so_far,
            outcome=outcome,
            ended_at=ended_at,
            history=tuple(history),
            fallback=self.fallback_zones,
        )


def calls_wanted(rules: DialingRules, waiting_seats: int, in_progress: int) -> int:
    """Calls to place now by the progressive rule: none for preview (the agent dials), else one per waiting
    seat not yet served (predictive dials so too while warming up or out of budget)."""
    if rules.mode is DialMode.PREVIEW:
        return 0
    return max(0, waiting_seats - in_progress)


@dataclass(frozen=True)
class LeadToDial:
    """A lead the dialer has claimed."""

    id: int
    list_id: int
    phone: str
    zone_key: str
    attempts: int
    """Attempts made before this one."""
