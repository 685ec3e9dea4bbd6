"""A campaign's lifecycle: draft -> pilot -> running <-> paused -> closed, and nothing else.

A pilot may be skipped (draft -> running) and abandoned early (pilot -> paused or closed); a draft may be
closed without ever running. Closed is final. Every accepted transition is logged by the caller.
"""

from __future__ import annotations

from typing import Final

from dialplans.campaign_vocabulary import CampaignStatus

_S = CampaignStatus

ALLOWED: Final[dict[CampaignStatus, frozenset[CampaignStatus]]] = {
    _S.DRAFT: frozenset({_S.PILOT, _S.RUNNING, _S.CLOSED}),
    _S.PILOT: frozenset({_S.RUNNING, _S.PAUSED, _S.CLOSED}),
    _S.RUNNING: frozenset({_S.PAUSED, _S.CLOSED}),
    _S.PAUSED: frozenset({_S.RUNNING, _S.PILOT, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}

DIALLING: Final[frozenset[CampaignStatus]] = frozenset({_S.PILOT, _S.RUNNING})
"""The statuses in which the dialer places calls (a pilot only to its sample)."""


class TransitionRefused(ValueError):
    def __init__(self, campaign: str, current: CampaignStatus, target: CampaignStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing: closed is final"
        super().__init__(f"campaign {campaign!r} is {current}; cannot go to {target} (allowed: {allowed})")
        self.current = current
        self.target = target


def check_transition(campaign: str, current: CampaignStatus, target: CampaignStatus) -> None:
    """Raise `TransitionRefused` unless the lifecycle allows `current` -> `target`."""
    if target not in ALLOWED[current]:
        raise TransitionRefused(campaign, current, target)
