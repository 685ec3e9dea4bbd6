"""The live tests' own event connection to the real switch: every event of the kinds asked for, by leg."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

import gevent

from esl_handlers.codec import Event, Frame, event
from esl_handlers.connection import open_inbound
from tests.support.live.harness import Live

Headers = dict[str, str]


class EventRecorder:
    def __init__(self) -> None:
        self.by_leg: dict[str, list[Headers]] = defaultdict(list)

    def on_frame(self, frame: Frame) -> None:
        if isinstance(frame, Event):
            self.by_leg[frame.headers.get("Unique-ID", "")].append(dict(frame.headers))

    def wait_for(
        self, leg: str, wanted: Callable[[Headers], bool], timeout: float, *, after: int = 0
    ) -> Headers:
        """The first `wanted` event of `leg` (from its `after`-th on); AssertionError past `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            for headers in self.by_leg[leg][after:]:
                if wanted(headers):
                    return headers
            if time.monotonic() > deadline:
                seen = [h.get("Event-Name") for h in self.by_leg[leg]]
                raise AssertionError(f"leg {leg}: no such event within {timeout} s; saw {seen}")
            gevent.sleep(0.02)


def named(name: str, application: str | None = None) -> Callable[[Headers], bool]:
    def wanted(headers: Headers) -> bool:
        return headers.get("Event-Name") == name and (
            application is None or headers.get("Application") == application
        )

    return wanted


def timestamp_ms(headers: Headers) -> float:
    """The switch's own time of the event (Event-Date-Timestamp, microseconds), in milliseconds."""
    return int(headers["Event-Date-Timestamp"]) / 1000


@contextlib.contextmanager
def recording_events(live: Live, names: Sequence[str]) -> Iterator[EventRecorder]:
    recorder = EventRecorder()
    settings = live.settings
    conn = open_inbound(
        settings.esl_host, settings.esl_port, settings.esl_password, on_frame=recorder.on_frame
    )
    try:
        reply = conn.command(event("plain", names), 5.0)
        assert reply.ok, reply.reply_text
        yield recorder
    finally:
        conn.close("test over")
