"""What a waiting caller hears: the queue's music until it fails, then a fallback tone (docs/acd.md).

Pure bookkeeping for one caller's wait. The channel reports a source that cannot be played with
`HoldFailed` (after its own back-off, so nothing here needs to wait); this decides what to play
next and logs each failing source once per call, never once per attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final

from ivr_scripts.channel import HoldFailed

log = logging.getLogger(__name__)

# mod_tone_stream (teletone): %(on ms, off ms, Hz, Hz), repeated for ever with loops=-1. The North
# American ringback (440 + 480 Hz, 2 s on, 4 s off): every caller knows it as "still connecting",
# it is silent two thirds of the time, and it needs no file, only mod_tone_stream, which is always loaded.
FALLBACK_HOLD_TONE: Final = "tone_stream://%(2000,4000,440,480);loops=-1"


@dataclass(slots=True)
class HoldSources:
    """The hold source for one caller's wait. `current` is what to play now."""

    call_uuid: str
    music: str
    fallback: str = FALLBACK_HOLD_TONE
    failures: dict[str, int] = field(default_factory=dict)  # source -> failed attempts

    @property
    def current(self) -> str:
        return self.music if self.music not in self.failures else self.fallback

    def failed(self, failure: HoldFailed) -> None:
        """`current` could not be played: count it; the first failure of each source is logged."""
        source = failure.music
        count = self.failures.get(source, 0) + 1
        self.failures[source] = count
        if count > 1:
            return
        if source == self.fallback:
            log.error(
                "call %s: the fallback hold tone %s failed too (%s); the caller waits without music",
                self.call_uuid,
                source,
                failure.reason,
            )
        else:
            log.warning(
                "call %s: hold music %s failed (%s); playing %s for the rest of the wait",
                self.call_uuid,
                source,
                failure.reason,
                self.fallback,
            )

    @property
    def attempts_failed(self) -> int:
        return sum(self.failures.values())
