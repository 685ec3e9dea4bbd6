"""The pacer: how many calls a campaign places now. Pure: no I/O, no clock (the snapshot carries `now`).

The dialer calls `decide` on every event (a dial resolved, an agent freed, a call ended) and at least
every second. Preview places nothing (the agent dials); progressive one call per idle agent not yet
covered by a call in progress; predictive dials ahead of agents coming free, capped by the abandon
budget (`pacing_predictive`; the formulas are in docs/pacing.md).
"""

from __future__ import annotations

from dialplans.campaign_vocabulary import DialMode
from ivr_scripts.campaigns.pacing_model import (
    DEFAULT_SETTINGS,
    PacingSettings,
    PacingSnapshot,
    progressive_calls,
)
from ivr_scripts.campaigns.pacing_predictive import predictive_calls

__all__ = ["PacingSettings", "PacingSnapshot", "decide"]


def decide(snapshot: PacingSnapshot, settings: PacingSettings = DEFAULT_SETTINGS) -> int:
    """Calls to place now."""
    if snapshot.mode is DialMode.PREVIEW:
        return 0
    if snapshot.mode is DialMode.PROGRESSIVE:
        return progressive_calls(snapshot)
    return predictive_calls(snapshot, settings)
